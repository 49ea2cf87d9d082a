//! DJP004 unmigrated-permission: for a migrated app, `create_permissions` reads the replayed
//! migration state, not models.py. A Meta change without `makemigrations` creates nothing.
//! The references to such a permission are not reported again: this diagnostic names them.

use std::ops::Range;

use super::{by_code, perms, Context};
use crate::diagnostic::{Diagnostic, Span};
use crate::facts::RefKind;
use crate::index::models::CodeModel;
use crate::index::unmigrated::{missing, Missing};
use crate::index::Project;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let checks = perms::checks(ctx);
    for project in &ctx.index.projects {
        // The places of this project that check `label.codename` (not mere look-alike strings).
        let checked_at = |label: &str, codename: &str| -> Vec<(Span, String)> {
            let defs: Vec<_> = project.lookup(label, codename).collect();
            let mut spans: Vec<Span> = defs
                .first()
                .map(|d| perms::checks_of(checks, d))
                .unwrap_or_default()
                .into_iter()
                .filter(|(kind, span)| {
                    *kind != RefKind::Shape && std::ptr::eq(ctx.project(span.file), project)
                })
                .map(|(_, span)| *span)
                .collect();
            spans.sort();
            spans.dedup();
            spans
                .into_iter()
                .map(|s| (s, format!("checks `{label}.{codename}`")))
                .collect()
        };
        // Models in their app's migrations with findings: (label, model, their diagnostics).
        let mut drifted: Vec<(&str, &CodeModel, Range<usize>)> = Vec::new();
        for model in &project.code_models {
            let Some(found) = missing(project, model) else {
                continue;
            };
            let label = model.label.as_deref().unwrap_or_default();
            let help = format!("Run `python manage.py makemigrations {label}`");
            let (entries, defaults) = match found {
                Missing::Model => {
                    let codenames = model.options.codenames(&model.model_name);
                    let related: Vec<(Span, String)> = codenames
                        .iter()
                        .flatten()
                        .flat_map(|c| checked_at(label, c))
                        .collect();
                    out.push(
                        Diagnostic::new(
                            by_code("DJP004"),
                            model.span,
                            format!("Model `{}` is not in any migration of `{label}`: none of its permissions exist on a fresh database{}", model.object_name, places(related.len())),
                        )
                        .with_help(help)
                        .with_note("`migrate` creates permissions from the migration state of migrated apps, not from models.py")
                        .with_related(related),
                    );
                    continue;
                }
                Missing::Options { entries, defaults } => (entries, defaults),
            };
            let start = out.len();
            for entry in entries {
                let related = checked_at(label, &entry.codename);
                out.push(
                    Diagnostic::new(
                        by_code("DJP004"),
                        entry.span,
                        format!("Permission `{label}.{}` is not in the migrations of `{label}`: `migrate` will not create it{}", entry.codename, places(related.len())),
                    )
                    .with_help(help.clone())
                    .with_note("Tests that build their database without migrations (`flush`, `TEST[\"MIGRATE\"] = False`) create the row and hide this")
                    .with_related(related),
                );
            }
            if !defaults.is_empty() {
                let span = model.options.default_permissions_span.unwrap_or(model.span);
                let list: Vec<String> = defaults.iter().map(|c| format!("`{label}.{c}`")).collect();
                let related: Vec<(Span, String)> =
                    defaults.iter().flat_map(|c| checked_at(label, c)).collect();
                out.push(
                    Diagnostic::new(
                        by_code("DJP004"),
                        span,
                        format!("`default_permissions` of `{}` differ from its migrations: {} will not be created{}", model.object_name, list.join(", "), places(related.len())),
                    )
                    .with_help(help)
                    .with_related(related),
                );
            }
            if out.len() > start {
                drifted.push((label, model, start..out.len()));
            }
        }
        attach_migration_fixes(ctx, project, &drifted, out);
    }
}

/// `; N places check it` (nothing when no reference checks it).
fn places(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "; 1 place checks it".to_string(),
        n => format!("; {n} places check it"),
    }
}

/// Every finding of a model the app's new migration covers gets the fix creating it (the same
/// fix for the whole app: applied once).
fn attach_migration_fixes(
    ctx: &Context<'_>,
    project: &Project,
    drifted: &[(&str, &CodeModel, Range<usize>)],
    out: &mut [Diagnostic],
) {
    let Some(generate) = ctx.migration_fix else {
        return;
    };
    let mut labels: Vec<&str> = drifted.iter().map(|(label, _, _)| *label).collect();
    labels.sort_unstable();
    labels.dedup();
    for label in labels {
        let of_app: Vec<&(&str, &CodeModel, Range<usize>)> =
            drifted.iter().filter(|(l, _, _)| *l == label).collect();
        let models: Vec<&CodeModel> = of_app.iter().map(|(_, m, _)| *m).collect();
        let Some((fix, covered)) = generate(ctx.ws, project, label, &models) else {
            continue;
        };
        for i in covered {
            for d in &mut out[of_app[i].2.clone()] {
                d.fix = Some(fix.clone());
            }
        }
    }
}
