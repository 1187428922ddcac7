"""Autosave (issue 17): the busiest write in Podium reads only what it needs.

One light read of the student's own attempt, one of the question, one upsert: no course,
quiz or question text loaded on each save. Other students' attempts stay out of reach."""

import pytest
from django.urls import reverse

from courses.models import Answer, Attempt, Question
from courses.quiz import services as quiz_service
from courses.tests.test_quiz import correct_values, save, start

pytestmark = pytest.mark.django_db


def test_autosave_runs_a_fixed_small_number_of_queries(client, quiz_course, alice,
                                                       django_assert_max_num_queries):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    keys = attempt.question_keys
    save(client, quiz_course, attempt, keys[0], *correct_values(Question.objects.get(key=keys[0])))
    values = correct_values(Question.objects.get(key=keys[1]))
    # session + user + attempt + question + upsert, whatever the size of the bank or the course
    with django_assert_max_num_queries(5):
        response = save(client, quiz_course, attempt, keys[1], *values)
    assert response.status_code == 200
    assert Answer.objects.filter(attempt=attempt).count() == 2


def test_autosave_targets_load_no_course_or_question_text(quiz_course, alice, django_assert_num_queries):
    attempt = quiz_service.attempt_start(quiz=quiz_course.quiz, user=alice)
    with django_assert_num_queries(2):
        found, question = quiz_service.autosave_targets(
            user=alice, course_slug=quiz_course.slug, attempt_id=attempt.pk, key=attempt.question_keys[0])
    assert found.pk == attempt.pk and question.key == attempt.question_keys[0]
    assert {"text_html", "explanation_html"} <= question.get_deferred_fields()
    assert "option_orders" in found.get_deferred_fields()


def test_autosave_into_another_students_attempt_is_404_and_stores_nothing(client, quiz_course, alice, bob):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    client.force_login(bob)
    key = attempt.question_keys[0]
    response = save(client, quiz_course, attempt, key, *correct_values(Question.objects.get(key=key)))
    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_autosave_through_another_courses_url_is_404(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    response = client.post(reverse("quiz-save", args=["other-course", attempt.pk]),
                           {"question": attempt.question_keys[0]})
    assert response.status_code == 404


@pytest.mark.parametrize("key", ["no-such-question", "", "q-single' OR 1=1 --", "x" * 5000])
def test_autosave_of_a_question_not_in_the_attempt_is_refused(client, quiz_course, alice, key):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    response = save(client, quiz_course, attempt, key, "anything")
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_autosave_after_submit_is_refused_with_the_reason(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    client.post(reverse("quiz-submit", args=[quiz_course.slug, attempt.pk]))
    assert Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.SUBMITTED
    key = attempt.question_keys[0]
    response = save(client, quiz_course, attempt, key, *correct_values(Question.objects.get(key=key)))
    assert response.status_code == 409
    assert "submitted" in response.content.decode()
