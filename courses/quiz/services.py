"""Quiz workflows: who may start an attempt, drawing questions, autosaving answers, submitting.

Rules enforced here, on the server: attempts allowed and cooldowns (between attempts, and after
repeated failures), how much of the review a student may see (with per-cohort overrides for
all of these), one open attempt per student, answers only to the attempt's own questions and only before the
deadline, and a submit that happens once however many times it is asked for.
"""

import datetime
import logging
import random
import re
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import dateformat, timezone

from courses import schedule
from courses.models import Answer, Attempt, Enrollment, Question, Quiz, QuizOverride
from courses.models.quiz import pass_score
from courses.quiz.answers import matches as command_matches
from courses.quiz.files import normalise
from lms import page_cache, session_auth
from lms.memo import ProcessMemo
from lms.prepared import prepared_cursor

log = logging.getLogger(__name__)

# Answers arriving this long after the deadline are still accepted: network latency, not cheating.
DEADLINE_GRACE = datetime.timedelta(seconds=5)


class QuizError(Exception):
    """A request the rules refuse; the message is shown to the student."""


@dataclass(frozen=True)
class Rules:
    attempts_allowed: int  # 0 = unlimited
    time_limit_minutes: int | None
    cooldown_minutes: int
    show_review: str  # a Quiz.Review value
    cooldown_after_failures: int  # 0 = no cooldown after failures
    cooldown_hours: int


# Most generous last: a student in two cohorts gets the more generous of their settings.
_REVIEW_GENEROSITY = [Quiz.Review.NEVER, Quiz.Review.AFTER_PASSING, Quiz.Review.IMMEDIATELY]


def rules_for(quiz: Quiz, user) -> Rules:
    """The quiz's settings with the student's cohort overrides.

    Attempts and time limit: an override only adds (the most generous wins). Review policy and
    cooldown: an override replaces the quiz's setting, stricter or not (an exam cohort, a
    remedial one); a student in several cohorts gets the most generous of their overrides.
    """
    # Only enrolments the student holds: an invitation not yet accepted brings no cohort settings.
    cohort_ids = Enrollment.objects.filter(
        student=user, cohort__course_id=quiz.course_id,
        status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED]).values("cohort_id")
    overrides = list(QuizOverride.objects.filter(quiz=quiz, cohort_id__in=cohort_ids).order_by("pk"))
    attempts, limit = quiz.attempts_allowed, quiz.time_limit_minutes
    for override in overrides:
        if override.attempts_allowed is not None:
            attempts = 0 if 0 in (attempts, override.attempts_allowed) else max(
                attempts, override.attempts_allowed)
        if override.time_limit_minutes is not None:
            limit = override.time_limit_minutes if limit is None else max(limit, override.time_limit_minutes)
    reviews = [o.show_review for o in overrides if o.show_review]
    failures = [o.cooldown_after_failures for o in overrides if o.cooldown_after_failures is not None]
    hours = [o.cooldown_hours for o in overrides if o.cooldown_hours is not None]
    return Rules(
        attempts, limit, quiz.cooldown_minutes,
        show_review=max(reviews, key=_REVIEW_GENEROSITY.index) if reviews else quiz.show_review,
        # 0 (no cooldown) is the most generous; otherwise more failures allowed is.
        cooldown_after_failures=(0 if 0 in failures else max(failures)) if failures
        else quiz.cooldown_after_failures,
        cooldown_hours=min(hours) if hours else quiz.cooldown_hours)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _when(moment: datetime.datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "j M Y, H:i T")


def why_cannot_start(rules: Rules, attempts: list[Attempt], now: datetime.datetime) -> str | None:
    """Why the student may not start an attempt now (a message saying until when), or None."""
    counted = [a for a in attempts if not a.voided]
    if rules.attempts_allowed and len(counted) >= rules.attempts_allowed:
        return f"You have used all {rules.attempts_allowed} attempts."
    waits = _waits(rules, counted, now)
    return max(waits)[1] if waits else None


def start_blocked_until(rules: Rules, attempts: list[Attempt],
                        now: datetime.datetime) -> datetime.datetime | None:
    """When the wait that why_cannot_start reports ends (None when there is none)."""
    waits = _waits(rules, [a for a in attempts if not a.voided], now)
    return max(waits)[0] if waits else None


def _waits(rules: Rules, counted: list[Attempt],
           now: datetime.datetime) -> list[tuple[datetime.datetime, str]]:
    waits = []  # (until, message): the latest one is the one that matters
    failures = sorted(a.submitted_at for a in counted if a.passed is False and a.submitted_at)
    blocked_until = _failure_cooldown_end(failures, rules.cooldown_after_failures, rules.cooldown_hours)
    if blocked_until:
        waits.append((blocked_until, f"You have failed {_count(rules.cooldown_after_failures, 'attempt')} "
                                     f"within {_count(rules.cooldown_hours, 'hour')}: you can try again from "
                                     f"{_when(blocked_until)}. Meanwhile, revise the lesson sections "
                                     "linked in your reviews."))
    last = max((a.submitted_at for a in counted if a.submitted_at), default=None)
    if last and rules.cooldown_minutes:
        ready = last + datetime.timedelta(minutes=rules.cooldown_minutes)
        waits.append((ready, f"Your next attempt opens at {_when(ready)} (cooldown between attempts)."))
    return [w for w in waits if now < w[0]]


def _failure_cooldown_end(failures: list[datetime.datetime], after: int,
                          hours: int) -> datetime.datetime | None:
    """When the latest cooldown ends: `after` failed attempts within `hours` hours start one,
    lasting `hours` after the last of them; counting starts again after it. Right/wrong marks
    can't then be farmed faster than `after` attempts per `hours`."""
    if not after:
        return None
    window = datetime.timedelta(hours=hours)
    streak: list[datetime.datetime] = []
    end = None
    for failed_at in failures:  # in order
        streak = [t for t in streak if t > failed_at - window] + [failed_at]
        if len(streak) >= after:
            end, streak = failed_at + window, []
    return end


class ReviewLevel:
    SCORE = "score"  # the score only
    MARKS = "marks"  # right/wrong per question and the lesson to revise; no correct answers
    FULL = "full"  # correct options, accepted answers and explanations


def review_level(rules: Rules, attempts: list[Attempt]) -> str:
    """How much of a submitted attempt's review the student may see, given all their attempts.

    Correct answers are shown only once the student has passed or has used their last allowed
    attempt (and it is submitted): before that, N blank attempts would reveal the whole bank.
    """
    if rules.show_review == Quiz.Review.NEVER:
        return ReviewLevel.SCORE
    counted = [a for a in attempts if not a.voided]
    finished = all(a.status == Attempt.Status.SUBMITTED for a in counted)
    out_of_attempts = bool(rules.attempts_allowed) and len(counted) >= rules.attempts_allowed and finished
    if out_of_attempts or any(a.passed for a in counted):
        return ReviewLevel.FULL
    return ReviewLevel.MARKS if rules.show_review == Quiz.Review.IMMEDIATELY else ReviewLevel.SCORE


def draw(quiz: Quiz, questions: list[Question], seed: int) -> tuple[list[str], dict[str, list[str]]]:
    """Pick the attempt's questions (every topic's minimum first) and each question's option
    order, reproducibly from `seed`."""
    rng = random.Random(seed)  # noqa: S311 - a shuffle, not a secret
    chosen: list[Question] = []
    for topic in quiz.topics:
        pool = [q for q in questions if q.topic == topic["id"]]
        chosen += rng.sample(pool, min(topic.get("min", 0), len(pool)))
    rest = [q for q in questions if q not in chosen]
    chosen += rng.sample(rest, min(quiz.questions_per_attempt - len(chosen), len(rest)))
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    else:
        chosen.sort(key=lambda q: q.position)
    orders = {}
    for q in chosen:
        ids = [o["id"] for o in q.options]
        if quiz.shuffle_options:
            rng.shuffle(ids)
        orders[q.key] = ids
    return [q.key for q in chosen], orders


def attempt_start(*, quiz: Quiz, user, now: datetime.datetime | None = None) -> Attempt:
    """Return the student's open attempt, or start a new one if the rules allow."""
    now = now or timezone.now()
    attempts = list(Attempt.objects.filter(quiz=quiz, user=user))
    open_attempt = next((a for a in attempts if a.status == Attempt.Status.OPEN), None)
    if open_attempt:
        return open_attempt
    rules = rules_for(quiz, user)
    reason = why_cannot_start(rules, attempts, now)
    if reason:
        raise QuizError(reason)
    # Closed at its due date by the instructor: no new attempt (one already open may finish, late).
    due = schedule.quiz_deadline(user, quiz.pk)
    if due is not None and due.is_closed(now):
        raise QuizError(schedule.closed_message(due))
    seed = secrets.randbits(48)
    keys, orders = draw(quiz, list(quiz.questions.filter(active=True)), seed)
    number = max((a.number for a in attempts), default=0) + 1  # a race ends in IntegrityError below
    limit = rules.time_limit_minutes
    deadline = now + datetime.timedelta(minutes=limit) if limit else None
    try:
        with transaction.atomic():
            return Attempt.objects.create(
                quiz=quiz, user=user, number=number, seed=seed, question_keys=keys,
                option_orders=orders, started_at=now, deadline=deadline, max_score=len(keys),
                pass_score=pass_score(len(keys), quiz.pass_percent))
    except IntegrityError:
        # Two tabs pressed "Start" together: the other one won; use its attempt.
        return Attempt.objects.get(quiz=quiz, user=user, status=Attempt.Status.OPEN)


def parse_response(question: Question, values: list[str]) -> list[str] | dict | None:
    """A response from form values, or None when empty. Raises QuizError when malformed."""
    if question.kind in (Question.Kind.SHORT, Question.Kind.COMMAND):
        text = (values[0] if values else "").strip()
        if len(text) > 500:
            raise QuizError("That answer is too long (500 characters at most).")
        if "\x00" in text:  # no keyboard types it, and PostgreSQL's jsonb cannot store it
            raise QuizError("That answer contains a NUL character, which cannot be stored.")
        return {"text": text} if text else None
    valid = {o["id"] for o in question.options}
    chosen = [v for v in dict.fromkeys(values) if v]
    if any(v not in valid for v in chosen):
        raise QuizError("That option does not belong to this question.")
    if question.kind == Question.Kind.SINGLE and len(chosen) > 1:
        raise QuizError("Choose one option.")
    return chosen or None


def _past_deadline(attempt: Attempt, now: datetime.datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + DEADLINE_GRACE


def _check_open(attempt: Attempt, now: datetime.datetime) -> None:
    if attempt.status != Attempt.Status.OPEN:
        raise QuizError("This attempt has been submitted.")
    if _past_deadline(attempt, now):
        raise QuizError("Time is up: answers after the deadline are not counted.")


def autosave_targets(*, user, course_slug: str, attempt_id: int, key: str) -> tuple[Attempt, Question | None]:
    """The student's own attempt (Attempt.DoesNotExist for anyone else's) and the question
    `key` names in its quiz (None if there is none), reading only what an autosave needs.

    Autosave is the busiest request in Podium (one per answer): the attempt page's lookup
    also loads the quiz and the course (its course.yaml details, the summary) and every
    question column (text, explanation), all decoded and thrown away on each save."""
    attempt = (Attempt.objects.only("id", "quiz_id", "user_id", "status", "deadline", "question_keys")
               .get(pk=attempt_id, user=user, quiz__course__slug=course_slug))
    question = (Question.objects.only("id", "quiz_id", "key", "kind", "options")
                .filter(quiz_id=attempt.quiz_id, key=key).first())
    if question is not None:
        _remember_question(course_slug, question)
    return attempt, question


# The questions autosave has met, per process: (course slug, key) -> a light Question (id,
# quiz_id, key, kind, options), shared read-only. Questions change only on import, and
# autosave_checked_write re-checks in its own statement that the row still has this kind and
# these options, so a stale entry costs one pass through the checked path, never a wrong write.
MAX_AUTOSAVE_QUESTIONS = 4096
_autosave_questions: ProcessMemo = ProcessMemo(MAX_AUTOSAVE_QUESTIONS)


def _remember_question(course_slug: str, question: Question) -> None:
    _autosave_questions.remember((course_slug, question.key), question)


def autosave_checked_write(*, user_id: int, course_slug: str, attempt_id: int, key: str, values: list[str],
                           auth_hash: str | None = None,
                           now: datetime.datetime | None = None) -> datetime.datetime | None:
    """Autosave in one SQL statement when everything checks out; returns when it was saved.

    None means "not saved here": the caller goes through autosave_targets + attempt_save_answer,
    which find out why (another student's attempt, a submitted or expired attempt, a question not
    in the attempt, a malformed answer, a question this process has not met or whose row changed)
    and answer accordingly. So this path only ever *adds* a way to succeed, under every check the
    checked path makes:

    - the answer is parsed by parse_response against the question's kind and options as this
      process last read them, and the statement writes only if the row still has them;
    - the statement writes only if the attempt is the user's own, belongs to the question's quiz
      (which is the quiz of `course_slug`, see _autosave_checks), is open, is not past its
      deadline (plus the grace) and drew the question;
    - one statement (no transaction block): autocommit, a synchronous commit like any other;
    - with `auth_hash` (PostgreSQL; the caller has not loaded the user): the statement also makes
      Django's session check, the user active and `auth_hash` their session auth hash
      (lms/session_auth.py). Without it, the caller has verified `user_id` (request.user).

    The answer is upserted, or deleted when empty. Autosave is the busiest request in Podium;
    the checked path costs four round trips and an ORM query build each.
    """
    question = _autosave_questions.get((course_slug, key))
    if question is None:
        return None
    try:
        response = parse_response(question, values)
    except QuizError:
        return None  # the checked path re-reads the question and says what is wrong
    now = now or timezone.now()
    checks, params = _autosave_checks(user_id=user_id, attempt_id=attempt_id, question=question, now=now,
                                      auth_hash=auth_hash)
    qn = connection.ops.quote_name
    answer = qn(Answer._meta.db_table)
    if response is None:
        sql = (f"DELETE FROM {answer} WHERE question_id = %s AND attempt_id = %s "  # noqa: S608 - table names only
               f"AND EXISTS (SELECT 1 {checks})")
        params = [question.pk, attempt_id, *params]
    else:
        # INSERT … SELECT … WHERE … ON CONFLICT: PostgreSQL and SQLite (which needs the WHERE).
        sql = (f"INSERT INTO {answer} (attempt_id, question_id, response, saved_at, is_correct) "  # noqa: S608
               f"SELECT a.id, q.id, %s, %s, NULL {checks} "
               "ON CONFLICT (attempt_id, question_id) DO UPDATE "
               "SET response = excluded.response, saved_at = excluded.saved_at")
        params = [Answer._meta.get_field("response").get_db_prep_value(response, connection),
                  connection.ops.adapt_datetimefield_value(now), *params]
    return now if _execute_idempotent(sql, params) == 1 else None


def _execute_idempotent(sql: str, params: list) -> int:
    """Run a statement that may safely run twice (the upsert or delete above), without the
    health check Django's CONN_HEALTH_CHECKS makes before a request's first query (a SELECT 1:
    one round trip of the autosave's three); if the kept connection turns out dead, once more on
    a new one, which is what the health check would have led to. Returns the rows affected."""
    def run() -> int:
        with prepared_cursor() as cursor:  # parsed and planned once per connection (lms/prepared.py)
            cursor.execute(sql, params)
            return cursor.rowcount

    unchecked = not connection.health_check_done and not connection.in_atomic_block
    if unchecked:
        connection.health_check_done = True
    try:
        return run()
    except (OperationalError, InterfaceError):
        if not unchecked:
            raise
        log.warning("autosave: the kept database connection was dead; retrying on a new one")
        connection.close()
        return run()


def _autosave_checks(*, user_id: int, attempt_id: int, question: Question, now: datetime.datetime,
                     auth_hash: str | None) -> tuple[str, list]:
    """FROM … WHERE of the attempt `a` and question `q` an autosave may write, with its params.

    The course in the URL is checked by `q.quiz_id = a.quiz_id`: the question was remembered
    under the course's slug by autosave_targets, which found it in that course's quiz, and a
    course's slug and a quiz's course never change (load_course keys courses by slug; both are
    read-only in the admin). Joining quiz and course here doubled PostgreSQL's planning time."""
    qn = connection.ops.quote_name
    json_param = Question._meta.get_field("options").get_db_prep_value  # JSON in both databases
    if connection.vendor == "postgresql":  # jsonb: compared by value
        same_options, drawn = "q.options = %s", "a.question_keys @> %s"
        drawn_param = json_param([question.key], connection)
    else:  # SQLite stores JSON as text
        same_options = "json(q.options) = json(%s)"
        drawn = "EXISTS (SELECT 1 FROM json_each(a.question_keys) WHERE json_each.value = %s)"
        drawn_param = question.key
    sql = (
        f"FROM {qn(Attempt._meta.db_table)} a JOIN {qn(Question._meta.db_table)} q "  # noqa: S608 - table names only
        "ON q.id = %s AND q.quiz_id = a.quiz_id "
        "WHERE a.id = %s AND a.user_id = %s AND a.status = %s "
        "AND (a.deadline IS NULL OR a.deadline >= %s) "
        f"AND q.key = %s AND q.kind = %s AND {same_options} AND {drawn}"
    )
    params = [question.pk, attempt_id, user_id, Attempt.Status.OPEN,
              connection.ops.adapt_datetimefield_value(now - DEADLINE_GRACE),
              question.key, question.kind, json_param(question.options, connection), drawn_param]
    if auth_hash is not None:
        if connection.vendor != "postgresql":
            raise ValueError("the session check in SQL needs PostgreSQL")
        user_table = qn(get_user_model()._meta.db_table)
        check, check_params = session_auth.postgres_check("u", auth_hash)
        sql += f" AND EXISTS (SELECT 1 FROM {user_table} u WHERE u.id = a.user_id AND {check})"  # noqa: S608
        params += check_params
    return sql, params


def attempt_save_answer(*, attempt: Attempt, question: Question, values: list[str],
                        now: datetime.datetime | None = None) -> None:
    """Autosave one answer (an empty answer clears it)."""
    now = now or timezone.now()
    _check_open(attempt, now)
    if question.key not in attempt.question_keys:
        raise QuizError("That question is not part of this attempt.")
    response = parse_response(question, values)
    if response is None:
        Answer.objects.filter(attempt=attempt, question=question).delete()
        return
    # One statement whatever the history: autosave is the busiest write in Podium.
    Answer.objects.bulk_create(
        [Answer(attempt=attempt, question=question, response=response, saved_at=now)],
        update_conflicts=True, unique_fields=["attempt", "question"],
        update_fields=["response", "saved_at"])


def is_correct(question: Question, response) -> bool:
    if question.kind == Question.Kind.COMMAND:
        # Parsed and compared with the declared rules: flag order, aliases, short forms and
        # global flags do not matter; shell operators and a `--flag=false` do (quiz_answers.py).
        return command_matches(question.command, response.get("text", ""))
    if question.kind == Question.Kind.SHORT:
        answer = normalise(response.get("text", ""))
        if answer in {normalise(a) for a in question.accept}:
            return True
        return bool(question.accept_regex and re.search(question.accept_regex, answer))
    return set(response) == {o["id"] for o in question.options if o["correct"]}


@transaction.atomic
def attempt_submit(*, attempt: Attempt, answers: dict[str, list[str]] | None = None,
                   now: datetime.datetime | None = None, auto: bool = False) -> Attempt:
    """Submit and score an attempt, once: a second submit (double click, a second tab, the
    timer and the student together) finds it submitted and changes nothing.

    `answers` (question key -> form values) are the page's final values; they are saved first
    unless the deadline has passed, in which case only answers saved in time count.
    """
    now = now or timezone.now()
    in_time = not _past_deadline(attempt, now)
    submitted_at, auto = (now, auto) if in_time else (attempt.deadline, True)
    claimed = Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.OPEN).update(
        status=Attempt.Status.SUBMITTED, submitted_at=submitted_at, auto_submitted=auto)
    if not claimed:
        attempt.refresh_from_db()
        return attempt
    questions = {q.key: q for q in Question.objects.filter(quiz_id=attempt.quiz_id,
                                                            key__in=attempt.question_keys)}
    saved = {a.question_id: a for a in Answer.objects.filter(attempt=attempt)}
    if answers and in_time:
        _merge_final_answers(attempt, questions, answers, saved, now)
    by_id = {q.pk: q for q in questions.values()}
    for answer in saved.values():
        answer.is_correct = is_correct(by_id[answer.question_id], answer.response)
    Answer.objects.bulk_update(saved.values(), ["is_correct"])
    score = sum(a.is_correct for a in saved.values())
    passed = score >= attempt.pass_score
    due = schedule.quiz_deadline(attempt.user_id, attempt.quiz_id)
    attempt.late = due is not None and due.is_late(submitted_at)  # recorded, never refused
    Attempt.objects.filter(pk=attempt.pk).update(score=score, passed=passed, late=attempt.late)
    # update() sends no signal; the beat task submits expired attempts outside any student's request.
    page_cache.changed(attempt.user_id)
    attempt.status, attempt.submitted_at = Attempt.Status.SUBMITTED, submitted_at
    attempt.auto_submitted, attempt.score, attempt.passed = auto, score, passed
    return attempt


def _merge_final_answers(attempt, questions, answers, saved, now) -> None:
    new, changed, removed = [], [], []
    for key, values in answers.items():
        question = questions.get(key)
        if question is None:
            raise QuizError("That question is not part of this attempt.")
        response = parse_response(question, values)
        current = saved.get(question.pk)
        if response is None:
            if current:
                removed.append(saved.pop(question.pk).pk)
        elif current is None:
            saved[question.pk] = Answer(attempt=attempt, question=question, response=response, saved_at=now)
            new.append(saved[question.pk])
        elif current.response != response:
            current.response, current.saved_at = response, now
            changed.append(current)
    Answer.objects.filter(pk__in=removed).delete()
    Answer.objects.bulk_create(new)
    Answer.objects.bulk_update(changed, ["response", "saved_at"])


def attempt_close_if_expired(attempt: Attempt, now: datetime.datetime | None = None) -> Attempt:
    now = now or timezone.now()
    if attempt.status == Attempt.Status.OPEN and _past_deadline(attempt, now):
        return attempt_submit(attempt=attempt, now=now, auto=True)
    return attempt


def close_expired_attempts(now: datetime.datetime | None = None) -> int:
    """Submit every open attempt past its deadline with what was saved (the beat task)."""
    now = now or timezone.now()
    overdue = Attempt.objects.filter(status=Attempt.Status.OPEN, deadline__lt=now - DEADLINE_GRACE)
    return sum(1 for attempt in overdue if attempt_submit(attempt=attempt, now=now, auto=True))


def attempt_extend(*, attempt: Attempt, minutes: int) -> None:
    """An instructor gives an open attempt more time."""
    if attempt.status == Attempt.Status.OPEN and attempt.deadline:
        Attempt.objects.filter(pk=attempt.pk).update(
            deadline=attempt.deadline + datetime.timedelta(minutes=minutes))
        page_cache.changed(attempt.user_id)


# --- what the rest of the course sees -----------------------------------------------------

def quiz_passed(user, course) -> bool:
    return Attempt.objects.filter(quiz__course=course, user=user, passed=True, voided=False).exists()


def quiz_dashboard_status(user, course) -> tuple[dict, bool]:
    """The dashboard's quiz line and whether the quiz is passed, in one query (two when the
    student has no attempt: is there a quiz at all?)."""
    rows = list(Attempt.objects.filter(quiz__course=course, user=user, voided=False)
                .values_list("status", "score", "max_score", "passed"))
    passed = any(r[3] for r in rows)
    return _quiz_line(course, rows, passed), passed


def _quiz_line(course, rows, passed: bool) -> dict:
    from django.urls import reverse

    url = reverse("quiz", args=[course.slug])
    if not rows and not Quiz.objects.filter(course=course).exists():
        return {"text": "No quiz in this course", "url": None, "state": "todo"}
    scored = [r for r in rows if r[1] is not None]
    best = max(scored, key=lambda r: r[1], default=None)
    if any(r[0] == Attempt.Status.OPEN for r in rows):
        return {"text": "Attempt in progress — continue", "url": url, "state": "todo"}
    if best is None:
        return {"text": "Not started", "url": url, "state": "todo"}
    text = f"Best {best[1]}/{best[2]} — {'passed' if passed else 'not passed yet'}"
    return {"text": text, "url": url, "state": "done" if passed else "failed"}
