//! DJP008 ambiguous-permission-lookup: `Permission.objects.get(codename=…)` that matches
//! several rows (several apps, or several models of one app) → MultipleObjectsReturned.

use super::{by_code, Context, Resolved};
use crate::diagnostic::Diagnostic;
use crate::facts::RefKind;
use crate::index::Project;
use crate::value::Value;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        if r.reference.kind != RefKind::Lookup {
            continue;
        }
        let Some(lookup) = &r.reference.lookup else {
            continue;
        };
        if !matches!(lookup.method.as_str(), "get" | "aget")
            || lookup.pinned
            || lookup.model.is_some()
        {
            continue;
        }
        let Value::Str(codename) = &r.value.value else {
            continue;
        };
        if codename.contains('.') {
            continue;
        }
        let project = ctx.project(r.file);
        let (rows, what): (Vec<String>, String) = match &lookup.app_label {
            Some(Value::Str(label)) => {
                if project.opaque_labels.contains(label) {
                    continue;
                }
                let models = project.models_with(label, codename);
                (
                    models.iter().map(|m| format!("`{label}.{m}`")).collect(),
                    format!("models of `{label}`"),
                )
            }
            Some(_) => continue,
            None => {
                // Apps that settings install in one branch of an `if` (one swapped for
                // another) are never installed together: no ambiguity can be told.
                let labels = project.labels_defining(codename);
                if labels.len() > 1
                    && labels
                        .iter()
                        .any(|l| project.app(l).is_some_and(|a| a.conditional))
                {
                    continue;
                }
                let mut rows = Vec::new();
                for label in labels {
                    for m in project.models_with(label, codename) {
                        rows.push(format!("`{label}.{m}`"));
                    }
                }
                (rows, "models".to_string())
            }
        };
        if rows.is_empty() {
            if let Some(d) = no_such_row(project, r, codename, lookup.app_label.as_ref()) {
                out.push(d);
            }
            continue;
        }
        if rows.len() < 2 {
            continue;
        }
        out.push(
            Diagnostic::new(
                by_code("DJP008"),
                r.reference.call_span,
                format!("`Permission.objects.{}(codename=\"{codename}\")` matches {} rows", lookup.method, rows.len()),
            )
            .with_help("Filter by `content_type=` (or `content_type__app_label=` and `content_type__model=`) to pick one")
            .with_note(format!("`{codename}` is defined on several {what}: {}; `get` raises MultipleObjectsReturned", rows.join(", "))),
        );
    }
}

/// `get(codename=…)` for a codename no fresh database has: DoesNotExist. Only when every label
/// that could hold it is known.
fn no_such_row(
    project: &Project,
    r: &Resolved<'_>,
    codename: &str,
    app_label: Option<&Value>,
) -> Option<Diagnostic> {
    if project.floating_codenames.contains(codename)
        || project.rules_opaque
        || project.inferred
        || project.dynamic_rows
    {
        return None;
    }
    let (target, candidates): (String, Vec<String>) = match app_label {
        Some(Value::Str(label)) => {
            if !project.has_label(label)
                || project.opaque_labels.contains(label)
                || project.is_known(label, codename)
            {
                return None;
            }
            (
                format!("`{label}.{codename}`"),
                super::verdict::suggestions(project, label, codename),
            )
        }
        None => {
            if !project.opaque_labels.is_empty() || !project.labels_defining(codename).is_empty() {
                return None;
            }
            (format!("codename `{codename}`"), Vec::new())
        }
        Some(_) => return None,
    };
    let mut d = Diagnostic::new(
        by_code("DJP008"),
        r.reference.call_span,
        format!("`Permission.objects.get` looks up {target}, which no fresh database has"),
    )
    .with_note("`get` raises `Permission.DoesNotExist`");
    if let Some(first) = candidates.first() {
        d = d.with_help(format!("Did you mean `{first}`?"));
    }
    Some(d)
}
