from django.db import migrations


def create_editors(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    # No error: on a fresh database the filter matches nothing and the group stays empty.
    editors.permissions.add(
        *Permission.objects.filter(codename__in=["can_publish"], content_type__app_label="blog")  # BUG DJP010
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("blog", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_editors, migrations.RunPython.noop)]
