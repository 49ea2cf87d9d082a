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
                if lookup.codename.is_some() {
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
            let has_label_filter = r
                .reference
                .lookup
                .as_ref()
                .is_some_and(|l| l.app_label.is_some());
            if r.reference.kind == RefKind::Lookup
                && item.literal
                && !has_label_filter
                && r.reference
                    .lookup
                    .as_ref()
                    .is_some_and(|l| l.codename.as_ref().is_some_and(|c| c.span == item.span))
            {
                d = d.with_help(format!("Filter on both: `codename=\"{codename}\", content_type__app_label=\"{label}\"`")).with_fix(Some(Fix {
                    creates: Vec::new(),
                    applicability: Applicability::Unsafe,
                    message: "Split into `codename=` and `content_type__app_label=`".into(),
                    edits: vec![Edit { span: item.span, content: format!("\"{codename}\", content_type__app_label=\"{label}\"") }],
                }));
            } else {
                d = d.with_help(format!("Use the bare codename `{codename}`"));
            }
            out.push(d);
        }
    }
}
