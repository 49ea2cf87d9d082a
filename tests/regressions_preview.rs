//! False positives of the preview rules found on real projects (DJP012, DJP015, DJP017, DJP020,
//! DJP022, DJP030), each with a real bug of the same shape that must still be reported.

mod common;

use common::{codes, project};

const PREVIEW: (&str, &str) = ("djperm.toml", "preview = true\n");

/// The findings of one rule.
fn of(a: &djperm::Analysis, code: &str) -> Vec<String> {
    codes(a)
        .into_iter()
        .filter(|c| c.starts_with(code))
        .collect()
}

/// The 1-based lines of the findings of one rule.
fn lines(a: &djperm::Analysis, code: &str) -> Vec<usize> {
    a.diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| a.ws.locator(d.span.file).line(d.span.start as usize) + 1)
        .collect()
}

#[test]
fn guardian_names_are_guardian_only_when_imported_from_guardian() {
    let (_d, a) = project(&[
        PREVIEW,
        (
            "blog/perms.py",
            "from django.contrib.auth.models import Group\n\ndef get_groups_with_perms(obj=None, *, only_with_perms_in=()):\n    return Group.objects.none()\n\ndef get_objects_for_user(user, perms):\n    return []\n\ndef assign_perm(perm, group):\n    pass\n",
        ),
        (
            "blog/views.py",
            "from .perms import get_groups_with_perms, get_objects_for_user, assign_perm\n\ndef v(request, group):\n    get_groups_with_perms(only_with_perms_in=['blog.can_publish'])\n    get_objects_for_user(request.user, ['blog.can_publish', 'auth.view_user'])\n    assign_perm('can_publish', group)\n",
        ),
        // guardian's, directly and through a module of the project that re-exports it
        ("blog/shortcuts.py", "from guardian.shortcuts import get_users_with_perms\n"),
        (
            "blog/real.py",
            "from guardian.shortcuts import get_objects_for_user, assign_perm\nfrom .shortcuts import get_users_with_perms\n\ndef v(request, post, group):\n    get_users_with_perms(post, only_with_perms_in=['blog.can_publish'])\n    get_objects_for_user(request.user, ['blog.can_publish', 'auth.view_user'])\n    assign_perm('can_publish', group)\n",
        ),
    ]);
    let got = codes(&a);
    let in_file = |file: &str, code: &str| {
        a.diagnostics
            .iter()
            .filter(|d| d.code == code && a.ws.path(d.span.file) == file)
            .count()
    };
    for code in ["DJP001", "DJP015", "DJP020"] {
        assert_eq!(in_file("blog/views.py", code), 0, "{got:?}");
        assert_eq!(in_file("blog/real.py", code), 1, "{code}: {got:?}");
    }
}

#[test]
fn a_list_filled_before_the_check_is_not_empty() {
    let (_d, a) = project(&[
        PREVIEW,
        (
            "blog/views.py",
            "def filled(user, classes):\n    perms = []\n    for c in classes:\n        perms.extend(['blog.view_%s' % c])\n    return user.has_perms(perms)\n\ndef appended(user, add=True):\n    perms = []\n    if add:\n        perms.append('blog.add_post')\n    return user.has_perms(perms)\n\ndef empty(user):\n    perms = []\n    return user.has_perms(perms)\n",
        ),
    ]);
    assert_eq!(lines(&a, "DJP012"), vec![15], "{:?}", codes(&a));
}

#[test]
fn a_container_filled_by_index_or_by_a_call_is_not_empty() {
    let code = "def sliced(user, extra):\n    perms = []\n    perms[0:0] = extra\n    return user.has_perms(perms)\n\ndef handed(user, fill):\n    perms = list()\n    fill(perms)\n    return user.has_perms(perms)\n\ndef other_name_handed(user, fill, other):\n    perms = []\n    fill(other)\n    return user.has_perms(perms)\n";
    let (_d, a) = project(&[PREVIEW, ("blog/views.py", code)]);
    // only the set that nothing fills
    assert_eq!(lines(&a, "DJP012"), vec![14], "{:?}", codes(&a));
}

const VIEWS_BASE: &str = "from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin\nfrom django.views.generic import DetailView\nfrom .models import Post\n\nclass PostDetailView(PermissionRequiredMixin, DetailView):\n    model = Post\n    permission_required = 'blog.can_publish'\n\n";

#[test]
fn emptying_an_inherited_permission_behind_login_required_is_deliberate() {
    let views = format!(
        "{VIEWS_BASE}class OwnPostView(LoginRequiredMixin, PostDetailView):\n    permission_required = []\n\nclass OpenPostView(PostDetailView):\n    permission_required = []\n\nclass HookView(PermissionRequiredMixin, DetailView):\n    model = Post\n    permission_required = ()\n\n    def get_permission_required(self):\n        return ('blog.can_publish',)\n"
    );
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/views.py", &views),
        (
            "proj/urls.py",
            "from django.urls import path\nfrom blog import views\n\nurlpatterns = [\n    path('a/<int:pk>/', views.PostDetailView.as_view()),\n    path('b/<int:pk>/', views.OwnPostView.as_view()),\n    path('c/<int:pk>/', views.OpenPostView.as_view()),\n    path('d/<int:pk>/', views.HookView.as_view()),\n]\n",
        ),
    ]);
    // only OpenPostView: it empties the permission without requiring a login
    assert_eq!(lines(&a, "DJP012"), vec![13], "{:?}", codes(&a));
}

#[test]
fn guardian_mixin_with_get_required_permissions_sets_its_permissions() {
    let views = "from django.views.generic import DetailView\nfrom guardian.mixins import PermissionRequiredMixin\nfrom .models import Post\n\nclass Hooked(PermissionRequiredMixin, DetailView):\n    model = Post\n\n    def get_required_permissions(self, request=None):\n        return ['blog.can_publish']\n\nclass Missing(PermissionRequiredMixin, DetailView):\n    model = Post\n";
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/views.py", views),
        (
            "proj/urls.py",
            "from django.urls import path\nfrom blog import views\n\nurlpatterns = [\n    path('a/<int:pk>/', views.Hooked.as_view()),\n    path('b/<int:pk>/', views.Missing.as_view()),\n]\n",
        ),
    ]);
    let got = of(&a, "DJP017");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("DJP017 `Missing`"), "{got:?}");
}

const FIXTURE: &str = "[{\"model\": \"auth.group\", \"pk\": 1, \"fields\": {\"name\": \"Editors\", \"permissions\": [[\"lock_post\", \"blog\", \"post\"]]}}]\n";

#[test]
fn fixture_permission_of_a_project_with_unseen_apps_is_not_judged() {
    // An installed app whose code is not in the tree may create it after `migrate`.
    let (_d, a) = project(&[
        PREVIEW,
        ("proj/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'somecms.snippets']\n"),
        ("blog/fixtures/groups.json", FIXTURE),
    ]);
    assert_eq!(of(&a, "DJP022"), Vec::<String>::new());
    // ... but a near miss of a known permission is still a typo.
    let (_d, a) = project(&[
        PREVIEW,
        ("proj/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'somecms.snippets']\n"),
        ("blog/fixtures/groups.json", &FIXTURE.replace("lock_post", "can_publsh")),
    ]);
    assert_eq!(of(&a, "DJP022").len(), 1, "{:?}", codes(&a));
    // A `post_migrate` receiver of the project creates it.
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/fixtures/groups.json", FIXTURE),
        (
            "blog/apps.py",
            "from django.apps import AppConfig\nfrom django.db.models.signals import post_migrate\n\ndef create_lock(sender, using='default', **kwargs):\n    from django.contrib.auth.models import Permission\n    from django.contrib.contenttypes.models import ContentType\n    from .models import Post\n    ct = ContentType.objects.get_for_model(Post)\n    Permission.objects.get_or_create(content_type=ct, codename='lock_post', defaults={'name': 'Can lock'})\n\nclass BlogConfig(AppConfig):\n    name = 'blog'\n\n    def ready(self):\n        post_migrate.connect(create_lock, sender=self)\n",
        ),
    ]);
    assert_eq!(of(&a, "DJP022"), Vec::<String>::new());
    // Every app known, nothing creates it: reported.
    let (_d, a) = project(&[PREVIEW, ("blog/fixtures/groups.json", FIXTURE)]);
    assert_eq!(of(&a, "DJP022").len(), 1, "{:?}", codes(&a));
}

#[test]
fn unused_permission_sees_checks_anywhere_in_the_tree() {
    let model = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('bulk_delete_post', 'Bulk delete'), ('can_archive', 'Can archive')]\n";
    let migration = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish'), ('bulk_delete_post', 'Bulk delete'), ('can_archive', 'Can archive')]})]\n";
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/models.py", model),
        ("blog/migrations/0001_initial.py", migration),
        // a nested test project: its manage.py must not narrow the search for checks
        ("tests/fixtures/site/manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"),
        ("tests/fixtures/site/proj/__init__.py", ""),
        ("tests/fixtures/site/proj/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n"),
        ("blog/views.py", "def v(request):\n    return request.user.has_perm('blog.can_publish')\n"),
        // a codename built from an action and the model name
        (
            "blog/grants.py",
            "from django.contrib.auth.models import Permission\n\ndef grant(group, model):\n    group.permissions.add(Permission.objects.get(content_type__app_label='blog', codename=f'bulk_delete_{model._meta.model_name}'))\n",
        ),
        // default permissions a data migration creates and grants are not custom
        (
            "blog/migrations/0002_grant.py",
            "from django.db import migrations\n\ndef grant(apps, schema_editor):\n    ContentType = apps.get_model('contenttypes', 'ContentType')\n    Permission = apps.get_model('auth', 'Permission')\n    ct, _ = ContentType.objects.get_or_create(app_label='blog', model='post')\n    Permission.objects.get_or_create(content_type=ct, codename='add_post', defaults={'name': 'Can add post'})\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = [migrations.RunPython(grant)]\n",
        ),
    ]);
    let got = of(&a, "DJP030");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("`blog.can_archive`"), "{got:?}");
}

#[test]
fn a_dynamic_label_or_codename_only_covers_what_it_can_build() {
    let (_d, a) = project(&[
        PREVIEW,
        (
            "blog/views.py",
            "def v(request, action):\n    return request.user.has_perm(f'blog.{action}_post')\n",
        ),
        // the base template no longer checks `blog.can_publish`
        ("blog/templates/blog/base.html", ""),
    ]);
    // `blog.can_publish` has no `_post` suffix: still never checked
    assert_eq!(of(&a, "DJP030").len(), 1, "{:?}", codes(&a));
    let (_d, a) = project(&[
        PREVIEW,
        (
            "blog/views.py",
            "def v(request, action):\n    return request.user.has_perm('blog.%s' % action)\n",
        ),
    ]);
    assert_eq!(of(&a, "DJP030"), Vec::<String>::new());
}
