"""The gradebook: its rows, its query budget, its admin pages and their CSV, who may see them.

Personas (grading/tests/conftest.py): alice studies in ivy's cohort, bob in charlie's."""

import csv
import datetime
import io
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Attempt, Enrollment, LessonCompletion, Quiz
from courses.models.schedule import DueDate, Extension
from courses.tests.conftest import make_user, write_course
from grading import gradebook
from grading.models import Submission
from grading.tests.conftest import LAB_YAML, PRACTICAL_YAML, write_lab

NOW = timezone.now()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def course_dir(tmp_path):
    course_dir = write_course(tmp_path, quiz=True)
    write_lab(course_dir, "first-deployment", LAB_YAML.format(attempts=0))
    write_lab(course_dir, "practical", PRACTICAL_YAML)
    return course_dir


def sub(user, lab, status, score=None, max_score=3.0, *, late=False, at=None) -> Submission:
    s = Submission.objects.create(lab=lab, user=user, status=status, score=score, max_score=max_score,
                                  passed=status == Submission.Status.PASSED, late=late, queued_at=NOW)
    Submission.objects.filter(pk=s.pk).update(created_at=at or NOW - DAY)
    return s


def attempt(user, quiz, number, score, *, at=None) -> Attempt:
    return Attempt.objects.create(quiz=quiz, user=user, number=number, status=Attempt.Status.SUBMITTED,
                                  seed=1, question_keys=[], started_at=at or NOW - DAY,
                                  submitted_at=at or NOW - DAY, score=score, max_score=4, pass_score=3,
                                  passed=score >= 3)


def complete(user, course, *numbers):
    for lesson in course.lessons.filter(number__in=numbers):
        LessonCompletion.objects.create(user=user, lesson=lesson)


def row_of(cohort, user):
    return next(r for r in gradebook.build(cohort).rows if r.student_id == user.pk)


def test_a_row_gathers_lessons_quiz_labs_and_practical(cohort, alice, lab, practical, course):
    complete(alice, course, 1, 2)
    quiz = Quiz.objects.get(course=course)
    attempt(alice, quiz, 1, 2)
    attempt(alice, quiz, 2, 4)
    sub(alice, lab, "failed", 1.0)
    sub(alice, lab, "passed", 3.0, late=True)
    graded = sub(alice, practical, "awaiting", 1.0, 1.0)
    row = row_of(cohort, alice)
    assert (row.lessons_done, row.lessons_total, row.lessons_percent) == (2, 3, 67)
    assert (row.quiz_best, row.quiz_passed, row.quiz_attempts) == (4, True, 2)
    cell = row.labs["first-deployment"]
    assert (cell.best, cell.passed, cell.late, cell.failures) == (100.0, True, True, 1)
    assert gradebook.lab_text(cell) == "100%, passed, late"
    assert row.practical.awaiting and row.practical.final is None
    assert gradebook.practical_text(row.practical) == "automatic 1/1, awaiting instructor grading"
    assert "lab:practical" not in row.done_at  # not done until the demo is graded

    # Posted below the pass mark (the practical needs 100%): final, not passed.
    Submission.objects.filter(pk=graded.pk).update(status="failed", manual_score=7, graded_at=NOW)
    row = row_of(cohort, alice)
    assert row.practical.final == round(100 * 8 / 11, 1)
    assert gradebook.practical_text(row.practical) == "automatic 1/1 + manual 7/10, final 72.7%, not passed"
    assert "lab:practical" not in row.done_at
    Submission.objects.filter(pk=graded.pk).update(status="passed", passed=True, manual_score=10)
    row = row_of(cohort, alice)
    assert gradebook.practical_text(row.practical) == "automatic 1/1 + manual 10/10, final 100%, passed"
    assert "lab:practical" in row.done_at


def test_a_lab_passed_on_time_is_not_late_and_late_work_without_a_pass_is(cohort, alice, bob, lab):
    sub(alice, lab, "passed", 3.0, late=True)
    sub(alice, lab, "passed", 3.0)
    assert not row_of(cohort, alice).labs[lab.slug].late
    Enrollment.objects.create(cohort=cohort, student=bob)
    sub(bob, lab, "failed", 1.0, late=True)
    assert row_of(cohort, bob).labs[lab.slug].late


def test_complete_when_lessons_quiz_and_named_labs_are_done(cohort, alice, course, lab, practical):
    course.details["completion"] = {"quiz": True, "labs": ["first-deployment"]}
    course.save()
    complete(alice, course, 1, 2, 3)
    attempt(alice, Quiz.objects.get(course=course), 1, 4)
    assert not row_of(cohort, alice).complete
    sub(alice, lab, "passed", 3.0)
    row = row_of(cohort, alice)
    assert row.complete and row.status == "complete" and row.reasons == []


def test_at_risk_with_reasons_from_the_schedule_and_extensions(cohort, alice, course, lab):
    for key, days in (("lesson:lesson-1", 9), ("lesson:lesson-2", 8), ("lab:first-deployment", 3)):
        DueDate.objects.create(cohort=cohort, item_key=key, due_at=NOW - days * DAY)
    for _ in range(3):
        sub(alice, lab, "failed", 1.0)
    row = row_of(cohort, alice)
    assert row.status == "at_risk"
    assert "Behind the schedule by 3 items" in row.reasons
    assert "Failed First deployment 3 times without a pass" in row.reasons
    assert any(r.startswith("Overdue: Lesson 01: Lesson 1") for r in row.reasons)

    complete(alice, course, 1, 2)
    enrollment = Enrollment.objects.get(cohort=cohort, student=alice)
    Extension.objects.create(enrollment=enrollment, item_key="lab:first-deployment", due_at=NOW + DAY)
    sub(alice, lab, "passed", 3.0)
    row = row_of(cohort, alice)
    assert row.reasons == [] and row.status == "on_track"


def test_at_risk_rows_for_the_weekly_summary(cohort, alice, bob, lab):
    Enrollment.objects.create(cohort=cohort, student=bob)
    for _ in range(3):
        sub(bob, lab, "failed", 1.0)
    rows = gradebook.at_risk_rows(cohort)
    assert [(r.email, r.reasons) for r in rows] == [
        (bob.email, ["Failed First deployment 3 times without a pass"])]


def test_only_accepted_places_are_rows(cohort, bob, alice):
    Enrollment.objects.create(cohort=cohort, student=bob, status=Enrollment.Status.INVITED)
    assert [r.email for r in gradebook.build(cohort).rows] == [alice.email]


def _fill(cohort, course, lab, practical, students: int):
    quiz = Quiz.objects.get(course=course)
    for i in range(students):
        user = make_user(f"s{i:03d}-{students}@example.com")
        Enrollment.objects.create(cohort=cohort, student=user)
        complete(user, course, 1)
        attempt(user, quiz, 1, i % 5)
        sub(user, lab, "failed" if i % 2 else "passed", 2.0)
        Submission.objects.filter(pk=sub(user, practical, "awaiting", 1.0, 1.0).pk).update(
            status="failed" if i % 3 else "passed", manual_score=5 + 5 * (i % 3 == 0), graded_at=NOW)
        sub(user, practical, "awaiting", 1.0, 1.0)
    DueDate.objects.create(cohort=cohort, item_key="lesson:lesson-1", due_at=NOW - DAY)


@pytest.mark.parametrize("students", [3, 30])
def test_query_count_is_constant_in_students(students, cohort, course, lab, practical, client, ivy):
    _fill(cohort, course, lab, practical, students)
    with CaptureQueriesContext(connection) as queries:
        book = gradebook.build(cohort)
        gradebook.table(book, sort="-lessons", filter="at_risk")
    assert len(book.rows) == students + 1
    assert len(queries) == 13
    client.force_login(ivy)
    # The page: the gradebook's 13, plus session, user, permissions and the admin's own reads.
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse("gradebook:cohort", args=[cohort.pk]))
    assert response.status_code == 200
    assert len(page) == 18


def test_query_count_is_constant_in_items(cohort, course, lab, practical, tmp_path, alice):
    with CaptureQueriesContext(connection) as before:
        gradebook.build(cohort)
    for n in range(4, 9):  # more lessons and labs in the same course
        course.lessons.create(number=n, slug=f"extra-{n}", title=f"Extra {n}", duration_hours=1, body_html="",
                              source_path="x")
        lab.pk, lab.slug = None, f"extra-lab-{n}"
        lab.save()
        sub(alice, lab, "passed", 3.0)
    with CaptureQueriesContext(connection) as after:
        book = gradebook.build(cohort)
    assert len(book.labs) == 6
    assert len(after) == len(before)


class _Table(HTMLParser):
    """The text of each body row of the page's gradebook table."""

    def __init__(self):
        super().__init__()
        self.rows, self.inside, self.cell = [], False, None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "gradebook") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def shown(response) -> list[list[str]]:
    parser = _Table()
    parser.feed(response.content.decode())
    return parser.rows


@pytest.fixture
def busy_cohort(cohort, course, lab, alice):
    """alice (read one lesson), dora (at risk: lab failed 3 times), eve (nothing yet)."""
    complete(alice, course, 1)
    for name in ("dora", "eve"):
        student = make_user(f"{name}@example.com", first_name=name.title())
        Enrollment.objects.create(cohort=cohort, student=student)
    dora = Enrollment.objects.get(student__email="dora@example.com").student
    for _ in range(3):
        sub(dora, lab, "failed", 1.0)
    return cohort


def test_sort_and_filter(client, ivy, busy_cohort):
    client.force_login(ivy)
    url = reverse("gradebook:cohort", args=[busy_cohort.pk])
    names = [r[0] for r in shown(client.get(url))[1:]]
    assert names == ["Alice", "Dora", "Eve"]
    names = [r[0] for r in shown(client.get(url, {"sort": "-lessons"}))[1:]]
    assert names[0] == "Alice"
    rows = shown(client.get(url, {"filter": "at_risk"}))[1:]
    assert [r[0] for r in rows] == ["Dora"]
    assert "Failed First deployment 3 times without a pass" in rows[0]
    assert [r[0] for r in shown(client.get(url, {"filter": "not_started"}))[1:]] == ["Eve"]
    assert shown(client.get(url, {"filter": "complete"}))[1:] == [["No student matches."]]
    # Unknown values fall back to the defaults instead of failing.
    assert client.get(url, {"sort": "__class__", "filter": "<x>"}).status_code == 200


def test_csv_holds_exactly_what_is_shown(client, ivy, busy_cohort):
    client.force_login(ivy)
    url = reverse("gradebook:cohort", args=[busy_cohort.pk])
    for params in ({}, {"filter": "at_risk"}, {"sort": "-student"}):
        page = shown(client.get(url, params))
        response = client.get(url, {**params, "format": "csv"})
        assert response["Content-Type"] == "text/csv"
        assert list(csv.reader(io.StringIO(response.content.decode()))) == [
            [c.replace(" ▲", "").replace(" ▼", "") for c in page[0]], *page[1:]]


def test_the_instructor_of_another_cohort_sees_nothing(client, charlie, cohort, alice, other_cohort, bob):
    client.force_login(charlie)
    for url in (reverse("gradebook:cohort", args=[cohort.pk]),
                reverse("gradebook:cohort", args=[cohort.pk]) + "?format=csv",
                reverse("gradebook:record", args=[cohort.pk, alice.pk])):
        assert client.get(url).status_code == 404
    # Nor through their own cohort: alice is not one of its students.
    assert client.get(reverse("gradebook:record", args=[other_cohort.pk, alice.pk])).status_code == 404
    assert client.get(reverse("gradebook:record", args=[other_cohort.pk, bob.pk])).status_code == 200


def test_a_student_gets_the_admin_login_not_the_gradebook(client, alice, cohort):
    client.force_login(alice)
    for url in (reverse("gradebook:cohort", args=[cohort.pk]),
                reverse("gradebook:cohort", args=[cohort.pk]) + "?format=csv",
                reverse("gradebook:record", args=[cohort.pk, alice.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_invited_student_has_no_record(client, ivy, cohort, bob):
    Enrollment.objects.create(cohort=cohort, student=bob, status=Enrollment.Status.INVITED)
    client.force_login(ivy)
    assert client.get(reverse("gradebook:record", args=[cohort.pk, bob.pk])).status_code == 404


def test_hostile_names_are_text_in_html_svg_and_csv(client, ivy, cohort, course):
    hostile = (("x@example.com", "<script>alert(1)</script>"), ("y@example.com", "=cmd|' /C calc'!A0"))
    for email, name in hostile:
        user = make_user(email, first_name=name)
        Enrollment.objects.create(cohort=cohort, student=user)
        complete(user, course, 1)
    client.force_login(ivy)
    url = reverse("gradebook:cohort", args=[cohort.pk])
    html = client.get(url).content.decode()
    assert "<script>alert(1)" not in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;: 1 items done</title>" in html  # the chart's dot
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</a>" in html  # the table's row
    rows = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}).content.decode())))
    hostile = next(r for r in rows if r[1] == "y@example.com")
    assert hostile[0] == "'=cmd|' /C calc'!A0"  # a spreadsheet shows it as text


def test_record_shows_lessons_attempts_and_submissions(client, ivy, cohort, alice, course, lab):
    complete(alice, course, 1)
    first = attempt(alice, Quiz.objects.get(course=course), 1, 2)
    failed = sub(alice, lab, "failed", 1.0)
    client.force_login(ivy)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("gradebook:record", args=[cohort.pk, alice.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "01 Lesson 1" in html and "not yet" in html  # lessons 2 and 3
    assert reverse("admin:courses_attempt_change", args=[first.pk]) in html
    assert reverse("admin:grading_submission_review", args=[failed.pk]) in html
    assert "1/3 (33.3%)" in html
    assert len(queries) <= 24


def test_the_cohort_page_links_to_its_gradebook(client, ivy, cohort):
    client.force_login(ivy)
    for page in ("admin:courses_cohort_change", "admin:courses_cohort_changelist"):
        html = client.get(reverse(page, args=[cohort.pk] if page.endswith("change") else [])).content.decode()
        assert reverse("gradebook:cohort", args=[cohort.pk]) in html
