"""A course's content without the heavy parts, kept in memory per content version.

Course and lesson rows change only when `load_course` runs, and every change moves the course's
`content_hash` (which covers the course, each lesson's content and each lesson's id). Every page
that shows a course needs its lesson list, and the lesson page needs the course and lesson rows
too; rather than query and rebuild them on each request, each process keeps one snapshot per
(course, content hash) and shares it read-only. Callers read the current hash from the database
on every request, so a change shows on the next request.
"""

import copy
from dataclasses import dataclass
from decimal import Decimal

from courses.models import Course, Lesson
from lms.memo import ProcessMemo

# Bodies, summaries and course.yaml details stay in the database: pages that need them cache
# their rendered fragments by content hash instead.
LIGHT_COURSE_FIELDS = ("id", "slug", "title", "code", "duration_hours", "difficulty",
                       "content_hash")
LIGHT_LESSON_FIELDS = ("id", "course_id", "number", "slug", "title", "duration_hours",
                       "objectives", "hands_on", "toc", "word_count", "content_hash")
MAX_SNAPSHOTS = 64


@dataclass(frozen=True)
class LessonRef:
    pk: int
    number: int
    slug: str
    title: str
    duration_hours: Decimal
    url: str

    @property
    def code(self) -> str:
        return f"{self.number:02d}"

    def get_absolute_url(self) -> str:
        return self.url


@dataclass(frozen=True)
class CourseSnapshot:
    course: Course
    lessons: dict[int, Lesson]  # by pk, in lesson order
    outline: list[LessonRef]

    def lesson(self, pk: int) -> Lesson:
        """A private copy: loading a deferred field (the body, on a page-cache miss) must not
        change the shared snapshot."""
        lesson = copy.copy(self.lessons[pk])
        lesson.course = self.course
        return lesson


_snapshots: ProcessMemo = ProcessMemo(MAX_SNAPSHOTS)  # (course id, content hash) -> CourseSnapshot


def course_snapshot(course_id: int, content_hash: str) -> CourseSnapshot:
    """The snapshot for this content version, built with two queries on first use."""
    snapshot = _snapshots.get((course_id, content_hash))
    if snapshot is None:
        snapshot = _build(course_id)
        # Keyed by the hash of what was read: an import that committed after the caller read
        # its hash has built the newer version, which must not be filed under the older one.
        _snapshots.remember((course_id, snapshot.course.content_hash), snapshot)
    return snapshot


def _build(course_id: int) -> CourseSnapshot:
    course = Course.objects.only(*LIGHT_COURSE_FIELDS).get(pk=course_id)
    lessons = {lesson.pk: lesson for lesson in
               Lesson.objects.filter(course_id=course_id).only(*LIGHT_LESSON_FIELDS)
               .order_by("number")}
    for lesson in lessons.values():
        lesson.course = course
    outline = [LessonRef(lesson.pk, lesson.number, lesson.slug, lesson.title,
                         lesson.duration_hours, lesson.get_absolute_url())
               for lesson in lessons.values()]
    return CourseSnapshot(course, lessons, outline)


def course_outline(course: Course) -> list[LessonRef]:
    return course_snapshot(course.pk, course.content_hash).outline


def forget_snapshots() -> None:
    """For tests, which change rows behind the importer's back."""
    _snapshots.clear()
