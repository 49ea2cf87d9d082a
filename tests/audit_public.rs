//! `public-routes` and the report's readable forms: routes meant to be open are `public`, not
//! `unguarded` (a guarded route keeps its status); the CSV writes the root route `/`; the HTML
//! lists unguarded routes first, with a filter box, status toggles and a legend.

mod common;

use djperm::audit::{self, AuditFormat};

const URLS: &str = "from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import path

from blog import views

urlpatterns = [
    path('', views.home, name='home'),
    path('accounts/login/', auth_views.LoginView.as_view(), name='login'),
    path('accounts/password_reset/', views.reset, name='password_reset'),
    path('accounts/profile/', login_required(views.profile), name='profile'),
    path('export/', views.export, name='export'),
]
";

const VIEWS: &str = "def home(request):\n    pass\n\n\ndef reset(request):\n    pass\n\n\ndef profile(request):\n    pass\n\n\ndef export(request):\n    pass\n";

fn report(toml: &str) -> audit::Report {
    let (dir, _) = common::project(&[
        ("proj/urls.py", URLS),
        ("blog/views.py", VIEWS),
        (
            "proj/settings.py",
            "ROOT_URLCONF = 'proj.urls'\nINSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n",
        ),
        ("djperm.toml", toml),
    ]);
    let config = djperm::config::discover(dir.path())
        .expect("the configuration parses")
        .map(|(_, c)| c)
        .unwrap_or_default();
    let mut r = audit::audit_dir(dir.path(), &config);
    r.root_dir = None;
    r
}

fn status(r: &audit::Report, pattern: &str) -> &'static str {
    r.projects[0]
        .routes
        .iter()
        .find(|x| x.pattern == pattern)
        .unwrap_or_else(|| panic!("no route {pattern}"))
        .status
}

#[test]
fn public_routes_by_name_and_by_pattern() {
    let r =
        report("public-routes = [\"login\", \"/accounts/password_*\", \"accounts/profile/\"]\n");
    assert_eq!(status(&r, "accounts/login/"), "public");
    assert_eq!(status(&r, "accounts/password_reset/"), "public");
    // Listed, but guarded: it keeps its guard.
    assert_eq!(status(&r, "accounts/profile/"), "guarded");
    // Not listed: still unguarded.
    assert_eq!(status(&r, "export/"), "unguarded");
    assert_eq!(status(&r, ""), "unguarded");
    let s = &r.projects[0].summary;
    assert_eq!((s.public, s.unguarded, s.guarded), (2, 2, 1));
    let text = audit::render(&r, AuditFormat::Text);
    assert!(text.contains("2 unguarded, 2 public"), "{text}");
    let json = audit::render(&r, AuditFormat::Json);
    assert!(json.contains("\"public\": 2"), "{json}");
}

#[test]
fn without_public_routes_login_is_unguarded() {
    let r = report("");
    assert_eq!(status(&r, "accounts/login/"), "unguarded");
    assert_eq!(r.projects[0].summary.public, 0);
}

#[test]
fn csv_keeps_the_root_route() {
    let r = report("");
    let csv = audit::render(&r, AuditFormat::Csv);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows.iter().any(|l| l.contains(",/,home,")), "{csv}");
    assert!(
        rows.iter().any(|l| l.contains(",/export/,export,")),
        "{csv}"
    );
}

#[test]
fn html_lists_unguarded_routes_first_with_filter_and_legend() {
    let r = report("public-routes = [\"login\"]\n");
    let html = audit::render(&r, AuditFormat::Html);
    let statuses: Vec<&str> = html
        .match_indices("data-status=\"")
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    let rank = |s: &str| {
        ["unguarded", "unknown", "public", "guarded"]
            .iter()
            .position(|x| *x == s)
    };
    let ranks: Vec<_> = statuses.iter().map(|s| rank(s)).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{statuses:?}");
    assert_eq!(statuses.first(), Some(&"unguarded"));
    assert!(statuses.contains(&"public"));
    assert!(html.contains("class=\"route-filter\""));
    assert!(html.contains("class=\"status-toggle\" value=\"public\""));
    assert!(html.contains("class=\"legend\""));
    assert!(html.contains("<code>?</code> in a pattern"));
}

#[test]
fn a_bad_public_routes_glob_is_a_config_error() {
    let err = djperm::config::parse(
        std::path::Path::new("djperm.toml"),
        "public-routes = [\"accounts/[\"]\n",
    )
    .expect_err("invalid glob rejected");
    assert!(err.to_string().contains("invalid glob"), "{err}");
}
