"""The search index: LessonSection rows, plus what each database needs to search them fast.

PostgreSQL: a GIN index on the weighted tsvector column. SQLite: an FTS5 table holding a copy of
the rows' text (rowid = section id), when this SQLite was built with FTS5; without it, search
scans the rows. Neither can be declared on the model (a GIN index fails on SQLite), so both are
made here, per database.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

FTS_TABLE = "courses_lessonsection_fts"  # courses.search.FTS_TABLE


def create_search_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS lesson_section_vector_gin "
            "ON courses_lessonsection USING gin (vector)")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
            has_fts5 = bool(cursor.fetchone()[0])
        if has_fts5:
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} "
                "USING fts5(title, heading, text, tokenize = 'porter unicode61')")


def drop_search_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS lesson_section_vector_gin")
    elif connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


class Migration(migrations.Migration):

    dependencies = [
        ("courses", "0011_schedule"),
    ]

    operations = [
        migrations.CreateModel(
            name="LessonSection",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("anchor", models.CharField(blank=True, max_length=200)),
                ("heading", models.CharField(max_length=300)),
                ("position", models.PositiveSmallIntegerField()),
                ("text", models.TextField()),
                ("vector", django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
                ("source_hash", models.CharField(blank=True, max_length=64)),
                ("lesson", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="sections", to="courses.lesson")),
            ],
            options={
                "ordering": ["lesson", "position"],
                "constraints": [models.UniqueConstraint(fields=("lesson", "position"),
                                                        name="lesson_section_position_unique")],
            },
        ),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
