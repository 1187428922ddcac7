"""Courses, lessons, student progress, cohorts and enrolments.

Course and Lesson rows are written only by `load_course` from the files in courses/content/;
edit the files, not the rows.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    code = models.CharField(max_length=40, help_text='e.g. "Module 04"')
    summary = models.TextField()
    duration_hours = models.PositiveSmallIntegerField()
    difficulty = models.CharField(max_length=80)
    # The rest of course.yaml (outcomes, prerequisites, criteria, tools, …) as loaded.
    details = models.JSONField(default=dict)
    summary_html = models.TextField(blank=True)
    # Changes whenever the course or any lesson changes: keys the page caches.
    content_hash = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "title"]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("course", args=[self.slug])


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    number = models.PositiveSmallIntegerField()
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    duration_hours = models.DecimalField(max_digits=4, decimal_places=1)
    objectives = models.JSONField(default=list)
    hands_on = models.SlugField(blank=True, help_text="Slug of the lab this lesson leads to.")
    body_html = models.TextField(help_text="Rendered and sanitised once, at import.")
    toc = models.JSONField(default=list)
    word_count = models.PositiveIntegerField(default=0)
    source_path = models.CharField(max_length=300)
    content_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="lesson_number_unique"),
            models.UniqueConstraint(fields=["course", "slug"], name="lesson_slug_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number:02d} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("lesson", args=[self.course.slug, self.slug])


class LessonCompletion(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lesson_completion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} completed {self.lesson}"


class CourseVisit(models.Model):
    """The last lesson a student opened in a course: "continue where you left off"."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course = models.ForeignKey(Course, on_delete=models.CASCADE)
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE)
    visited_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="course_visit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} last opened {self.lesson}"


class ChecklistTick(models.Model):
    """A prerequisite or success criterion the student ticked themselves."""

    class Kind(models.TextChoices):
        PREREQUISITE = "prerequisite", "Prerequisite"
        CRITERION = "criterion", "Success criterion"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    course = models.ForeignKey(Course, on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.SlugField(max_length=80)
    ticked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course", "kind", "key"], name="checklist_tick_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ticked {self.kind} {self.key}"


class Cohort(models.Model):
    name = models.CharField(max_length=120)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="cohorts")
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="taught_cohorts", blank=True
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

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
