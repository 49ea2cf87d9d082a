//! Text and CSV renderings of the audit report.

use super::{GuardOut, Location, Report, Route};

fn loc(l: &Option<Location>) -> String {
    match l {
        Some(l) => format!("{}:{}", l.filename, l.row),
        None => "-".into(),
    }
}

pub fn guard_text(r: &Route) -> Vec<String> {
    r.guards
        .iter()
        .map(|g| {
            let mut s = format!("{}: {}", g.kind, g.detail);
            if !g.permissions.is_empty() {
                s.push_str(&format!(" [{}]", g.permissions.join(", ")));
            }
            if !g.methods.is_empty() || !g.methods_not_allowed.is_empty() {
                s.push_str(&format!(" ({})", by_method(g)));
            }
            s
        })
        .collect()
}

/// `GET, HEAD: a.view_x · POST: a.add_x · OPTIONS: none · 405: PUT`, methods in request order.
fn by_method(g: &GuardOut) -> String {
    const ORDER: &[&str] = &["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];
    let rank = |m: &str| ORDER.iter().position(|o| *o == m).unwrap_or(ORDER.len());
    let mut methods: Vec<(&String, &Vec<String>)> = g.methods.iter().collect();
    methods.sort_by_key(|(m, _)| rank(m));
    let mut groups: Vec<(Vec<&str>, &Vec<String>)> = Vec::new();
    for (m, perms) in methods {
        match groups.iter_mut().find(|(_, p)| *p == perms) {
            Some((ms, _)) => ms.push(m),
            None => groups.push((vec![m.as_str()], perms)),
        }
    }
    let mut parts: Vec<String> = groups
        .iter()
        .map(|(ms, perms)| {
            let perms = if perms.is_empty() {
                "no permission".to_string()
            } else {
                perms.join(", ")
            };
            format!("{}: {perms}", ms.join(", "))
        })
        .collect();
    if !g.methods_not_allowed.is_empty() {
        parts.push(format!("405: {}", g.methods_not_allowed.join(", ")));
    }
    parts.join(" · ")
}

pub fn text(report: &Report) -> String {
    let mut s = String::new();
    for p in &report.projects {
        s.push_str(&format!(
            "Project {} (settings {}, urlconf {})\n",
            p.root,
            p.settings.as_deref().unwrap_or("-"),
            p.urlconf.as_deref().unwrap_or("-")
        ));
        let public = if p.summary.public > 0 {
            format!(", {} public", p.summary.public)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "Routes: {} ({} guarded, {} unguarded{public}, {} unknown)\n",
            p.summary.routes, p.summary.guarded, p.summary.unguarded, p.summary.unknown
        ));
        if !p.middleware_not_analysed.is_empty() {
            s.push_str(&format!(
                "Middleware not analysed (may guard every route): {}\n",
                p.middleware_not_analysed.join(", ")
            ));
        }
        s.push('\n');
        for r in &p.routes {
            s.push_str(&format!(
                "{:<9} /{}  [{}]  {} ({})  {}\n",
                r.status.to_uppercase(),
                r.pattern,
                r.name.as_deref().unwrap_or("-"),
                r.view,
                r.view_kind,
                loc(&r.view_location)
            ));
            if let Some(fs) = &r.format_suffix {
                s.push_str(&format!("          = also /{fs} (format suffix)\n"));
            }
            let guards = guard_text(r);
            if guards.is_empty() && r.notes.is_empty() {
                s.push_str("          - nothing guards this route\n");
            }
            for g in guards {
                s.push_str(&format!("          + {g}\n"));
            }
            for n in &r.notes {
                s.push_str(&format!("          ? {n}\n"));
            }
        }
        s.push_str(&format!(
            "\nPermissions: {} in a fresh database\n",
            p.permissions.len()
        ));
        for perm in &p.permissions {
            s.push_str(&format!(
                "  {:<44} {:<14} {:<30} checks: {}, routes: {}{}\n",
                perm.permission,
                perm.source,
                loc(&perm.defined_at),
                perm.checks.len(),
                perm.routes.len(),
                if perm.unused { "  UNUSED" } else { "" }
            ));
            for c in &perm.checks {
                s.push_str(&format!(
                    "      checked at {}:{} ({})\n",
                    c.location.filename, c.location.row, c.kind
                ));
            }
        }
        s.push_str(&format!(
            "\nCustom permissions nothing references: {}\n",
            if p.unused_permissions.is_empty() {
                "none".to_string()
            } else {
                p.unused_permissions.join(", ")
            }
        ));
        s.push_str(&format!(
            "References to permissions no fresh database has: {}\n",
            p.unknown_references.len()
        ));
        for u in &p.unknown_references {
            s.push_str(&format!(
                "  {}:{} {} {}\n",
                u.location.filename, u.location.row, u.code, u.message
            ));
        }
    }
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per route.
pub fn csv(report: &Report) -> String {
    let mut s = String::from(
        "project,status,pattern,name,app,view_kind,view,view_location,declared_at,guards,permissions,notes,format_suffix\n",
    );
    for p in &report.projects {
        for r in &p.routes {
            let perms: Vec<&str> = r
                .guards
                .iter()
                .flat_map(|g| g.permissions.iter().map(String::as_str))
                .collect();
            let fields = [
                p.root.clone(),
                r.status.to_string(),
                format!("/{}", r.pattern),
                r.name.clone().unwrap_or_default(),
                r.app.clone(),
                r.view_kind.to_string(),
                r.view.clone(),
                loc(&r.view_location),
                loc(&r.declared_at),
                guard_text(r).join("; "),
                perms.join(" "),
                r.notes.join("; "),
                r.format_suffix
                    .as_ref()
                    .map(|f| format!("/{f}"))
                    .unwrap_or_default(),
            ];
            let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            s.push_str(&row.join(","));
            s.push('\n');
        }
    }
    s
}
