//! What the audit says about routes whose source is not in the tree: Django's and DRF's own
//! URLconfs are listed route by route; another package's URLconf is one route whose note says
//! why it is not expanded; a project router class that changes how routes are made is named;
//! the admin index names the installed apps outside the tree whose admin models are not listed.

mod common;

use djperm::audit::{self, Report, Route};

fn report(files: &[(&str, &str)]) -> Report {
    let (dir, _) = common::project(files);
    let mut r = audit::audit_dir(dir.path(), &Default::default());
    r.root_dir = None;
    r
}

fn routes(r: &Report) -> &[Route] {
    &r.projects[0].routes
}

fn find<'a>(r: &'a Report, pattern: &str) -> &'a Route {
    routes(r)
        .iter()
        .find(|x| x.pattern == pattern)
        .unwrap_or_else(|| panic!("no route {pattern}"))
}

const SETTINGS: &str = "ROOT_URLCONF = 'proj.urls'
INSTALLED_APPS = [
    'django.contrib.admin', 'django.contrib.auth', 'django.contrib.contenttypes',
    'rest_framework', 'rest_framework.authtoken', 'payments_plus', 'blog',
]
";

#[test]
fn known_urlconfs_are_listed_and_others_say_why_not() {
    let r = report(&[
        ("proj/settings.py", SETTINGS),
        (
            "proj/urls.py",
            "from django.urls import include, path\n\nurlpatterns = [\n    path('accounts/', include('django.contrib.auth.urls')),\n    path('api-auth/', include('rest_framework.urls', namespace='drf')),\n    path('pay/', include('payments_plus.urls')),\n]\n",
        ),
    ]);
    let login = find(&r, "accounts/login/");
    assert_eq!(login.name.as_deref(), Some("login"));
    assert_eq!(login.status, "unguarded");
    assert_eq!(find(&r, "accounts/password_change/").status, "guarded");
    // An explicit namespace wins over the URLconf's app_name.
    assert_eq!(
        find(&r, "api-auth/login/").name.as_deref(),
        Some("drf:login")
    );
    let pay = find(&r, "pay/");
    assert_eq!(pay.status, "unknown");
    assert_eq!(pay.view, "include(\"payments_plus.urls\")");
    assert!(
        pay.notes
            .iter()
            .any(|n| n.contains("`payments_plus.urls` is a URLconf outside the scanned tree")),
        "{:?}",
        pay.notes
    );
}

#[test]
fn a_router_class_that_changes_its_routes_is_named() {
    // blog/api.py holds no permission token: the urlconf's `register()` call alone must make
    // the viewset's module read (it was skipped, and the route left unresolved).
    let api = "from rest_framework import viewsets\n\nfrom .models import Post\n\n\nclass PostViewSet(viewsets.ModelViewSet):\n    queryset = Post.objects.all()\n";
    let urls = |router: &str| {
        format!(
            "from django.urls import include, path\nfrom rest_framework.routers import DefaultRouter\n\nfrom blog.api import PostViewSet\n\n{router}\n\nrouter = ApiRouter()\nrouter.register('posts', PostViewSet)\n\nurlpatterns = [path('api/', include(router.urls))]\n"
        )
    };
    let custom = "class ApiRouter(DefaultRouter):\n    def get_urls(self):\n        return super().get_urls() + extra_urls()";
    let r = report(&[
        ("proj/settings.py", SETTINGS),
        ("blog/api.py", api),
        ("proj/urls.py", &urls(custom)),
    ]);
    assert_eq!(find(&r, "api/posts/").name.as_deref(), Some("post-list"));
    let unknown: Vec<&Route> = routes(&r).iter().filter(|x| x.pattern == "api/?").collect();
    assert_eq!(
        unknown.len(),
        1,
        "{:?}",
        routes(&r).iter().map(|x| &x.pattern).collect::<Vec<_>>()
    );
    assert!(unknown[0].notes[0].contains("`ApiRouter` overrides `get_urls()`"));
    // A `urls` property that appends routes, filled by a method of the project's router.
    let extra = "class ApiRouter(DefaultRouter):\n    def add_detail_path(self, url_path, *args):\n        self.extra.append(path(url_path, *args))\n\n    @property\n    def urls(self):\n        return super().urls + self.extra";
    let with_calls = urls(extra).replace(
        "\nurlpatterns",
        "router.add_detail_path('profile', None)\n\nurlpatterns",
    );
    let r = report(&[
        ("proj/settings.py", SETTINGS),
        ("blog/api.py", api),
        ("proj/urls.py", &with_calls),
    ]);
    let notes: Vec<&String> = routes(&r)
        .iter()
        .filter(|x| x.pattern == "api/?")
        .flat_map(|x| &x.notes)
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`ApiRouter` overrides `urls`:")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`add_detail_path(\"profile\", …)` on the router")),
        "{notes:?}"
    );
    assert_eq!(find(&r, "api/posts/").name.as_deref(), Some("post-list"));
    // A subclass that changes nothing about the routes: no such row.
    let plain = "class ApiRouter(DefaultRouter):\n    include_root_view = True";
    let r = report(&[
        ("proj/settings.py", SETTINGS),
        ("blog/api.py", api),
        ("proj/urls.py", &urls(plain)),
    ]);
    assert!(routes(&r).iter().all(|x| x.pattern != "api/?"));
    assert_eq!(find(&r, "api/posts/").name.as_deref(), Some("post-list"));
}

#[test]
fn admin_index_names_apps_outside_the_tree() {
    let r = report(&[
        ("proj/settings.py", SETTINGS),
        (
            "proj/urls.py",
            "from django.contrib import admin\nfrom django.urls import path\n\nurlpatterns = [path('admin/', admin.site.urls)]\n",
        ),
    ]);
    let index = find(&r, "admin/");
    assert_eq!(index.status, "guarded");
    let note = index
        .notes
        .iter()
        .find(|n| n.contains("outside the scanned tree"))
        .expect("a note on the admin index");
    // An app with models (known from the bundled table) and an unknown one; not DRF itself,
    // which has no models, nor the tree's own app.
    assert!(note.contains("`rest_framework.authtoken`"), "{note}");
    assert!(note.contains("`payments_plus`"), "{note}");
    assert!(
        !note.contains("`rest_framework`,") && !note.ends_with("`rest_framework`"),
        "{note}"
    );
    assert!(!note.contains("`blog`"), "{note}");
}

#[test]
fn a_default_router_without_format_suffixes_folds_none() {
    let api = "from rest_framework import viewsets\n\nfrom .models import Post\n\n\nclass PostViewSet(viewsets.ModelViewSet):\n    queryset = Post.objects.all()\n";
    let urls = |args: &str| {
        format!("from django.urls import include, path\nfrom rest_framework.routers import DefaultRouter, SimpleRouter\n\nfrom blog.api import PostViewSet\n\nrouter = {args}\nrouter.register('posts', PostViewSet)\n\nurlpatterns = [path('api/', include(router.urls))]\n")
    };
    let suffix = |args: &str| {
        let r = report(&[
            ("proj/settings.py", SETTINGS),
            ("blog/api.py", api),
            ("proj/urls.py", &urls(args)),
        ]);
        find(&r, "api/posts/<pk>/").format_suffix.clone()
    };
    assert_eq!(
        suffix("DefaultRouter()").as_deref(),
        Some("api/posts/<pk>.<format>")
    );
    assert_eq!(suffix("DefaultRouter(include_format_suffixes=False)"), None);
    assert_eq!(suffix("SimpleRouter()"), None);
}
