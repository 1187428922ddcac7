"""The labs as dated items of a cohort's schedule (courses.schedule.register_items, at ready()):
courses knows nothing of grading, so grading hands it its labs."""

from django.urls import reverse

from courses import schedule
from courses.models import Course
from grading.models import Lab

# Within a lesson: the lesson itself (rank 0), its hands-on practice, then its activity.
RANK = {Lab.Kind.LESSON: 1, Lab.Kind.ACTIVITY: 2}


def schedule_items(course: Course) -> list[schedule.Item]:
    """Each lab after the lesson it belongs to; the practical last, after the quiz."""
    rows = Lab.objects.filter(course=course).order_by().values_list(
        "slug", "title", "kind", "estimated_minutes", "lesson__number")
    return [schedule.Item(schedule.lab_key(slug), "practical" if kind == Lab.Kind.PRACTICAL else "lab", title,
                          minutes / 60, reverse("lab", args=[course.slug, slug]),
                          (schedule.END, 1) if kind == Lab.Kind.PRACTICAL
                          else (number or schedule.END - 1, RANK.get(kind, 2)))
            for slug, title, kind, minutes, number in rows]
