//! DJP004 unmigrated-permission: for a migrated app, `create_permissions` reads the replayed
//! migration state, not models.py. A Meta change without `makemigrations` creates nothing.

use std::ops::Range;

use rustc_hash::FxHashSet;

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::index::models::CodeModel;
use crate::index::Project;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for project in &ctx.index.projects {
        // Models in their app's migrations with findings: (label, model, their diagnostics).
        let mut drifted: Vec<(&str, &CodeModel, Range<usize>)> = Vec::new();
        for model in &project.code_models {
            let Some(label) = &model.label else { continue };
            if model.abstract_
                || model.options.opaque()
                || model.label_opaque
                || project.opaque_labels.contains(label)
                || !project.migrated.contains(label)
            {
                continue;
            }
            let Some(app) = project.app(label) else {
                continue;
            };
            if !app.has_models_module {
                continue;
            }
            let Some(replay) = project.state.get(label) else {
                continue;
            };
            if replay.opaque {
                continue;
            }
            if let Some(setting) = &model.swappable {
                if setting == "AUTH_USER_MODEL"
                    && project
                        .settings
                        .auth_user_model
                        .as_deref()
                        .is_some_and(|u| {
                            !u.eq_ignore_ascii_case(&format!("{label}.{}", model.object_name))
                        })
                {
                    continue;
                }
            }
            let help = format!("Run `python manage.py makemigrations {label}`");
            let Some(state) = replay.models.get(&model.model_name) else {
                if !model.certain {
                    continue; // not sure it is a model at all
                }
                out.push(
                    Diagnostic::new(
                        by_code("DJP004"),
                        model.span,
                        format!("Model `{}` is not in any migration of `{label}`: none of its permissions exist on a fresh database", model.object_name),
                    )
                    .with_help(help)
                    .with_note("`migrate` creates permissions from the migration state of migrated apps, not from models.py"),
                );
                continue;
            };
            let start = out.len();
            let state_options = state.perm_options();
            if state_options.opaque() {
                continue;
            }
            let state_codenames: FxHashSet<String> = state_options
                .codenames(&model.model_name)
                .unwrap_or_default()
                .into_iter()
                .collect();
            for entry in model.options.permissions.iter().flatten() {
                if !state_codenames.contains(&entry.codename) {
                    out.push(
                        Diagnostic::new(
                            by_code("DJP004"),
                            entry.span,
                            format!("Permission `{label}.{}` is not in the migrations of `{label}`: `migrate` will not create it", entry.codename),
                        )
                        .with_help(help.clone())
                        .with_note("Tests that build their database without migrations (`flush`, `TEST[\"MIGRATE\"] = False`) create the row and hide this"),
                    );
                }
            }
            let missing: Vec<String> = model
                .options
                .default_permissions
                .iter()
                .flatten()
                .map(|a| format!("{a}_{}", model.model_name))
                .filter(|c| !state_codenames.contains(c))
                .collect();
            if !missing.is_empty() {
                let span = model.options.default_permissions_span.unwrap_or(model.span);
                let list: Vec<String> = missing.iter().map(|c| format!("`{label}.{c}`")).collect();
                out.push(
                    Diagnostic::new(
                        by_code("DJP004"),
                        span,
                        format!("`default_permissions` of `{}` differ from its migrations: {} will not be created", model.object_name, list.join(", ")),
                    )
                    .with_help(help),
                );
            }
            if out.len() > start {
                drifted.push((label, model, start..out.len()));
            }
        }
        attach_migration_fixes(ctx, project, &drifted, out);
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
