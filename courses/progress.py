"""Reads of student progress: per course, per lesson, checklists, the dashboard.

Every function takes the user explicitly and only ever reads that user's rows: a student sees
only their own progress. Quiz and lab evidence come from providers that those features
register (see `register_feature`); until one is registered, its criteria are ticked by hand.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from courses import schedule
from courses.coursework import CourseParts, LabEntry, course_parts, lab_groups, labs_summary
from courses.models import ChecklistTick, Course, CourseVisit, Lesson, LessonCompletion
from courses.outline import LessonRef, course_outline


@dataclass(frozen=True)
class Feature:
    """Something besides lessons that counts towards a course: the quiz, the labs."""

    label: str  # its line on the dashboard
    # (user, course) -> what success criteria and completion test: the quiz gives a bool
    # (passed), the labs the set of passed lab slugs.
    evidence: Callable
    # (user, course) -> (dashboard line {"text", "url", "state": todo|done|failed}, evidence):
    # the dashboard reads both in one go, so it never asks the same question twice. The labs'
    # line also carries "labs": the course's LabEntry rows (courses/coursework.py) with the
    # user's status, which the course, lesson and dashboard pages list and count.
    status: Callable
    # (user, course) -> [LabEntry] with the user's status (none for a signed-out reader), and
    # nothing else: for pages that list the labs without the dashboard line (the lesson page).
    items: Callable | None = None


FEATURES: dict[str, Feature] = {}


def register_feature(name: str, *, label: str, evidence: Callable, status: Callable,
                     items: Callable | None = None) -> None:
    FEATURES[name] = Feature(label, evidence, status, items)


@dataclass
class CourseProgress:
    course: Course
    lessons: list[LessonRef]  # the course outline (courses/outline.py)
    completed_ids: set[int]
    last_lesson: LessonRef | None = None
    statuses: list[dict] = field(default_factory=list)  # quiz, labs: see FEATURES
    completion: "Completion | None" = None
    labs: list[LabEntry] = field(default_factory=list)
    quiz_passed: bool | None = None  # None: no quiz, or not read (signed out)
    features_read: bool = False  # statuses, labs and quiz come from FEATURES
    evidence: dict = field(default_factory=dict)  # what FEATURES answered, by feature name

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def done(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.pk in self.completed_ids)

    @property
    def parts(self) -> CourseParts:
        """The whole course: lessons, labs by kind, the quiz (coursework.course_parts)."""
        return course_parts(self.done, self.total, self.labs, self.quiz_passed)

    @property
    def percent(self) -> int:
        """Progress through the course: lessons, activities, quiz and practical together once
        the features are read; lessons alone before (a page that reads no feature)."""
        if self.features_read:
            return self.parts.percent
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def lab_groups(self):
        return lab_groups(self.labs)

    @property
    def labs_summary(self) -> str:
        return labs_summary(self.labs)

    @property
    def completed_numbers(self) -> set[int]:
        return {lesson.number for lesson in self.lessons if lesson.pk in self.completed_ids}

    @property
    def continue_lesson(self) -> LessonRef | None:
        """The last lesson opened if it is unfinished, else the first unfinished lesson."""
        if self.last_lesson and self.last_lesson.pk not in self.completed_ids:
            return self.last_lesson
        return next((lesson for lesson in self.lessons if lesson.pk not in self.completed_ids),
                    None)


def completed_lesson_ids(user, course_ids) -> set[int]:
    course_ids = list(course_ids)
    if not user.is_authenticated or not course_ids:
        return set()
    return {lesson_id for (lesson_id,) in _read(
        f"SELECT c.lesson_id FROM {_table(LessonCompletion)} c "  # noqa: S608 - names and placeholders only
        f"JOIN {_table(Lesson)} l ON l.id = c.lesson_id "
        f"WHERE c.user_id = %s AND l.course_id IN ({', '.join(['%s'] * len(course_ids))})",
        [user.pk, *course_ids])}


# The few small reads every course page and dashboard makes go as plain SQL: building them with
# the ORM cost several times what the database spends answering (issue 17).
def _read(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def course_progress(user, course: Course) -> CourseProgress:
    """Lessons, and the features (labs, quiz) read once: for a signed-out reader, the labs
    without a status (the course page's preview)."""
    row = CourseProgress(course, course_outline(course), completed_lesson_ids(user, [course.pk]))
    read_features(user, row)
    return row


def read_features(user, row: CourseProgress) -> dict:
    """Fill the row's statuses, labs and quiz from FEATURES; the evidence read, by feature name
    (completion and checklists reuse it, so no question is asked twice)."""
    evidence: dict[str, object] = {}
    if not user.is_authenticated:
        read_labs(user, row)
        return evidence
    for name, feature in FEATURES.items():
        line, evidence[name] = feature.status(user, row.course)
        row.labs = line.pop("labs", row.labs)
        row.statuses.append({"name": name, "label": feature.label, **line})
        if name == "quiz" and line.get("url"):  # no url: the course has no quiz
            row.quiz_passed = bool(evidence[name])
    row.features_read, row.evidence = True, evidence
    row.completion = completion(user, row, evidence)
    return evidence


def read_labs(user, row: CourseProgress) -> None:
    """Only the labs, with the user's status (one query): what the lesson page names. Its
    progress bar stays the lessons' (the course page and dashboard show the whole course)."""
    for feature in FEATURES.values():
        if feature.items is not None:
            row.labs = list(feature.items(user, row.course))


def done_keys(progress: CourseProgress) -> set[str] | None:
    """The schedule's keys of what the reader finished (courses.schedule.student_due), from what
    the page read already; None when the features were not read."""
    if not progress.features_read:
        return None
    done = {schedule.lesson_key(lesson.slug) for lesson in progress.lessons
            if lesson.pk in progress.completed_ids}
    done |= {schedule.lab_key(lab.slug) for lab in progress.labs if lab.passed}
    if progress.quiz_passed:
        done.add(schedule.quiz_key(progress.course))
    return done


def dashboard(user) -> list[CourseProgress]:
    """Progress in every course: three queries whatever the number of courses or lessons, plus
    what each feature's status line reads per course (FEATURES)."""
    courses = list(Course.objects.defer("summary"))
    outlines = {c.pk: course_outline(c) for c in courses}
    done = completed_lesson_ids(user, [c.pk for c in courses])
    visits = _read(f"SELECT course_id, lesson_id FROM {_table(CourseVisit)} WHERE user_id = %s",  # noqa: S608
                   [user.pk]) if user.is_authenticated else []
    by_pk = {ref.pk: ref for outline in outlines.values() for ref in outline}
    last = {course_id: by_pk.get(lesson_id) for course_id, lesson_id in visits}
    rows = [CourseProgress(c, outlines[c.pk], done, last.get(c.pk)) for c in courses]
    if user.is_authenticated:
        for row in rows:
            read_features(user, row)
    return rows


@dataclass
class ChecklistItem:
    key: str
    text: str
    ticked: bool
    verified: bool = False  # ticked by Podium from evidence, not by the student
    optional: bool = False
    evidence_note: str = ""


@dataclass
class Checklists:
    prerequisites: list[ChecklistItem] = field(default_factory=list)
    criteria: list[ChecklistItem] = field(default_factory=list)


def checklists(user, progress: CourseProgress) -> Checklists:
    course = progress.course
    ticks = set()
    if user.is_authenticated:
        ticks = set(_read(f"SELECT kind, {connection.ops.quote_name('key')} "  # noqa: S608 - names only
                          f"FROM {_table(ChecklistTick)} WHERE user_id = %s AND course_id = %s",
                          [user.pk, course.pk]))
    result = Checklists()
    for item in course.details.get("prerequisites", []):
        result.prerequisites.append(ChecklistItem(
            key=item["key"], text=item["text"], optional=item.get("optional", False),
            ticked=(ChecklistTick.Kind.PREREQUISITE, item["key"]) in ticks))
    evidence_cache: dict[str, object] = dict(progress.evidence)
    for item in course.details.get("success_criteria", []):
        verified, note = _evaluate(user, progress, item.get("evidence") or {}, evidence_cache)
        manual = (ChecklistTick.Kind.CRITERION, item["key"]) in ticks
        result.criteria.append(ChecklistItem(
            key=item["key"], text=item["text"], ticked=verified or manual, verified=verified,
            evidence_note=note))
    return result


def _evaluate(user, progress: CourseProgress, evidence: dict, cache: dict) -> tuple[bool, str]:
    """(met, how Podium tracks it). Evidence whose feature is not available is not met."""
    if not evidence or not user.is_authenticated:
        return False, ""
    parts, met = [], True
    if evidence.get("lessons"):
        numbers = evidence["lessons"]
        parts.append("lesson" + ("s " if len(numbers) > 1 else " ")
                     + ", ".join(f"{n:02d}" for n in numbers) + " complete")
        met &= set(numbers) <= progress.completed_numbers
    if evidence.get("quiz"):
        parts.append("quiz passed")
        met &= bool(_provided("quiz", user, progress.course, cache))
    if evidence.get("labs"):
        labs = evidence["labs"]
        parts.append("lab" + ("s " if len(labs) > 1 else " ") + _titles(progress, labs) + " passed")
        passed = _provided("labs", user, progress.course, cache) or set()
        met &= set(labs) <= passed
    return met, "; ".join(parts)


@dataclass
class Completion:
    complete: bool
    remaining: list[str]  # what is still to do, in words


def completion(user, progress: CourseProgress, evidence: dict | None = None) -> Completion:
    """Every lesson done, plus the quiz and labs course.yaml's `completion` names.

    `evidence` holds what the caller already read (feature name -> evidence)."""
    rule = progress.course.details.get("completion") or {}
    remaining, cache = [], dict(evidence or {})
    if progress.done < progress.total:
        left = progress.total - progress.done
        remaining.append(f"finish {left} lesson{'s' if left > 1 else ''}")
    if rule.get("quiz") and not _provided("quiz", user, progress.course, cache):
        remaining.append("pass the quiz")
    labs = set(rule.get("labs") or [])
    missing = labs - (_provided("labs", user, progress.course, cache) or set()) if labs else set()
    if missing:
        entries = [lab for lab in progress.labs if lab.slug in missing]
        if len(missing) > 3 and len(entries) == len(missing):  # a long list: count them by kind
            remaining.append(f"pass {labs_summary(entries)}")
        else:
            remaining.append(f"pass {len(missing)} lab{'s' if len(missing) > 1 else ''}: "
                             f"{_titles(progress, missing)}")
    return Completion(not remaining, remaining)


def _titles(progress: CourseProgress, slugs) -> str:
    """Labs named by their titles, in course order (slugs are for course.yaml, not students)."""
    titles = {lab.slug: lab.title for lab in progress.labs}
    order = {lab.slug: i for i, lab in enumerate(progress.labs)}
    ordered = sorted(slugs, key=lambda slug: (order.get(slug, len(order)), slug))
    return ", ".join(f"“{titles[slug]}”" if slug in titles else "a lab" for slug in ordered)


def _provided(name: str, user, course: Course, cache: dict):
    if name not in cache:
        if name not in FEATURES:
            return None
        cache[name] = FEATURES[name].evidence(user, course)
    return cache[name]


@dataclass
class StudentRow:
    email: str
    name: str
    status: str
    enrolled_at: object
    done: int
    total: int
    last_lesson: str
    last_seen: object

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def cohort_progress(cohort) -> list[StudentRow]:
    """One row per enrolled student, in four queries whatever the cohort's size."""
    from django.db.models import Count

    from courses.visibility import cohort_students  # accepted places only (issue 12 item 8)

    enrollments = list(cohort_students(cohort).select_related("student"))
    student_ids = [e.student_id for e in enrollments]
    lessons = {lesson.pk: lesson for lesson in Lesson.objects.filter(course_id=cohort.course_id)
               .only("id", "number", "title")}
    done = dict(LessonCompletion.objects.filter(user_id__in=student_ids, lesson_id__in=lessons)
                .values("user_id").annotate(n=Count("id")).values_list("user_id", "n"))
    visits = {v.user_id: v for v in CourseVisit.objects.filter(user_id__in=student_ids,
                                                               course_id=cohort.course_id)}
    rows = []
    for e in enrollments:
        visit = visits.get(e.student_id)
        last = lessons.get(visit.lesson_id) if visit else None
        rows.append(StudentRow(
            email=e.student.email, name=e.student.get_full_name(), status=e.get_status_display(),
            enrolled_at=e.enrolled_at, done=done.get(e.student_id, 0), total=len(lessons),
            last_lesson=f"{last.number:02d} {last.title}" if last else "",
            last_seen=visit.visited_at if visit else None))
    return rows
