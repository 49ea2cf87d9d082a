from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_editors(apps, schema_editor):
    # Creates blog's permissions only: auth's are still made by post_migrate, later.
    app_config = apps.get_app_config("blog")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        Permission.objects.get(codename="can_publish", content_type__app_label="blog")  # OK: created above
    )
    editors.permissions.add(
        Permission.objects.get(codename="view_user", content_type__app_label="auth")  # BUG DJP010
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("blog", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_editors, migrations.RunPython.noop)]
