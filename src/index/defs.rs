//! What one model and the tree give: the rows of a model, and the apps inferred when no settings
//! module names them.

use super::models::{CodeModel, PermOptions};
use super::{version, PermissionDef, Source};
use crate::diagnostic::Span;
use crate::workspace::Workspace;

/// Apps inferred from the tree when no settings module names them: every package with an
/// `apps.py` or `models` module.
pub fn inferred_entries(ws: &Workspace) -> Vec<String> {
    let mut entries: Vec<String> = ws
        .modules
        .iter()
        // The environment's packages are apps only when INSTALLED_APPS names them.
        .filter(|(_, &file)| !ws.in_environment(file))
        .filter_map(|(m, _)| {
            m.strip_suffix(".apps")
                .or_else(|| m.strip_suffix(".models"))
        })
        .filter(|m| !m.contains("tests") && !m.starts_with("django."))
        .map(str::to_string)
        .collect();
    entries.sort();
    entries.dedup();
    entries
}

/// The permission rows of one model, pointing at the code (Meta entry / class) when possible.
pub fn perm_defs(
    label: &str,
    model_name: &str,
    options: &PermOptions,
    code: Option<&CodeModel>,
    fallback: Span,
    django: (u32, u32),
) -> Option<Vec<PermissionDef>> {
    let actions = options.default_permissions.as_ref()?;
    let custom = options.permissions.as_ref()?;
    let mut out = Vec::new();
    let class_span = code.map(|c| c.span).unwrap_or(fallback);
    // An unwritten `default_permissions` is the version's default set.
    let written = options.default_permissions_span.is_some();
    for action in actions
        .iter()
        .filter(|a| written || version::default_action(a, django))
    {
        out.push(PermissionDef {
            label: label.into(),
            codename: compact_str::format_compact!("{action}_{model_name}"),
            model: Some(model_name.into()),
            in_database: true,
            source: Source::Default,
            span: Some(class_span),
        });
    }
    for entry in custom {
        let code_span = code
            .and_then(|c| c.options.permissions.as_ref())
            .and_then(|list| list.iter().find(|e| e.codename == entry.codename))
            .map(|e| e.span);
        out.push(PermissionDef {
            label: label.into(),
            codename: entry.codename.as_str().into(),
            model: Some(model_name.into()),
            in_database: true,
            source: Source::Meta,
            span: Some(code_span.unwrap_or(entry.span)),
        });
    }
    Some(out)
}
