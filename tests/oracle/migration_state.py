#!/usr/bin/env python3
"""Oracle for DJP004's fix: what real Django sees of a project's migrations.

Usage:
    python migration_state.py PROJECT_DIR APP_LABEL...

Prints one JSON object about the given apps of the Django project in PROJECT_DIR (a root with
``manage.py``; settings from its ``DJANGO_SETTINGS_MODULE`` line, the database forced to a fresh
in-memory sqlite one, nothing written into PROJECT_DIR):

  * ``changes``: per app, the migrations ``makemigrations`` would write now (name, dependencies,
    operations), from Django's own autodetector;
  * ``check_exit``: the exit status of ``makemigrations --check --dry-run APP_LABEL...``;
  * ``migrations``: per app, every migration on disk (dependencies, operations);
  * ``declared``: ``[app_label, model, codename]`` of every permission the models declare
    (``Meta.permissions`` and ``default_permissions``);
  * ``created``: the same for the rows a fresh ``migrate`` creates.

Operations are compared as loaded objects, not text: each is ``[class name, args, kwargs]`` of
its ``deconstruct()``, with every value in a canonical JSON form that keeps the Python types
(``{"list": …}``, ``{"tuple": …}``, ``{"dict": sorted pairs}``; lazy strings as strings).
"""

import json
import os
import re
import sys

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"

SETTINGS_RE = re.compile(
    r"""os\.environ\.setdefault\(\s*['"]DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([^'"]+)['"]\s*\)"""
)


def canon(value):
    from django.utils.functional import Promise

    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        pairs = [[canon(k), canon(v)] for k, v in value.items()]
        return {"dict": sorted(pairs, key=lambda p: json.dumps(p, sort_keys=True))}
    if isinstance(value, tuple):
        return {"tuple": [canon(v) for v in value]}
    if isinstance(value, list):
        return {"list": [canon(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"set": sorted((canon(v) for v in value), key=json.dumps)}
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return {"repr": repr(value)}


def operation(op):
    _, args, kwargs = op.deconstruct()
    return [op.__class__.__name__, canon(list(args)), canon(kwargs)]


def migration(m):
    return {
        "dependencies": canon(list(m.dependencies)),
        "operations": [operation(op) for op in m.operations],
    }


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: %s PROJECT_DIR APP_LABEL...\n" % os.path.basename(argv[0]))
        return 2
    project_dir = os.path.abspath(argv[1])
    labels = argv[2:]
    with open(os.path.join(project_dir, "manage.py"), encoding="utf-8") as fh:
        settings_module = SETTINGS_RE.search(fh.read()).group(1)
    os.chdir(project_dir)
    sys.path.insert(0, project_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module

    from django.conf import settings

    settings.DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    }

    import django

    django.setup()

    from django.apps import apps
    from django.contrib.auth.management import _get_all_permissions
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
    from django.db.migrations.state import ProjectState

    # What `makemigrations` computes (django/core/management/commands/makemigrations.py).
    loader = MigrationLoader(None, ignore_no_migrations=True)
    autodetector = MigrationAutodetector(
        loader.project_state(),
        ProjectState.from_apps(apps),
        NonInteractiveMigrationQuestioner(specified_apps=labels, dry_run=True),
    )
    changes = autodetector.changes(
        graph=loader.graph, trim_to_apps=labels, convert_apps=labels
    )
    out = {
        "changes": {
            label: [dict(migration(m), name=m.name) for m in ms]
            for label, ms in changes.items()
        },
        "migrations": {
            label: {
                name: migration(m)
                for (app, name), m in loader.disk_migrations.items()
                if app == label
            }
            for label in labels
        },
    }
    try:
        call_command(
            "makemigrations", *labels, check=True, dry_run=True, verbosity=0,
            stdout=sys.stderr, stderr=sys.stderr,
        )
        out["check_exit"] = 0
    except SystemExit as e:
        out["check_exit"] = e.code
    out["declared"] = sorted(
        [m._meta.app_label, m._meta.model_name, codename]
        for m in apps.get_models()
        if m._meta.app_label in labels
        for codename, _ in _get_all_permissions(m._meta)
    )
    call_command(
        "migrate", verbosity=0, interactive=False, stdout=sys.stderr, stderr=sys.stderr
    )
    out["created"] = sorted(
        [p.content_type.app_label, p.content_type.model, p.codename]
        for p in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=labels
        )
    )
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
