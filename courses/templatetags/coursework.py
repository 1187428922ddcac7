"""The words course pages use for labs (courses/coursework.py), for pages that hold a lab row."""

from django import template

from courses import coursework

register = template.Library()


@register.filter
def lab_kind(kind: str) -> str:
    return coursework.kind_label(kind)


@register.filter
def say_minutes(minutes: int) -> str:
    return coursework.say_minutes(int(minutes))
