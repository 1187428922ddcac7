"""Quiz home's query budget (issue 17): fixed, whatever the number of past attempts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import QuizOverride
from courses.tests.test_quiz import start

pytestmark = pytest.mark.django_db


def home_queries(client, course) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("quiz", args=[course.slug])).status_code == 200
    return len(ctx.captured_queries)


def test_quiz_home_query_budget_does_not_grow_with_attempts(client, quiz_course, alice, settings):
    settings.STUDENT_PAGE_CACHE = False  # the rendering's own budget (a cached read costs 2 queries)
    assert QuizOverride.objects.count() == 0
    quiz_course.quiz.cooldown_after_failures = 0
    quiz_course.quiz.save(update_fields=["cooldown_after_failures"])
    client.force_login(alice)
    home_queries(client, quiz_course)
    first = home_queries(client, quiz_course)
    for _ in range(3):
        attempt = start(client, quiz_course)
        client.post(reverse("quiz-submit", args=[quiz_course.slug, attempt.pk]))
    assert home_queries(client, quiz_course) == first
    assert first <= 6
