"""Due dates on students' pages: `{% due_for course "lab" lab.slug %}` (one item; add `True` for
an inline span) and
`{% due_summary course %}` (the dashboard's overdue and due-this-week lists), both rendered by
templates/courses/_due.html.

The reader's own dates are read once per request and course (courses.schedule.student_due),
however many items a page shows, so a course page with every item dated costs the same few
queries as a lab page.
"""

from django import template
from django.utils import timezone

from courses import schedule
from lms import page_cache

register = template.Library()


def _rows(context, course) -> dict[str, schedule.StudentDue]:
    return student_due_rows(context.get("request"), course)


def student_due_rows(request, course, done: set[str] | None = None) -> dict[str, schedule.StudentDue]:
    """The reader's due dates by item key, read once per request and course; for views that
    hand their rows to the template themselves (`done`: see schedule.student_due)."""
    user = getattr(request, "user", None)
    if course is None or user is None or not user.is_authenticated:
        return {}
    cache = request.__dict__.setdefault("_student_due", {})
    if course.pk not in cache:
        cache[course.pk] = schedule.due_by_key(schedule.student_due(user, course, done=done))
        # The page says "overdue", "due soon", "closed" from the clock: a cached copy lasts until
        # the next of those changes (lms/page_cache.py).
        page_cache.fresh_until(request, schedule.next_change(cache[course.pk].values(), timezone.now()))
    return cache[course.pk]


@register.inclusion_tag("courses/_due.html", takes_context=True)
def due_for(context, course, kind: str, slug: str, inline: bool = False) -> dict:
    """The reader's due date for one item: kind "lesson", "lab" or "quiz" (slug: the course's).
    A paragraph, or with inline=True a span (inside a list row)."""
    return {"due": _rows(context, course).get(f"{kind}:{slug}"), "inline": inline}


@register.simple_tag(takes_context=True)
def due_closed(context, course, kind: str, slug: str) -> bool:
    """Whether the item is closed to the reader (past its due date, closed by the instructor):
    `{% due_closed course "lab" lab.slug as closed %}` lets a page hide a form that would refuse."""
    row = _rows(context, course).get(f"{kind}:{slug}")
    return bool(row and row.closed)


@register.inclusion_tag("courses/_due.html", takes_context=True)
def due_summary(context, course) -> dict:
    rows = _rows(context, course).values()
    return {"summary": True, "overdue": [r for r in rows if r.overdue],
            "soon": [r for r in rows if r.due_soon]}
