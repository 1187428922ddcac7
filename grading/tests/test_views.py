"""Lab and submission pages. Personas: alice submits, bob is another student."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grading.models import Submission
from grading.tests.conftest import GOOD, ONE_REPLICA, submit


def lab_url(lab):
    return reverse("lab", args=[lab.course.slug, lab.slug])


def test_lab_page_needs_login(client, lab):
    response = client.get(lab_url(lab))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_lab_page_shows_instructions_form_and_history(client, alice, lab):
    submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    client.force_login(alice)
    response = client.get(lab_url(lab))
    html = response.content.decode()
    assert response.status_code == 200
    assert "First deployment" in html and "Write a Deployment." in html
    assert 'enctype="multipart/form-data"' in html and 'name="paste"' in html
    assert "pods that meet Pod Security “restricted”" in html
    assert "Your attempts" in html and "Failed" in html and "1.33 / 3" in html


def test_lesson_page_links_to_its_lab(client, alice, course):
    from courses.models import Lesson

    Lesson.objects.filter(course=course, number=1).update(hands_on="first-deployment")
    client.force_login(alice)
    response = client.get(reverse("lesson", args=[course.slug, "lesson-1"]))
    assert reverse("lab", args=[course.slug, "first-deployment"]) in response.content.decode()


def test_lab_list(client, alice, lab):
    submit(alice, lab, [("d.yaml", GOOD)])
    client.force_login(alice)
    html = client.get(reverse("lab-list", args=[lab.course.slug])).content.decode()
    assert "First deployment" in html and "Passed" in html and "Not started" in html


def test_upload_stores_the_submission_and_redirects_to_it(
    client, alice, lab, sent, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("lab-submit", args=[lab.course.slug, lab.slug]),
            {"files": [SimpleUploadedFile("d.yaml", GOOD), SimpleUploadedFile("README.md", b"hi")]},
        )
    submission = Submission.objects.get()
    assert response.status_code == 302 and response.url == submission.get_absolute_url()
    assert [f.name for f in submission.files.all()] == ["d.yaml", "README.md"]
    assert submission.source == "upload" and sent == [(submission.pk,)]


def test_paste(client, alice, lab, sent):
    client.force_login(alice)
    client.post(reverse("lab-submit", args=[lab.course.slug, lab.slug]), {"paste": GOOD.decode()})
    submission = Submission.objects.get()
    assert submission.source == "paste" and submission.files.get().name == "pasted.yaml"


def test_empty_or_wrong_uploads_are_refused_on_the_form(client, alice, lab):
    client.force_login(alice)
    url = reverse("lab-submit", args=[lab.course.slug, lab.slug])
    assert client.post(url, {}).status_code == 400
    response = client.post(url, {"files": [SimpleUploadedFile("evil.exe", b"MZ")]})
    assert response.status_code == 400 and "evil.exe: upload .yaml" in response.content.decode()
    assert not Submission.objects.exists()


def test_refused_submission_says_why(client, alice, lab):
    submit(alice, lab, [("d.yaml", GOOD)], run=False)
    client.force_login(alice)
    response = client.post(
        reverse("lab-submit", args=[lab.course.slug, lab.slug]), {"paste": "a: 1"}, follow=True
    )
    assert "still being graded" in response.content.decode()
    assert Submission.objects.count() == 1


def test_submission_page_polls_while_grading(client, alice, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    client.force_login(alice)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 1s"' in page and "Waiting for a grader" in page
    live = '<p id="grading-announcement" class="visually-hidden" role="status" aria-live="polite"></p>'
    assert live in page
    fragment = client.get(submission.get_absolute_url(), headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "<html" not in html and 'id="submission-status"' in html and "every 1s" in html
    assert fragment["Vary"] and "HX-Request" in fragment["Vary"]


def test_a_poll_that_finds_nothing_new_swaps_nothing(client, alice, lab):
    # The page's live region would read the same line again on every swap: answer 204 instead.
    submission = submit(alice, lab, [("d.yaml", GOOD)], run=False)
    client.force_login(alice)
    url, htmx = submission.get_absolute_url(), {"HX-Request": "true"}
    assert f'hx-get="{url}?seen=queued%3A"' in client.get(url).content.decode()
    assert client.get(url + "?seen=queued:", headers=htmx).status_code == 204
    Submission.objects.filter(pk=submission.pk).update(status="running", stage="validate")
    changed = client.get(url + "?seen=queued:", headers=htmx)
    assert changed.status_code == 200 and "Grading: validate" in changed.content.decode()
    assert '<p id="grading-announcement" hx-swap-oob="innerHTML">Grading: validate.</p>' in (
        changed.content.decode())
    assert 'seen=running%3Avalidate"' in changed.content.decode()
    assert client.get(url + "?seen=running:validate").status_code == 200  # a full page always renders


def test_finished_fragment_stops_polling_and_shows_each_check(client, alice, lab):
    submission = submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    client.force_login(alice)
    html = client.get(submission.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in html
    assert "1.33 / 3 points" in html
    assert "✓" in html and "✗" in html
    assert "Deployment/iris has replicas: 1" in html and "replicas &gt;= 3" in html
    assert "Set spec.replicas to 3." in html
    assert 'href="/courses/test-course/lessons/lesson-2/#summary"' in html
    assert '<p id="grading-announcement" hx-swap-oob="innerHTML">Failed: 1.33 of 3 points.</p>' in html


def test_invalid_submission_lists_its_errors(client, alice, lab):
    submission = submit(alice, lab, [("d.yaml", b"kind: [\n")])
    client.force_login(alice)
    html = client.get(submission.get_absolute_url()).content.decode()
    assert "Rejected" in html and "d.yaml (document 1):2" in html


def test_students_see_only_their_own_submissions(client, alice, bob, lab):
    submission = submit(alice, lab, [("d.yaml", GOOD)])
    client.force_login(bob)
    assert client.get(submission.get_absolute_url()).status_code == 404
    assert client.get(submission.get_absolute_url(), headers={"HX-Request": "true"}).status_code == 404
    assert "Passed" not in client.get(lab_url(lab)).content.decode()


def test_submission_page_query_budget(client, alice, lab, django_assert_max_num_queries):
    submission = submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    client.force_login(alice)
    # Warm first: the lab's checks and rubric come from a per-process snapshot after one read.
    client.get(submission.get_absolute_url(), headers={"HX-Request": "true"})
    with django_assert_max_num_queries(6):
        client.get(submission.get_absolute_url(), headers={"HX-Request": "true"})


def test_lab_pages_never_load_a_lesson_body(client, alice, lab):
    # A lab shows its lesson's number and title; the lesson's rendered body is ~100 KB.
    client.force_login(alice)
    for url in (lab_url(lab), reverse("lab-list", args=[lab.course.slug])):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        assert not [q["sql"] for q in ctx.captured_queries if "body_html" in q["sql"]], url
