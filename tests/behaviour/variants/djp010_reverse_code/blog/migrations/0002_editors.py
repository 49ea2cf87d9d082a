from django.db import migrations


def create_editors(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="Editors")


def remove_publish(apps, schema_editor):
    # Runs only when migrating backwards, on a database whose post_migrate has run.
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.get(codename="can_publish", content_type__app_label="blog").group_set.clear()  # OK: reverse code


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("blog", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_editors, reverse_code=remove_publish)]
