#!/usr/bin/env python3
"""Oracle: the auth.Permission rows that real Django creates on a fresh DB.

Usage:
    python dump_permissions.py PROJECT_DIR

PROJECT_DIR is a Django project root containing ``manage.py``.  The settings
module is taken from the ``os.environ.setdefault("DJANGO_SETTINGS_MODULE",
"...")`` line of ``manage.py`` (any DJANGO_SETTINGS_MODULE already in the
environment is ignored, so the result depends only on the project).

The script
  * never writes into PROJECT_DIR (no bytecode, no database file),
  * forces ``DATABASES`` to a single fresh in-memory sqlite database,
  * runs ``migrate`` in-process (like ``manage.py migrate``: system checks are
    run and errors abort with exit code 1),
  * prints to stdout a JSON array, sorted by (app_label, model, codename), of
    objects ``{"app_label": ..., "codename": ..., "model": ...}``, one per
    ``auth.Permission`` row (``content_type.app_label``,
    ``content_type.model``, ``codename``), formatted with indent=2 and a
    trailing newline.

Everything Django prints while migrating goes to stderr.  Exit codes: 0 ok,
1 Django error (traceback on stderr), 2 usage error.
"""

import os
import re
import sys

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"

SETTINGS_RE = re.compile(
    r"""os\.environ\.setdefault\(\s*['"]DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([^'"]+)['"]\s*\)"""
)


def settings_module_from_manage_py(project_dir):
    path = os.path.join(project_dir, "manage.py")
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    match = SETTINGS_RE.search(source)
    if match is None:
        raise SystemExit(
            "error: no os.environ.setdefault('DJANGO_SETTINGS_MODULE', ...) in %s" % path
        )
    return match.group(1)


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: %s PROJECT_DIR\n" % os.path.basename(argv[0]))
        return 2
    project_dir = os.path.abspath(argv[1])
    if not os.path.isfile(os.path.join(project_dir, "manage.py")):
        sys.stderr.write("error: %s has no manage.py\n" % project_dir)
        return 2

    os.chdir(project_dir)
    sys.path.insert(0, project_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module_from_manage_py(project_dir)

    from django.conf import settings

    # Touching settings loads the settings module; override the database
    # before django.setup() so nothing can ever touch a file on disk.
    settings.DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
        }
    }

    import django

    django.setup()

    from django.core.management import call_command

    # skip_checks=False mirrors `manage.py migrate` (auth.E005 etc. block it).
    call_command(
        "migrate",
        verbosity=0,
        interactive=False,
        skip_checks=False,
        stdout=sys.stderr,
        stderr=sys.stderr,
    )

    from django.contrib.auth.models import Permission

    rows = sorted(
        (
            {
                "app_label": p.content_type.app_label,
                "model": p.content_type.model,
                "codename": p.codename,
            }
            for p in Permission.objects.select_related("content_type")
        ),
        key=lambda r: (r["app_label"], r["model"], r["codename"]),
    )

    import json

    sys.stdout.write(json.dumps(rows, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
