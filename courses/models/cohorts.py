"""Cohorts (a course run with instructors and dates) and enrolments."""

from django.conf import settings
from django.db import models

from courses.models.content import Course


class Pace(models.TextChoices):
    PART_TIME = "part-time", "Part-time (10 h/week)"
    FULL_TIME = "full-time", "Full-time (40 h/week)"
    CUSTOM = "custom", "Custom hours per week"


class Cohort(models.Model):
    Pace = Pace

    name = models.CharField(max_length=120)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="cohorts")
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="taught_cohorts", blank=True
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The study pace the schedule is proposed from (courses/schedule.py): one of the course's
    # recommended paces, or custom with hours_per_week.
    pace = models.CharField(max_length=20, choices=Pace.choices, default=Pace.PART_TIME)
    hours_per_week = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Only for a custom pace: study hours a week."
    )

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="cohort_name_unique"),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="cohort_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        DECLINED = "declined", "Declined"

    # An enrolment counts (its cohort's instructors see the student's work, progress and
    # exports: courses.visibility) only once the student accepted the invitation or a superuser
    # enrolled them directly. INVITED and DECLINED leave these states only through the student
    # (courses.services.invitation_respond) or a superuser; instructors move an enrolment only
    # between these three (courses.admin.EnrollmentAdmin).
    ACCEPTED = (Status.ACTIVE, Status.COMPLETED, Status.WITHDRAWN)

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    enrolled_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["cohort", "student__email"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "student"], name="enrollment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.cohort}"


class EnrollmentEvent(models.Model):
    """The audit trail of enrolment changes: who did what, when, to which student in which cohort.

    Rows are only ever added (courses.services.record_enrollment_event); the admin shows them
    read-only to superusers. Names and emails are copied so the trail outlives deleted rows.
    """

    class Action(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted the invitation"
        DECLINED = "declined", "Declined the invitation"
        ENROLLED = "enrolled", "Enrolled directly"
        STATUS = "status", "Status changed"
        REMOVED = "removed", "Removed from the cohort"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_email = models.CharField("by", max_length=254)
    cohort = models.ForeignKey(Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cohort_name = models.CharField("cohort", max_length=120)
    student = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    student_email = models.CharField("student", max_length=254)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "enrolment change"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email}: {self.get_action_display()} " \
               f"{self.student_email} ({self.cohort_name})"
