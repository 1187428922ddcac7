"""Issue 14, the quiz: the navigator, flags and the confirmation before submitting, and the
result's per-topic breakdown with its "only the ones I got wrong" filter."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Answer, Attempt, Question
from courses.quiz import navigation
from courses.quiz import services as quiz_service

SECTION_RE = re.compile(r'<section class="question card[^"]*" aria-labelledby="r-([\w-]+)">')


def start(client, course) -> Attempt:
    assert client.post(reverse("quiz-start", args=[course.slug])).status_code == 302
    return Attempt.objects.latest("pk")


def right(question: Question) -> list[str]:
    return [question.accept[0]] if question.kind == "short" else [
        o["id"] for o in question.options if o["correct"]]


def wrong(question: Question) -> list[str]:
    return ["nonsense"] if question.kind == "short" else [
        next(o["id"] for o in question.options if not o["correct"])]


def submit_url(course, attempt) -> str:
    return reverse("quiz-submit", args=[course.slug, attempt.pk])


def attempt_url(course, attempt) -> str:
    return reverse("quiz-attempt", args=[course.slug, attempt.pk])


def q(key: str, topic: str, lesson: str = "/courses/c/lessons/one/#a", label: str = "Lesson 01: One"):
    return Question(key=key, topic=topic, lesson_url=lesson, lesson_label=label)


# --- the per-topic breakdown (a pure function of the attempt's questions) -----------------------

def test_breakdown_puts_the_weakest_topic_first_with_its_lessons_once_each(quiz):
    questions = [
        q("a1", "alpha", "/l/one/#x", "Lesson 01: One"), q("a2", "alpha", "/l/one/#y", "Lesson 01: One"),
        q("a3", "alpha", "/l/two/#z", "Lesson 02: Two"), q("b1", "beta"), q("b2", "beta")]
    rows = navigation.topic_breakdown(quiz=quiz, questions=questions, correct_keys={"b1", "b2"})
    assert [(r.topic, r.right, r.total) for r in rows] == [("Alpha", 0, 3), ("Beta", 2, 2)]
    # Two sections of lesson 01 missed: the lesson is listed once, at the first one missed.
    assert rows[0].revise == [{"url": "/l/one/#x", "label": "Lesson 01: One"},
                              {"url": "/l/two/#z", "label": "Lesson 02: Two"}]
    assert rows[1].revise == [] and rows[1].all_right and not rows[0].all_right


def test_breakdown_ties_follow_quiz_yaml_and_a_removed_topic_shows_its_id(quiz):
    questions = [q("g1", "gone"), q("b1", "beta"), q("a1", "alpha")]
    rows = navigation.topic_breakdown(quiz=quiz, questions=questions, correct_keys=set())
    assert [r.topic for r in rows] == ["Alpha", "Beta", "gone"]


# --- what the confirmation lists --------------------------------------------------------------

def test_pending_lists_unanswered_and_flagged_by_number_and_ignores_foreign_flags(quiz, alice):
    attempt = quiz_service.attempt_start(quiz=quiz, user=alice)
    keys = attempt.question_keys
    pending = navigation.attempt_pending(attempt=attempt, answered_keys={keys[0], keys[2]},
                                           flagged_keys={keys[3], keys[0], "not-in-attempt", "<b>x</b>"})
    assert pending.unanswered == [2, 4] and pending.flagged == [1, 4] and pending
    assert not navigation.attempt_pending(attempt=attempt, answered_keys=set(keys), flagged_keys=set())


def test_answered_keys_let_the_forms_final_values_replace_saved_ones(quiz, alice):
    attempt = quiz_service.attempt_start(quiz=quiz, user=alice)
    first, second, third = (Question.objects.get(key=k) for k in attempt.question_keys[:3])
    quiz_service.attempt_save_answer(attempt=attempt, question=first, values=right(first))
    quiz_service.attempt_save_answer(attempt=attempt, question=second, values=right(second))
    answered = navigation.answered_keys(attempt, {second.key: [""], third.key: right(third)})
    assert answered == {first.key, third.key}


# --- submitting: asked first, or not ---------------------------------------------------------

def test_submit_with_unanswered_or_flagged_questions_asks_first_and_keeps_the_answers(
        client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    keys = attempt.question_keys
    first = Question.objects.get(key=keys[0])
    response = client.post(submit_url(quiz_course, attempt),
                           {"check": "1", f"q-{first.key}": right(first), "flag": [keys[0]]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Submit attempt 1 with questions left?" in page
    for number, key in [(2, keys[1]), (3, keys[2]), (4, keys[3]), (1, keys[0])]:
        assert f'{attempt_url(quiz_course, attempt)}#question-{key}">Question {number}</a>' in page
    assert "Not answered (3)" in page and "Flagged for review (1)" in page
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.OPEN
    assert list(Answer.objects.filter(attempt=attempt).values_list("question__key", flat=True)) == [first.key]
    # "Submit anyway" sends no check: submitted, with the answer kept on the way.
    assert client.post(submit_url(quiz_course, attempt)).status_code == 302
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score) == (Attempt.Status.SUBMITTED, 1)


def test_submit_with_everything_answered_and_nothing_flagged_submits_at_once(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    questions = {q.key: q for q in Question.objects.all()}
    form = {f"q-{k}": right(questions[k]) for k in attempt.question_keys} | {"check": "1"}
    assert client.post(submit_url(quiz_course, attempt), form).status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == 4


def test_the_timer_submits_without_asking(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    response = client.post(submit_url(quiz_course, attempt), {"check": "1", "auto": "1"})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED


def test_the_attempt_page_has_a_navigator_and_a_flag_per_question(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    first = Question.objects.get(key=attempt.question_keys[0])
    quiz_service.attempt_save_answer(attempt=attempt, question=first, values=right(first))
    page = client.get(attempt_url(quiz_course, attempt)).content.decode()
    links = re.findall(r'<a href="#question-([\w-]+)" class="quiz-nav-item( is-answered)?"', page)
    assert links == [(k, " is-answered" if i == 0 else "") for i, k in enumerate(attempt.question_keys)]
    assert ", answered</span>" in page and page.count(", not answered</span>") == 3
    assert page.count('class="flag-input" name="flag"') == 4
    assert 'name="check" value="1"' in page and 'id="confirm-submit"' in page


# --- the result ----------------------------------------------------------------------------------

def _submitted(client, quiz_course, alice, *, right_keys: int):
    """Alice's attempt with the first `right_keys` questions right and the rest wrong."""
    client.force_login(alice)
    attempt = start(client, quiz_course)
    questions = {q.key: q for q in Question.objects.all()}
    form = {f"q-{k}": (right if i < right_keys else wrong)(questions[k])
            for i, k in enumerate(attempt.question_keys)}
    assert client.post(submit_url(quiz_course, attempt), form).status_code == 302
    return attempt, questions


def test_the_result_shows_the_topics_with_lessons_to_revise(client, quiz_course, alice,
                                                            django_assert_max_num_queries):
    attempt, questions = _submitted(client, quiz_course, alice, right_keys=2)
    with django_assert_max_num_queries(12):
        page = client.get(attempt_url(quiz_course, attempt)).content.decode()
    assert "By topic" in page
    missed = [questions[k] for k in attempt.question_keys[2:]]
    for question in missed:
        assert f'<a href="{question.lesson_url.split("#")[0]}' in page
    table = page[page.index("By topic"):page.index('id="review"')]
    for topic in {questions[k].topic for k in attempt.question_keys}:
        assert f'<th scope="row">{topic.title()}</th>' in table


def test_only_the_ones_i_got_wrong(client, quiz_course, alice):
    attempt, _ = _submitted(client, quiz_course, alice, right_keys=1)
    url = attempt_url(quiz_course, attempt)
    everything = client.get(url).content.decode()
    assert SECTION_RE.findall(everything) == attempt.question_keys
    assert "Only the ones I got wrong (3)" in everything
    only_wrong = client.get(url, {"show": "wrong"}).content.decode()
    assert SECTION_RE.findall(only_wrong) == attempt.question_keys[1:]
    assert '<a href="?show=wrong#review" class="filter-link" aria-current="page">' in only_wrong
    # Anything else in the parameter shows everything, and is not echoed into the page.
    hostile = client.get(url, {"show": '"><script>alert(1)</script>'}).content.decode()
    assert SECTION_RE.findall(hostile) == attempt.question_keys and "<script>alert" not in hostile


def test_a_perfect_attempt_says_so_under_the_wrong_only_filter(client, quiz_course, alice):
    attempt, _ = _submitted(client, quiz_course, alice, right_keys=4)
    page = client.get(attempt_url(quiz_course, attempt), {"show": "wrong"}).content.decode()
    assert "You got every question right." in page and not SECTION_RE.findall(page)


def test_a_score_only_review_shows_no_breakdown(client, quiz_course, quiz, alice):
    quiz.show_review = "never"
    quiz.save()
    attempt, _ = _submitted(client, quiz_course, alice, right_keys=1)
    page = client.get(attempt_url(quiz_course, attempt), {"show": "wrong"}).content.decode()
    assert "By topic" not in page and "Only the ones I got wrong" not in page
    assert "lessons/" not in page.split('id="main"')[1]


# --- permissions ---------------------------------------------------------------------------------

def test_a_student_cannot_read_or_confirm_another_students_attempt(client, quiz_course, alice, bob):
    attempt, _ = _submitted(client, quiz_course, alice, right_keys=1)
    client.force_login(bob)
    url = attempt_url(quiz_course, attempt)
    assert client.get(url).status_code == 404
    assert client.get(url, {"show": "wrong"}).status_code == 404
    client.force_login(alice)
    open_attempt = start(client, quiz_course)
    client.force_login(bob)
    key = open_attempt.question_keys[0]
    response = client.post(submit_url(quiz_course, open_attempt),
                           {"check": "1", f"q-{key}": "x", "flag": key})
    assert response.status_code == 404
    assert not Answer.objects.filter(attempt=open_attempt).exists()


def test_the_confirmation_refuses_answers_to_questions_outside_the_attempt(client, quiz_course, alice):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    outside = Question.objects.exclude(key__in=attempt.question_keys).first()
    response = client.post(submit_url(quiz_course, attempt), {"check": "1", f"q-{outside.key}": "x"})
    assert response.status_code == 400
    assert not Answer.objects.exists()


@pytest.mark.parametrize("answer", ["x" * 501, ["not-an-option"]])
def test_the_confirmation_refuses_a_malformed_answer_and_saves_nothing(client, quiz_course, quiz, alice,
                                                                      answer):
    quiz.questions_per_attempt = 6  # the whole bank: a short answer and a choice are both drawn
    quiz.save()
    client.force_login(alice)
    attempt = start(client, quiz_course)
    questions = {q.key: q for q in Question.objects.filter(key__in=attempt.question_keys)}
    key = next(k for k, question in questions.items()
               if (question.kind == "short") == isinstance(answer, str))
    response = client.post(submit_url(quiz_course, attempt), {"check": "1", f"q-{key}": answer})
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.OPEN and not Answer.objects.exists()


def test_past_the_deadline_submit_does_not_ask_and_saves_nothing_late(client, quiz_course, quiz, alice):
    quiz.time_limit_minutes = 10
    quiz.save()
    client.force_login(alice)
    attempt = start(client, quiz_course)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    first = Question.objects.get(key=attempt.question_keys[0])
    response = client.post(submit_url(quiz_course, attempt), {"check": "1", f"q-{first.key}": right(first)})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.auto_submitted) == (Attempt.Status.SUBMITTED, 0, True)


def test_the_attempt_and_confirmation_pages_have_a_fixed_query_budget(client, quiz_course, alice,
                                                                      django_assert_max_num_queries):
    client.force_login(alice)
    attempt = start(client, quiz_course)
    with django_assert_max_num_queries(8):
        assert client.get(attempt_url(quiz_course, attempt)).status_code == 200
    keys = attempt.question_keys
    first = Question.objects.get(key=keys[0])
    with django_assert_max_num_queries(12):  # + the saved answers' keys, the questions, one upsert
        response = client.post(submit_url(quiz_course, attempt), {"check": "1", "flag": keys,
                                                                   f"q-{keys[0]}": right(first)})
    assert response.status_code == 200 and "Flagged for review (4)" in response.content.decode()
