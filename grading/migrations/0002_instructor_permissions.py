from django.contrib.auth.management import create_permissions
from django.db import migrations

# Also in grading/services.py (INSTRUCTOR_PERMISSIONS).
GRADING_PERMISSIONS = [
    "view_lab", "view_labcheck", "view_manualitem",
    "view_submission", "change_submission", "view_submissionfile", "view_checkresult",
    "view_manualgrade", "add_manualgrade", "change_manualgrade", "delete_manualgrade",
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Instructors")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="grading",
                                                     codename__in=GRADING_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("grading", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length"),
                    ("contenttypes", "0002_remove_content_type_name")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
