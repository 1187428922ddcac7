from django.db import migrations


class Migration(migrations.Migration):
    """The per-process question cache it keyed cost more than the one-row query it saved."""

    dependencies = [
        ("courses", "0006_quiz_content_hash"),
    ]

    operations = [
        migrations.RemoveField(model_name="quiz", name="content_hash"),
    ]
