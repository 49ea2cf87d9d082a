from django.db import migrations


def create_editors(apps, schema_editor):
    # Control: get_or_create makes the row; post_migrate then leaves it alone.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Post = apps.get_model("blog", "Post")
    publish, _ = Permission.objects.get_or_create(
        codename="can_publish",
        content_type=ContentType.objects.get_for_model(Post),
        defaults={"name": "Can publish posts"},
    )
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(publish)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("blog", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_editors, migrations.RunPython.noop)]
