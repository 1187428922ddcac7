"""Cohort admin: instructors see and change only their own cohorts."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Cohort, Enrollment
from courses.services import cohort_enroll_emails, parse_email_csv

User = get_user_model()


def test_instructor_sees_only_their_cohorts(client, ivy, cohort, other_cohort):
    client.force_login(ivy)
    html = client.get(reverse("admin:courses_cohort_changelist")).content.decode()
    assert "Spring" in html and "Autumn" not in html


def test_instructor_cannot_open_or_change_another_cohort(client, ivy, cohort, other_cohort):
    client.force_login(ivy)
    change = reverse("admin:courses_cohort_change", args=[other_cohort.pk])
    assert client.get(change).status_code in (302, 403, 404)
    response = client.post(change, {"name": "Hijacked", "course": other_cohort.course_id,
                                    "starts_on": "2026-09-01"})
    assert response.status_code in (302, 403, 404)
    other_cohort.refresh_from_db()
    assert other_cohort.name == "Autumn"
    for name in ("admin:courses_cohort_progress", "admin:courses_cohort_enrol"):
        assert client.get(reverse(name, args=[other_cohort.pk])).status_code == 403


def test_instructor_sees_only_their_students_enrolments(client, ivy, cohort, other_cohort):
    client.force_login(ivy)
    html = client.get(reverse("admin:courses_enrollment_changelist")).content.decode()
    assert "alice@example.com" in html and "bob@example.com" not in html


def test_instructor_can_edit_own_cohort(client, ivy, cohort):
    client.force_login(ivy)
    response = client.get(reverse("admin:courses_cohort_change", args=[cohort.pk]))
    assert response.status_code == 200
    assert "Enrol students" in response.content.decode()


def test_cohort_an_instructor_creates_is_theirs(client, ivy, course):
    client.force_login(ivy)
    response = client.post(reverse("admin:courses_cohort_add"), {
        "name": "Summer", "course": course.pk, "starts_on": "2026-06-01", "ends_on": "",
        "enrollments-TOTAL_FORMS": "0", "enrollments-INITIAL_FORMS": "0",
        "quiz_overrides-TOTAL_FORMS": "0", "quiz_overrides-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Cohort.objects.get(name="Summer").instructors.all()) == [ivy]


def test_students_cannot_open_admin(client, alice, cohort):
    client.force_login(alice)
    response = client.get(reverse("admin:courses_cohort_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_bulk_enrol_from_csv_creates_invited_accounts_and_emails_them(client, ivy, cohort, alice):
    client.force_login(ivy)
    upload = SimpleUploadedFile("students.csv", b"name,email\nNew One,new1@example.com\n"
                                                b"Alice,ALICE@example.com\nBad,not-an-email\n")
    response = client.post(reverse("admin:courses_cohort_enrol", args=[cohort.pk]),
                           {"emails": "new2@example.com", "csv_file": upload}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enrolled 2 student(s); 2 new account(s) invited; 1 already enrolled." in html
    assert "not-an-email" in html
    new = User.objects.get(email="new1@example.com")
    assert not new.has_usable_password()
    assert Enrollment.objects.get(cohort=cohort, student=new).status == Enrollment.Status.INVITED
    assert sorted(m.to[0] for m in mail.outbox) == ["new1@example.com", "new2@example.com"]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_invited_student_sets_password_through_the_link(client, cohort):
    cohort_enroll_emails(cohort=cohort, emails=["new@example.com"])
    from django.test import RequestFactory

    from courses.services import send_invitations
    send_invitations(emails=["new@example.com"], request=RequestFactory().get("/"))
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    response = client.post(response.redirect_chain[-1][0], {
        "new_password1": "a-long-new-pass-9", "new_password2": "a-long-new-pass-9"})
    assert response.status_code == 302
    assert client.login(username="new@example.com", password="a-long-new-pass-9")


def test_enrol_form_needs_an_email(client, ivy, cohort):
    client.force_login(ivy)
    response = client.post(reverse("admin:courses_cohort_enrol", args=[cohort.pk]), {"emails": ""})
    assert "Give at least one email address." in response.content.decode()


def test_parse_email_csv_handles_plain_and_headed_files():
    assert parse_email_csv("a@x.org\n\nb@x.org\n") == ["a@x.org", "b@x.org"]
    assert parse_email_csv("Name,Email\nA,a@x.org\n") == ["a@x.org"]


def test_progress_page_and_csv_export(client, ivy, cohort, course, alice):
    from courses.services import lesson_mark_complete
    lesson_mark_complete(user=alice, lesson=course.lessons.get(number=1))
    client.force_login(ivy)
    url = reverse("admin:courses_cohort_progress", args=[cohort.pk])
    html = client.get(url).content.decode()
    assert "alice@example.com" in html and "1 / 3" in html
    response = client.get(url + "?format=csv")
    assert response["Content-Type"] == "text/csv"
    rows = response.content.decode().splitlines()
    assert rows[0].startswith("email,name,status")
    assert rows[1].startswith("alice@example.com,Alice,Active,")
    assert ",1,3,33," in rows[1]


@pytest.mark.django_db
def test_instructors_group_has_the_cohort_permissions():
    from django.contrib.auth.models import Group
    perms = set(Group.objects.get(name="Instructors").permissions.values_list("codename", flat=True))
    assert {"view_cohort", "change_cohort", "add_cohort", "view_enrollment"} <= perms
    assert "delete_cohort" not in perms and "change_course" not in perms
