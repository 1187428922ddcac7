"""Courses and lessons. Rows are written only by `load_course` from courses/content/."""

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
