from django.contrib.auth.management import create_permissions
from django.db import migrations

INSTRUCTOR_PERMISSIONS = [
    "view_course", "view_lesson", "view_cohort", "add_cohort", "change_cohort",
    "view_enrollment", "change_enrollment", "delete_enrollment",
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make them now so the group
    # can be given them in the same run.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Instructors")
    group.permissions.set(Permission.objects.filter(content_type__app_label="courses",
                                                    codename__in=INSTRUCTOR_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [("courses", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length"),
                    ("contenttypes", "0002_remove_content_type_name")]
    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
