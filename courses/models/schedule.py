"""A cohort's schedule: a due date per course item, and per-student extensions.

Items are named by a key, "lesson:<slug>", "lab:<slug>" or "quiz:<slug>" (the course's slug
for its one quiz), so the same table holds lessons, labs (which live in grading, an app courses
must not know) and the quiz. The logic (proposing dates from the pace, late and closed) is in
courses/schedule.py; these rows are what an instructor accepted or edited.
"""

from django.conf import settings
from django.db import models

from courses.models.cohorts import Cohort, Enrollment


class DueDate(models.Model):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="due_dates")
    item_key = models.CharField(max_length=120, help_text='"lesson:<slug>", "lab:<slug>" or "quiz:<slug>"')
    due_at = models.DateTimeField()
    close_at_due = models.BooleanField(
        default=False,
        help_text="Refuse work after the due date (and any extension); otherwise it is marked late.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cohort", "due_at", "item_key"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "item_key"], name="due_date_unique"),
        ]
        verbose_name = "due date"

    def __str__(self) -> str:
        return f"{self.item_key} due {self.due_at:%Y-%m-%d %H:%M}"


class Extension(models.Model):
    """A later due date for one student and one item. Tied to the enrolment, so it goes with it."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="extensions")
    item_key = models.CharField(max_length=120)
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["enrollment", "item_key"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "item_key"], name="extension_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item_key} for {self.enrollment} until {self.due_at:%Y-%m-%d %H:%M}"
