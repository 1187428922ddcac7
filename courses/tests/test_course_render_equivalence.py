"""The course page and the dashboard render the same HTML as before their rendering was made
cheaper (issue 17, the cold path). The templates as they were, and the views' context as it
was, are kept in courses/tests/templates/course_render_before/ and below; each test renders a
page both ways for one student's state and compares the documents (Django's HTML comparison:
the same elements, attributes and text, whitespace between tags aside).

This is a refactoring's safety net: when the course page's or dashboard's markup changes on
purpose, change the copy too, or delete this file with the copies."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.shortcuts import render
from django.test import Client
from django.test.html import parse_html
from django.urls import reverse
from django.utils import timezone

from courses import progress, services
from courses.models import (
    Attempt,
    ChecklistTick,
    Cohort,
    Course,
    CourseVisit,
    DueDate,
    Enrollment,
    Extension,
    LessonCompletion,
)
from courses.services import course_import
from courses.tests.conftest import make_user
from grading.models import Lab, Submission

COURSE_DIR = Path(settings.COURSE_CONTENT_DIR) / "kubernetes-fundamentals"
BEFORE = Path(__file__).parent / "templates"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"')


@pytest.fixture(scope="module")
def _imported(django_db_setup, django_db_blocker):
    """The real course (10 lessons, 10 labs of three kinds, a quiz, checklists with evidence),
    imported once for this module; each test's changes roll back."""
    with django_db_blocker.unblock():
        course_import(path=COURSE_DIR)
        yield
        Course.objects.filter(slug="kubernetes-fundamentals").delete()


@pytest.fixture
def course(_imported, db, settings) -> Course:
    settings.STUDENT_PAGE_CACHE = False  # every request renders
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], BEFORE]}]
    return Course.objects.get(slug="kubernetes-fundamentals")


# --- the views as they were -------------------------------------------------------------------

def course_before(request, course: Course):
    course_progress = progress.course_progress(request.user, course)
    return render(request, "course_render_before/courses/course.html", {
        "course": course,
        "progress": course_progress,
        "checklists": progress.checklists(request.user, course_progress),
        "preview_lesson": course_progress.lessons[0] if course_progress.lessons else None,
    })


def dashboard_before(request):
    rows = progress.dashboard(request.user)
    return render(request, "course_render_before/courses/dashboard.html", {
        "rows": rows,
        "nav_course": rows[0].course if len(rows) == 1 else None,
        "invitations": services.pending_invitations(request.user),
    })


def home_before(request):
    rows = progress.dashboard(request.user)
    return render(request, "course_render_before/courses/home.html",
                  {"rows": rows, "nav_course": rows[0].course if len(rows) == 1 else None})


def assert_same_page(client, url: str, before) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    new = response.content.decode()
    request = response.wsgi_request
    for memo in [name for name in vars(request) if name.startswith("_student_due") or name == "_course_due"]:
        delattr(request, memo)  # the old page reads its due dates itself
    old = before(request).content.decode()
    new_doc, old_doc = parse_html(CSRF.sub(r'\1"t"', new)), parse_html(CSRF.sub(r'\1"t"', old))
    if new_doc != old_doc:  # a readable diff of the two documents
        pytest.fail(f"{url} differs from its rendering before:\n{diff(str(old_doc), str(new_doc), '><')}")
    # The comparison above ignores whitespace next to tags: the text as read must keep its spaces.
    if text(new) != text(old):
        pytest.fail(f"{url}'s text differs from before:\n{diff(text(old), text(new), '. ')}")
    return new


def text(html: str) -> str:
    """The page's text with its spaces as a reader sees them (whitespace runs are one space)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", CSRF.sub("", html))).strip()


def diff(old: str, new: str, split: str) -> str:
    import difflib

    return "\n".join(difflib.unified_diff(old.split(split), new.split(split), "before", "now",
                                          lineterm="", n=2))[:6000]


def course_page(client, course):
    return assert_same_page(client, course.get_absolute_url(), lambda request: course_before(request, course))


def dashboard_page(client):
    return assert_same_page(client, reverse("dashboard"), dashboard_before)


def home_page(client):
    return assert_same_page(client, reverse("home"), home_before)


# --- states ------------------------------------------------------------------------------------

def lab(course, slug: str) -> Lab:
    return Lab.objects.get(course=course, slug=slug)


def submission(user, course, slug: str, status: str, **extra) -> Submission:
    now = timezone.now()
    return Submission.objects.create(lab=lab(course, slug), user=user, status=status, queued_at=now,
                                     passed=status == Submission.Status.PASSED, **extra)


def attempt(user, course, number: int, *, passed: bool | None,
            status: str = Attempt.Status.SUBMITTED) -> Attempt:
    now = timezone.now()
    return Attempt.objects.create(quiz=course.quiz, user=user, number=number, status=status, seed=number,
                                  question_keys=[], started_at=now, max_score=20, pass_score=14,
                                  score=None if passed is None else (18 if passed else 9), passed=passed,
                                  submitted_at=None if passed is None else now)


def complete(user, course, *numbers: int) -> None:
    for lesson in course.lessons.filter(number__in=numbers):
        LessonCompletion.objects.create(user=user, lesson=lesson)


def tick(user, course, kind: str, *keys: str) -> None:
    for key in keys:
        ChecklistTick.objects.create(user=user, course=course, kind=kind, key=key)


def test_signed_out_preview(client, course):
    html = course_page(client, course)
    assert "You are reading a preview" in html
    home_page(client)


def test_new_student(client, course):
    client.force_login(make_user("new@example.com"))
    html = course_page(client, course)
    assert "Start: " in html
    dashboard_page(client)
    home_page(client)


def test_student_part_way_with_labs_in_every_state_and_quiz_passed(client, course):
    student = make_user("part@example.com")
    complete(student, course, 1, 2, 4)
    CourseVisit.objects.create(user=student, course=course, lesson=course.lessons.get(number=4),
                               visited_at=timezone.now())
    prerequisites = [item["key"] for item in course.details["prerequisites"]]
    tick(student, course, ChecklistTick.Kind.PREREQUISITE, *prerequisites[:3])
    tick(student, course, ChecklistTick.Kind.CRITERION, course.details["success_criteria"][5]["key"])
    submission(student, course, "activity-1-first-deployment", Submission.Status.PASSED, score=10,
               max_score=10)
    submission(student, course, "activity-2-ml-stack", Submission.Status.FAILED, score=2, max_score=10)
    submission(student, course, "activity-3-autoscaling", Submission.Status.QUEUED)
    submission(student, course, "lesson-06-model-storage", Submission.Status.AWAITING, score=5, max_score=5)
    submission(student, course, "practical", Submission.Status.PASSED, score=9, max_score=10,
               manual_score=3, graded_at=timezone.now())
    attempt(student, course, 1, passed=False)
    attempt(student, course, 2, passed=True)
    client.force_login(student)
    html = course_page(client, course)
    for text in ("Continue: ", "Passed", "Not passed yet", "Being graded", "Awaiting instructor grading",
                 "verified", 'aria-checked="true"'):
        assert text in html, text
    html = dashboard_page(client)
    assert "Your instructor graded" in html and "Continue where you left off" in html
    home_page(client)


def test_student_who_finished_everything(client, course):
    student = make_user("done@example.com")
    complete(student, course, *range(1, 11))
    for entry in Lab.objects.filter(course=course):
        submission(student, course, entry.slug, Submission.Status.PASSED, score=1, max_score=1)
    attempt(student, course, 1, passed=True)
    client.force_login(student)
    assert "All lessons complete" in course_page(client, course)
    assert "Course complete" in dashboard_page(client)


def test_cohort_student_with_due_dates_overdue_soon_closed_and_extended(client, course):
    student = make_user("dated@example.com")
    cohort = Cohort.objects.create(name="Spring", course=course, starts_on=datetime.date(2026, 1, 5))
    place = Enrollment.objects.create(cohort=cohort, student=student)
    invited = Cohort.objects.create(name="Autumn", course=course, starts_on=datetime.date(2026, 9, 1))
    invited.instructors.add(make_user("ivy@example.com", first_name="Ivy", last_name="Teach", is_staff=True))
    Enrollment.objects.create(cohort=invited, student=student, status=Enrollment.Status.INVITED)
    now = timezone.now()
    lessons = list(course.lessons.order_by("number"))
    dates = {
        f"lesson:{lessons[0].slug}": (now - datetime.timedelta(days=3), False),  # done: not overdue
        f"lesson:{lessons[1].slug}": (now - datetime.timedelta(days=2), False),  # overdue
        f"lesson:{lessons[2].slug}": (now + datetime.timedelta(days=2), False),  # due soon
        f"lesson:{lessons[3].slug}": (now + datetime.timedelta(days=30), False),  # later
        "lab:activity-1-first-deployment": (now - datetime.timedelta(days=1), True),  # closed
        "lab:activity-2-ml-stack": (now + datetime.timedelta(days=3), True),  # soon, closes
        "lab:lesson-06-model-storage": (now - datetime.timedelta(days=1), False),  # extended
        "lab:practical": (now + datetime.timedelta(days=40), True),
        f"quiz:{course.slug}": (now - datetime.timedelta(days=1), False),  # overdue: failed
    }
    for key, (due_at, closes) in dates.items():
        DueDate.objects.create(cohort=cohort, item_key=key, due_at=due_at, close_at_due=closes)
    Extension.objects.create(enrollment=place, item_key="lab:lesson-06-model-storage",
                             due_at=now + datetime.timedelta(days=5))
    complete(student, course, 1)
    submission(student, course, "activity-2-ml-stack", Submission.Status.FAILED, score=1, max_score=10)
    attempt(student, course, 1, passed=False)
    client.force_login(student)
    html = course_page(client, course)
    for text in ("Overdue", "Due soon", "(extended for you)", "closed, no more work is accepted",
                 "no work is accepted after that"):
        assert text in html, text
    html = dashboard_page(client)
    assert "Due this week" in html and "Invitations" in html and "taught by Ivy Teach" in html
    home_page(client)


def test_dashboard_with_an_open_quiz_attempt(client, course):
    student = make_user("open@example.com")
    complete(student, course, 3)
    attempt(student, course, 1, passed=None, status=Attempt.Status.OPEN)
    client.force_login(student)
    assert "Attempt in progress" in dashboard_page(client)
    course_page(client, course)


# --- what is kept per process follows the content and the reader ------------------------------

def test_kept_rows_follow_a_renamed_lab_and_a_ticked_item(client, course):
    student = make_user("kept@example.com")
    client.force_login(student)
    course_page(client, course)  # the rows are kept now
    Lab.objects.filter(course=course, slug="activity-2-ml-stack").update(title="Renamed <lab>")
    prerequisite = course.details["prerequisites"][0]["key"]
    client.post(reverse("checklist-toggle", args=[course.slug, "prerequisite", prerequisite]))
    html = course_page(client, course)
    assert "Renamed &lt;lab&gt;" in html
    assert f'id="prerequisite-{prerequisite}" class="checklist-item is-ticked"' in html


@pytest.mark.parametrize("page_cache", [True, False])
def test_the_forms_carry_this_pages_csrf_token(course, settings, page_cache):
    settings.STUDENT_PAGE_CACHE = page_cache  # kept pages write a placeholder the cache replaces
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("token@example.com"))
    html = client.get(course.get_absolute_url()).content.decode()
    prerequisite = course.details["prerequisites"][1]["key"]
    token = re.search(rf'id="prerequisite-{prerequisite}".*?name="csrfmiddlewaretoken" value="([^"]+)"',
                      html, re.S).group(1)
    url = reverse("checklist-toggle", args=[course.slug, "prerequisite", prerequisite])
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.post(url, {"csrfmiddlewaretoken": "x" * 64}).status_code == 403


def test_course_page_and_dashboard_query_budgets(client, course, django_assert_num_queries):
    student = make_user("budget@example.com")
    attempt(student, course, 1, passed=False)
    client.force_login(student)
    client.get(course.get_absolute_url())
    # session, user, course and quiz, lessons done, quiz attempts, labs with status, checklist
    # ticks, due dates
    with django_assert_num_queries(8):
        client.get(course.get_absolute_url())
    # session, user, courses, lessons done, visits, quiz attempts, labs with status, invitations,
    # due dates
    with django_assert_num_queries(9):
        client.get(reverse("dashboard"))
