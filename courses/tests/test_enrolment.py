"""Issue 12 item 8: an instructor cannot enrol an account into their cohort and so read its
work. Enrolling an existing account is an invitation the student accepts or declines; only
accepted places count for what instructors see; every enrolment change is audited."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from courses.models import Cohort, Enrollment
from courses.models.cohorts import EnrollmentEvent
from courses.quiz import services as quiz_service
from courses.services import cohort_enroll_emails, ensure_instructor_group
from courses.tests.conftest import make_user, write_course
from grading.services import grant_instructor_permissions
from grading.tests.conftest import GOOD, LAB_YAML, fake_checks, submit, write_lab  # noqa: F401 - fixture

User = get_user_model()


@pytest.fixture
def course_dir(tmp_path, fake_checks):  # noqa: F811 - the grading tests' fake checks
    """A course with a quiz and a lab: the attack reads both kinds of work."""
    course_dir = write_course(tmp_path, quiz=True)
    write_lab(course_dir, "first-deployment", LAB_YAML.format(attempts=0))
    return course_dir


@pytest.fixture
def admin_user(db):
    return make_user("root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def work(course, cohort, other_cohort, alice, admin_user):
    """alice (ivy's student) and the admin each have a quiz attempt and a lab submission;
    charlie teaches bob's cohort and has the grading permissions too."""
    grant_instructor_permissions(ensure_instructor_group())
    lab = course.labs.get(slug="first-deployment")
    result = {}
    for user in (alice, admin_user):
        attempt = quiz_service.attempt_start(quiz=course.quiz, user=user)
        result[user.email] = (attempt, submit(user, lab, [("d.yaml", GOOD)], run=False))
    return result


def _enrol(client, cohort, emails, **extra):
    return client.post(reverse("admin:courses_cohort_enrol", args=[cohort.pk]),
                       {"emails": "\n".join(emails), **extra}, follow=True)


def _sees(client, attempt, submission) -> dict[str, bool]:
    """What the instructor logged in on `client` can open of that student's work."""
    email = attempt.user.email
    return {
        "attempt list": email in client.get(reverse("admin:courses_attempt_changelist")).content.decode(),
        "attempt page": client.get(
            reverse("admin:courses_attempt_change", args=[attempt.pk])).status_code == 200,
        "submission list": email in client.get(
            reverse("admin:grading_submission_changelist")).content.decode(),
        "submission page": client.get(
            reverse("admin:grading_submission_change", args=[submission.pk])).status_code == 200,
    }


NOTHING = {"attempt list": False, "attempt page": False, "submission list": False, "submission page": False}
EVERYTHING = dict.fromkeys(NOTHING, True)


def test_instructor_who_enrols_an_admin_and_another_cohorts_student_still_cannot_read_their_work(
        client, charlie, other_cohort, alice, admin_user, work):
    client.force_login(charlie)
    response = _enrol(client, other_cohort, [alice.email, admin_user.email], direct="on")
    assert "Invited 2 student(s)" in response.content.decode()
    # The direct-enrolment option is a superuser's: ignored for an instructor.
    assert set(Enrollment.objects.filter(cohort=other_cohort, student__in=[alice, admin_user])
               .values_list("status", flat=True)) == {Enrollment.Status.INVITED}
    for email in (alice.email, admin_user.email):
        assert _sees(client, *work[email]) == NOTHING, email

    # Nor through the cohort pages: quiz results, progress and their CSV exports.
    quiz = other_cohort.course.quiz
    results = reverse("admin:courses_quiz_results", args=[quiz.pk]) + f"?cohort={other_cohort.pk}"
    assert alice.email not in client.get(results).content.decode()
    assert alice.email not in client.get(results + "&format=csv").content.decode()
    progress = reverse("admin:courses_cohort_progress", args=[other_cohort.pk])
    assert alice.email not in client.get(progress + "?format=csv").content.decode()
    assert [r.email for r in client.get(progress).context["rows"]] == ["bob@example.com"]


def test_instructor_cannot_turn_an_invitation_into_a_place_through_the_enrolment_admin(
        client, charlie, other_cohort, alice, work):
    client.force_login(charlie)
    _enrol(client, other_cohort, [alice.email])
    invitation = Enrollment.objects.get(cohort=other_cohort, student=alice)
    change = reverse("admin:courses_enrollment_change", args=[invitation.pk])
    assert client.post(change, {"status": "active"}).status_code == 403
    changelist = reverse("admin:courses_enrollment_changelist")
    client.post(changelist, {"action": "enrol_directly", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.status == Enrollment.Status.INVITED
    assert _sees(client, *work[alice.email]) == NOTHING


def test_instructor_status_choices_are_only_the_accepted_states(client, charlie, other_cohort, bob):
    client.force_login(charlie)
    place = Enrollment.objects.get(cohort=other_cohort, student=bob)
    change = reverse("admin:courses_enrollment_change", args=[place.pk])
    response = client.post(change, {"status": "invited"})
    assert response.status_code == 200  # the form, with the error
    assert "Select a valid choice" in response.content.decode()
    assert client.post(change, {"status": "withdrawn"}).status_code == 302
    place.refresh_from_db()
    assert place.status == Enrollment.Status.WITHDRAWN
    event = EnrollmentEvent.objects.get(action=EnrollmentEvent.Action.STATUS)
    assert (event.actor, event.student, event.cohort, event.detail) == (
        charlie, bob, other_cohort, "Active → Withdrawn")


def test_student_accepts_the_invitation_on_the_dashboard_then_the_instructor_sees_their_work(
        client, charlie, other_cohort, alice, work):
    instructor = Client()
    instructor.force_login(charlie)
    _enrol(instructor, other_cohort, [alice.email])
    invitation = Enrollment.objects.get(cohort=other_cohort, student=alice)
    assert mail.outbox[-1].to == [alice.email]
    assert "/dashboard/" in mail.outbox[-1].body and "/accounts/reset/" not in mail.outbox[-1].body

    client.force_login(alice)
    html = client.get(reverse("dashboard")).content.decode()
    accept = reverse("invitation-respond", args=[invitation.pk, "accept"])
    assert "Autumn" in html and accept in html and "charlie@example.com" in html
    response = client.post(accept, follow=True)
    assert "You joined Autumn" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Enrollment.Status.ACTIVE
    assert accept not in response.content.decode()
    assert _sees(instructor, *work[alice.email]) == EVERYTHING


def test_student_declines_and_the_invitation_counts_for_nothing(client, charlie, other_cohort, alice, work):
    invitation = cohort_enroll_emails(cohort=other_cohort, emails=[alice.email], by=charlie)
    assert invitation.invited == [alice.email]
    enrollment = Enrollment.objects.get(cohort=other_cohort, student=alice)
    client.force_login(alice)
    response = client.post(reverse("invitation-respond", args=[enrollment.pk, "decline"]), follow=True)
    assert "You declined the invitation to Autumn." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.DECLINED
    # Answered once: neither answer works again.
    assert client.post(reverse("invitation-respond", args=[enrollment.pk, "accept"])).status_code == 404
    instructor = Client()
    instructor.force_login(charlie)
    assert _sees(instructor, *work[alice.email]) == NOTHING


def test_another_student_cannot_answer_someone_elses_invitation(client, charlie, other_cohort, alice, bob):
    cohort_enroll_emails(cohort=other_cohort, emails=[alice.email], by=charlie)
    invitation = Enrollment.objects.get(cohort=other_cohort, student=alice)
    client.force_login(bob)
    for answer in ("accept", "decline"):
        assert client.post(reverse("invitation-respond", args=[invitation.pk, answer])).status_code == 404
    assert reverse("invitation-respond", args=[invitation.pk, "accept"]) not in client.get(
        reverse("dashboard")).content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Enrollment.Status.INVITED


def test_answering_needs_post_with_a_csrf_token(charlie, other_cohort, alice):
    cohort_enroll_emails(cohort=other_cohort, emails=[alice.email], by=charlie)
    invitation = Enrollment.objects.get(cohort=other_cohort, student=alice)
    url = reverse("invitation-respond", args=[invitation.pk, "accept"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.get(url).status_code == 405
    assert browser.post(url).status_code == 403  # no CSRF token
    assert Client().post(url).status_code == 302  # not logged in: to the login page
    invitation.refresh_from_db()
    assert invitation.status == Enrollment.Status.INVITED


def test_new_account_chooses_a_password_then_accepts_on_first_login(client, charlie, other_cohort):
    instructor = Client()
    instructor.force_login(charlie)
    response = _enrol(instructor, other_cohort, ["new@example.com"])
    assert "Invited 1 student(s)" in response.content.decode()
    assert "1 new account(s) created" in response.content.decode()
    body = mail.outbox[-1].body
    link = next(line for line in body.splitlines() if "/accounts/reset/" in line)
    response = client.get(link.split("testserver", 1)[1], follow=True)
    client.post(response.redirect_chain[-1][0], {"new_password1": "a-long-new-pass-9",
                                                  "new_password2": "a-long-new-pass-9"})
    # Choosing a password is not consent: the place waits for the student's own answer.
    enrollment = Enrollment.objects.get(cohort=other_cohort, student__email="new@example.com")
    assert enrollment.status == Enrollment.Status.INVITED
    response = client.post(reverse("login"), {"username": "new@example.com", "password": "a-long-new-pass-9"},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert reverse("invitation-respond", args=[enrollment.pk, "accept"]) in response.content.decode()
    client.post(reverse("invitation-respond", args=[enrollment.pk, "accept"]))
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE


def test_superuser_enrols_directly(client, admin_user, other_cohort, alice, work):
    client.force_login(admin_user)
    form = client.get(reverse("admin:courses_cohort_enrol", args=[other_cohort.pk])).content.decode()
    assert 'name="direct"' in form
    response = _enrol(client, other_cohort, [alice.email], direct="on")
    assert "Enrolled 1 student(s)" in response.content.decode()
    assert Enrollment.objects.get(cohort=other_cohort, student=alice).status == Enrollment.Status.ACTIVE
    assert EnrollmentEvent.objects.get(student=alice).action == EnrollmentEvent.Action.ENROLLED


def test_superuser_action_enrols_pending_invitations_directly(client, admin_user, charlie, other_cohort,
                                                              alice):
    cohort_enroll_emails(cohort=other_cohort, emails=[alice.email], by=charlie)
    invitation = Enrollment.objects.get(cohort=other_cohort, student=alice)
    client.force_login(admin_user)
    client.post(reverse("admin:courses_enrollment_changelist"),
                {"action": "enrol_directly", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.status == Enrollment.Status.ACTIVE
    event = EnrollmentEvent.objects.filter(student=alice).first()  # newest first
    assert (event.action, event.actor, event.detail) == (EnrollmentEvent.Action.ENROLLED, admin_user,
                                                         "Invited → Active")


def test_every_enrolment_change_is_audited_with_who_what_and_where(client, charlie, other_cohort, alice, bob):
    instructor = Client()
    instructor.force_login(charlie)
    _enrol(instructor, other_cohort, [alice.email, "new@example.com"])
    invitation = Enrollment.objects.get(cohort=other_cohort, student=alice)
    client.force_login(alice)
    client.post(reverse("invitation-respond", args=[invitation.pk, "accept"]))
    newcomer = Enrollment.objects.get(cohort=other_cohort, student__email="new@example.com")
    instructor.post(reverse("admin:courses_enrollment_delete", args=[newcomer.pk]), {"post": "yes"})
    place = Enrollment.objects.get(cohort=other_cohort, student=bob)
    instructor.post(reverse("admin:courses_enrollment_changelist"),
                    {"action": "delete_selected", "_selected_action": [place.pk], "post": "yes"})
    assert not Enrollment.objects.filter(pk__in=[newcomer.pk, place.pk]).exists()

    trail = [(e.action, e.actor_email, e.student_email, e.cohort_name, e.detail)
             for e in EnrollmentEvent.objects.order_by("pk")]
    assert trail == [
        ("invited", "charlie@example.com", "alice@example.com", "Autumn", ""),
        ("invited", "charlie@example.com", "new@example.com", "Autumn", "new account"),
        ("accepted", "alice@example.com", "alice@example.com", "Autumn", ""),
        ("removed", "charlie@example.com", "new@example.com", "Autumn", "was Invited"),
        ("removed", "charlie@example.com", "bob@example.com", "Autumn", "was Active"),
    ]
    assert all(e.at is not None and e.cohort == other_cohort for e in EnrollmentEvent.objects.all())


def test_audit_trail_is_read_only_for_superusers_and_hidden_from_instructors(client, admin_user, charlie,
                                                                            other_cohort, alice):
    cohort_enroll_emails(cohort=other_cohort, emails=[alice.email], by=charlie)
    event = EnrollmentEvent.objects.get()
    change = reverse("admin:courses_enrollmentevent_change", args=[event.pk])
    delete = reverse("admin:courses_enrollmentevent_delete", args=[event.pk])

    client.force_login(admin_user)
    listing = client.get(reverse("admin:courses_enrollmentevent_changelist"))
    assert listing.status_code == 200 and "alice@example.com" in listing.content.decode()
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(change, {"detail": "edited"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:courses_enrollmentevent_add")).status_code == 403

    client.force_login(charlie)
    for url in (reverse("admin:courses_enrollmentevent_changelist"), change, delete):
        assert client.get(url).status_code in (302, 403)
    assert client.post(delete, {"post": "yes"}).status_code in (302, 403)
    assert "enrollmentevent" not in client.get(reverse("admin:index")).content.decode()
    event.refresh_from_db()
    assert event.detail == "" and EnrollmentEvent.objects.count() == 1


def test_declined_invitation_can_be_sent_again_but_a_place_is_left_alone(charlie, other_cohort, alice, bob):
    cohort_enroll_emails(cohort=other_cohort, emails=[alice.email], by=charlie)
    Enrollment.objects.filter(student=alice).update(status=Enrollment.Status.DECLINED)
    report = cohort_enroll_emails(cohort=other_cohort, emails=[alice.email, bob.email], by=charlie)
    assert (report.invited, report.already) == ([alice.email], [bob.email])
    assert Enrollment.objects.get(student=alice).status == Enrollment.Status.INVITED
    assert Enrollment.objects.get(student=bob).status == Enrollment.Status.ACTIVE


def test_only_superusers_may_enrol_directly_through_the_service(charlie, other_cohort, alice):
    from django.core.exceptions import PermissionDenied
    with pytest.raises(PermissionDenied):
        cohort_enroll_emails(cohort=other_cohort, emails=[alice.email], by=charlie, direct=True)
    assert not Cohort.objects.get(pk=other_cohort.pk).enrollments.filter(student=alice).exists()


def test_deleting_a_cohort_records_each_removed_place(client, admin_user, other_cohort, bob):
    client.force_login(admin_user)
    response = client.post(reverse("admin:courses_cohort_delete", args=[other_cohort.pk]), {"post": "yes"})
    assert response.status_code == 302
    event = EnrollmentEvent.objects.get()
    assert (event.action, event.actor, event.student, event.cohort, event.cohort_name, event.detail) == (
        "removed", admin_user, bob, None, "Autumn", "cohort deleted; was Active")
