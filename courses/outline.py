"""A course's lesson list (no bodies), cached by the course's content hash.

Every lesson page shows the whole outline; building it costs a query and a dozen URL reversals,
so it is built once per content version and shared through the cache.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import caches

from courses.models import Course


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


def course_outline(course: Course) -> list[LessonRef]:
    key = f"outline:{course.pk}:{course.content_hash}"
    cache = caches["content"]
    outline = cache.get(key)
    if outline is None:
        lessons = course.lessons.only("id", "course_id", "number", "slug", "title", "duration_hours")
        outline = [LessonRef(lesson.pk, lesson.number, lesson.slug, lesson.title,
                             lesson.duration_hours, lesson.get_absolute_url()) for lesson in lessons]
        cache.set(key, outline, timeout=24 * 3600)
    return outline
