from django.contrib.auth.management import create_permissions
from django.db import migrations

QUIZ_PERMISSIONS = [
    "view_quiz", "view_question", "view_attempt", "change_attempt", "view_answer",
    "view_quizoverride", "add_quizoverride", "change_quizoverride", "delete_quizoverride",
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Instructors")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="courses",
                                                     codename__in=QUIZ_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("courses", "0004_quiz")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
