#!/usr/bin/env python3
"""Regenerate src/env/bundled.json: what a fresh `migrate` creates for common third-party apps.

    python3 scripts/bundled/generate.py [--venv DIR]

Outside a venv it creates one (default: a new directory under /tmp; never in the repository),
installs the pinned requirements.txt beside this script, and runs itself inside it with
`--inner`. Inside, it puts every entry of APPS (plus the django.contrib apps they need) in
INSTALLED_APPS, runs `migrate` on a throw-away sqlite database (post_migrate handlers
included), and writes, for each entry: its AppConfig name and label and the permission rows
(codename per model) whose content type belongs to that label; and for each authentication
backend class the packages ship: which permission methods it defines itself, and its kind.
The output is sorted and stable: running it twice gives the same file.
"""

import argparse
import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "src", "env", "bundled.json")

# Django's own apps that third-party apps need; not written (src/index/contrib.rs has them).
CONTRIB = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
]

# INSTALLED_APPS entries as projects write them. Entries listed before the contrib apps need to
# come first (admin themes).
BEFORE_CONTRIB = [
    "admin_interface",
    "colorfield",
    "jazzmin",
    "grappelli",
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "unfold.contrib.guardian",
    "modeltranslation",
    "dal",
    "dal_select2",
]
APPS = [
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "knox",
    "dj_rest_auth",
    "dj_rest_auth.registration",
    "guardian",
    "rules",
    "taggit",
    "modelcluster",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "allauth.mfa",
    "allauth.usersessions",
    "django_celery_beat",
    "django_celery_results",
    "oauth2_provider",
    "reversion",
    "constance",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_hotp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    "two_factor",
    "two_factor.plugins.phonenumber",
    "two_factor.plugins.email",
    "import_export",
    "simple_history",
    "waffle",
    "filer",
    "easy_thumbnails",
    "social_django",
    "django_q",
    "post_office",
    "mptt",
    "treebeard",
    "polymorphic",
    "corsheaders",
    "django_filters",
    "django_extensions",
    "debug_toolbar",
    "storages",
    "crispy_forms",
    "auditlog",
    "health_check",
    "silk",
    "ninja",
    "wagtail",
    "wagtail.admin",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.snippets",
    "wagtail.users",
    "wagtail.sites",
    "wagtail.search",
    "wagtail.embeds",
    "wagtail.locales",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.table_block",
    "wagtail.contrib.typed_table_block",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.frontend_cache",
    "wagtail.contrib.styleguide",
    "wagtail.contrib.simple_translation",
    "cms",
    "menus",
    "sekizai",
    "actstream",
    "anymail",
    "webpack_loader",
    "compressor",
    "invitations",
    "organizations",
    "hijack",
    "hijack.contrib.admin",
    "django_tables2",
    "formtools",
    "djmoney",
    "djmoney.contrib.exchange",
    "django_countries",
    "phonenumber_field",
    "channels",
    "django_prometheus",
    "csp",
    "django_ratelimit",
    "oidc_provider",
    "mozilla_django_oidc",
    "django_summernote",
    "ckeditor",
    "ckeditor_uploader",
    "markdownx",
    "tinymce",
    "django_cleanup",
    "push_notifications",
    "user_sessions",
    "watson",
    "robots",
    "model_utils",
    "solo",
    "defender",
    "djcelery_email",
    "dbbackup",
    "import_export_celery",
    "recurrence",
    "django_select2",
    "widget_tweaks",
]

# Packages that install but whose apps do not load with Django 5.2 (not in the table).
SKIPPED = {
    "notifications": "django-notifications-hq: its models use Meta.index_together (removed in Django 5.1)",
    "health_check.db": "django-health-check 4 has no health_check.db/.cache/.storage/.contrib.* apps any more",
}

# Entries that install an app of APPS with another AppConfig (same label, same rows).
ALIASES = [
    "rules.apps.AutodiscoverRulesConfig",
    "django_cleanup.apps.CleanupConfig",
]

# Modules whose classes may be authentication backends: a class with `authenticate` and either
# `get_user` or a permission method of its own. DRF authentication classes (knox,
# simplejwt, ...) are not Django backends and are left out.
BACKEND_MODULES = [
    "allauth.account.auth_backends",
    "axes.backends",
    "guardian.backends",
    "mozilla_django_oidc.auth",
    "oauth2_provider.backends",
    "rules.permissions",
    "sesame.backends",
]
# Every backend module of social-core is scanned.
BACKEND_PACKAGES = ["social_core.backends"]

PERM_METHODS = [
    "get_all_permissions",
    "get_group_permissions",
    "get_user_permissions",
    "has_module_perms",
    "has_perm",
    "has_perms",
    "with_perm",
]


def outer(args):
    venv = args.venv or tempfile.mkdtemp(prefix="djperm-bundled-", dir="/tmp")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([python, "-m", "pip", "install", "-q", "--upgrade", "pip"])
        req = os.path.join(HERE, "requirements.txt")
        subprocess.check_call([python, "-m", "pip", "install", "-q", "-r", req])
    subprocess.check_call([python, os.path.abspath(__file__), "--inner"])


def configure(tmp, entries):
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bundled-table",
        INSTALLED_APPS=entries,
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(tmp, "db.sqlite3"),
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        SITE_ID=1,
        USE_TZ=True,
        LANGUAGE_CODE="en",
        LANGUAGES=[("en", "English")],
        STATIC_URL="/static/",
        STATIC_ROOT=os.path.join(tmp, "static"),
        MEDIA_ROOT=os.path.join(tmp, "media"),
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "allauth.account.middleware.AccountMiddleware",
            "allauth.usersessions.middleware.UserSessionsMiddleware",
        ],
        WAGTAIL_SITE_NAME="bundled",
        WAGTAILADMIN_BASE_URL="http://localhost",
        CMS_CONFIRM_VERSION4=True,
        CMS_TEMPLATES=[("base.html", "Base")],
        CKEDITOR_UPLOAD_PATH="uploads/",
        CELERY_BROKER_URL="memory://",
        Q_CLUSTER={"name": "bundled", "orm": "default"},
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
    )


urlpatterns = []


def version_of(dist):
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def distribution_of(module):
    from importlib import metadata

    top = module.split(".")[0]
    names = metadata.packages_distributions().get(top, [])
    return sorted(names)[0] if names else None


def importable(entry):
    """The entry names an app of the installed packages (an import error says it does not;
    other errors may only mean the app registry is not ready yet)."""
    from django.apps import AppConfig

    try:
        AppConfig.create(entry)
    except ImportError as e:
        print(f"skipped (does not import): {entry}: {e}", file=sys.stderr)
        return False
    except Exception:
        pass
    return True


def classify(cls):
    from django.contrib.auth.backends import BaseBackend, ModelBackend

    django_bases = (ModelBackend, BaseBackend)
    own = []
    for name in PERM_METHODS:
        for base in cls.__mro__:
            if name in base.__dict__:
                if base not in django_bases and base.__module__ != "builtins":
                    own.append(name)
                break
    top = cls.__module__.split(".")[0]
    if not own:
        kind = "model" if issubclass(cls, ModelBackend) else "auth-only"
    elif top == "guardian":
        kind = "object"
    elif top == "rules":
        kind = "rules"
    else:
        kind = "custom"
    return kind, own


def backends():
    try:
        from rest_framework.authentication import BaseAuthentication as drf_base
    except ImportError:
        drf_base = None
    found = {}
    modules = []
    for name in BACKEND_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except Exception as e:
            print(f"backend module {name}: {type(e).__name__}", file=sys.stderr)
    for pkg in BACKEND_PACKAGES:
        try:
            package = importlib.import_module(pkg)
        except Exception as e:
            print(f"backend package {pkg}: {type(e).__name__}", file=sys.stderr)
            continue
        for info in pkgutil.iter_modules(package.__path__, pkg + "."):
            try:
                modules.append(importlib.import_module(info.name))
            except Exception as e:
                print(f"backend module {info.name}: {type(e).__name__}", file=sys.stderr)
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            if not callable(getattr(cls, "authenticate", None)):
                continue
            if drf_base is not None and issubclass(cls, drf_base):
                continue
            if not (callable(getattr(cls, "get_user", None)) or classify(cls)[1]):
                continue
            if inspect.isabstract(cls) or cls.__name__.startswith("_"):
                continue
            kind, own = classify(cls)
            path = f"{cls.__module__}.{cls.__qualname__}"
            found[path] = {"kind": kind, "methods": own}
    return [dict(path=p, **found[p]) for p in sorted(found)]


def record(entry, config, models):
    cls = type(config)
    return {
        "entry": entry,
        "name": config.name,
        "config": f"{cls.__module__}.{cls.__qualname__}",
        "label": config.label,
        "models": models,
    }


def inner():
    wanted = BEFORE_CONTRIB + CONTRIB + APPS
    tmp = tempfile.mkdtemp(prefix="djperm-bundled-db-")
    configure(tmp, wanted)
    import django
    from django.apps import AppConfig
    from django.conf import settings

    entries = [e for e in wanted if importable(e)]
    settings.INSTALLED_APPS = entries

    django.setup()
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)

    configs = list(apps.get_app_configs())
    assert len(configs) == len(entries), "one AppConfig per entry"
    by_label = {}
    for p in Permission.objects.select_related("content_type"):
        ct = p.content_type
        by_label.setdefault(ct.app_label, {}).setdefault(ct.model, []).append(p.codename)
    written_labels = set()
    out_apps = []
    packages = {}
    for entry, config in zip(entries, configs):
        if entry.startswith("django."):
            continue
        models = []
        for model, codenames in sorted(by_label.get(config.label, {}).items()):
            row = {"model": model, "permissions": sorted(codenames)}
            cls = config.models.get(model)
            if cls is not None and cls._meta.swappable:
                row["object_name"] = cls._meta.object_name
                row["swappable"] = cls._meta.swappable
            models.append(row)
        written_labels.add(config.label)
        out_apps.append(record(entry, config, models))
        dist = distribution_of(config.name)
        if dist:
            packages[dist] = version_of(dist)
    for alias in ALIASES:
        config = AppConfig.create(alias)
        same = [a for a in out_apps if a["label"] == config.label]
        assert same, f"{alias}: its label is no entry's"
        out_apps.append(record(alias, config, same[0]["models"]))
    for label in sorted(set(by_label) - written_labels):
        if not any(c.label == label and c.name.startswith("django.") for c in configs):
            print(f"permissions of label {label} belong to no entry", file=sys.stderr)
    table_backends = backends()
    for b in table_backends:
        dist = distribution_of(b["path"])
        if dist:
            packages[dist] = version_of(dist)
    packages["Django"] = version_of("Django")
    table = {
        "generated_by": "scripts/bundled/generate.py",
        "packages": dict(sorted(packages.items(), key=lambda kv: kv[0].lower())),
        "apps": sorted(out_apps, key=lambda a: a["entry"]),
        "backends": table_backends,
    }
    with open(OUT, "w") as f:
        json.dump(table, f, indent=1, sort_keys=False)
        f.write("\n")
    perms = sum(len(m["permissions"]) for a in out_apps for m in a["models"])
    print(
        f"{OUT}: {len(out_apps)} entries, {len({a['label'] for a in out_apps})} labels, "
        f"{perms} permissions, {len(table_backends)} backends",
        file=sys.stderr,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", help="venv to use or create (default: a new one under /tmp)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner()
    else:
        outer(args)


if __name__ == "__main__":
    main()
