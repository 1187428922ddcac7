"""Instructors in admin: ivy teaches alice's cohort, charlie teaches bob's."""

import pytest
from django.urls import reverse

from grading.models import ManualGrade, Submission
from grading.tests.conftest import GOOD, submit

pytestmark = pytest.mark.usefixtures("cohort", "other_cohort")


@pytest.fixture
def submissions(alice, bob, lab):
    return submit(alice, lab, [("d.yaml", GOOD)]), submit(bob, lab, [("d.yaml", GOOD)])


def test_instructors_see_only_their_cohorts_submissions(client, ivy, charlie, submissions):
    mine, theirs = submissions
    client.force_login(ivy)
    changelist = client.get(reverse("admin:grading_submission_changelist")).content.decode()
    assert "alice@example.com" in changelist and "bob@example.com" not in changelist
    assert client.get(reverse("admin:grading_submission_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:grading_submission_change", args=[theirs.pk])).status_code == 302
    client.force_login(charlie)
    changelist = client.get(reverse("admin:grading_submission_changelist")).content.decode()
    assert "bob@example.com" in changelist and "alice@example.com" not in changelist


def test_students_have_no_admin(client, alice, submissions):
    client.force_login(alice)
    assert client.get(reverse("admin:grading_submission_changelist")).status_code == 302


def test_regrade_action(client, ivy, submissions, monkeypatch, django_capture_on_commit_callbacks):
    from grading import tasks

    sent = []
    monkeypatch.setattr(tasks.grade_submission, "delay", lambda *args: sent.append(args))
    mine, theirs = submissions
    client.force_login(ivy)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:grading_submission_changelist"),
            {"action": "regrade", "_selected_action": [mine.pk, theirs.pk]},
            follow=True,
        )
    assert "Queued 1 submission(s)" in response.content.decode()
    assert sent == [(mine.pk,)]  # bob's submission is not ivy's to regrade
    assert Submission.objects.get(pk=theirs.pk).status == Submission.Status.PASSED


def test_instructor_grades_a_manual_rubric_item(client, ivy, alice, practical):
    """Grades are posted from the grading page (grading/review_admin.py); the change page's
    inline only shows them."""
    submission = submit(
        alice,
        practical,
        [("a.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"), ("README.md", b"hi")],
    )
    item = practical.manual_items.get()
    client.force_login(ivy)
    page = client.get(reverse("admin:grading_submission_change", args=[submission.pk])).content.decode()
    assert "Review and grade" in page and 'name="manual_grades-0-points"' not in page
    url = reverse("admin:grading_submission_grade", args=[submission.pk])
    response = client.post(url, {f"points_{item.pk}": "12", f"comment_{item.pk}": "Clear demo"})
    assert response.status_code == 200 and "less than or equal to 10" in response.content.decode()
    response = client.post(url, {f"points_{item.pk}": "8", f"comment_{item.pk}": "Clear demo"})
    assert response.status_code == 302
    grade = ManualGrade.objects.get()
    assert (grade.points, grade.comment, grade.graded_by) == (8, "Clear demo", ivy)
    client.force_login(alice)
    assert "Clear demo" in client.get(submission.get_absolute_url()).content.decode()


def test_labs_are_read_only_in_admin(client, ivy, lab):
    client.force_login(ivy)
    page = client.get(reverse("admin:grading_lab_change", args=[lab.pk])).content.decode()
    assert "min-replicas" in page and 'name="_save"' not in page


def _change_page(client, submission) -> str:
    response = client.get(reverse("admin:grading_submission_change", args=[submission.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_braces_and_markup_in_file_names_and_messages_render_escaped(client, ivy, alice, lab):
    # A file named {boom}.yaml or a message quoting {x} used to be read as format placeholders: 500.
    submission = submit(alice, lab, [("{boom}.yaml", b"kind: [\n")])
    assert submission.status == Submission.Status.INVALID
    Submission.objects.filter(pk=submission.pk).update(
        errors=[*submission.errors, {"file": "{boom}.yaml", "line": 7,
                                     "message": "unknown field {x} <script>alert(1)</script>"}],
        notes=["note {y} <script>alert(2)</script>"], failure="failure {z} <b>")
    client.force_login(ivy)
    page = _change_page(client, submission)
    assert "{boom}.yaml:7" in page and "unknown field {x} &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "note {y} &lt;script&gt;alert(2)&lt;/script&gt;" in page and "failure {z} &lt;b&gt;" in page
    assert "<script>alert" not in page


def test_long_stored_texts_are_clipped_on_the_change_page(client, ivy, alice, lab):
    from grading.models import CheckResult

    submission = submit(alice, lab, [("d.yaml", GOOD)])
    Submission.objects.filter(pk=submission.pk).update(
        notes=["n" * 50_000] * 3 + [f"note {i}" for i in range(200)],
        errors=[{"file": "d.yaml", "line": 1, "message": "e" * 50_000}] * 150,
        failure="f" * 50_000, stages=[{"name": "live", "evidence": "s" * 50_000}])
    CheckResult.objects.filter(submission=submission).update(message="m" * 50_000, observed="o" * 50_000)
    client.force_login(ivy)
    page = _change_page(client, submission)
    assert "…(48000 more characters)" in page  # notes, errors and the failure
    assert "…(49000 more characters)" in page  # check results' message and observed
    assert "…(103 more notes)" in page and "…(50 more errors)" in page
    assert "n" * 2001 not in page and "m" * 1001 not in page
    assert len(page) < 700_000  # the stored texts total over 10 MB


def test_view_on_site_opens_the_submission_for_the_cohorts_instructor_only(client, ivy, charlie, bob,
                                                                           submissions):
    mine, _ = submissions
    client.force_login(ivy)
    page = _change_page(client, mine)
    url = mine.get_absolute_url()
    assert "View on site" in page
    html = client.get(url).content.decode()
    assert "you are viewing it as their instructor" in html and "Submission" in html
    for outsider in (charlie, bob):  # another cohort's instructor, another student
        client.force_login(outsider)
        assert client.get(url).status_code == 404
