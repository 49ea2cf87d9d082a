//! `djperm audit` on fixture projects with known routes: JSON and text reports as insta
//! snapshots, plus the CSV header and the HTML's self-containedness.

mod common;

use djperm::audit::{self, AuditFormat};

fn report(name: &str) -> audit::Report {
    let dir = common::fixtures().join(name);
    let config = djperm::config::discover(&dir)
        .ok()
        .flatten()
        .map(|(_, c)| c)
        .unwrap_or_default();
    let mut report = audit::audit_dir(&dir, &config);
    report.root_dir = None; // keep absolute paths out of snapshots
    report
}

#[test]
fn audit_site_json() {
    let r = report("audit_site");
    let json = audit::render(&r, AuditFormat::Json);
    common::insta_settings().bind(|| insta::assert_snapshot!("audit__audit_site_json", json));
}

#[test]
fn audit_site_text() {
    let r = report("audit_site");
    let text = audit::render(&r, AuditFormat::Text);
    common::insta_settings().bind(|| insta::assert_snapshot!("audit__audit_site_text", text));
}

#[test]
fn audit_site_known_routes() {
    let r = report("audit_site");
    let p = &r.projects[0];
    let status = |pattern: &str| {
        p.routes
            .iter()
            .find(|r| r.pattern == pattern)
            .unwrap_or_else(|| panic!("no route {pattern}"))
            .status
    };
    assert_eq!(status("blog/"), "unguarded");
    assert_eq!(status("blog/<int:pk>/publish/"), "guarded");
    assert_eq!(status("blog/list/"), "unguarded");
    assert_eq!(status("blog/drafts/"), "guarded");
    assert_eq!(status("dynamic/"), "unknown");
    assert_eq!(status("shop/api/coupons/"), "unguarded");
    assert_eq!(status("shop/api/status/"), "guarded");
    let orders = p
        .routes
        .iter()
        .find(|r| r.pattern == "shop/api/orders/")
        .unwrap();
    assert_eq!(orders.name.as_deref(), Some("store:order-list"));
    assert!(orders
        .guards
        .iter()
        .any(|g| g.permissions.contains(&"shop.add_order".to_string())));
    let archive = p
        .routes
        .iter()
        .find(|r| r.pattern == "blog/archive/")
        .unwrap();
    assert_eq!(archive.guards[0].permissions, ["blog.can_archive"]);
    assert!(p.routes.iter().any(|r| r.pattern == "admin/shop/order/"));
    assert_eq!(p.unused_permissions, ["blog.can_feature"]);
    assert_eq!(p.unknown_references.len(), 1);
    assert_eq!(
        (p.summary.routes, p.summary.unguarded),
        (
            p.routes.len(),
            p.routes.iter().filter(|r| r.status == "unguarded").count()
        )
    );
}

#[test]
fn csv_and_html_are_complete() {
    let r = report("audit_site");
    let csv = audit::render(&r, AuditFormat::Csv);
    assert!(csv.starts_with("project,status,pattern,name,"));
    assert_eq!(csv.lines().count(), 1 + r.projects[0].routes.len());
    let html = audit::render(&r, AuditFormat::Html);
    assert!(html.contains("id=\"unguarded-count\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network"
    );
    assert!(
        !html.contains("<link") && !html.contains("src="),
        "self-contained"
    );
}

#[test]
fn projects_without_urls_have_no_routes() {
    let r = report("basic");
    assert!(r.projects.iter().all(|p| p
        .routes
        .iter()
        .all(|r| r.status != "guarded" || !r.guards.is_empty())));
}
