"""Issue 18, late work: a submission after its due date (extension included) is taken and marked
late; refused, with nothing stored, only when the instructor closed the item at its due date.
Labs take their place in the schedule through grading's provider."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import schedule
from courses.models import DueDate
from grading import services
from grading.models import Submission
from grading.tests.conftest import GOOD


@pytest.fixture
def due_yesterday(cohort, lab):
    return DueDate.objects.create(cohort=cohort, item_key=schedule.lab_key(lab.slug),
                                  due_at=timezone.now() - datetime.timedelta(days=1))


def create(user, lab):
    return services.submission_create(user=user, lab=lab, files=[("d.yaml", GOOD)])


def test_labs_are_scheduled_after_their_lesson_and_the_practical_last(course):
    keys = [item.key for item in schedule.items(course)]
    assert keys == ["lesson:lesson-1", "lab:first-deployment", "lesson:lesson-2", "lesson:lesson-3",
                    "lab:practical"]
    practical = schedule.items(course)[-1]
    assert practical.kind == "practical" and practical.hours == 10.0
    assert practical.url == reverse("lab", args=[course.slug, "practical"])


def test_on_time_work_is_not_late(alice, cohort, lab, sent):
    DueDate.objects.create(cohort=cohort, item_key="lab:first-deployment",
                           due_at=timezone.now() + datetime.timedelta(days=1))
    assert create(alice, lab).late is False


def test_late_work_is_taken_and_marked_late(alice, lab, due_yesterday, sent,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submission = create(alice, lab)
    submission.refresh_from_db()
    assert submission.late is True and len(sent) == 1


def test_an_extension_makes_it_on_time(alice, cohort, lab, due_yesterday, sent):
    schedule.grant_extension(cohort, student_id=alice.pk, item_key="lab:first-deployment",
                             due_at=timezone.now() + datetime.timedelta(days=2))
    assert create(alice, lab).late is False


def test_closed_refuses_and_stores_nothing(alice, lab, due_yesterday, sent,
                                           django_capture_on_commit_callbacks):
    due_yesterday.close_at_due = True
    due_yesterday.save()
    with django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(services.SubmissionRefused, match="closed at its due date"):
        create(alice, lab)
    assert not Submission.objects.exists() and sent == []


def test_closed_for_one_student_open_for_one_with_an_extension(alice, bob, cohort, lab, due_yesterday, sent):
    from courses.models import Enrollment

    Enrollment.objects.create(cohort=cohort, student=bob)
    due_yesterday.close_at_due = True
    due_yesterday.save()
    schedule.grant_extension(cohort, student_id=bob.pk, item_key="lab:first-deployment",
                             due_at=timezone.now() + datetime.timedelta(hours=1))
    with pytest.raises(services.SubmissionRefused):
        create(alice, lab)
    assert create(bob, lab).late is False


def test_another_cohorts_closed_item_does_not_refuse(bob, other_cohort, lab, due_yesterday, sent):
    due_yesterday.close_at_due = True
    due_yesterday.save()  # closed for ivy's cohort; bob is in charlie's, which has no dates
    assert create(bob, lab).late is False


def test_the_lab_page_says_why_a_closed_lab_refused(client, alice, lab, due_yesterday, sent):
    due_yesterday.close_at_due = True
    due_yesterday.save()
    client.force_login(alice)
    response = client.post(reverse("lab-submit", args=[lab.course.slug, lab.slug]), {"paste": GOOD.decode()},
                           follow=True)
    html = response.content.decode()
    assert "This closed at its due date" in html and "ask your instructor for an extension" in html
    assert not Submission.objects.exists()
    html = client.get(reverse("lab", args=[lab.course.slug, lab.slug])).content.decode()
    assert 'id="closed"' in html and 'id="submit-form"' not in html  # no form that would refuse


def test_the_form_stays_for_late_work_when_not_closed(client, alice, lab, due_yesterday):
    client.force_login(alice)
    html = client.get(reverse("lab", args=[lab.course.slug, lab.slug])).content.decode()
    assert 'id="closed"' not in html and 'id="submit-form"' in html


def test_a_hostile_item_key_is_just_not_found(alice, cohort, lab, sent):
    DueDate.objects.create(cohort=cohort, item_key="lab:first-deployment' OR 1=1 --",
                           due_at=timezone.now() - datetime.timedelta(days=1), close_at_due=True)
    assert create(alice, lab).late is False


def test_the_lab_page_shows_its_due_date_and_late_submissions(client, alice, lab, due_yesterday, sent):
    create(alice, lab)
    client.force_login(alice)
    html = client.get(reverse("lab", args=[lab.course.slug, lab.slug])).content.decode()
    local = timezone.localtime(due_yesterday.due_at)
    badge = '<span class="badge badge-danger">Overdue</span>'
    assert f'{badge} Due <time datetime="{local:%Y-%m-%dT%H:%M}' in html
    assert '<span class="meta">(late)</span>' in html


def test_the_lab_page_shows_no_date_to_a_student_of_another_cohort(client, bob, other_cohort, lab,
                                                                   due_yesterday):
    client.force_login(bob)
    html = client.get(reverse("lab", args=[lab.course.slug, lab.slug])).content.decode()
    assert 'class="due meta"' not in html and "Overdue" not in html
