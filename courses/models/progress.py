"""A student's progress: lessons completed, where they left off, checklists ticked."""

from django.conf import settings
from django.db import models

from courses.models.content import Course, Lesson


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
