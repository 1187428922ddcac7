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
    assert ("Invited 2 student(s): they appear in the cohort once they accept; 2 new account(s) "
            "created; 1 already in the cohort or invited.") in html
    assert "not-an-email" in html
    new = User.objects.get(email="new1@example.com")
    assert not new.has_usable_password()
    assert Enrollment.objects.get(cohort=cohort, student=new).status == Enrollment.Status.INVITED
    assert sorted(m.to[0] for m in mail.outbox) == ["new1@example.com", "new2@example.com"]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_invited_student_sets_password_through_the_link(client, cohort, ivy):
    cohort_enroll_emails(cohort=cohort, emails=["new@example.com"], by=ivy)
    from django.test import RequestFactory

    from courses.services import send_invitations
    send_invitations(cohort=cohort, emails=["new@example.com"], request=RequestFactory().get("/"))
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


# --- issue 12 item 18b: the cohort page no longer inlines every enrolment ------------------

def _crowd(cohort, count: int) -> None:
    """`count` more accepted students in `cohort`, made in bulk."""
    users = User.objects.bulk_create(User(username=f"s{i}@example.com", email=f"s{i}@example.com")
                                     for i in range(count))
    Enrollment.objects.bulk_create(Enrollment(cohort=cohort, student=u) for u in users)


@pytest.mark.parametrize("students", [3, 600])
def test_cohort_page_costs_the_same_whatever_the_cohort_size_and_links_to_the_enrolment_list(
        client, ivy, cohort, students, django_assert_num_queries):
    _crowd(cohort, students)
    client.force_login(ivy)
    url = reverse("admin:courses_cohort_change", args=[cohort.pk])
    client.get(url)  # warm the session and content-type caches
    # Session, user, the cohort with its two counts, permissions, "teaches" (once), the quiz
    # override inline and its choices: nothing per student (before: one form per student).
    with django_assert_num_queries(9):
        response = client.get(url)
    html = response.content.decode()
    listing = reverse("admin:courses_enrollment_changelist") + f"?cohort__id__exact={cohort.pk}"
    link = f'<a href="{listing}">{students + 1} student(s), 0 invitation(s) pending'
    assert link in html.replace("&amp;", "&")
    assert html.count("<input") + html.count("<select") < 40  # no field per student
    assert "s1@example.com" not in html
    # Saving posts a handful of fields, not thousands (TooManyFieldsSent).
    response = client.post(url, {"name": "Spring", "course": cohort.course_id, "starts_on": "2026-03-01",
                                 "ends_on": "", "quiz_overrides-TOTAL_FORMS": "0",
                                 "quiz_overrides-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_enrolment_list_filtered_by_cohort_is_paginated_and_scoped(client, ivy, charlie, cohort,
                                                                   other_cohort):
    _crowd(cohort, 250)
    client.force_login(ivy)
    url = reverse("admin:courses_enrollment_changelist") + f"?cohort__id__exact={cohort.pk}"
    response = client.get(url)
    assert response.context["cl"].result_count == 251
    assert len(response.context["cl"].result_list) == 100
    assert "Autumn" not in response.content.decode()  # the cohort filter lists ivy's cohorts only

    client.force_login(charlie)
    assert client.get(reverse("admin:courses_cohort_change", args=[cohort.pk])).status_code == 302
    response = client.get(url)
    assert response.context["cl"].result_count == 0
    assert "Spring" not in response.content.decode()


# --- issue 12 item 11: CSV exports neutralise formulas -----------------------------------

HOSTILE_NAMES = ['=HYPERLINK("http://evil","x")', "-2+3", "@SUM(1)", "\t=1", "\r=1", "+1"]


def _csv_rows(response) -> list[list[str]]:
    import csv
    import io
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_progress_csv_neutralises_formula_names(client, ivy, cohort):
    for i, name in enumerate(HOSTILE_NAMES):
        user = User.objects.create_user(username=f"h{i}@example.com", email=f"h{i}@example.com",
                                        first_name=name)
        Enrollment.objects.create(cohort=cohort, student=user)
    client.force_login(ivy)
    rows = _csv_rows(client.get(reverse("admin:courses_cohort_progress", args=[cohort.pk]) + "?format=csv"))
    names = {r[0]: r[1] for r in rows[1:]}
    # (get_full_name() strips the leading tab and CR: what is left is still neutralised.)
    assert [names[f"h{i}@example.com"] for i in range(len(HOSTILE_NAMES))] == [
        "'" + n.strip() for n in HOSTILE_NAMES]
    assert names["alice@example.com"] == "Alice"


def test_quiz_results_csv_neutralises_formula_names(client, quiz, ivy):
    import datetime
    cohort = Cohort.objects.create(name="Q", course=quiz.course, starts_on=datetime.date(2026, 1, 1))
    cohort.instructors.add(ivy)
    for i, name in enumerate(HOSTILE_NAMES):
        user = User.objects.create_user(username=f"h{i}@example.com", email=f"h{i}@example.com",
                                        first_name=name)
        Enrollment.objects.create(cohort=cohort, student=user)
    client.force_login(ivy)
    url = reverse("admin:courses_quiz_results", args=[quiz.pk]) + f"?cohort={cohort.pk}&format=csv"
    rows = _csv_rows(client.get(url))
    assert sorted(r[1] for r in rows[1:]) == sorted("'" + n.strip() for n in HOSTILE_NAMES)
    assert all(r[2] == "0" for r in rows[1:])  # numbers stay numbers


def test_safe_cell_leaves_ordinary_text_and_numbers_alone():
    from courses.csv_export import safe_cell
    ordinary = ("Alice", "a-b", "", None, -2, 3.5, "50%")
    assert [safe_cell(v) for v in ordinary] == ["Alice", "a-b", "", "", -2, 3.5, "50%"]
    assert [safe_cell(v) for v in HOSTILE_NAMES] == ["'" + v for v in HOSTILE_NAMES]


def test_cohort_list_counts_accepted_students_even_when_searching_by_email(client, ivy, cohort):
    _crowd(cohort, 30)
    Enrollment.objects.filter(student__email="s0@example.com").update(status=Enrollment.Status.INVITED)
    client.force_login(ivy)
    for query in ("", "?q=s1"):
        response = client.get(reverse("admin:courses_cohort_changelist") + query)
        assert [(c.name, c.n_students, c.n_invited) for c in response.context["cl"].result_list] == [
            ("Spring", 30, 1)], query
