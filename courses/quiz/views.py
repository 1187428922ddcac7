"""Quiz pages: overview and history, taking an attempt (autosaved through htmx), the result.

Correct answers and explanations reach the page only in the review of a submitted attempt, and
only once the student has passed or used their last attempt (courses.quiz.services.review_level); before
that, the review marks each question right or wrong and links the lesson section to revise.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from courses.models import Attempt, Question, Quiz
from courses.quiz import navigation
from courses.quiz import services as quiz_service
from lms import page_cache, session_auth


def _get_quiz(course_slug: str) -> Quiz:
    return get_object_or_404(Quiz.objects.select_related("course"), course__slug=course_slug)


def _get_own_attempt(request: HttpRequest, course_slug: str, attempt_id: int) -> Attempt:
    """The one lookup for attempts: a student reaches only their own (others are 404)."""
    return get_object_or_404(Attempt.objects.select_related("quiz__course"), pk=attempt_id,
                             user=request.user, quiz__course__slug=course_slug)


@page_cache.student_page  # above login_required: a page from the cache loads no user
@login_required
def quiz_home(request: HttpRequest, course_slug: str) -> HttpResponse:
    quiz = _get_quiz(course_slug)
    attempts = list(Attempt.objects.filter(quiz=quiz, user=request.user))
    now = timezone.now()
    for attempt in attempts:
        quiz_service.attempt_close_if_expired(attempt, now)
    rules = quiz_service.rules_for(quiz, request.user)
    open_attempt = next((a for a in attempts if a.status == Attempt.Status.OPEN), None)
    # The page changes by the clock when the open attempt's time is up or a cooldown ends.
    page_cache.fresh_until(request, open_attempt.deadline if open_attempt else None)
    page_cache.fresh_until(request, quiz_service.start_blocked_until(rules, attempts, now))
    return render(request, "courses/quiz/home.html", {
        "quiz": quiz, "course": quiz.course, "attempts": attempts, "rules": rules,
        "open_attempt": open_attempt,
        "cannot_start": None if open_attempt else quiz_service.why_cannot_start(rules, attempts, now),
        "best": max((a.score for a in attempts if a.score is not None and not a.voided), default=None),
    })


@require_POST
@login_required
def quiz_start(request: HttpRequest, course_slug: str) -> HttpResponse:
    quiz = _get_quiz(course_slug)
    try:
        attempt = quiz_service.attempt_start(quiz=quiz, user=request.user)
    except quiz_service.QuizError as exc:
        messages.error(request, str(exc))
        return redirect("quiz", course_slug)
    return redirect("quiz-attempt", course_slug, attempt.pk)


@page_cache.student_page  # above login_required: a page from the cache loads no user
@login_required
def attempt_detail(request: HttpRequest, course_slug: str, attempt_id: int) -> HttpResponse:
    attempt = quiz_service.attempt_close_if_expired(_get_own_attempt(request, course_slug, attempt_id))
    quiz = attempt.quiz
    items = _items(attempt)
    if attempt.status == Attempt.Status.OPEN:
        page_cache.fresh_until(request, attempt.deadline)  # then it is submitted with what was saved
        return render(request, "courses/quiz/attempt.html", {
            "quiz": quiz, "course": quiz.course, "attempt": attempt, "items": items,
            "answered": sum(1 for item in items if item["answer"])})
    rules = quiz_service.rules_for(quiz, request.user)
    level = quiz_service.review_level(rules, list(Attempt.objects.filter(quiz=quiz, user=request.user)))
    review = [_review_item(item, full=level == quiz_service.ReviewLevel.FULL) for item in items] \
        if level != quiz_service.ReviewLevel.SCORE else []
    # The breakdown is shown only with the marks: a topic drawn once would give away that
    # question's mark, which a score-only review keeps back.
    breakdown = navigation.topic_breakdown(
        quiz=quiz, questions=[item["question"] for item in items],
        correct_keys={item["question"].key for item in items if item["answer"] and item["answer"].is_correct},
    ) if review else []
    wrong_only = request.GET.get("show") == "wrong"
    wrong_count = sum(1 for item in review if not item["correct"])
    return render(request, "courses/quiz/result.html", {
        "quiz": quiz, "course": quiz.course, "attempt": attempt, "rules": rules, "level": level,
        "review": [item for item in review if not item["correct"]] if wrong_only else review,
        "breakdown": breakdown, "wrong_only": wrong_only, "wrong_count": wrong_count,
        "review_count": len(review)})


def _items(attempt: Attempt) -> list[dict]:
    """The attempt's questions in the order shown, each with the student's saved answer."""
    questions = {q.key: q for q in Question.objects.filter(quiz=attempt.quiz, key__in=attempt.question_keys)}
    answers = {a.question_id: a for a in attempt.answers.all()}
    items = []
    for number, key in enumerate(attempt.question_keys, start=1):
        question = questions[key]
        by_id = {o["id"]: o for o in question.options}
        answer = answers.get(question.pk)
        response = answer.response if answer else None
        items.append({
            "number": number, "question": question, "answer": answer,
            "options": [by_id[i] for i in attempt.option_orders.get(key, []) if i in by_id],
            "chosen": set(response) if isinstance(response, list) else set(),
            "text": response.get("text", "") if isinstance(response, dict) else "",
        })
    return items


def _review_item(item: dict, *, full: bool) -> dict:
    """What the review shows of one question. Unless `full`, a question answered wrongly (or not
    at all) shows only the student's own answer, the mark and the lesson to revise: no other
    option, no accepted answer, no explanation (explanations name the answer). A question
    answered correctly shows everything: the student already has that answer."""
    question, answer = item["question"], item["answer"]
    correct = bool(answer and answer.is_correct)
    reveal = full or correct
    options = [{"html": o["html"], "chosen": o["id"] in item["chosen"],
                "correct": o["correct"] if reveal else None}
               for o in item["options"] if reveal or o["id"] in item["chosen"]]
    return {
        "number": item["number"], "key": question.key, "kind": question.kind, "text_html": question.text_html,
        "correct": correct, "answered": answer is not None, "your_text": item["text"], "options": options,
        "accept": question.accept if reveal else [],
        "explanation_html": question.explanation_html if reveal else "",
        "lesson_url": question.lesson_url, "lesson_label": question.lesson_label,
    }


def _form_values(request: HttpRequest, key: str) -> list[str]:
    return request.POST.getlist(f"q-{key}")


@require_POST
def attempt_save(request: HttpRequest, course_slug: str, attempt_id: int) -> HttpResponse:
    """Autosave one question (htmx). Answers the small status shown beside the question."""
    key = request.POST.get("question", "")
    values = _form_values(request, key)
    # The busiest request in Podium: one checked statement when all is well (see the service).
    # On PostgreSQL the statement also makes Django's session check, so the user is not loaded.
    saved_at, identity = None, session_auth.claimed_by_model_backend(request)
    # This view marks whose pages changed itself: only the student's own show answers, and only
    # when an answer was written (lms.page_cache.WritesMiddleware would load the user, and
    # mark everyone's pages after a staff member's POST).
    request.page_cache_marked = True
    in_sql = identity is not None and connection.vendor == "postgresql"
    if in_sql:
        saved_at = quiz_service.autosave_checked_write(user_id=identity[0], auth_hash=identity[1],
                                                       course_slug=course_slug, attempt_id=attempt_id,
                                                       key=key, values=values)
        student_id = identity[0]
    if saved_at is None:
        # Anything else goes the long way, which says what is wrong, starting with the session.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        saved_at = _save_checked(request, course_slug, attempt_id, key, values, statement_tried=in_sql)
        if isinstance(saved_at, HttpResponse):
            return saved_at
        student_id = request.user.pk
    page_cache.changed(student_id)
    # What courses/quiz/_save_status.html renders on success, without the template engine.
    return HttpResponse(f"\nSaved {timezone.localtime(saved_at):%H:%M:%S}\n")


def _save_checked(request: HttpRequest, course_slug: str, attempt_id: int, key: str, values: list[str],
                  *, statement_tried: bool) -> datetime.datetime | HttpResponse:
    """Autosave for a verified request.user: the one statement (unless it was just tried), else
    the checked path, which answers 404 (not the student's attempt), 400 (not its question) or
    409 (closed, malformed)."""
    if not statement_tried:
        saved_at = quiz_service.autosave_checked_write(user_id=request.user.pk, course_slug=course_slug,
                                                       attempt_id=attempt_id, key=key, values=values)
        if saved_at is not None:
            return saved_at
    try:
        attempt, question = quiz_service.autosave_targets(user=request.user, course_slug=course_slug,
                                                          attempt_id=attempt_id, key=key)
    except Attempt.DoesNotExist:
        raise Http404("No such attempt") from None
    if question is None or key not in attempt.question_keys:
        return HttpResponseBadRequest("That question is not part of this attempt.")
    saved_at = timezone.now()
    try:
        quiz_service.attempt_save_answer(attempt=attempt, question=question, values=values, now=saved_at)
    except quiz_service.QuizError as exc:
        return render(request, "courses/quiz/_save_status.html",
                      {"key": key, "error": str(exc)}, status=409)
    return saved_at


@require_POST
@login_required
def attempt_submit(request: HttpRequest, course_slug: str, attempt_id: int) -> HttpResponse:
    attempt = _get_own_attempt(request, course_slug, attempt_id)
    # Unticked radio groups send nothing: only questions with a value in the form update.
    answers = {key: _form_values(request, key) for key in attempt.question_keys
               if f"q-{key}" in request.POST}
    unknown = [k[2:] for k in request.POST if k.startswith("q-") and k[2:] not in attempt.question_keys]
    if unknown:
        return HttpResponseBadRequest("Answers to questions that are not part of this attempt.")
    auto = request.POST.get("auto") == "1"
    # The page's "Submit answers" button sends check=1: without JavaScript (which asks in a
    # dialog first), questions left unanswered or flagged are listed here before anything is
    # submitted. "Submit anyway" and the timer send no check.
    if request.POST.get("check") == "1" and not auto and navigation.answers_accepted(attempt):
        pending = navigation.attempt_pending(
            attempt=attempt, answered_keys=navigation.answered_keys(attempt, answers),
            flagged_keys=set(request.POST.getlist("flag")))
        if pending:
            try:
                navigation.attempt_save_answers(attempt=attempt, answers=answers)
            except quiz_service.QuizError as exc:
                return HttpResponseBadRequest(str(exc))
            keys = attempt.question_keys
            return render(request, "courses/quiz/confirm.html", {
                "quiz": attempt.quiz, "course": attempt.quiz.course, "attempt": attempt,
                "unanswered": [(n, keys[n - 1]) for n in pending.unanswered],
                "flagged": [(n, keys[n - 1]) for n in pending.flagged]})
    try:
        quiz_service.attempt_submit(attempt=attempt, answers=answers, auto=auto)
    except quiz_service.QuizError as exc:
        raise Http404(str(exc)) from exc
    return redirect("quiz-attempt", course_slug, attempt.pk)
