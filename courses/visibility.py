"""What an instructor may see of students' work: the one rule, for quiz attempts and lab
submissions alike, and for the cohort pages (progress, results, their CSV exports)."""

from django.db.models import Exists, OuterRef, QuerySet

from courses.models import Enrollment


def taught_by(user, queryset: QuerySet, *, course: str) -> QuerySet:
    """The rows of `queryset` (each with a `user`) whose student accepted a place in a cohort of
    the row's own course that `user` teaches; everything for a superuser. `course` is the path
    from a row to its course: "quiz__course", "lab__course".

    A pending or declined invitation does not count: otherwise an instructor could enrol any
    account (an admin's, another cohort's student) and read its work."""
    if user.is_superuser:
        return queryset
    taught = Enrollment.objects.filter(student=OuterRef("user"), cohort__instructors=user,
                                       cohort__course=OuterRef(course),
                                       status__in=Enrollment.ACCEPTED)
    return queryset.filter(Exists(taught))


def cohort_students(cohort) -> QuerySet:
    """The enrolments of `cohort` its instructors may see (progress, results, exports)."""
    return cohort.enrollments.filter(status__in=Enrollment.ACCEPTED)
