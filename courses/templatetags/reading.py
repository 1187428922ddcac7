"""Template tags for reading a lesson."""

from django import template

from courses import reading_time

register = template.Library()


@register.simple_tag
def lesson_time(lesson, labs=None) -> reading_time.LessonTime:
    """{% lesson_time lesson lesson_labs as time %}: reading vs hands-on (courses/reading_time.py).
    `labs` may be missing from the context (""): the lesson then has no lab time."""
    return reading_time.lesson_time(lesson, labs or ())
