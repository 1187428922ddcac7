"""The search index: one row per section of a lesson (the text under one heading).

Rows are derived from Lesson.body_html by courses.search at import (load_course); never edit
them. On PostgreSQL `vector` holds the weighted tsvector (lesson title A, heading B, text C)
behind a GIN index made by migration 0012 on PostgreSQL only; on SQLite the column stays empty
and an FTS5 table (also made by 0012, when this SQLite has FTS5) indexes the same rows.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models

from courses.models.content import Lesson


class LessonSection(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="sections")
    # The heading's id in the lesson page ("" for the text before the first heading).
    anchor = models.CharField(max_length=200, blank=True)
    heading = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    vector = SearchVectorField(null=True, editable=False)
    # The lesson's content_hash when these rows were made: a re-import skips unchanged lessons.
    source_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "position"], name="lesson_section_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson}: {self.heading}"
