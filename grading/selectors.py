"""Reads for grading: the one access helper per object, lab lists with status, and the
providers that feed courses' dashboard and success criteria."""

from __future__ import annotations

import copy
import datetime
import functools
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from courses.coursework import LabEntry
from courses.models import Course, Lesson
from courses.outline import course_snapshot
from courses.visibility import taught_by
from grading.models import CheckResult, Lab, LabCheck, ManualGrade, ManualItem, Submission
from lms.memo import ProcessMemo

Status = Submission.Status
GRADE_NOTICE_DAYS = datetime.timedelta(days=14)


LESSON_BODY_FIELDS = ("lesson__body_html", "lesson__toc", "lesson__objectives")


def get_lab(course_slug: str, lab_slug: str) -> Lab:
    """The one lookup for labs. Every lab is open to every signed-in student (like lessons).

    One raw statement (the ORM spent several times longer building it than reading it): the
    lab's row, but for its instructions (read only if used: the lab page keeps them rendered per
    process), and its course's content hash; the course and the lesson come from the course's
    per-process snapshot (courses/outline.py), which that hash keys. The course is shared by
    every request: read it only."""
    found = list(Lab.objects.raw(_lab_sql(connection.vendor), [course_slug, lab_slug]))
    if not found:
        raise Http404("No Lab matches the given query.")
    lab = found[0]
    snapshot = course_snapshot(lab.course_id, lab.course_hash)
    del lab.course_hash
    lab.course = snapshot.course
    if lab.lesson_id is None:
        lab.lesson = None
    elif lab.lesson_id in snapshot.lessons:
        lab.lesson = snapshot.lesson(lab.lesson_id)  # its own copy, course attached
    return lab  # (a lesson of another course, which the importer never makes: read on use)


@functools.cache
def _lab_sql(vendor: str) -> str:  # noqa: ARG001 - the cache key: quoting is per backend
    q = connection.ops.quote_name
    columns = ", ".join(f"l.{q(f.column)}" for f in Lab._meta.concrete_fields
                        if f.attname not in ("instructions", "instructions_html"))
    return (f"SELECT {columns}, c.{q('content_hash')} AS course_hash "  # noqa: S608 - names only
            f"FROM {_table(Lab)} l JOIN {_table(Course)} c ON c.{q('id')} = l.{q('course_id')} "
            f"WHERE c.{q('slug')} = %s AND l.{q('slug')} = %s")


def get_submission_for(user, submission_id: int) -> Submission:
    """The one lookup for a submission page: a student sees only their own (404 otherwise, so
    ids of other students' submissions are not even confirmed to exist); staff see those the
    admin shows them (the cohort's instructor: the admin's "View on site" link)."""
    # The page shows neither the lab's instructions nor (to its owner) the submission's user.
    submissions = Submission.objects.select_related("lab", "lab__course").defer(*LAB_TEXT_FIELDS)
    submission = submissions.filter(pk=submission_id, user=user).first()
    if submission is None and user.is_staff:
        submission = visible_to_instructor(user, submissions.select_related("user")).filter(
            pk=submission_id).first()
    if submission is None:
        raise Http404("No such submission")
    return submission


LAB_TEXT_FIELDS = ("lab__instructions", "lab__instructions_html")


def results_of(submission: Submission) -> list[CheckResult]:
    """The submission's check results in order. Raw: the ORM spent 4x longer building this
    one-table query than reading it (issue 17)."""
    return list(CheckResult.objects.raw(_results_sql(connection.vendor), [submission.pk]))


@functools.cache
def _results_sql(vendor: str) -> str:  # noqa: ARG001 - the cache key: quoting is per backend
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in CheckResult._meta.concrete_fields)
    return (f"SELECT {columns} FROM {_table(CheckResult)} "  # noqa: S608 - table and column names only
            f"WHERE {q('submission_id')} = %s ORDER BY {q('position')}")


def manual_grades_of(submission: Submission, content: LabContent) -> list[ManualGrade]:
    """The instructor's grades of the rubric items, with their items: nothing to read (no
    query) when the lab has no manual items."""
    if not content.manual_items:
        return []
    return list(ManualGrade.objects.filter(submission=submission).select_related("item"))


@dataclass(frozen=True)
class LabContent:
    """What the lab pages show of a lab's checks and manual rubric items: the same for every
    student of one content version. Shared by every request of the process: read it only."""

    checks: tuple[LabCheck, ...]
    manual_items: tuple[ManualItem, ...]
    version: str | None = None  # the lab's content hash, when kept for it (else read for one request)

    @property
    def manual_max(self) -> float:
        """manual_grading.manual_max, without its query."""
        return sum((item.points for item in self.manual_items), 0.0)


_contents: ProcessMemo = ProcessMemo(512)  # (lab id, content hash) -> LabContent: labs x versions


def lab_content(lab: Lab) -> LabContent:
    """The lab's checks and manual items, kept per process by (lab, content hash). Only the
    importer writes them (the admin shows them read-only), in the transaction that writes the
    lab's hash, and the hash covers them (grading/services.py `_write_lab`), so the hash read
    with the lab says which version they are. A lab without a hash is read every time."""
    key = (lab.pk, lab.content_hash)
    content = _contents.get(key) if lab.content_hash else None
    if content is not None:
        return content
    if lab.content_hash:
        # Only rows of this version, kept once it is known to be still the current one.
        version = {"lab_id": lab.pk, "lab__content_hash": lab.content_hash}
        content = LabContent(tuple(LabCheck.objects.filter(**version)),
                             tuple(ManualItem.objects.filter(**version)), lab.content_hash)
        if Lab.objects.filter(pk=lab.pk, content_hash=lab.content_hash).exists():
            return _contents.remember(key, content)
    # No hash, or a newer version committed since the lab row was read: whatever is there now.
    return LabContent(tuple(LabCheck.objects.filter(lab_id=lab.pk)),
                      tuple(ManualItem.objects.filter(lab_id=lab.pk)))


def submissions_of(user, lab: Lab) -> QuerySet[Submission]:
    # `late` too: the history marks late submissions, and a deferred field is a query per row.
    return Submission.objects.filter(user=user, lab=lab).only(
        "id", "status", "score", "max_score", "passed", "created_at", "finished_at", "late", "lab_id",
        "user_id")


def visible_to_instructor(user, queryset: QuerySet[Submission] | None = None) -> QuerySet[Submission]:
    """Submissions of students enrolled in cohorts of the lab's course that `user` teaches."""
    return taught_by(user, queryset if queryset is not None else Submission.objects.all(),
                     course="lab__course")


@dataclass
class LabStatus:
    lab: Lab
    passed: bool
    attempted: bool
    active: bool
    awaiting: bool = False  # the checks passed; the manual rubric waits for the instructor
    graded: tuple | None = None  # (submission id, passed, when) of a manual grade posted lately
    # The lab as course pages list it, but for its state: built once per content (the snapshot).
    listed: LabEntry | None = field(default=None, repr=False, compare=False)


def labs_with_status(user, course: Course) -> list[LabStatus]:
    """Every lab of the course with the user's status: one query.

    One raw statement returns the labs' listed columns and, per lab, whether this user has a
    passed, attempted, active or awaiting submission and their latest manual grade of the last
    two weeks (building the same query with the ORM cost several times what PostgreSQL spends
    running it). The Lab and Lesson objects come from a per-process snapshot keyed by exactly
    the columns they are built from, so a change to any of them shows on the next call; each
    call gets its own copies of the labs (the lessons are shared: read them only)."""
    params = _status_params(user, course)
    with connection.cursor() as cursor:
        cursor.execute(_status_sql(connection.vendor), params)
        rows = cursor.fetchall()
    snapshot = _lab_snapshot((course.slug, *(row[:_LAB_COLUMNS] for row in rows)))
    statuses = []
    for (lab, listed), row in zip(snapshot, rows, strict=True):
        lab = copy.copy(lab)
        lab.course = course  # its URL names the course: no query per lab
        passed, attempted, active, awaiting, graded_id, graded_passed, graded_when = row[_LAB_COLUMNS:]
        graded = (graded_id, bool(graded_passed), _aware(graded_when)) if graded_id else None
        statuses.append(LabStatus(lab, bool(passed), bool(attempted), bool(active), bool(awaiting), graded,
                                  listed))
    return statuses


# The columns a lab is listed with (the snapshot's key), then the user's status.
# In the model's field order, as Model.from_db expects them.
_LAB_FIELDS = tuple(f.attname for f in Lab._meta.concrete_fields if f.attname in {
    "id", "slug", "title", "kind", "summary", "estimated_minutes", "lesson_id"})
_LESSON_FIELDS = tuple(f.attname for f in Lesson._meta.concrete_fields if f.attname in {
    "id", "number", "title"})
_LAB_COLUMNS = len(_LAB_FIELDS) + len(_LESSON_FIELDS) + 1  # + points
MAX_SNAPSHOTS = 64
_snapshots: ProcessMemo = ProcessMemo(MAX_SNAPSHOTS)  # see _lab_snapshot


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _status_sql(vendor: str) -> str:  # noqa: ARG001 - the cache key: quoting is per backend
    mine = f"FROM {_table(Submission)} s WHERE s.lab_id = l.id AND s.user_id = %s"
    lab_columns = ", ".join(f"l.{connection.ops.quote_name(field)}" for field in _LAB_FIELDS)
    lesson_columns = ", ".join(f"le.{connection.ops.quote_name(field)}" for field in _LESSON_FIELDS)
    return (
        f"SELECT {lab_columns}, {lesson_columns}, "  # noqa: S608 - table and column names only
        f"(SELECT SUM(k.points) FROM {_table(LabCheck)} k WHERE k.lab_id = l.id), "
        f"EXISTS(SELECT 1 {mine} AND s.status = %s), "
        f"EXISTS(SELECT 1 {mine} AND NOT s.status = %s), "
        f"EXISTS(SELECT 1 {mine} AND s.status IN ({', '.join(['%s'] * len(Submission.ACTIVE))})), "
        f"EXISTS(SELECT 1 {mine} AND s.status = %s), "
        "g.id, g.passed, g.graded_at "
        f"FROM {_table(Lab)} l LEFT JOIN {_table(Lesson)} le ON le.id = l.lesson_id "
        f"LEFT JOIN {_table(Submission)} g ON g.id = (SELECT s.id {mine} AND s.graded_at >= %s "
        "ORDER BY s.graded_at DESC LIMIT 1) "
        "WHERE l.course_id = %s ORDER BY le.number, l.slug"  # Lab.Meta.ordering, within one course
    )


def _status_params(user, course: Course) -> list:
    me = user.pk if user.is_authenticated else None  # NULL matches no submission
    since = connection.ops.adapt_datetimefield_value(timezone.now() - GRADE_NOTICE_DAYS)
    return [me, Status.PASSED, me, Status.NOT_GRADED, me, *Submission.ACTIVE, me, Status.AWAITING,
            me, since, course.pk]


def _lab_snapshot(key: tuple) -> tuple[tuple[Lab, LabEntry], ...]:
    """Each lab of the course (lesson attached, points annotated) and its entry as listed,
    built from `key`: the course slug (the labs' URLs name it), then each lab's listed columns.
    Built once per distinct content, per process."""
    snapshot = _snapshots.get(key)
    if snapshot is None:
        course_slug, *rows = key
        snapshot = _snapshots.remember(key, tuple((lab, _listed(lab, course_slug))
                                                  for lab in map(_build_lab, rows)))
    return snapshot


def _listed(lab: Lab, course_slug: str) -> LabEntry:
    lesson = lab.lesson
    return LabEntry(
        slug=lab.slug, title=lab.title, kind=lab.kind, summary=lab.summary, minutes=lab.estimated_minutes,
        points=lab.points or 0, lesson_number=lesson.number if lesson else None,
        lesson_title=lesson.title if lesson else "", url=reverse("lab", args=[course_slug, lab.slug]))


def _build_lab(row: tuple) -> Lab:
    size = len(_LAB_FIELDS)
    # The other fields are deferred (a query on access): the pages that list labs read none.
    lab = Lab.from_db(connection.alias, _LAB_FIELDS, row[:size])
    lesson = row[size:size + len(_LESSON_FIELDS)]
    lab.lesson = Lesson.from_db(connection.alias, _LESSON_FIELDS, lesson) if lab.lesson_id else None
    lab.points = float(row[-1]) if row[-1] is not None else None
    return lab


def _aware(value):
    """A datetime from a raw cursor as the ORM returns it (SQLite's come naive, in UTC)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value is not None and settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, connection.timezone)
    return value


def forget_snapshots() -> None:
    """For tests and benchmarks."""
    _snapshots.clear()
    _contents.clear()


def passed_lab_slugs(user, course: Course) -> set[str]:
    """Evidence provider "labs" for success criteria: slugs of the labs the user passed."""
    if not user.is_authenticated:
        return set()
    return set(Submission.objects.filter(user=user, lab__course=course, status=Status.PASSED)
               .values_list("lab__slug", flat=True).distinct())


def _state(row: LabStatus) -> str:
    if row.passed:
        return "done"
    if row.active:
        return "active"
    if row.awaiting:
        return "awaiting"
    return "failed" if row.attempted else "todo"


def _entry(row: LabStatus) -> LabEntry:
    if row.listed is not None:
        return replace(row.listed, state=_state(row))
    lab, lesson = row.lab, row.lab.lesson
    return LabEntry(
        slug=lab.slug, title=lab.title, kind=lab.kind, summary=lab.summary, minutes=lab.estimated_minutes,
        points=getattr(lab, "points", None) or 0, lesson_number=lesson.number if lesson else None,
        lesson_title=lesson.title if lesson else "", url=lab.get_absolute_url(), state=_state(row))


def lab_entries(user, course: Course, rows: list[LabStatus] | None = None) -> list[LabEntry]:
    """The course's labs as course pages list them (courses/coursework.py), with the user's
    status: one query. Lesson labs follow their lesson; the practical comes last."""
    order = {"activity": 0, "lesson": 0, "practical": 1}
    rows = sorted(labs_with_status(user, course) if rows is None else rows,
                  key=lambda r: (order.get(r.lab.kind, 0), r.lab.lesson.number if r.lab.lesson else 0))
    for row in rows:
        row.lab.course = course  # its URL names the course: no query per lab
    return [_entry(row) for row in rows]


def dashboard_status(user, course: Course) -> tuple[dict, set[str]]:
    """Dashboard provider "Labs": the line (with every lab, for the pages that list and count
    them) and the passed lab slugs, in one query. The line counts every lab; the course page
    and dashboard show the kinds apart (activities, lesson labs, the practical)."""
    rows = labs_with_status(user, course)
    labs = lab_entries(user, course, rows)
    passed_slugs = {lab.slug for lab in labs if lab.passed}
    if not labs:
        return {"text": "No labs yet", "url": None, "state": "todo", "labs": labs}, passed_slugs
    url = reverse("lab-list", args=[course.slug])
    passed = len(passed_slugs)
    state = "done" if passed == len(labs) else "todo"
    text = f"All {len(labs)} labs passed" if state == "done" else f"{passed} of {len(labs)} labs passed"
    awaiting = sum(1 for lab in labs if lab.state == "awaiting")
    if awaiting:
        text += f", {awaiting} awaiting instructor grading"
    return {"text": text, "url": url, "state": state, "labs": labs,
            "notice": _grade_notice(rows)}, passed_slugs


def _grade_notice(rows: list[LabStatus]) -> dict | None:
    """The dashboard's notice of the latest manual grade posted in the last two weeks."""
    graded = [row for row in rows if row.graded]
    if not graded:
        return None
    latest = max(graded, key=lambda row: row.graded[2])
    submission_id, passed, _when = latest.graded
    verdict = "passed" if passed else "not passed yet"
    return {"text": f"Your instructor graded {latest.lab.title}: {verdict}. See your final grade.",
            "url": reverse("submission", args=[submission_id])}
