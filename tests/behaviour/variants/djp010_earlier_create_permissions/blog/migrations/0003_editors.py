from django.db import migrations


def create_editors(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    # 0002 created blog's permissions, so this works on a fresh database.
    editors.permissions.add(
        Permission.objects.get(codename="can_publish", content_type__app_label="blog")  # OK: an earlier migration called create_permissions
    )


class Migration(migrations.Migration):
    dependencies = [("blog", "0002_create_permissions")]

    operations = [migrations.RunPython(create_editors, migrations.RunPython.noop)]
