"""Manual rubric items (the practical's demo): ivy teaches alice's cohort, charlie teaches bob's.

The practical in these tests: one automatic check worth 1 point (pass mark 100 %) and a demo
worth 10 points graded by the instructor."""

import pytest
from django.core import mail
from django.urls import reverse

from grading import manual_grading, selectors
from grading.models import ManualGrade, Submission
from grading.tests.conftest import submit

pytestmark = pytest.mark.usefixtures("cohort", "other_cohort")
Status = Submission.Status

SERVICE = b"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
FILES = [("a.yaml", SERVICE), ("README.md", b"# My system\n")]


@pytest.fixture
def awaiting(alice, practical):
    return submit(alice, practical, FILES)


def _grade_url(submission) -> str:
    return reverse("admin:grading_submission_grade", args=[submission.pk])


def _post_grade(client, submission, points, comment="Smooth demo"):
    item = submission.lab.manual_items.get()
    return client.post(_grade_url(submission),
                       {f"points_{item.pk}": str(points), f"comment_{item.pk}": comment})


def test_passing_the_checks_of_a_lab_with_a_manual_item_waits_for_the_instructor(client, alice, awaiting,
                                                                               course, practical):
    assert (awaiting.status, awaiting.passed) == (Status.AWAITING, False)
    assert "practical" not in selectors.passed_lab_slugs(alice, course)
    row = next(r for r in selectors.labs_with_status(alice, course) if r.lab.slug == "practical")
    assert (row.passed, row.awaiting) == (False, True)
    client.force_login(alice)
    page = client.get(awaiting.get_absolute_url()).content.decode()
    assert "Automatic checks passed — awaiting instructor grading" in page
    assert "badge-success" not in page


def test_a_lab_without_manual_items_passes_at_once(alice, lab):
    from grading.tests.conftest import GOOD

    assert submit(alice, lab, [("d.yaml", GOOD)]).status == Status.PASSED


def test_posting_the_grade_passes_the_lab_and_tells_the_student(client, ivy, alice, awaiting, course,
                                                              django_capture_on_commit_callbacks):
    client.force_login(ivy)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_grade(client, awaiting, 8)
    assert response.status_code == 302
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.passed, awaiting.manual_score, awaiting.graded_by) == (
        Status.PASSED, True, 8, ivy)
    grade = manual_grading.final_grade(awaiting)
    assert (grade.total, grade.total_max) == (9, 11)  # 1 automatic + 8 of the demo's 10
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    assert "9 / 11 points" in mail.outbox[0].body and "Smooth demo" in mail.outbox[0].body
    assert "practical" in selectors.passed_lab_slugs(alice, course)
    client.force_login(alice)
    page = client.get(awaiting.get_absolute_url()).content.decode()
    assert "Final grade: 9 / 11 points" in page and "Smooth demo" in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Your instructor graded The practical: passed" in dashboard


def test_a_low_manual_grade_fails_the_final_grade(client, ivy, awaiting):
    client.force_login(ivy)
    assert _post_grade(client, awaiting, 2).status_code == 302  # 3 / 11 is under 100 %
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.passed) == (Status.FAILED, False)


def test_points_outside_the_rubric_are_refused(client, ivy, awaiting):
    client.force_login(ivy)
    for points in ("11", "-1", "nan", "1e400"):
        response = _post_grade(client, awaiting, points)
        assert response.status_code == 200, points
    assert not ManualGrade.objects.exists()
    assert Submission.objects.get(pk=awaiting.pk).status == Status.AWAITING


def test_hostile_comment_is_escaped_for_the_student(client, ivy, alice, awaiting):
    client.force_login(ivy)
    _post_grade(client, awaiting, 10, comment="<script>alert(1)</script>")
    client.force_login(alice)
    page = client.get(awaiting.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_another_cohorts_instructor_cannot_grade_or_see_the_queue(client, charlie, ivy, awaiting, cohort):
    client.force_login(charlie)
    assert client.get(_grade_url(awaiting)).status_code == 404
    assert _post_grade(client, awaiting, 10).status_code == 404
    queue = reverse("admin:grading_submission_needs_grading_cohort", args=[cohort.pk])
    assert client.get(queue).status_code == 404
    index = client.get(reverse("admin:grading_submission_needs_grading")).content.decode()
    assert "Spring" not in index and "Autumn" in index
    assert Submission.objects.get(pk=awaiting.pk).status == Status.AWAITING


def test_a_student_cannot_grade_their_own_work(client, alice, awaiting):
    client.force_login(alice)
    response = _post_grade(client, awaiting, 10)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Submission.objects.get(pk=awaiting.pk).status == Status.AWAITING


def test_the_queue_lists_the_cohorts_waiting_submissions(client, ivy, bob, awaiting, cohort, practical,
                                                         django_assert_max_num_queries):
    submit(bob, practical, FILES)  # another cohort's student: not in ivy's queue
    client.force_login(ivy)
    index = client.get(reverse("admin:grading_submission_needs_grading")).content.decode()
    assert "Spring" in index and "Autumn" not in index
    url = reverse("admin:grading_submission_needs_grading_cohort", args=[cohort.pk])
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "alice@example.com" in page or "Alice" in page
    assert "bob@example.com" not in page and _grade_url(awaiting) in page
    _post_grade(client, awaiting, 10)
    assert _grade_url(awaiting) not in client.get(url).content.decode()


def test_regrading_keeps_the_posted_manual_grade(client, ivy, awaiting, django_capture_on_commit_callbacks):
    from grading import services, tasks

    client.force_login(ivy)
    _post_grade(client, awaiting, 10)
    with django_capture_on_commit_callbacks(execute=False):
        assert services.submission_regrade(submission=awaiting)
    tasks.grade_submission.run(awaiting.pk)
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.manual_score) == (Status.PASSED, 10)


def test_grading_a_submission_that_is_not_waiting_is_refused(ivy, alice, lab):
    from grading.tests.conftest import ONE_REPLICA

    failed = submit(alice, lab, [("d.yaml", ONE_REPLICA)])
    with pytest.raises(manual_grading.GradingRefused):
        manual_grading.manual_grade_post(submission=failed, grades={}, by=ivy)


def test_a_resubmission_replaces_the_older_waiting_one_in_the_queue(client, ivy, alice, awaiting, cohort,
                                                                    practical):
    newer = submit(alice, practical, FILES)
    assert newer.status == Status.AWAITING
    client.force_login(ivy)
    url = reverse("admin:grading_submission_needs_grading_cohort", args=[cohort.pk])
    page = client.get(url).content.decode()
    assert _grade_url(newer) in page and _grade_url(awaiting) not in page
    index = client.get(reverse("admin:grading_submission_needs_grading")).content.decode()
    assert "<td>1</td>" in index


def test_the_cohort_page_links_its_queue(client, ivy, cohort):
    client.force_login(ivy)
    page = client.get(reverse("admin:courses_cohort_change", args=[cohort.pk])).content.decode()
    assert reverse("admin:grading_submission_needs_grading_cohort", args=[cohort.pk]) in page
