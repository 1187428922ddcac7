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


def _inline_data(item, points, comment="Clear demo"):
    return {
        "manual_grades-TOTAL_FORMS": "1",
        "manual_grades-INITIAL_FORMS": "0",
        "manual_grades-MIN_NUM_FORMS": "0",
        "manual_grades-MAX_NUM_FORMS": "1",
        "manual_grades-0-item": str(item.pk),
        "manual_grades-0-points": str(points),
        "manual_grades-0-comment": comment,
        **{
            f"{prefix}-{key}": "0"
            for prefix in ("results", "files")
            for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
        },
    }


def test_instructor_grades_a_manual_rubric_item(client, ivy, alice, practical):
    submission = submit(
        alice,
        practical,
        [("a.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"), ("README.md", b"hi")],
    )
    item = practical.manual_items.get()
    client.force_login(ivy)
    url = reverse("admin:grading_submission_change", args=[submission.pk])
    page = client.get(url).content.decode()
    assert "Demo" in page
    response = client.post(url, _inline_data(item, 12))
    assert response.status_code == 200 and "between 0 and 10" in response.content.decode()
    response = client.post(url, _inline_data(item, 8))
    assert response.status_code == 302
    grade = ManualGrade.objects.get()
    assert (grade.points, grade.comment, grade.graded_by) == (8, "Clear demo", ivy)
    client.force_login(alice)
    assert "Clear demo" in client.get(submission.get_absolute_url()).content.decode()


def test_labs_are_read_only_in_admin(client, ivy, lab):
    client.force_login(ivy)
    page = client.get(reverse("admin:grading_lab_change", args=[lab.pk])).content.decode()
    assert "min-replicas" in page and 'name="_save"' not in page
