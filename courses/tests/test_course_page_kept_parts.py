"""The course page's parts kept per process (courses/course_page.py, issue 17): they follow the
content and the reader, and the forms inside them carry the reader's CSRF token.

The rendering was proved byte-equivalent to the templates before it, for six students' states,
by test_course_render_equivalence.py at commit 1402941 (retired after it passed, with its copies
of the old templates)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Attempt, Course
from courses.services import course_import
from courses.tests.conftest import make_user
from grading.models import Lab

COURSE_DIR = Path(settings.COURSE_CONTENT_DIR) / "kubernetes-fundamentals"


@pytest.fixture(scope="module")
def _imported(django_db_setup, django_db_blocker):
    """The real course (10 lessons, 10 labs, a quiz, checklists), imported once for this module."""
    with django_db_blocker.unblock():
        course_import(path=COURSE_DIR)
        yield
        Course.objects.filter(slug="kubernetes-fundamentals").delete()


@pytest.fixture
def course(_imported, db, settings) -> Course:
    settings.STUDENT_PAGE_CACHE = False  # every request renders
    return Course.objects.get(slug="kubernetes-fundamentals")


def course_page(client, course) -> str:
    response = client.get(course.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_kept_rows_follow_a_renamed_lab_and_a_ticked_item(client, course):
    client.force_login(make_user("kept@example.com"))
    course_page(client, course)  # the rows are kept now
    Lab.objects.filter(course=course, slug="activity-2-ml-stack").update(title="Renamed <lab>")
    prerequisite = course.details["prerequisites"][0]["key"]
    client.post(reverse("checklist-toggle", args=[course.slug, "prerequisite", prerequisite]))
    html = course_page(client, course)
    assert "Renamed &lt;lab&gt;" in html
    assert f'id="prerequisite-{prerequisite}" class="checklist-item is-ticked"' in html


@pytest.mark.parametrize("page_cache", [True, False])
def test_the_forms_carry_this_pages_csrf_token(course, settings, page_cache):
    settings.STUDENT_PAGE_CACHE = page_cache  # kept parts write a placeholder the page replaces
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
    now = timezone.now()
    Attempt.objects.create(quiz=course.quiz, user=student, number=1, status=Attempt.Status.SUBMITTED, seed=1,
                           question_keys=[], started_at=now, max_score=20, pass_score=14, score=9,
                           passed=False, submitted_at=now)
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
