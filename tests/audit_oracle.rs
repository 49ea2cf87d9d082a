//! `djperm audit` against Django's own resolver: on a fixture project with DRF routers (with
//! `@action`s and format suffixes), views setting `self.permission_required` in `__init__`,
//! `setup()` and `dispatch()`, and third-party includes, every route djperm lists is one
//! `get_resolver()` walks (same pattern, name and view), and every route Django has is listed,
//! folded (format suffixes, admin pages of a listed model), or named by the note that says why
//! it is not listed (an include of a package's URLconf, an installed app's admin models).

mod common;

use std::path::PathBuf;

use djperm::audit::{self, Route};
use serde_json::Value as Json;

fn fixture() -> PathBuf {
    common::fixtures().join("../audit_oracle")
}

fn report() -> audit::Report {
    let dir = fixture();
    let config = djperm::config::discover(&dir)
        .ok()
        .flatten()
        .map(|(_, c)| c)
        .unwrap_or_default();
    audit::audit_dir(&dir, &config)
}

/// The routes real Django resolves (`tests/oracle/dump_routes.py`).
fn django_routes() -> Vec<Json> {
    let python = common::python();
    let script = common::fixtures().join("../../oracle/dump_routes.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg(fixture())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (install Django): {e}", python.display()));
    assert!(
        out.status.success(),
        "Django failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Json>(&out.stdout)
        .expect("oracle prints JSON")
        .as_array()
        .cloned()
        .unwrap()
}

fn s(j: &Json, k: &str) -> Option<String> {
    j[k].as_str().map(str::to_string)
}

/// djperm's view for a route Django resolves to `view` (a viewset route names its `@action`).
fn same_view(route: &Route, django: &Json) -> bool {
    let view = s(django, "view").unwrap_or_default();
    if route.view == view {
        return true;
    }
    let standard = [
        "list",
        "create",
        "retrieve",
        "update",
        "partial_update",
        "destroy",
    ];
    let actions: Vec<&str> = django["actions"]
        .as_object()
        .map(|m| m.values().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    actions
        .iter()
        .filter(|a| !standard.contains(a))
        .any(|a| route.view == format!("{view}.{a}"))
}

#[test]
fn audit_routes_match_djangos_resolver() {
    let report = report();
    let project = &report.projects[0];
    let django = django_routes();
    let mut failures = Vec::new();

    // Every route djperm lists is a route Django resolves.
    for r in &project.routes {
        let included_elsewhere = r.view_kind == "external" && r.view.starts_with("include(");
        if included_elsewhere {
            continue;
        }
        let found = django.iter().find(|d| {
            d["suffix"] == false
                && s(d, "pattern") == Some(r.pattern.clone())
                && s(d, "name") == r.name
        });
        match found {
            None => failures.push(format!(
                "djperm lists /{} ({:?}); Django has no such route",
                r.pattern, r.name
            )),
            Some(d)
                if r.view_kind != "admin" && r.view_kind != "admin-index" && !same_view(r, d) =>
            {
                failures.push(format!(
                    "/{}: djperm view {} != Django {}",
                    r.pattern, r.view, d["view"]
                ))
            }
            Some(d) => {
                // DRF: the methods djperm gives permissions for are those Django routes.
                if let Some(actions) = d["actions"].as_object() {
                    let mut django_methods: Vec<String> =
                        actions.keys().map(|m| m.to_uppercase()).collect();
                    django_methods.sort();
                    for g in r
                        .guards
                        .iter()
                        .filter(|g| !g.methods.is_empty() || !g.methods_not_allowed.is_empty())
                    {
                        let mut ours: Vec<String> = g
                            .methods
                            .keys()
                            .chain(g.methods_not_allowed.iter())
                            .filter(|m| *m != "HEAD" && *m != "OPTIONS")
                            .cloned()
                            .collect();
                        ours.sort();
                        if ours != django_methods {
                            failures.push(format!(
                                "/{}: methods {ours:?} != Django {django_methods:?}",
                                r.pattern
                            ));
                        }
                    }
                }
            }
        }
    }

    // Every route Django resolves is listed, folded, or inside an include djperm names.
    for d in &django {
        let pattern = s(d, "pattern").unwrap_or_default();
        let name = s(d, "name");
        let listed = project.routes.iter().any(|r| {
            if d["suffix"] == true {
                r.format_suffix.as_deref() == Some(&format!("{pattern}.<format>")) && r.name == name
            } else {
                r.pattern == pattern && r.name == name
            }
        });
        if listed {
            continue;
        }
        // Admin pages: the site's index and each registered model's changelist are listed; the
        // other pages of a site (add, change, history, login, …) fold into them.
        let admin_changelist = name.as_deref().is_some_and(|n| n.ends_with("_changelist"));
        let admin_site = project
            .routes
            .iter()
            .any(|r| r.view_kind == "admin-index" && pattern.starts_with(&r.pattern));
        if admin_site && !admin_changelist {
            continue;
        }
        // A model an installed app outside the tree registers: the admin index names the app.
        let label = name
            .as_deref()
            .and_then(|n| n.strip_prefix("admin:"))
            .and_then(|n| n.split('_').next())
            .unwrap_or_default();
        let named_app = project.routes.iter().any(|r| {
            r.view_kind == "admin-index"
                && r.notes.iter().any(|n| {
                    n.contains("outside the scanned tree")
                        && (n.contains(&format!("`{label}`")) || n.contains(&format!(".{label}`")))
                })
        });
        if admin_changelist && named_app {
            continue;
        }
        let module = s(d, "module").unwrap_or_default();
        let named_include = project.routes.iter().any(|r| {
            r.view_kind == "external"
                && r.view == format!("include(\"{module}\")")
                && pattern.starts_with(&r.pattern)
                && r.notes.iter().any(|n| n.contains(&module))
        });
        if named_include {
            continue;
        }
        failures.push(format!(
            "Django has /{pattern} ({name:?}, {}); djperm does not list it",
            d["view"]
        ));
    }
    assert!(
        failures.is_empty(),
        "audit vs Django's resolver:\n  {}",
        failures.join("\n  ")
    );
    // Django's and DRF's own URLconfs are resolved, not left as includes.
    assert!(
        !project
            .routes
            .iter()
            .any(|r| r.view.starts_with("include(")),
        "known URLconfs resolved"
    );
    // The fixture exercises what it claims to.
    assert!(django.iter().any(|d| d["suffix"] == true));
    assert!(django
        .iter()
        .any(|d| s(d, "name").as_deref() == Some("admin:taggit_tag_changelist")));
    for module in [
        "rest_framework.urls",
        "django.conf.urls.i18n",
        "django.contrib.auth.urls",
    ] {
        assert!(
            django
                .iter()
                .any(|d| s(d, "module").as_deref() == Some(module)),
            "{module}"
        );
    }
    assert!(django.iter().any(|d| d["actions"]
        .as_object()
        .is_some_and(|a| a.values().any(|v| v == "lend"))));
}

fn route<'a>(project: &'a audit::ProjectReport, pattern: &str) -> &'a Route {
    project
        .routes
        .iter()
        .find(|r| r.pattern == pattern)
        .unwrap_or_else(|| panic!("no route {pattern}"))
}

fn methods(r: &Route) -> Vec<(String, Vec<String>)> {
    r.guards
        .iter()
        .flat_map(|g| g.methods.iter().map(|(m, p)| (m.clone(), p.clone())))
        .collect()
}

#[test]
fn drf_routes_get_the_permissions_of_their_methods() {
    let report = report();
    let p = &report.projects[0];
    let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // The project's perms_map: reads need `view`, OPTIONS is not in the map (405).
    let list = route(p, "api/books/");
    assert_eq!(
        methods(list),
        vec![
            ("GET".into(), v(&["library.view_book"])),
            ("HEAD".into(), v(&["library.view_book"])),
            ("POST".into(), v(&["library.add_book"])),
        ]
    );
    assert_eq!(
        list.guards[0].permissions,
        ["library.view_book", "library.add_book"]
    );
    assert_eq!(list.guards[0].methods_not_allowed, ["OPTIONS"]);
    let detail = route(p, "api/books/<pk>/");
    assert_eq!(
        detail.guards[0].permissions,
        [
            "library.view_book",
            "library.change_book",
            "library.delete_book"
        ]
    );
    assert!(!detail.guards[0]
        .permissions
        .contains(&"library.add_book".to_string()));
    // `@action(detail=True, methods=["post"])`: POST only.
    let lend = route(p, "api/books/<pk>/lend/");
    assert_eq!(
        methods(lend),
        vec![("POST".into(), v(&["library.add_book"]))]
    );
    // DRF's own map: reads need nothing, OPTIONS is allowed.
    let authors = route(p, "api/authors/");
    assert!(methods(authors).iter().all(|(_, p)| p.is_empty()));
    assert!(authors.guards[0].methods.contains_key("OPTIONS"));
    assert!(authors.guards[0].methods_not_allowed.is_empty());
    assert_eq!(authors.status, "guarded");
    // Format suffixes are folded into their base route.
    assert_eq!(
        route(p, "api/stats/").format_suffix.as_deref(),
        Some("api/stats.<format>")
    );
    assert_eq!(route(p, "shelf/").format_suffix, None);
}

#[test]
fn permission_required_set_on_the_instance_is_read() {
    let report = report();
    let p = &report.projects[0];
    let perms = |pattern: &str| route(p, pattern).guards[0].permissions.clone();
    assert_eq!(
        perms("shelf/"),
        ["library.view_book", "library.view_author"]
    );
    assert_eq!(perms("lending/"), ["library.lend_book"]);
    // `dispatch()` sets it before the mixin's check: the instance value wins over the class's.
    assert_eq!(perms("catalogue/"), ["library.change_book"]);
    for pattern in ["shelf/", "lending/", "catalogue/"] {
        assert!(!route(p, pattern).guards[0].detail.contains("not folded"));
    }
}
