//! Small projects built in a temp dir: every false positive found on a real project, and the
//! reference forms added after the first fixtures.

mod common;

use djperm::Analysis;

use common::{codes, project};

#[test]
fn has_module_perms_with_unknown_label() {
    let (_d, a) = project(&[(
        "blog/views.py",
        "def v(request):\n    return request.user.has_module_perms('blgo')\n",
    )]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP003 Unknown app label `blgo` in `has_module_perms(\"blgo\")`"),
        "{got:?}"
    );
    assert_eq!(
        a.diagnostics[0].help.as_deref(),
        Some("Did you mean `has_module_perms(\"blog\")`?")
    );
}

#[test]
fn get_permission_required_returning_a_str() {
    let (_d, a) = project(&[(
        "blog/views.py",
        "from django.contrib.auth.mixins import PermissionRequiredMixin\nfrom django.views import View\n\nclass V(PermissionRequiredMixin, View):\n    def get_permission_required(self):\n        return 'blog.can_publish'\n",
    )]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP006 `get_permission_required()` returns the str"),
        "{got:?}"
    );
}

#[test]
fn lookup_of_a_codename_no_database_has() {
    let (_d, a) = project(&[(
        "blog/services.py",
        "from django.contrib.auth.models import Permission\n\ndef f():\n    Permission.objects.get(codename='can_publsh', content_type__app_label='blog')\n    Permission.objects.get(codename='can_publish', content_type__app_label='blog')\n",
    )]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("`blog.can_publsh`, which no fresh database has"),
        "{got:?}"
    );
}

#[test]
fn permission_required_attribute_on_a_non_django_mixin_is_not_a_permission() {
    // wagtail: `class PermissionCheckedMixin: permission_required = None` with action names.
    let (_d, a) = project(&[(
        "blog/views.py",
        "class PermissionCheckedMixin:\n    permission_required = None\n\nclass Create(PermissionCheckedMixin):\n    permission_required = 'add'\n",
    )]);
    assert!(a.diagnostics.is_empty(), "{:?}", codes(&a));
}

#[test]
fn permission_required_attribute_through_a_project_subclass_of_the_mixin() {
    let (_d, a) = project(&[
        (
            "blog/mixins.py",
            "from django.contrib.auth.mixins import PermissionRequiredMixin\n\nclass BlogPermissionMixin(PermissionRequiredMixin):\n    raise_exception = True\n",
        ),
        ("blog/views.py", "from blog.mixins import BlogPermissionMixin\n\nclass Create(BlogPermissionMixin):\n    permission_required = 'can_publish'\n"),
    ]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("DJP001"), "{got:?}");
}

#[test]
fn shape_strings_that_are_not_permissions() {
    // Task names, metric keys and cache keys share `<label>.<action>_<x>` but name no model.
    let (_d, a) = project(&[(
        "blog/tasks.py",
        "@task(name='blog.delete_expired_drafts')\ndef t():\n    metrics.incr('blog.view_count')\n    cache.get('blog.view_cache_v2')\n",
    )]);
    assert!(a.diagnostics.is_empty(), "{:?}", codes(&a));
    // …but a near miss of a real model is reported (project-style helpers).
    let (_d, a) = project(&[(
        "blog/tabs.py",
        "TAB = ViewTab(permission='blog.view_postt')\n",
    )]);
    let got = codes(&a);
    assert_eq!(
        got,
        vec!["DJP002 Unknown permission `blog.view_postt`".to_string()]
    );
}

#[test]
fn unfoldable_installed_apps_addition_keeps_the_known_apps() {
    // `INSTALLED_APPS += [app for app in EXTRA]` once wiped the whole list.
    let (_d, a) = project(&[
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\nINSTALLED_APPS += [a for a in EXTRA]\n",
        ),
        ("blog/views.py", "def v(request):\n    return request.user.has_perm('blog.can_publsh')\n"),
    ]);
    let got = codes(&a);
    assert_eq!(
        got,
        vec!["DJP002 Unknown permission `blog.can_publsh`".to_string()]
    );
    assert!(!a.index.projects[0].apps_complete);
}

#[test]
fn project_object_backend_accepts_actions_on_real_models() {
    // A project backend answers `dcim.render_config_device`-style names (read from code djperm
    // cannot follow; a `has_perm` that returns False accepts nothing).
    let (_d, a) = project(&[
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\nAUTHENTICATION_BACKENDS = ['proj.backends.ObjectPermissionBackend']\n",
        ),
        ("proj/backends.py", "from django.contrib.auth.backends import ModelBackend\n\nclass ObjectPermissionBackend(ModelBackend):\n    def has_perm(self, user, perm, obj=None):\n        return perm in self.get_object_permissions(user)\n"),
        ("blog/views.py", "def v(request):\n    request.user.has_perm('blog.render_post')\n    request.user.has_perm('blog.can_publsh')\n"),
    ]);
    let got = codes(&a);
    assert_eq!(
        got,
        vec!["DJP002 Unknown permission `blog.can_publsh`".to_string()]
    );
}

#[test]
fn class_level_names_in_a_migration() {
    // `state_operations = [...]` then `SeparateDatabaseAndState(state_operations=state_operations)`.
    let (_d, a) = project(&[(
        "blog/migrations/0002_move.py",
        "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    state_operations = [migrations.CreateModel(name='Tag', fields=[], options={'permissions': [('can_tag', 'Can tag')]})]\n    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]\n",
    )]);
    let p = &a.index.projects[0];
    assert!(!p.opaque_labels.contains("blog"));
    assert!(p.is_known("blog", "can_tag"));
    assert!(p.is_known("blog", "add_tag"));
}

#[test]
fn re_exported_model_base() {
    // `from .base import TimeStamped` in models/__init__.py, used by another models module.
    let (_d, a) = project(&[
        ("blog/models/__init__.py", "from .base import Stamped\nfrom .post import Post\n"),
        ("blog/models/base.py", "from django.db import models\n\nclass Stamped(models.Model):\n    class Meta:\n        abstract = True\n        permissions = [('can_publish', 'Can publish')]\n"),
        ("blog/models/post.py", "from blog.models import Stamped\n\nclass Post(Stamped):\n    pass\n"),
    ]);
    let p = &a.index.projects[0];
    let post = p
        .code_models
        .iter()
        .find(|m| m.object_name == "Post")
        .expect("Post is a model");
    let custom: Vec<&str> = post
        .options
        .permissions
        .iter()
        .flatten()
        .map(|e| e.codename.as_str())
        .collect();
    assert_eq!(custom, ["can_publish"]);
}

#[test]
fn svg_group_is_not_a_model() {
    // `class Connector(Group)` with svgwrite's Group.
    let (_d, a) = project(&[
        ("blog/models.py", "from django.db import models\nfrom blog.svg import Connector\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n"),
        ("blog/svg.py", "from svgwrite.container import Group\n\nclass Connector(Group):\n    pass\n"),
    ]);
    assert!(a.diagnostics.is_empty(), "{:?}", codes(&a));
}

#[test]
fn dynamic_action_rows_from_code() {
    // wagtail: `Permission.objects.get_or_create(codename=f"publish_{model_name}", …)` in a signal.
    let (_d, a) = project(&[
        (
            "blog/signals.py",
            "from django.contrib.auth.models import Permission\n\ndef create(ct, model_name):\n    Permission.objects.get_or_create(content_type=ct, codename=f'publish_{model_name}')\n",
        ),
        ("blog/views.py", "def v(request):\n    return request.user.has_perm('blog.publish_post')\n"),
    ]);
    assert!(a.diagnostics.is_empty(), "{:?}", codes(&a));
}

fn with_preview(dir: &std::path::Path) -> Analysis {
    // DJP030 (unused custom permissions) would flag these small projects' definitions.
    let config = djperm::config::Config {
        preview: true,
        ignore: vec!["DJP030".into()],
        ..Default::default()
    };
    common::analyze_with(dir, &config)
}

#[test]
fn permission_required_set_in_init_is_set() {
    // `self.permission_required = (...)` in `__init__`.
    let views = "from django.contrib.auth.mixins import PermissionRequiredMixin\nfrom django.views.generic import DetailView\n\nclass Report(PermissionRequiredMixin, DetailView):\n    def __init__(self):\n        self.permission_required = ('blog.view_post',)\n\nclass Missing(PermissionRequiredMixin, DetailView):\n    pass\n";
    let urls = "from django.urls import path\nfrom blog.views import Report, Missing\n\nurlpatterns = [path('r/', Report.as_view()), path('m/', Missing.as_view())]\n";
    let (dir, _) = project(&[("blog/views.py", views), ("blog/urls.py", urls)]);
    let a = with_preview(dir.path());
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("DJP017 `Missing`"), "{got:?}");
}

#[test]
fn drf_model_permissions_on_a_model_without_add() {
    let models = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Log(models.Model):\n    class Meta:\n        default_permissions = ('view',)\n";
    let migration = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [\n        migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]}),\n        migrations.CreateModel(name='Log', fields=[], options={'default_permissions': ('view',)}),\n    ]\n";
    let api = "from rest_framework import viewsets\nfrom rest_framework.permissions import DjangoModelPermissions\nfrom blog.models import Log, Post\n\nclass LogViewSet(viewsets.ModelViewSet):\n    queryset = Log.objects.all()\n    permission_classes = [DjangoModelPermissions]\n\nclass LogReadOnly(viewsets.ReadOnlyModelViewSet):\n    queryset = Log.objects.all()\n    permission_classes = [DjangoModelPermissions]\n\nclass PostViewSet(viewsets.ModelViewSet):\n    queryset = Post.objects.all()\n    permission_classes = [DjangoModelPermissions]\n";
    let (dir, _) = project(&[
        ("blog/models.py", models),
        ("blog/migrations/0001_initial.py", migration),
        ("blog/api.py", api),
    ]);
    let a = with_preview(dir.path());
    let got = codes(&a);
    assert_eq!(
        got,
        vec!["DJP021 `LogViewSet` requires `blog.add_log` (POST), `blog.change_log` (PUT/PATCH), `blog.delete_log` (DELETE), which `Log` does not have".to_string()]
    );
}

#[test]
fn deeply_nested_generated_code_does_not_overflow_the_stack() {
    let deep = format!(
        "X = {}1{}\nY = 1{}\n",
        "(".repeat(20_000),
        ")".repeat(20_000),
        " + 1".repeat(50_000)
    );
    let (_d, a) = project(&[("blog/generated.py", deep.as_str())]);
    assert!(a.diagnostics.is_empty(), "{:?}", codes(&a));
}

/// An INSTALLED_APPS entry that resolves nowhere (a third-party app) counts with Django's default
/// label (its last component); it no longer silences DJP003 for the whole project. A label that
/// no app has, known or defaulted, is reported, with the one label that defines the codename.
#[test]
fn unknown_labels_are_reported_next_to_apps_outside_the_project() {
    let (_d, a) = project(&[
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'vendor.widgets', 'blog']\n",
        ),
        (
            "blog/views.py",
            "def v(request):\n    a = request.user.has_perm('widgets.use_widget')\n    b = request.user.has_perm('old_blog.can_publish')\n    c = request.user.has_perm('nowhere.do_thing')\n    return a, b, c\n",
        ),
        (
            "blog/templates/blog/x.html",
            "{% if perms.widgets %}w{% endif %}{% if perms.can_publsh %}x{% endif %}\n",
        ),
    ]);
    let got = codes(&a);
    assert_eq!(
        got,
        [
            "DJP003 Unknown app label `can_publsh` in `perms.can_publsh`",
            "DJP003 Unknown app label `old_blog` in `old_blog.can_publish`",
            "DJP003 Unknown app label `nowhere` in `nowhere.do_thing`",
        ],
        "{got:?}"
    );
    let help: Vec<_> = a.diagnostics.iter().map(|d| d.help.clone()).collect();
    assert!(
        help[1]
            .as_deref()
            .unwrap_or("")
            .contains("`blog.can_publish`"),
        "{help:?}"
    );
}
