"""The quiz around the questions: what the navigator's confirmation lists before submitting,
and the result's per-topic breakdown with the lessons to revise.

Reads only, except `attempt_save_answers`, which saves through services.attempt_save_answer so
the rules on answers (the attempt's own questions, before the deadline) stay in one place.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from courses.models import Attempt, Question, Quiz
from courses.quiz import services

# --- before submitting ----------------------------------------------------------------------

@dataclass(frozen=True)
class Pending:
    """What a student is asked to confirm before submitting: question numbers as shown."""
    unanswered: list[int]
    flagged: list[int]

    def __bool__(self) -> bool:
        return bool(self.unanswered or self.flagged)


def attempt_pending(*, attempt: Attempt, answered_keys: set[str], flagged_keys: set[str]) -> Pending:
    """The questions still unanswered and those the student flagged for review, in page order.

    Keys not in the attempt are ignored: flags come from the form and mean nothing elsewhere."""
    numbered = list(enumerate(attempt.question_keys, start=1))
    return Pending(unanswered=[n for n, key in numbered if key not in answered_keys],
                   flagged=[n for n, key in numbered if key in flagged_keys])


def answered_keys(attempt: Attempt, answers: dict[str, list[str]]) -> set[str]:
    """Questions with an answer once the form's final `answers` (key -> values) replace the saved
    ones: a value sent empty clears a saved answer, as submitting would."""
    saved = set(Question.objects.filter(answers__attempt=attempt).values_list("key", flat=True))
    for key, values in answers.items():
        if any(v.strip() for v in values):
            saved.add(key)
        else:
            saved.discard(key)
    return saved


def answers_accepted(attempt: Attempt, now: datetime.datetime | None = None) -> bool:
    """Whether the attempt still takes answers: open, and not past its deadline (with the grace
    services allows). Past it, nothing is worth confirming: submitting decides what counts."""
    now = now or timezone.now()
    late = attempt.deadline is not None and now > attempt.deadline + services.DEADLINE_GRACE
    return attempt.status == Attempt.Status.OPEN and not late


def attempt_save_answers(*, attempt: Attempt, answers: dict[str, list[str]],
                         now: datetime.datetime | None = None) -> None:
    """Save the page's answers without submitting (the no-JavaScript confirmation keeps them
    while the student goes back). Past the deadline nothing is saved: submitting decides then."""
    if not answers_accepted(attempt, now):
        return
    questions = {q.key: q for q in Question.objects.filter(quiz_id=attempt.quiz_id, key__in=list(answers))}
    for key, values in answers.items():  # all checked before any is saved: all or nothing
        if key in questions:
            services.parse_response(questions[key], values)
    for key, values in answers.items():
        if key in questions:
            services.attempt_save_answer(attempt=attempt, question=questions[key], values=values, now=now)


# --- the result -----------------------------------------------------------------------------

@dataclass(frozen=True)
class TopicResult:
    topic: str  # the topic's title from quiz.yaml
    right: int
    total: int
    revise: list[dict]  # [{"url", "label"}]: one per lesson, from the questions answered wrongly

    @property
    def all_right(self) -> bool:
        return self.right == self.total


def topic_breakdown(*, quiz: Quiz, questions: list[Question], correct_keys: set[str]) -> list[TopicResult]:
    """Right answers per topic in one attempt, weakest topic first, with the lessons to revise.

    `questions` are the attempt's questions; `correct_keys` those answered correctly. Topics are
    titled as in quiz.yaml (a topic since removed from it shows its id); topics the attempt drew
    no question from are left out. A lesson is listed once per topic, linked to the section of
    the first question missed in it."""
    titles = {t["id"]: t.get("title", t["id"]) for t in quiz.topics}
    order = {topic_id: i for i, topic_id in enumerate(titles)}
    grouped: dict[str, list[Question]] = {}
    for question in questions:
        grouped.setdefault(question.topic, []).append(question)
    results = []
    for topic_id, group in grouped.items():
        revise: dict[str, dict] = {}
        for question in group:
            if question.key not in correct_keys:
                page = question.lesson_url.split("#", 1)[0]
                revise.setdefault(page, {"url": question.lesson_url, "label": question.lesson_label})
        results.append((topic_id, TopicResult(
            topic=titles.get(topic_id, topic_id), total=len(group),
            right=sum(q.key in correct_keys for q in group), revise=list(revise.values()))))
    results.sort(key=lambda r: (r[1].right / r[1].total, order.get(r[0], len(order))))
    return [r for _, r in results]

