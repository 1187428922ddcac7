"""What an instructor may see of students' work: the one rule, for quiz attempts and lab
submissions alike."""

from django.db.models import Exists, OuterRef, QuerySet

from courses.models import Enrollment


def taught_by(user, queryset: QuerySet, *, course: str) -> QuerySet:
    """The rows of `queryset` (each with a `user`) whose student is enrolled in a cohort of the
    row's own course that `user` teaches; everything for a superuser. `course` is the path from
    a row to its course: "quiz__course", "lab__course"."""
    if user.is_superuser:
        return queryset
    taught = Enrollment.objects.filter(student=OuterRef("user"), cohort__instructors=user,
                                       cohort__course=OuterRef(course))
    return queryset.filter(Exists(taught))
