"""The gradebook: one read that builds a row per student of a cohort.

Per student: lessons complete, the quiz (best score, passed), each lab (best score, passed,
late), the practical (automatic + manual points, final), the at-risk reasons and overall status
(grading/at_risk.py), last active. The number of queries is the same for 3 students or 500 and
for any number of lessons or labs (pinned in grading/tests/test_gradebook.py): every read below
is one query over the whole cohort, grouped in Python.

It lives in grading, not courses, because it reads lab submissions (courses must not import
grading). The columns (`columns()`) are the one description of what is shown: the admin page
and its CSV export both render them, so the CSV holds exactly what the page shows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from courses.models import Attempt, Cohort, CourseVisit, Lesson, LessonCompletion, Quiz
from courses.models.schedule import DueDate, Extension
from courses.visibility import cohort_students
from grading import at_risk
from grading.models import Lab, ManualItem, Submission

Status = Submission.Status


@dataclass
class LabCell:
    slug: str
    best: float | None = None  # best percent of the automatic points, None if never graded
    passed: bool = False
    late: bool = False  # passed only after the due date, or not passed and something sent late
    failures: int = 0
    attempts: int = 0


@dataclass
class PracticalCell(LabCell):
    """The practical: its checks, then the instructor's rubric (grading/manual_grading.py). It is
    passed only once the rubric is posted and automatic + manual reach the lab's pass mark."""

    auto: float | None = None  # automatic points of the submission that counts
    auto_max: float | None = None
    manual: float | None = None  # None until the instructor posts the rubric
    manual_max: float = 0
    awaiting: bool = False  # its checks passed; the instructor has not graded it yet

    @property
    def final(self) -> float | None:
        """Automatic plus manual points as a percent of both; only once the rubric is graded."""
        if self.auto is None or not self.auto_max or (self.manual_max and self.manual is None):
            return None
        return round(100 * (self.auto + (self.manual or 0)) / (self.auto_max + self.manual_max), 1)


@dataclass
class Row:
    student_id: int
    email: str
    name: str
    enrolled_at: datetime.datetime
    lessons_done: int = 0
    lessons_total: int = 0
    quiz_best: int | None = None
    quiz_passed: bool = False
    quiz_attempts: int = 0
    labs: dict[str, LabCell] = field(default_factory=dict)  # lab slug -> cell
    practical: PracticalCell | None = None
    last_active: datetime.datetime | None = None
    complete: bool = False
    status: str = at_risk.ON_TRACK
    reasons: list[str] = field(default_factory=list)
    done_at: dict[str, datetime.datetime] = field(default_factory=dict)  # item key -> when done

    @property
    def lessons_percent(self) -> int:
        return round(100 * self.lessons_done / self.lessons_total) if self.lessons_total else 0

    @property
    def started(self) -> bool:
        return bool(self.done_at or self.last_active or self.quiz_attempts
                    or any(cell.attempts for cell in self.labs.values())
                    or (self.practical and self.practical.attempts))

    @property
    def status_label(self) -> str:
        return at_risk.STATUS_LABELS[self.status]


@dataclass
class Gradebook:
    cohort: Cohort
    lessons: list[Lesson]
    labs: list[Lab]  # every lab but the practical, in course order
    practical: Lab | None
    quiz: Quiz | None
    rows: list[Row]
    due: dict[str, datetime.datetime]  # the cohort's own dates, in due order
    titles: dict[str, str]  # item key -> its name
    now: datetime.datetime


def lesson_key(lesson) -> str:
    return f"lesson:{lesson.slug}"


def lab_key(lab) -> str:
    return f"lab:{lab.slug}"


def quiz_key(course) -> str:
    return f"quiz:{course.slug}"


def build(cohort: Cohort, *, now: datetime.datetime | None = None,
          student_id: int | None = None) -> Gradebook:
    """The cohort's gradebook: accepted places only (courses.visibility.cohort_students); with
    `student_id`, that student's row only (their record page)."""
    now = now or timezone.now()
    course = cohort.course
    places = cohort_students(cohort)
    if student_id is not None:
        places = places.filter(student_id=student_id)
    # Plain values, not model instances: 500 enrolments and users cost more to build than to read.
    enrollments = places.order_by("student__email").values_list(
        "student_id", "student__email", "student__first_name", "student__last_name", "enrolled_at")
    # A subquery, not a list of ids: 500 students would be 500 query parameters per read.
    students = places.values("student_id")
    lessons = list(Lesson.objects.filter(course=course).only("id", "number", "slug", "title", "course_id"))
    all_labs = list(Lab.objects.filter(course=course).only("id", "slug", "title", "kind", "lesson_id",
                                                           "pass_percent", "course_id"))
    practical = next((lab for lab in all_labs if lab.kind == Lab.Kind.PRACTICAL), None)
    labs = [lab for lab in all_labs if lab is not practical]
    quiz = Quiz.objects.filter(course=course).only("id", "title", "questions_per_attempt",
                                                   "pass_percent").first()
    manual_max = sum(ManualItem.objects.filter(lab=practical).values_list("points", flat=True)) \
        if practical else 0

    titles = {lesson_key(x): f"Lesson {x.number:02d}: {x.title}" for x in lessons}
    titles.update({lab_key(x): x.title for x in all_labs})
    if quiz:
        titles[quiz_key(course)] = quiz.title

    rows = {sid: Row(student_id=sid, email=email, name=f"{first} {last}".strip(),  # as get_full_name()
                     enrolled_at=enrolled_at, lessons_total=len(lessons))
            for sid, email, first, last, enrolled_at in enrollments}
    for row in rows.values():
        row.labs = {lab.slug: LabCell(slug=lab.slug) for lab in labs}
        if practical:
            row.practical = PracticalCell(slug=practical.slug, manual_max=manual_max)

    _read_lessons(rows, lessons, students)
    _read_visits(rows, course, students)
    if quiz:
        _read_quiz(rows, quiz, quiz_key(course), students)
    _read_labs(rows, all_labs, practical, students)
    if practical:
        _read_practical(rows, practical, students)

    due, extensions = _read_schedule(cohort)
    cohort_schedule = at_risk.Schedule(due=due, titles=titles)
    required = _required_keys(course, lessons, all_labs, quiz)
    for row in rows.values():
        own = {**due, **extensions.get(row.student_id, {})}
        schedule = at_risk.Schedule(due=dict(sorted(own.items(), key=lambda kv: kv[1])), titles=titles)
        facts = facts_of(row)
        row.complete = required <= set(row.done_at)
        row.reasons = [] if row.complete else at_risk.reasons(facts, schedule, now)
        row.status = at_risk.status(facts, complete=row.complete, reasons=row.reasons,
                                    cohort_schedule=cohort_schedule, now=now)
    return Gradebook(cohort=cohort, lessons=lessons, labs=labs, practical=practical, quiz=quiz,
                     rows=list(rows.values()), due=due, titles=titles, now=now)


def at_risk_rows(cohort: Cohort, *, now: datetime.datetime | None = None) -> list[Row]:
    """The cohort's students at risk, each with `reasons` (a list of sentences): what the weekly
    instructor summary lists. Same read and query budget as the gradebook page."""
    return [row for row in build(cohort, now=now).rows if row.status == at_risk.AT_RISK]


def facts_of(row: Row) -> at_risk.Facts:
    cells = [*row.labs.values(), *([row.practical] if row.practical else [])]
    return at_risk.Facts(
        done=frozenset(row.done_at), enrolled_at=row.enrolled_at, last_active=row.last_active,
        quiz_failures=row.quiz_attempts - (1 if row.quiz_passed else 0), quiz_passed=row.quiz_passed,
        lab_failures={f"lab:{cell.slug}": cell.failures for cell in cells if cell.failures},
        labs_passed=frozenset(key for key in row.done_at if key.startswith("lab:")))


def _required_keys(course, lessons, labs, quiz) -> set[str]:
    """What completes the course: every lesson, plus the quiz and labs course.yaml's `completion`
    names (the same rule as courses.progress.completion)."""
    rule = course.details.get("completion") or {}
    keys = {lesson_key(x) for x in lessons}
    if rule.get("quiz") and quiz:
        keys.add(quiz_key(course))
    known = {lab.slug for lab in labs}
    keys |= {f"lab:{slug}" for slug in rule.get("labs") or [] if slug in known}
    return keys


def _seen(row: Row, moment) -> None:
    if moment and (row.last_active is None or moment > row.last_active):
        row.last_active = moment


def _read_lessons(rows, lessons, students) -> None:
    by_id = {x.pk: lesson_key(x) for x in lessons}
    completions = LessonCompletion.objects.filter(user_id__in=students, lesson_id__in=list(by_id))
    for user_id, lesson_id, at in completions.values_list("user_id", "lesson_id", "completed_at"):
        row = rows.get(user_id)
        if row:
            row.lessons_done += 1
            row.done_at[by_id[lesson_id]] = at
            _seen(row, at)


def _read_visits(rows, course, students) -> None:
    for user_id, at in CourseVisit.objects.filter(user_id__in=students, course=course).values_list(
            "user_id", "visited_at"):
        if user_id in rows:
            _seen(rows[user_id], at)


def _read_quiz(rows, quiz, key, students) -> None:
    attempts = (Attempt.objects.filter(quiz=quiz, user_id__in=students, voided=False,
                                       status=Attempt.Status.SUBMITTED)
                .values("user_id").order_by()
                .annotate(best=Max("score"), n=Count("id"), passes=Count("id", filter=Q(passed=True)),
                          first_pass=Min("submitted_at", filter=Q(passed=True)), last=Max("submitted_at")))
    for a in attempts:
        row = rows.get(a["user_id"])
        if row is None:
            continue
        row.quiz_best, row.quiz_attempts, row.quiz_passed = a["best"], a["n"], a["passes"] > 0
        if a["first_pass"]:
            row.done_at[key] = a["first_pass"]
        _seen(row, a["last"])


def _read_labs(rows, labs, practical, students) -> None:
    by_id = {lab.pk: lab for lab in labs}
    graded = Q(status__in=[Status.PASSED, Status.FAILED, Status.AWAITING]) & Q(max_score__gt=0)
    aggregates = (Submission.objects.filter(lab_id__in=list(by_id), user_id__in=students)
                  .values("user_id", "lab_id").order_by()
                  .annotate(best=Max("score", filter=graded), best_of=Max("max_score", filter=graded),
                            attempts=Count("id", filter=~Q(status=Status.NOT_GRADED)),
                            failures=Count("id", filter=Q(status=Status.FAILED)),
                            passes=Count("id", filter=Q(status=Status.PASSED)),
                            on_time_passes=Count("id", filter=Q(status=Status.PASSED, late=False)),
                            late_sent=Count("id", filter=Q(late=True) & ~Q(status=Status.NOT_GRADED)),
                            first_pass=Min("created_at", filter=Q(status=Status.PASSED)))
                  .values_list("user_id", "lab_id", "best", "best_of", "attempts", "failures", "passes",
                               "on_time_passes", "late_sent", "first_pass"))  # tuples: no dict per row
    for user_id, lab_id, best, best_of, attempts, failures, passes, on_time, late_sent, first_pass \
            in aggregates:
        row, lab = rows.get(user_id), by_id[lab_id]
        if row is None:
            continue
        cell = row.practical if lab is practical else row.labs[lab.slug]
        # Best score over best maximum: a lab's points change only when its file does.
        cell.best = round(100 * best / best_of, 1) if best is not None else None
        cell.attempts, cell.failures, cell.passed = attempts, failures, passes > 0
        cell.late = (on_time == 0) if cell.passed else late_sent > 0
        if first_pass:  # a practical passes only once its rubric is graded
            row.done_at[lab_key(lab)] = first_pass
    # Last sent per student, not per lab: a timestamp costs ~25 µs to load, and 500 students
    # over 10 labs would be thousands of them.
    for user_id, last in (Submission.objects.filter(lab_id__in=list(by_id), user_id__in=students)
                          .values("user_id").order_by().annotate(last=Max("created_at"))
                          .values_list("user_id", "last")):
        if user_id in rows:
            _seen(rows[user_id], last)


def _read_practical(rows, practical, students) -> None:
    """The practical's points, from the submission that counts: the best graded one that passed,
    else the latest one awaiting the instructor, else the best graded one."""
    checked = (Submission.objects.filter(lab=practical, user_id__in=students)
               .filter(Q(status=Status.AWAITING) | Q(graded_at__isnull=False))
               .values_list("user_id", "status", "score", "max_score", "manual_score", "graded_at")
               .order_by("created_at", "id"))
    best: dict[int, tuple] = {}
    waiting: dict[int, tuple] = {}
    for sub in checked:
        user_id, status, score, _max, manual, graded_at = sub
        if graded_at is None:
            waiting[user_id] = sub  # the latest wins
            continue
        mark = (status == Status.PASSED, (score or 0) + (manual or 0))
        current = best.get(user_id)
        if current is None or mark > (current[1] == Status.PASSED, (current[2] or 0) + (current[4] or 0)):
            best[user_id] = sub
    for user_id in best.keys() | waiting.keys():
        cell = rows[user_id].practical if user_id in rows else None
        if cell is None:
            continue
        graded = best.get(user_id)
        use_graded = graded and (graded[1] == Status.PASSED or user_id not in waiting)
        chosen = graded if use_graded else waiting[user_id]
        _user, status, cell.auto, cell.auto_max, manual, graded_at = chosen
        cell.awaiting = graded_at is None
        cell.manual = None if graded_at is None else (manual or 0)


def _read_schedule(cohort) -> tuple[dict[str, datetime.datetime], dict[int, dict[str, datetime.datetime]]]:
    """The cohort's due dates (in due order) and each student's extensions, in two queries."""
    due = dict(DueDate.objects.filter(cohort=cohort).order_by("due_at", "item_key")
               .values_list("item_key", "due_at"))
    extensions: dict[int, dict[str, datetime.datetime]] = defaultdict(dict)
    for student_id, key, at in Extension.objects.filter(enrollment__cohort=cohort).values_list(
            "enrollment__student_id", "item_key", "due_at"):
        extensions[student_id][key] = at
    return due, extensions


# What is shown: the page's table and the CSV are both rendered from these columns.

@dataclass(frozen=True)
class Column:
    key: str
    label: str
    text: Callable[[Row], str]
    sort: Callable[[Row], object]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _when(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "never"


def lab_text(cell: LabCell) -> str:
    if not cell.attempts:
        return "—"
    words = [_percent(cell.best), "passed" if cell.passed else "not passed"]
    if cell.late:
        words.append("late")
    return ", ".join(words)


def practical_text(cell: PracticalCell) -> str:
    if not cell.attempts:
        return "—"
    if cell.auto is None:
        return f"{_percent(cell.best)}, not passed"
    auto = f"automatic {cell.auto:g}/{cell.auto_max:g}"
    if cell.awaiting:
        return f"{auto}, awaiting instructor grading"
    manual = f" + manual {cell.manual:g}/{cell.manual_max:g}" if cell.manual_max else ""
    return f"{auto}{manual}, final {_percent(cell.final)}, {'passed' if cell.passed else 'not passed'}"


def columns(book: Gradebook) -> list[Column]:
    cols = [
        Column("student", "Student", lambda r: r.name or r.email, lambda r: (r.name or r.email).lower()),
        Column("email", "Email", lambda r: r.email, lambda r: r.email.lower()),
        Column("lessons", "Lessons", lambda r: f"{r.lessons_percent}%", lambda r: r.lessons_percent),
    ]
    if book.quiz:
        most = book.quiz.questions_per_attempt
        cols += [
            Column("quiz", "Quiz best", lambda r: "—" if r.quiz_best is None else f"{r.quiz_best}/{most}",
                   lambda r: -1 if r.quiz_best is None else r.quiz_best),
            Column("quiz_passed", "Quiz passed", lambda r: "yes" if r.quiz_passed else "no",
                   lambda r: r.quiz_passed),
        ]
    for lab in book.labs:
        cols.append(Column(f"lab-{lab.slug}", lab.title, lambda r, s=lab.slug: lab_text(r.labs[s]),
                           lambda r, s=lab.slug: (r.labs[s].passed, r.labs[s].best or -1)))
    if book.practical:
        cols.append(Column("practical", book.practical.title, lambda r: practical_text(r.practical),
                           lambda r: (r.practical.final or -1, r.practical.best or -1)))
    order = {at_risk.AT_RISK: 0, at_risk.BEHIND: 1, at_risk.ON_TRACK: 2, at_risk.COMPLETE: 3}
    cols += [
        Column("status", "Status", lambda r: r.status_label, lambda r: order[r.status]),
        Column("reasons", "Why", lambda r: "; ".join(r.reasons), lambda r: len(r.reasons)),
        Column("last_active", "Last active", lambda r: _when(r.last_active),
               lambda r: r.last_active.timestamp() if r.last_active else 0),
    ]
    return cols


FILTERS = {
    "": ("Everyone", lambda r: True),
    "at_risk": ("At risk", lambda r: r.status == at_risk.AT_RISK),
    "not_started": ("Not started", lambda r: not r.started),
    "complete": ("Complete", lambda r: r.complete),
}


@dataclass
class Table:
    columns: list[Column]
    rows: list[Row]
    cells: list[list[str]]  # per row, the text of each column
    sort: str  # the column key, "-" in front when descending
    filter: str


def table(book: Gradebook, *, sort: str = "", filter: str = "") -> Table:  # noqa: A002 - the URL's name
    """The rows shown, filtered and sorted as asked (unknown values fall back to the defaults)."""
    cols = columns(book)
    by_key = {c.key: c for c in cols}
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in by_key:
        key, descending = "student", False
    if filter not in FILTERS:
        filter = ""  # noqa: A001
    rows = [r for r in book.rows if FILTERS[filter][1](r)]
    # Ties keep email order, both ways round.
    rows.sort(key=lambda r: r.email)
    rows.sort(key=by_key[key].sort, reverse=descending)
    return Table(columns=cols, rows=rows, cells=[[c.text(r) for c in cols] for r in rows],
                 sort=("-" if descending else "") + key, filter=filter)
