//! `djperm explain "<label>.<codename>"` and the editor's hover: the verdict djperm gives a
//! permission string passed to `has_perm`, and the chain of facts behind it (where the string is
//! defined or why it is missing, and what, if anything, kept djperm from deciding).

use crate::facts::RefKind;
use crate::index::{PermissionDef, Project, Source};
use crate::rules::verdict::{judge, Verdict};
use crate::workspace::Workspace;

pub struct Explanation {
    /// The rule that reports the string, if any (`DJP002`).
    pub code: Option<&'static str>,
    /// The verdict in a sentence.
    pub verdict: String,
    /// The facts behind it, in the order djperm uses them.
    pub facts: Vec<String>,
}

/// Explain the permission string `text` as a `has_perm` argument in `project`.
pub fn explain(ws: &Workspace, project: &Project, text: &str) -> Explanation {
    let verdict = judge(project, RefKind::HasPerm, text, false);
    let (code, sentence) = match &verdict {
        Verdict::Fine => (None, format!("`{text}` exists: not reported")),
        Verdict::Silent => (
            None,
            format!("djperm cannot decide whether `{text}` exists: not reported"),
        ),
        Verdict::Malformed(reason) => (Some("DJP009"), format!("malformed: {reason}")),
        Verdict::MissingLabel { .. } => (
            Some("DJP001"),
            "the app label is missing: a backend needs `<app_label>.<codename>`".to_string(),
        ),
        Verdict::UnknownLabel { label, suggestion } => (
            Some("DJP003"),
            match suggestion {
                Some(s) => {
                    format!("no installed app has the label `{label}` (did you mean `{s}`?)")
                }
                None => format!("no installed app has the label `{label}`"),
            },
        ),
        Verdict::Unknown {
            suggestions,
            reason,
            ..
        } => {
            let mut s = format!("no fresh database has `{text}`");
            if let Some(r) = reason {
                s.push_str(&format!(" ({r})"));
            }
            if !suggestions.is_empty() {
                s.push_str(&format!(" (did you mean `{}`?)", suggestions.join("`, `")));
            }
            (Some("DJP002"), s)
        }
    };
    Explanation {
        code,
        verdict: sentence,
        facts: facts(ws, project, text),
    }
}

/// The facts djperm used for `text`, each a sentence.
pub fn facts(ws: &Workspace, project: &Project, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (major, minor) = project.target_django;
    let from = match project.django_from.as_str() {
        "default" => "assumed: nothing names a version".to_string(),
        f => format!("from {f}"),
    };
    let settings = match (&project.settings.module, project.settings.file) {
        (Some(m), Some(f)) => format!("settings `{m}` ({})", ws.path(f)),
        (Some(m), None) => format!("settings `{m}` (not in the tree)"),
        (None, _) => "no settings module (apps inferred from the tree)".to_string(),
    };
    out.push(format!("{settings}; Django {major}.{minor} ({from})"));
    out.push(if project.labels_known {
        format!(
            "INSTALLED_APPS is fully known ({} entries): an unknown label is reported",
            project.apps.len()
        )
    } else {
        "INSTALLED_APPS is not fully known (part of it does not fold, or an app's label is uncertain): an unknown label is reported only when one label defines the codename or it is a near miss of a known label".to_string()
    });
    let Some((label, codename)) = text.split_once('.') else {
        let labels = project.labels_defining(text);
        out.push(if labels.is_empty() {
            format!("no label defines the codename `{text}`")
        } else {
            format!(
                "labels defining the codename `{text}`: {}",
                labels.join(", ")
            )
        });
        return out;
    };
    match project.label_origin(label) {
        Some(origin) => out.push(format!("label `{label}`: an installed app, read from {origin}")),
        None if project.by_label.contains_key(label) => out.push(format!(
            "label `{label}`: no installed app, but permissions are named under it (rules, rows or configuration)"
        )),
        None => out.push(format!("label `{label}`: no installed app has it")),
    }
    if project.opaque_labels.contains(label) {
        out.push(format!(
            "label `{label}` is not analysed: {}",
            project.opaque_reason(label)
        ));
    }
    let defs: Vec<&PermissionDef> = project.lookup(label, codename).collect();
    for def in &defs {
        out.push(format!("defined: {}", definition(ws, def)));
    }
    if let (true, Some(span)) = (defs.is_empty(), project.floating_at.get(codename)) {
        out.push(format!(
            "project code creates a row `{codename}` whose content type djperm cannot read (at {}): its label may be any, so `{text}` is not reported",
            place(ws, *span)
        ));
    }
    if let (true, Some(span)) = (defs.is_empty(), project.through_row_unread(label, codename)) {
        out.push(format!(
            "`{text}` names the table of a many-to-many field, for which Django creates no permission; code `migrate` runs creates rows djperm cannot read (at {}), so it is not reported",
            place(ws, span)
        ));
    }
    if defs.is_empty() {
        let labels = project.labels_defining(codename);
        if labels.is_empty() {
            out.push(format!("no label defines the codename `{codename}`"));
        } else {
            out.push(format!(
                "the codename `{codename}` is defined under: {}",
                labels.join(", ")
            ));
        }
    }
    let settings = &project.settings;
    match &settings.backends {
        Some(list) => out.push(format!("AUTHENTICATION_BACKENDS: {}", list.join(", "))),
        None => {
            out.push("AUTHENTICATION_BACKENDS does not fold: any backend may answer".to_string())
        }
    }
    if !settings.auth_only_backends.is_empty() {
        out.push(format!(
            "accept no string ModelBackend rejects (they only authenticate, or defer to the parent's permission methods): {}",
            settings.auth_only_backends.join(", ")
        ));
    }
    for (backend, list) in &settings.narrowed_backends {
        let what: Vec<String> = list.iter().map(|a| a.describe()).collect();
        let verdict = if list.iter().any(|a| a.matches(text)) {
            "accepted"
        } else {
            "not one of them"
        };
        out.push(format!(
            "`{backend}` answers `has_perm` itself and accepts only {} besides ModelBackend's permissions: `{text}` is {verdict}",
            what.join(", ")
        ));
    }
    if let Some(why) = &settings.own_checker {
        out.push(format!("{why}: no permission string is reported"));
    } else if !settings.custom_backends().is_empty() {
        out.push(format!(
            "backends of the project's own answer `has_perm` too ({}): `<label>.<action>_<model>` strings of real models are accepted",
            settings.custom_backends().join(", ")
        ));
    }
    out
}

fn definition(ws: &Workspace, def: &PermissionDef) -> String {
    let what = match def.source {
        Source::Default => "a default action of its model",
        Source::Meta => "a `Meta.permissions` entry",
        Source::DataMigration => "a row a data migration creates",
        Source::Code => "a row project code creates outside migrations (not in a fresh database)",
        Source::PostMigrate => {
            "a row code run by `migrate` creates (a `post_migrate` receiver or `AppConfig.ready()`)"
        }
        Source::Rules => "a django-rules name (not a database row)",
        Source::Contrib => "Django's contrib table",
        Source::Bundled => "the bundled table of third-party apps",
        Source::Config => "`extra-permissions` in the configuration",
    };
    let model = def
        .model
        .as_deref()
        .map(|m| format!(" (model `{m}`)"))
        .unwrap_or_default();
    let at = match def.span {
        Some(span) => format!(" at {}", place(ws, span)),
        None => String::new(),
    };
    format!("{what}{model}{at}")
}

/// `path:row` of `span` (an absolute path for a file of the environment).
fn place(ws: &Workspace, span: crate::diagnostic::Span) -> String {
    let row = ws.locator(span.file).row_col(span.start as usize).0;
    let path = if ws.in_environment(span.file) {
        ws.abs_path(span.file).display().to_string()
    } else {
        ws.path(span.file).to_string()
    };
    format!("{path}:{row}")
}
