#!/usr/bin/env python3
"""Behaviour oracle: what real Django does with the code the preview rules report.

Usage:
    python run.py             prints one JSON object of observed outcomes (see below)
    python run.py --variant NAME
                              (internal) migrates project/ + variants/NAME/ and prints its outcome

`project/` is a small Django project (Django 5.2, django-guardian) whose `blog` app holds the bugs
DJP011–DJP020 report, each marked `# BUG DJPnnn` (or `# KNOWN FN` / `# KNOWN FP` where djperm is
wrong today), next to a control that works. This script runs that very code in-process and records
what happens: the exception raised (type and message), the status code, the rendered text, the
boolean. `tests/behaviour.rs` asserts those outcomes and runs djperm on the same files.

Bugs that stop `migrate` or Django's checks (DJP010, DJP011's bare pair) cannot live in the main
project. Each `variants/NAME/` directory is an overlay: its files are copied over a temporary copy
of `project/`, and a child process (one Django per process) runs `check` and `migrate` there.

Nothing is written into the repository: every run works on temporary copies, bytecode writing is
off and the database is sqlite `:memory:`.

Output: `{"versions": {...}, "DJP010": {variant: outcome, ...}, "DJP011": {...}, ...}` where an
outcome of a call is `{"raised": null, "value": ...}` or `{"raised": "TypeName", "message": "..."}`.
Everything Django prints goes to stderr. Exit code 0 unless the script itself breaks.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(HERE, "project")
VARIANTS = os.path.join(HERE, "variants")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def copy_project(dest, variant=None):
    shutil.copytree(PROJECT, dest, ignore=IGNORE)
    if variant is not None:
        shutil.copytree(os.path.join(VARIANTS, variant), dest, ignore=IGNORE, dirs_exist_ok=True)


def setup_django(root):
    sys.path.insert(0, root)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bh_site.settings"
    import django

    django.setup()


def outcome(fn):
    """Call `fn` and record its value, or the exception it raised."""
    try:
        value = fn()
    except Exception as exc:  # noqa: BLE001 - recording any exception is the point
        return {"raised": type(exc).__name__, "message": str(exc)}
    return {"raised": None, "value": value}


def quiet_command(*args, **kwargs):
    from django.core.management import call_command

    call_command(*args, verbosity=0, stdout=sys.stderr, stderr=sys.stderr, **kwargs)
    return None


# --------------------------------------------------------------------------------------------
# Variants: one child process each.


def run_variant(name):
    with tempfile.TemporaryDirectory(prefix="djperm-behaviour-") as tmp:
        root = os.path.join(tmp, "project")
        copy_project(root, name)
        setup_django(root)
        result = {
            # Like `manage.py check` (DJP011: the auth checks crash on a bare pair).
            "check": outcome(lambda: quiet_command("check")),
            # Like `manage.py migrate` on a fresh database (DJP010): system checks first.
            "migrate": outcome(
                lambda: quiet_command("migrate", interactive=False, skip_checks=False)
            ),
        }
        if result["migrate"]["raised"] is None:
            from django.contrib.auth.models import Group, Permission

            group = Group.objects.filter(name="Editors").first()
            result["editors"] = (
                None
                if group is None
                else sorted(
                    f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()
                )
            )
            result["can_publish_rows"] = Permission.objects.filter(
                codename="can_publish", content_type__app_label="blog"
            ).count()
            # Backwards, on the database post_migrate has filled: the reverse code runs now.
            result["migrate_back"] = outcome(lambda: quiet_command("migrate", "blog", "0001"))
        return result


def spawn_variants():
    names = sorted(
        d for d in os.listdir(VARIANTS) if os.path.isdir(os.path.join(VARIANTS, d))
    )

    def child(name):
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--variant", name],
            capture_output=True,
            text=True,
        )
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            return name, {"error": f"exit {proc.returncode}", "stderr": proc.stderr[-2000:]}
        return name, json.loads(proc.stdout)

    pool = ThreadPoolExecutor(max_workers=2)
    return pool, [pool.submit(child, n) for n in names]


# --------------------------------------------------------------------------------------------
# The main project, in this process.


def observe_project():
    quiet_command("migrate", interactive=False, skip_checks=False)

    from django.contrib.auth.context_processors import PermWrapper
    from django.contrib.auth.models import AnonymousUser, Permission, User
    from django.template.loader import render_to_string
    from django.test import Client, RequestFactory
    from guardian.shortcuts import assign_perm

    from blog import services
    from blog.models import Comment, Post

    post = Post.objects.create(title="Hello")
    Comment.objects.create(post=post, body="First")
    publish = Permission.objects.get(codename="can_publish", content_type__app_label="blog")
    editor = User.objects.create_user("editor")
    editor.user_permissions.add(publish)
    assign_perm("change_post", editor, post)  # a guardian object permission
    editor = User.objects.get(pk=editor.pk)  # empty permission cache
    admin = User.objects.create_superuser("admin", "admin@example.com", "not-secret")
    nobody = User.objects.create_user("nobody")

    out = {}

    out["DJP011"] = {
        "viewonly_codenames": sorted(
            Permission.objects.filter(
                content_type__app_label="blog", content_type__model="viewonly"
            ).values_list("codename", flat=True)
        ),
    }

    client = Client()  # anonymous; re-raises exceptions from views

    def get(path):
        return outcome(lambda: client.get(path).status_code)

    out["DJP012"] = {
        "anonymous_has_perms_empty": AnonymousUser().has_perms([]),
        "nobody_has_perms_empty": nobody.has_perms([]),
        "decorator_anonymous": get("/djp012/decorator/"),
        "mixin_anonymous": get("/djp012/mixin/"),
        "inherited_anonymous": get("/djp012/inherited/"),
        "control_anonymous": get("/djp012/control/"),
    }

    out["DJP013"] = {
        "editor_global": services.can_publish_globally(editor),
        "editor_object": services.can_publish(editor, post),
        "superuser_object": services.can_publish(admin, post),
        "editor_none_object": services.can_publish_no_object(editor),
    }

    factory = RequestFactory()

    def render(name, user):
        request = factory.get("/")
        request.user = user
        return render_to_string(name, request=request).strip()

    out["DJP014"] = {
        "in_app_editor": render("blog/in_app.html", editor),
        "in_app_superuser": render("blog/in_app.html", admin),
        "attr_editor": render("blog/attr.html", editor),
        "attr_nobody": render("blog/attr.html", nobody),
        "not_in_app_nobody": render("blog/not_in_app.html", nobody),
        "in_app_python": outcome(lambda: "can_publish" in PermWrapper(editor)["blog"]),
    }

    def usernames(users):
        return sorted(u.username for u in users)

    out["DJP015"] = {
        "filter_dotted_count": services.publish_permissions().count(),
        "filter_split_count": services.publish_permissions_split().count(),
        "get_dotted": outcome(lambda: str(services.publish_permission())),
        "guardian_dotted": usernames(services.post_editors(post)),
        "guardian_bare": usernames(services.post_editors_bare(post)),
    }

    def has_publish_after(grant):
        def run():
            grant(nobody)
            return User.objects.get(pk=nobody.pk).has_perm("blog.can_publish")

        return run

    out["DJP022"] = {
        "typo_fixture": outcome(lambda: quiet_command("loaddata", "editors")),
        "good_fixture": outcome(lambda: quiet_command("loaddata", "publishers")),
        "yaml_typo_fixture": outcome(lambda: quiet_command("loaddata", "yaml_typo")),
        "yaml_good_fixture": outcome(lambda: quiet_command("loaddata", "yaml_good")),
        "label_typo_fixture": outcome(lambda: quiet_command("loaddata", "label_typo")),
    }

    out["DJP016"] = {
        "add_str": outcome(has_publish_after(services.grant_publish)),
        "add_object": outcome(has_publish_after(services.grant_publish_object)),
    }

    out["DJP017"] = {
        "missing": get("/djp017/missing/"),
        "none": get("/djp017/none/"),
    }

    def titles(fn):
        return lambda: sorted(str(o.pk) for o in fn(editor))

    def post_as(user, path, data):
        api_client = Client()
        api_client.force_login(user)
        return outcome(lambda: api_client.post(path, data, content_type="application/json").status_code)

    clerk = User.objects.create_user("clerk")
    clerk.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="blog", content_type__model__in=["viewonly", "comment"])
    )
    out["DJP021"] = {
        "viewonly_post_with_all_its_permissions": post_as(clerk, "/djp021/viewonly/", {}),
        "viewonly_post_superuser": post_as(admin, "/djp021/viewonly/", {}),
        "comment_post_with_add_comment": post_as(clerk, "/djp021/comments/", {"post": post.pk, "body": "x"}),
    }

    # DJP030: the row exists on a fresh DB (so it can be granted), yet nothing checks it.
    out["DJP030"] = {
        "can_pin_rows": Permission.objects.filter(
            codename="can_pin", content_type__app_label="blog"
        ).count(),
    }

    out["DJP020"] = {
        "two_models": outcome(titles(services.editable_posts_and_comments)),
        "two_apps": outcome(titles(services.editable_posts_and_groups)),
        "bare": outcome(titles(services.editable_bare)),
        "bare_with_klass": outcome(titles(services.editable_bare_with_klass)),
        "klass_mismatch": outcome(titles(services.editable_comments_by_post_permission)),
        "klass_queryset_mismatch": outcome(
            titles(services.editable_comments_by_post_permission_queryset)
        ),
        "klass_queryset": outcome(titles(services.editable_posts_queryset)),
        "mixed_bare_first": outcome(titles(services.editable_mixed_bare_first)),
        "mixed_dotted_first": outcome(titles(services.editable_mixed_dotted_first)),
    }
    return out


def main(argv):
    if len(argv) == 3 and argv[1] == "--variant":
        sys.stdout.write(json.dumps(run_variant(argv[2]), sort_keys=True) + "\n")
        return 0
    if len(argv) != 1:
        sys.stderr.write("usage: run.py [--variant NAME]\n")
        return 2
    pool, futures = spawn_variants()
    with tempfile.TemporaryDirectory(prefix="djperm-behaviour-") as tmp:
        root = os.path.join(tmp, "project")
        copy_project(root)
        setup_django(root)
        from importlib.metadata import version

        out = {"versions": {"django": version("django"), "guardian": version("django-guardian")}}
        out.update(observe_project())
    variants = dict(f.result() for f in futures)
    pool.shutdown()
    out["DJP010"] = {k: v for k, v in variants.items() if k.startswith("djp010")}
    out["DJP011"].update({k: v for k, v in variants.items() if k.startswith("djp011")})
    sys.stdout.write(json.dumps(out, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
