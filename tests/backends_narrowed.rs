//! A project backend whose own `has_perm` is read relaxes only the strings its code can accept:
//! delegation to ModelBackend relaxes nothing, literal strings / a prefix / a label relax exactly
//! those, and code that cannot be read (a database lookup) still accepts anything (with a
//! warning).

mod common;

use std::time::Duration;

const SETTINGS: &str = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\nAUTHENTICATION_BACKENDS = ['django.contrib.auth.backends.ModelBackend', 'proj.backends.ProjectBackend']\n";

/// Analyse the base project with `backend` as `proj/backends.py` and `views` as `blog/views.py`.
fn analyse(backend: &str, views: &str) -> (tempfile::TempDir, djperm::Analysis) {
    analyse_with(SETTINGS, backend, views)
}

fn analyse_with(
    settings: &str,
    backend: &str,
    views: &str,
) -> (tempfile::TempDir, djperm::Analysis) {
    common::project(&[
        ("proj/settings.py", settings),
        ("proj/backends.py", backend),
        ("blog/views.py", views),
    ])
}

/// The findings on the line of `blog/views.py` that holds `needle`.
fn on_line(a: &djperm::Analysis, views: &str, needle: &str) -> Vec<String> {
    let line = views
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in views");
    let start = views.lines().take(line).map(|l| l.len() + 1).sum::<usize>() as u32;
    let end = start + views.lines().nth(line).unwrap().len() as u32;
    a.diagnostics
        .iter()
        .filter(|d| a.ws.path(d.span.file).ends_with("views.py"))
        .filter(|d| d.span.start >= start && d.span.start <= end)
        .map(|d| d.code.to_string())
        .collect()
}

fn warnings(a: &djperm::Analysis) -> Vec<String> {
    a.index.projects[0].warnings.clone()
}

const VIEWS: &str = "def v(request):
    request.user.has_perm('reports.view_dashboard')
    request.user.has_perm('reports.view_dashbaord')
    request.user.has_perm('blog.feature_post')
    request.user.has_perm('blog.edit_post')
    request.user.has_perm('reprots.view_dashboard')
    request.user.has_perm('can_publish')
";

#[test]
fn delegating_to_model_backend_relaxes_nothing() {
    let backend = "from django.contrib.auth.backends import ModelBackend

class ProjectBackend(ModelBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_staff:
            return False
        return super().has_perm(user_obj, perm, obj)
";
    let (_d, a) = analyse(backend, VIEWS);
    assert_eq!(
        on_line(&a, VIEWS, "blog.edit_post"),
        ["DJP002"],
        "{:?}",
        common::codes(&a)
    );
    assert_eq!(on_line(&a, VIEWS, "'can_publish'"), ["DJP001"]);
    assert!(
        !warnings(&a).iter().any(|w| w.contains("ProjectBackend")),
        "{:?}",
        warnings(&a)
    );
}

#[test]
fn literal_strings_relax_exactly_those() {
    let backend = "from django.contrib.auth.backends import BaseBackend

EXTRA = {'reports.view_dashboard', 'blog.feature_post'}

class ProjectBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        return user_obj.is_active and perm in EXTRA
";
    let (_d, a) = analyse(backend, VIEWS);
    assert!(
        on_line(&a, VIEWS, "reports.view_dashboard").is_empty(),
        "{:?}",
        common::codes(&a)
    );
    assert!(on_line(&a, VIEWS, "blog.feature_post").is_empty());
    assert_eq!(on_line(&a, VIEWS, "reports.view_dashbaord"), ["DJP003"]);
    assert_eq!(on_line(&a, VIEWS, "blog.edit_post"), ["DJP002"]);
    assert!(
        warnings(&a).iter().any(|w| w.contains(
            "`proj.backends.ProjectBackend` answers `has_perm` itself and accepts only `reports.view_dashboard`, `blog.feature_post`"
        )),
        "{:?}",
        warnings(&a)
    );
}

#[test]
fn equality_and_class_dict_keys_relax_exactly_those() {
    let backend = "from django.contrib.auth.backends import BaseBackend

class ProjectBackend(BaseBackend):
    GRANTS = {'blog.feature_post': 'staff'}

    def has_perm(self, user_obj, perm, obj=None):
        if perm == 'reports.view_dashboard':
            return user_obj.is_staff
        elif perm not in self.GRANTS:
            return False
        return getattr(user_obj, self.GRANTS[perm])
";
    let (_d, a) = analyse(backend, VIEWS);
    assert!(
        on_line(&a, VIEWS, "reports.view_dashboard").is_empty(),
        "{:?}",
        common::codes(&a)
    );
    assert!(on_line(&a, VIEWS, "blog.feature_post").is_empty());
    assert_eq!(on_line(&a, VIEWS, "reports.view_dashbaord"), ["DJP003"]);
    assert_eq!(on_line(&a, VIEWS, "blog.edit_post"), ["DJP002"]);
}

#[test]
fn a_prefix_relaxes_strings_that_start_with_it() {
    let backend = "from django.contrib.auth.backends import ModelBackend

class ProjectBackend(ModelBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if perm.startswith('reports.'):
            return user_obj.is_staff
        return False
";
    let (_d, a) = analyse(backend, VIEWS);
    assert!(
        on_line(&a, VIEWS, "reports.view_dashboard").is_empty(),
        "{:?}",
        common::codes(&a)
    );
    assert!(on_line(&a, VIEWS, "reports.view_dashbaord").is_empty());
    // `edit_<real model>` was accepted by any project backend before: not this one.
    assert_eq!(on_line(&a, VIEWS, "blog.edit_post"), ["DJP002"]);
    assert_eq!(on_line(&a, VIEWS, "reprots.view_dashboard"), ["DJP003"]);
    assert_eq!(on_line(&a, VIEWS, "'can_publish'"), ["DJP001"]);
}

#[test]
fn a_label_check_relaxes_that_label() {
    let backend = "from django.contrib.auth.backends import BaseBackend

class ProjectBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        app_label, codename = perm.split('.', 1)
        if app_label != 'reports':
            return False
        return codename in user_obj.flags
";
    let (_d, a) = analyse(backend, VIEWS);
    assert!(
        on_line(&a, VIEWS, "reports.view_dashboard").is_empty(),
        "{:?}",
        common::codes(&a)
    );
    assert!(on_line(&a, VIEWS, "reports.view_dashbaord").is_empty());
    assert_eq!(on_line(&a, VIEWS, "blog.feature_post"), ["DJP002"]);
    assert_eq!(on_line(&a, VIEWS, "reprots.view_dashboard"), ["DJP003"]);
}

#[test]
fn code_that_cannot_be_read_accepts_anything_with_a_warning() {
    let backend = "from django.contrib.auth.backends import BaseBackend
from proj.models import Grant

class ProjectBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        return Grant.objects.filter(user=user_obj, name=perm).exists()
";
    // The only backend that grants anything.
    let settings = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\nAUTHENTICATION_BACKENDS = ['proj.backends.ProjectBackend']\n";
    let (_d, a) = analyse_with(settings, backend, VIEWS);
    for needle in [
        "reports.view_dashbaord",
        "blog.edit_post",
        "reprots.view",
        "'can_publish'",
    ] {
        assert!(
            on_line(&a, VIEWS, needle).is_empty(),
            "{needle}: {:?}",
            common::codes(&a)
        );
    }
    assert!(
        warnings(&a)
            .iter()
            .any(|w| w.contains("djperm cannot know which permission strings it accepts")),
        "{:?}",
        warnings(&a)
    );
}

#[test]
fn explain_shows_what_a_narrowed_backend_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let backend = "from django.contrib.auth.backends import BaseBackend

class ProjectBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        return perm.startswith('reports.') and user_obj.is_staff
";
    common::write_tree(
        dir.path(),
        &[
            (
                "manage.py",
                b"import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n",
            ),
            ("proj/__init__.py", b""),
            ("proj/settings.py", SETTINGS.as_bytes()),
            ("proj/backends.py", backend.as_bytes()),
            ("blog/__init__.py", b""),
            (
                "blog/models.py",
                b"from django.db import models\n\nclass Post(models.Model):\n    pass\n",
            ),
        ],
    );
    let out = common::run_djperm(
        dir.path(),
        &["explain", "blog.edit_post"],
        Duration::from_secs(60),
    );
    assert!(
        out.stdout.starts_with("blog.edit_post: reported (DJP002)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("`proj.backends.ProjectBackend` answers `has_perm` itself and accepts only strings starting with `reports.` besides ModelBackend's permissions: `blog.edit_post` is not one of them"),
        "{}",
        out.stdout
    );
    let out = common::run_djperm(
        dir.path(),
        &["explain", "reports.view_dashboard"],
        Duration::from_secs(60),
    );
    assert!(out.stdout.contains("is accepted"), "{}", out.stdout);
}

#[test]
fn literal_strings_beside_the_parent_answer() {
    let backend = "from django.contrib.auth.backends import ModelBackend

class ProjectBackend(ModelBackend):
    def has_perm(self, user_obj, perm, obj=None):
        return perm in {'reports.view_dashboard'} or super().has_perm(user_obj, perm, obj)
";
    let (_d, a) = analyse(backend, VIEWS);
    assert!(
        on_line(&a, VIEWS, "reports.view_dashboard").is_empty(),
        "{:?}",
        common::codes(&a)
    );
    assert_eq!(on_line(&a, VIEWS, "reports.view_dashbaord"), ["DJP003"]);
    assert_eq!(on_line(&a, VIEWS, "blog.edit_post"), ["DJP002"]);
}
