"""A cohort's schedule: what is due when, for the cohort and for each student.

The API other parts of Podium call (the gradebook, the digest emails, submission review):

- `items(course)` -> [Item]: every dated piece of the course in course order, with its hours.
  Lessons come from the lesson estimates, the quiz from course.yaml's time estimates, labs from
  the provider grading registers at ready() (`register_items`; courses never imports grading).
- `due_dates(cohort)` -> {item_key: datetime}: the cohort's accepted or edited due dates.
- `effective_due(student, cohort, item_key)` -> datetime | None: the due date with the student's
  extension applied.
- `student_due(user, course, now=None)` -> [StudentDue]: the reader's own dated items, in course
  order, with overdue / due this week / done. Reads only that user's rows.
- `deadline_for(user, course, item_key)` -> Deadline | None, and `is_late` / `is_closed`: what the
  submission services ask when work arrives (one query).

Writes (instructors, through courses/schedule_admin.py): `propose`, `accept`, `shift_all`,
`set_due`, `grant_extension`, `revoke_extension`.

Item keys are "lesson:<lesson slug>", "lab:<lab slug>" and "quiz:<course slug>" (a course has
one quiz). Proposed due dates fall at 23:59 on the day the cumulative work is done at the cohort's
pace, spread over seven days a week, in the active time zone: the instructor's own on the Schedule
page (lms/timezones.py), settings.TIME_ZONE elsewhere. Pages show them in the reader's own zone.
"""

import datetime
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone

from courses.models import Cohort, Course, DueDate, Enrollment, Extension, LessonCompletion, Quiz
from courses.outline import course_outline
from lms import page_cache

# Where the quiz and the practical stand in course order: after every lesson and its labs.
END = 10_000
DEFAULT_PACE_HOURS = {Cohort.Pace.PART_TIME: 10, Cohort.Pace.FULL_TIME: 40}
DEFAULT_QUIZ_HOURS = 2.0
DUE_TIME = datetime.time(23, 59)
DUE_SOON_DAYS = 7
MAX_SHIFT_DAYS = 366


class ScheduleError(ValueError):
    """An edit the schedule refuses; the message is for the instructor."""


@dataclass(frozen=True)
class Item:
    key: str  # "lesson:<slug>", "lab:<slug>", "quiz:<course slug>"
    kind: str  # "lesson", "lab", "quiz", "practical"
    title: str
    hours: float
    url: str
    position: tuple  # sort key in course order: (lesson number, rank); END for the quiz and practical


@dataclass(frozen=True)
class Proposed:
    item: Item
    due_at: datetime.datetime


@dataclass(frozen=True)
class Deadline:
    due_at: datetime.datetime  # extension applied
    close_at_due: bool
    extended: bool

    def is_late(self, when: datetime.datetime) -> bool:
        return when > self.due_at

    def is_closed(self, when: datetime.datetime) -> bool:
        return self.close_at_due and when > self.due_at


@dataclass(frozen=True)
class StudentDue:
    item: Item
    due_at: datetime.datetime
    extended: bool
    close_at_due: bool
    done: bool
    overdue: bool  # past due and not done
    due_soon: bool  # not done, due within the next seven days (the dashboard's "due this week")
    closed: bool = False  # past due and closed at its due date: work is refused


# --- items --------------------------------------------------------------------------------------

ITEM_PROVIDERS: list[Callable[[Course], list[Item]]] = []


def register_items(provider: Callable[[Course], list[Item]]) -> None:
    """Add items from another app (grading: the labs). `provider(course)` returns Items."""
    if provider not in ITEM_PROVIDERS:
        ITEM_PROVIDERS.append(provider)


def lesson_key(slug: str) -> str:
    return f"lesson:{slug}"


def lab_key(slug: str) -> str:
    return f"lab:{slug}"


def quiz_key(course: Course) -> str:
    return f"quiz:{course.slug}"


def items(course: Course, *, estimates: bool = True) -> list[Item]:
    """The course's dated items in course order: each lesson followed by the labs it leads to,
    then the quiz, then the practical. Students' pages pass estimates=False: they show no hours,
    so the quiz's hours (course.yaml) are not read."""
    found = [Item(lesson_key(lesson.slug), "lesson", f"Lesson {lesson.code}: {lesson.title}",
                  float(lesson.duration_hours), lesson.url, (lesson.number, 0))
             for lesson in course_outline(course)]
    quiz = Quiz.objects.filter(course=course).only("title").first()
    if quiz is not None:
        found.append(Item(quiz_key(course), "quiz", quiz.title, _quiz_hours(course) if estimates else 0.0,
                          reverse("quiz", args=[course.slug]), (END, 0)))
    for provider in ITEM_PROVIDERS:
        found.extend(provider(course))
    return sorted(found, key=lambda item: item.position)


def _hours_high(text: str) -> float | None:
    """The high end of an estimate like "1–2" or "6-8" or "60"."""
    numbers = re.findall(r"\d+(?:\.\d+)?", str(text))
    return float(numbers[-1]) if numbers else None


def _quiz_hours(course: Course) -> float:
    details = course.details if "details" in course.__dict__ else _details(course)
    for row in (details.get("time_estimates") or {}).get("components") or []:
        if str(row.get("component", "")).lower().startswith("quiz"):
            return _hours_high(row.get("hours", "")) or DEFAULT_QUIZ_HOURS
    return DEFAULT_QUIZ_HOURS


def _details(course: Course) -> dict:
    # Pages hand us the light course from the outline snapshot (no details): read them once.
    return Course.objects.filter(pk=course.pk).values_list("details", flat=True).first() or {}


def pace_hours(cohort: Cohort) -> int:
    """Study hours a week at the cohort's pace: the course's recommended pace (course.yaml says
    "Part-time (10 h/week)") or the cohort's own hours for a custom pace."""
    if cohort.pace == Cohort.Pace.CUSTOM:
        return max(int(cohort.hours_per_week or 0), 1)
    word = "full" if cohort.pace == Cohort.Pace.FULL_TIME else "part"
    details = cohort.course.details or {}
    for row in details.get("recommended_pace") or []:
        text = str(row.get("schedule", "")).lower()
        match = re.search(r"(\d+)\s*h\s*/\s*week", text)
        if text.startswith(word) and match:
            return int(match.group(1))
    return DEFAULT_PACE_HOURS[cohort.pace]


# --- proposing and editing (instructors) ----------------------------------------------------------

def _end_of_day(day: datetime.date) -> datetime.datetime:
    # The active zone: the instructor's own on the Schedule page (lms/timezones.py), else UTC.
    return timezone.make_aware(datetime.datetime.combine(day, DUE_TIME), timezone.get_current_timezone())


def propose(cohort: Cohort, course_items: list[Item] | None = None) -> list[Proposed]:
    """A due date for every item from the pace, the start date and the estimates: each item is
    due at the end of the day on which its cumulative hours are done, studying
    hours-per-week spread over seven days."""
    hours_per_week = pace_hours(cohort)
    total = Decimal(0)
    proposed = []
    for item in course_items if course_items is not None else items(cohort.course):
        total += Decimal(str(item.hours))
        days = max(math.ceil(total * 7 / hours_per_week), 1)
        proposed.append(Proposed(item, _end_of_day(cohort.starts_on + datetime.timedelta(days=days - 1))))
    return proposed


@transaction.atomic
def accept(cohort: Cohort, proposal: list[Proposed] | None = None) -> int:
    """Make the proposal the cohort's due dates (every item; each item's "close at due date"
    stays as it was). Returns how many dates were written."""
    proposal = proposal if proposal is not None else propose(cohort)
    existing = {d.item_key: d for d in DueDate.objects.filter(cohort=cohort)}
    new, changed = [], []
    for p in proposal:
        row = existing.get(p.item.key)
        if row is None:
            new.append(DueDate(cohort=cohort, item_key=p.item.key, due_at=p.due_at))
        elif row.due_at != p.due_at:
            row.due_at = p.due_at
            changed.append(row)
    DueDate.objects.bulk_create(new)
    DueDate.objects.bulk_update(changed, ["due_at"])
    page_cache.changed_for_all()  # bulk writes send no signal (lms/page_cache.py)
    return len(new) + len(changed)


@transaction.atomic
def shift_all(cohort: Cohort, days: int) -> int:
    """Move every due date of the cohort, and every extension in it, by `days` (negative: earlier).
    Extensions move too: they were granted relative to the schedule they extend."""
    if not days or abs(days) > MAX_SHIFT_DAYS:
        raise ScheduleError(f"Shift by 1 to {MAX_SHIFT_DAYS} days, earlier or later.")
    delta = datetime.timedelta(days=days)
    moved = DueDate.objects.filter(cohort=cohort).update(due_at=F("due_at") + delta)
    Extension.objects.filter(enrollment__cohort=cohort).update(due_at=F("due_at") + delta)
    page_cache.changed_for_all()  # update() sends no signal (lms/page_cache.py)
    return moved


def _check_key(cohort: Cohort, item_key: str, course_items: list[Item] | None = None) -> None:
    known = course_items if course_items is not None else items(cohort.course)
    if item_key not in {item.key for item in known}:
        raise ScheduleError("That item is not part of this course.")


def set_due(cohort: Cohort, item_key: str, *, due_at: datetime.datetime, close_at_due: bool,
            course_items: list[Item] | None = None) -> DueDate:
    """Edit one item's due date and whether work is refused after it (`course_items`: the
    course's items when the caller has them already)."""
    _check_key(cohort, item_key, course_items)
    row, _ = DueDate.objects.update_or_create(cohort=cohort, item_key=item_key,
                                              defaults={"due_at": due_at, "close_at_due": close_at_due})
    return row


def grant_extension(cohort: Cohort, *, student_id: int, item_key: str, due_at: datetime.datetime,
                    reason: str = "", granted_by=None) -> Extension:
    """A later due date for one student of the cohort (one who accepted their place)."""
    _check_key(cohort, item_key)
    enrollment = Enrollment.objects.filter(cohort=cohort, student_id=student_id,
                                           status__in=Enrollment.ACCEPTED).first()
    if enrollment is None:
        raise ScheduleError("That student is not in this cohort.")
    row, _ = Extension.objects.update_or_create(
        enrollment=enrollment, item_key=item_key,
        defaults={"due_at": due_at, "reason": reason[:200], "granted_by": granted_by})
    return row


def revoke_extension(cohort: Cohort, extension_id: int) -> bool:
    return Extension.objects.filter(pk=extension_id, enrollment__cohort=cohort).delete()[0] > 0


# --- reads ----------------------------------------------------------------------------------------

def due_dates(cohort: Cohort) -> dict[str, datetime.datetime]:
    """The cohort's due dates by item key (no extensions)."""
    return dict(DueDate.objects.filter(cohort=cohort).values_list("item_key", "due_at"))


def effective_due(student, cohort: Cohort, item_key: str) -> datetime.datetime | None:
    """The student's due date for the item in this cohort: their extension if they have one."""
    extension = Extension.objects.filter(enrollment__cohort=cohort, enrollment__student=student,
                                         item_key=item_key).values_list("due_at", flat=True).first()
    if extension is not None:
        return extension
    return DueDate.objects.filter(cohort=cohort, item_key=item_key).values_list("due_at", flat=True).first()


def _scheduled_enrollments(student_id, course_filter: dict):
    """The enrolments whose schedule applies to the student, best first: an active place, then a
    completed one, the latest cohort first. Withdrawn, invited or declined places have none."""
    return (Enrollment.objects.filter(student_id=student_id, **course_filter,
                                      status__in=(Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED))
            .order_by("status", "-cohort__starts_on", "-pk"))


def enrollment_for(user, course: Course) -> Enrollment | None:
    """The enrolment whose schedule applies to the user in this course, or None."""
    if not user.is_authenticated:
        return None
    return _scheduled_enrollments(user.pk, {"cohort__course": course}).first()


def deadline_for(user, course: Course | int, item_key: str) -> Deadline | None:
    """The user's deadline for the item (extension applied), in one query; None when undated.
    `course` may be a Course or its id (the submission services hold only the id)."""
    return _deadline(user, {"cohort__course_id": getattr(course, "pk", course)}, item_key)


def quiz_deadline(user, quiz_id: int) -> Deadline | None:
    """The user's (or user id's) deadline for a quiz, by the quiz's id, in one query (the key
    needs the course's slug, which an attempt does not hold)."""
    return _deadline(user, {"cohort__course__quiz__id": quiz_id},
                     Concat(Value("quiz:"), OuterRef("cohort__course__slug"), output_field=CharField()))


def _deadline(user, course_filter: dict, item_key) -> Deadline | None:
    student_id = getattr(user, "pk", user)  # a user or a user's id; anonymous (None) has none
    if student_id is None:
        return None
    due = DueDate.objects.filter(cohort=OuterRef("cohort"), item_key=item_key)
    extension = Extension.objects.filter(enrollment=OuterRef("pk"), item_key=item_key)
    row = (_scheduled_enrollments(student_id, course_filter)
           .annotate(due=Subquery(due.values("due_at")[:1]), close=Subquery(due.values("close_at_due")[:1]),
                     extended=Subquery(extension.values("due_at")[:1]))
           .values("due", "close", "extended").first())
    if row is None or row["due"] is None and row["extended"] is None:
        return None
    return Deadline(row["extended"] or row["due"], bool(row["close"]), row["extended"] is not None)


def is_late(user, course: Course, item_key: str, when: datetime.datetime) -> bool:
    deadline = deadline_for(user, course, item_key)
    return deadline is not None and deadline.is_late(when)


def is_closed(user, course: Course, item_key: str, when: datetime.datetime) -> bool:
    deadline = deadline_for(user, course, item_key)
    return deadline is not None and deadline.is_closed(when)


def closed_message(deadline: Deadline) -> str:
    local = timezone.localtime(deadline.due_at)
    return (f"This closed at its due date, {local:%A %d %B %Y, %H:%M} ({local.tzname()}), and no longer "
            "takes work. If you need more time, ask your instructor for an extension.")


def _done_keys(user, course: Course) -> set[str]:
    from courses.progress import FEATURES

    done = {lesson_key(slug) for slug in LessonCompletion.objects.filter(
        user=user, lesson__course=course).values_list("lesson__slug", flat=True)}
    if "quiz" in FEATURES and FEATURES["quiz"].evidence(user, course):
        done.add(quiz_key(course))
    if "labs" in FEATURES:
        done |= {lab_key(slug) for slug in FEATURES["labs"].evidence(user, course)}
    return done


def student_due(user, course: Course, now: datetime.datetime | None = None,
                done: set[str] | None = None) -> list[StudentDue]:
    """The user's own dated items in course order (empty outside a scheduled cohort). The cohort,
    its dates and the user's extensions come in one query: unscheduled students cost one query.
    `done`: the item keys the user finished, when the caller has read them already (a course
    page reads lessons, quiz and labs anyway); otherwise they are read here."""
    if not user.is_authenticated:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_dates_sql(connection.vendor),
                       [user.pk, course.pk, Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED])
        found = cursor.fetchall()
    if not found:
        return []
    dates = {key: DueDate(item_key=key, due_at=_aware(due_at), close_at_due=bool(close))
             for key, due_at, close, _ in found}
    extended = {key: _aware(until) for key, _, _, until in found if until is not None}
    return build_student_due(items(course, estimates=False), dates, extended,
                             _done_keys(user, course) if done is None else done, now or timezone.now())


@functools.cache
def _dates_sql(vendor: str) -> str:  # noqa: ARG001 - the cache key: quoting is per backend
    """The dates of the user's scheduled cohort in the course (the best place, as
    _scheduled_enrollments orders them) with their extensions: one raw statement (the ORM took
    several times longer to build it than the database to run it)."""
    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    return (
        "SELECT d.item_key, d.due_at, d.close_at_due, x.due_at "  # noqa: S608 - table names only
        f"FROM {table(DueDate)} d "
        f"JOIN (SELECT e.id, e.cohort_id FROM {table(Enrollment)} e "
        f"JOIN {table(Cohort)} c ON c.id = e.cohort_id "
        "WHERE e.student_id = %s AND c.course_id = %s AND e.status IN (%s, %s) "
        "ORDER BY e.status, c.starts_on DESC, e.id DESC LIMIT 1) best ON d.cohort_id = best.cohort_id "
        f"LEFT JOIN {table(Extension)} x ON x.enrollment_id = best.id AND x.item_key = d.item_key"
    )


def _aware(value):
    """A datetime from a raw cursor as the ORM returns it (SQLite's come naive, in UTC)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def build_student_due(course_items: list[Item], dates: dict[str, DueDate],
                      extended: dict[str, datetime.datetime], done: set[str],
                      now: datetime.datetime) -> list[StudentDue]:
    """Pure: one student's rows from the cohort's dates, their extensions and what they finished."""
    rows = []
    soon = now + datetime.timedelta(days=DUE_SOON_DAYS)
    for item in course_items:
        date = dates.get(item.key)
        if date is None:
            continue
        due_at = extended.get(item.key, date.due_at)
        finished = item.key in done
        rows.append(StudentDue(item, due_at, item.key in extended, date.close_at_due, finished,
                               overdue=not finished and due_at < now,
                               due_soon=not finished and now <= due_at <= soon,
                               closed=date.close_at_due and due_at < now))
    return rows


def next_change(rows, now: datetime.datetime) -> datetime.datetime | None:
    """When the first of these rows next changes by the clock alone: an item comes within
    DUE_SOON_DAYS of its date, or its date passes (overdue, closed)."""
    soon = datetime.timedelta(days=DUE_SOON_DAYS)
    moments = [moment for row in rows for moment in (row.due_at - soon, row.due_at) if moment > now]
    return min(moments, default=None)


def due_by_key(rows: list[StudentDue]) -> dict[str, StudentDue]:
    return {row.item.key: row for row in rows}
