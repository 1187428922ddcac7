"""What the lesson page reads: one query per request, the rest from the course snapshot.

The lesson page is Podium's hottest page. Its per-student part is which lessons are done; its
per-course part (course, lessons, outline) changes only with the content. One SQL statement
returns the course's current content hash, its lesson ids and slugs, and this student's
completions; the course and lesson rows then come from the in-memory snapshot of that content
version (see courses.outline).
"""

from dataclasses import dataclass

from django.db import connection

from courses.models import Course, Lesson, LessonCompletion
from courses.outline import LessonRef, course_snapshot


@dataclass
class LessonPage:
    course: Course
    lesson: Lesson  # body deferred: the template caches the rendered article by content hash
    outline: list[LessonRef]
    completed_ids: set[int]


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def lesson_page(user, course_slug: str, lesson_slug: str) -> LessonPage | None:
    """None when the course or the lesson does not exist."""
    sql = (
        "SELECT c.id, c.content_hash, l.id, l.slug, lc.id IS NOT NULL "  # noqa: S608 - table names only
        f"FROM {_table(Lesson)} l INNER JOIN {_table(Course)} c ON c.id = l.course_id "
        f"LEFT JOIN {_table(LessonCompletion)} lc ON lc.lesson_id = l.id AND lc.user_id = %s "
        "WHERE c.slug = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, course_slug])
        rows = cursor.fetchall()
    lesson_id = next((row[2] for row in rows if row[3] == lesson_slug), None)
    if lesson_id is None:
        return None
    course_id, content_hash = rows[0][0], rows[0][1]
    snapshot = course_snapshot(course_id, content_hash)
    if lesson_id not in snapshot.lessons:  # an import committed between the two reads
        return None
    return LessonPage(course=snapshot.course, lesson=snapshot.lesson(lesson_id),
                      outline=snapshot.outline,
                      completed_ids={row[2] for row in rows if row[4]})
