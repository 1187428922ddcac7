"""The instructor's submission review (grading/review_admin.py, grading/review.py): ivy teaches
alice's cohort, charlie teaches bob's."""

import time

import pytest
from django.urls import reverse

from grading import review
from grading.models import Submission
from grading.tests.conftest import GOOD, ONE_REPLICA, submit

pytestmark = pytest.mark.usefixtures("cohort", "other_cohort")


def _url(submission) -> str:
    return reverse("admin:grading_submission_review", args=[submission.pk])


@pytest.fixture
def two_tries(alice, lab):
    first = submit(alice, lab, [("d.yaml", ONE_REPLICA), ("notes.yaml", b"kind: List\nitems: []\n")])
    second = submit(alice, lab, [("d.yaml", GOOD),
                                 ("svc.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")])
    return first, second


def test_instructor_reads_files_results_stages_and_the_diff(client, ivy, two_tries,
                                                           django_assert_max_num_queries):
    first, second = two_tries
    client.force_login(ivy)
    with django_assert_max_num_queries(20):
        response = client.get(_url(second))
    page = response.content.decode()
    assert response.status_code == 200
    # Every file, highlighted (Pygments' YAML key class) with line numbers.
    assert page.count('class="review-file"') >= 2 and '<span class="nt">replicas</span>' in page
    assert '<span class="linenos">1</span>' in page
    # The check results as the student sees them, and stages as words rather than JSON.
    assert "At least three replicas" in page and 'class="check-list"' in page
    assert "The lab&#x27;s checks" in page or "The lab's checks" in page
    assert "Reading the files" in page and '"ms"' not in page
    # The diff against the previous submission: the changed line, the new and the removed file.
    assert "Changes since the previous submission" in page
    assert "replicas: 3" in page and "replicas: 1" in page
    assert "svc.yaml" in page and "New file" in page and "notes.yaml" in page and "Removed" in page
    assert _url(first) in page


def test_the_first_submission_says_there_is_nothing_to_compare(client, ivy, two_tries):
    client.force_login(ivy)
    page = client.get(_url(two_tries[0])).content.decode()
    assert "first submission of this lab" in page


def test_another_cohorts_instructor_and_students_cannot_open_the_review(client, charlie, alice, bob,
                                                                       two_tries):
    _, second = two_tries
    client.force_login(charlie)
    assert client.get(_url(second)).status_code == 404
    for student in (alice, bob):  # even the submission's own student: the admin is not theirs
        client.force_login(student)
        response = client.get(_url(second))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_hostile_file_content_is_rendered_inert(client, ivy, alice, lab):
    hostile = (b"kind: Deployment\nmetadata:\n  name: </script><script>alert(1)</script>\n"
               b"  labels: {a: \"<img src=x onerror=alert(2)>\"}\n# " + b"x" * 2_000_000 + b"\n")
    submission = submit(alice, lab, [("d.yaml", hostile), ("blob.yaml", b"\x00\x01\x02binary\xff"),
                                     ("README.md", b"# Hi\n<script>alert(3)</script>\n"
                                                   b"<img src=\"https://evil.test/t.gif\">\n"
                                                   b"[x](javascript:alert(4))\n## Content\n")],
                        run=False)
    client.force_login(ivy)
    started = time.perf_counter()
    page = client.get(_url(submission)).content.decode()
    assert time.perf_counter() - started < 5
    assert "<script>alert" not in page and "<img src=x" not in page
    assert '<img src="https://evil.test' not in page and 'href="javascript' not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Not text (binary or not UTF-8): not shown." in page
    assert "x" * 600 not in page and "cut short" in page and "first 200 kB" in page
    assert 'id="content"' in page and page.count('id="content"') == 1  # the README's heading has no id
    assert len(page) < 500_000


def test_huge_and_many_lines_are_bounded():
    text = "c: " + "d" * 10_000 + "\n" + ("a: " + "b" * 20 + "\n") * 8_000
    view = review.render_file("big.yaml", text.encode())
    assert view.html.count('class="linenos"') == review.MAX_LINES
    assert "cut short" in view.note and len(view.html) < 3_000_000


def test_a_file_cut_inside_a_utf8_character_is_still_text():
    content = "é".encode() * (review.MAX_FILE_BYTES // 2 + 10)
    assert "Not text" not in review.render_file("r.yaml", content).note


def test_archives_are_named_not_unpacked():
    view = review.render_file("upload.zip", b"PK\x03\x04rest")
    assert view.html is None and "archive" in view.note.lower()


def test_stage_rows_read_any_json_without_crashing():
    rows = review.stage_rows([{"name": "parse", "ms": 12.5}, "junk", {"ms": "x"},
                              {"name": "live", "ms": 2500, "timings": {"apply": 1200, "bad": "x"},
                               "diagnoses": [{"message": "Pod iris-1 is CrashLoopBackOff"}, 3]}])
    assert [(r.name, r.duration) for r in rows] == [
        ("Reading the files", "12 ms"), ("Stage", "did not finish"), ("In the sandbox", "2.5 s")]
    assert rows[2].details == ["apply: 1.2 s", "Pod iris-1 is CrashLoopBackOff"]
    assert review.stage_rows({"not": "a list"}) == []


def test_the_change_page_shows_stages_as_text_and_links_the_review(client, ivy, two_tries):
    _, second = two_tries
    client.force_login(ivy)
    page = client.get(reverse("admin:grading_submission_change", args=[second.pk])).content.decode()
    assert "Reading the files" in page and "&quot;started&quot;" not in page
    assert _url(second) in page


def test_view_on_site_lets_the_cohorts_instructor_read_the_submission(client, ivy, charlie, two_tries):
    _, second = two_tries
    client.force_login(ivy)
    assert client.get(second.get_absolute_url()).status_code == 200
    client.force_login(charlie)
    assert client.get(second.get_absolute_url()).status_code == 404
    assert Submission.objects.filter(pk=second.pk).exists()


def test_a_page_of_many_long_files_names_the_rest(alice, lab):
    big = ("a: b\n" * review.MAX_LINES).encode()
    submission = submit(alice, lab, [(f"f{i}.yaml", big) for i in range(6)], run=False)
    views = review.file_views(submission)
    assert [v.html is not None for v in views] == [True] * 4 + [False] * 2
    assert views[-1].note.startswith("Not shown: this page already shows 12,000 lines")
