//! DJP015 codename-contains-app-label: `Permission.objects.get(codename="app.x")` and guardian's
//! `only_with_perms_in=["app.x"]` compare codenames, which never contain the label.

use super::{by_code, Context};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::facts::RefKind;
use crate::value::{Item, Value};

fn dotted(item: &Item) -> Vec<&Item> {
    match &item.value {
        Value::Str(s) if s.contains('.') => vec![item],
        Value::Seq(items) => items
            .iter()
            .filter(|i| i.value.as_str().is_some_and(|s| s.contains('.')))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        let (items, where_): (Vec<&Item>, &str) = match r.reference.kind {
            RefKind::Lookup => {
                let Some(lookup) = &r.reference.lookup else {
                    continue;
                };
                let mut items = Vec::new();
                // `get(codename="app.x")` is DJP008's (stable): one diagnostic per lookup.
                if lookup.codename.is_some() && !matches!(lookup.method.as_str(), "get" | "aget") {
                    items.extend(dotted(&r.value));
                }
                if let Some(c) = &lookup.codename_in {
                    items.extend(dotted(c));
                }
                (items, "codename")
            }
            RefKind::GuardianOnlyWithPerms => (dotted(&r.value), "only_with_perms_in"),
            _ => continue,
        };
        let project = ctx.project(r.file);
        for item in items {
            let Some(text) = item.value.as_str() else {
                continue;
            };
            let (label, codename) = text.split_once('.').unwrap_or_default();
            // A declared dotted codename is valid as written; a prefix that is no label is not ours.
            if project.by_label.values().any(|m| m.contains_key(text))
                || !(project.has_label(label) || project.by_label.contains_key(label))
            {
                continue;
            }
            let mut d = Diagnostic::new(
                by_code("DJP015"),
                r.reference.call_span,
                format!("`{where_}` compares bare codenames, but `{text}` includes the app label"),
            )
            .with_note(format!(
                "No codename contains the app label: `{text}` never matches"
            ));
            if let Some((help, fix)) = split_fix(r, item, label, codename) {
                d = d.with_help(help).with_fix(Some(fix));
            } else {
                d = d.with_help(format!("Use the bare codename `{codename}`"));
            }
            out.push(d);
        }
    }
}

/// `codename="app.x"` as the literal `codename=` of a lookup without an app label filter: the
/// help and the unsafe fix that split it into `codename=` and `content_type__app_label=`.
pub(super) fn split_fix(
    r: &super::Resolved<'_>,
    item: &Item,
    label: &str,
    codename: &str,
) -> Option<(String, Fix)> {
    let lookup = r.reference.lookup.as_ref()?;
    let is_codename = lookup
        .codename
        .as_ref()
        .is_some_and(|c| c.span == item.span);
    if r.reference.kind != RefKind::Lookup
        || !item.literal
        || lookup.app_label.is_some()
        || !is_codename
    {
        return None;
    }
    Some((
        format!("Filter on both: `codename=\"{codename}\", content_type__app_label=\"{label}\"`"),
        Fix {
            creates: Vec::new(),
            applicability: Applicability::Unsafe,
            message: "Split into `codename=` and `content_type__app_label=`".into(),
            edits: vec![Edit {
                span: item.span,
                content: format!("\"{codename}\", content_type__app_label=\"{label}\""),
            }],
        },
    ))
}
