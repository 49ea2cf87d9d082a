//! Rows created by code: data migrations in an app's fresh-DB plan, code `migrate` runs
//! (`post_migrate` receivers, `AppConfig.ready()`), other project code (not on a fresh
//! database), and django-rules names.

use rustc_hash::FxHashSet;

use super::resolve::Resolver;
use super::{PermissionDef, Project, Source};
use crate::diagnostic::{FileId, Span};
use crate::facts::CtRef;
use crate::value::Value;
use crate::workspace::Workspace;

/// Spans of code that runs when `migrate` runs: `ready()` bodies, `@receiver(post_migrate)`
/// functions, and the module-level functions `post_migrate.connect(...)` names, wherever they
/// are defined.
fn migrate_time(ws: &Workspace) -> FxHashSet<Span> {
    let mut out: FxHashSet<Span> = FxHashSet::default();
    for facts in ws.python.iter().flatten() {
        out.extend(facts.migrate_time.iter().copied());
        for (module, name) in &facts.migrate_hooks {
            let Some(file) = ws.module_file(module) else {
                continue;
            };
            let Some(target) = &ws.python[file] else {
                continue;
            };
            out.extend(
                target
                    .functions
                    .iter()
                    .filter(|f| &f.name == name)
                    .map(|f| f.body),
            );
        }
    }
    out
}

pub(super) fn add_rows(project: &mut Project, ws: &Workspace, resolver: &Resolver<'_>) {
    let migrate_time = migrate_time(ws);
    let at_migrate = |file: FileId, span: Span| {
        migrate_time
            .iter()
            .any(|s| s.file == file && s.start <= span.start && span.end <= s.end)
    };
    // Data-migration rows (files in some app's fresh-DB plan) and rows made by other code.
    let plan_files: FxHashSet<FileId> = project
        .state
        .values()
        .flat_map(|r| r.plan.iter().copied())
        .collect();
    for (file, facts) in ws.python.iter().enumerate() {
        let Some(facts) = facts else { continue };
        let is_migration = facts.module.split('.').any(|p| p == "migrations");
        let in_plan = plan_files.contains(&file) && facts.has_run_python;
        if is_migration && !in_plan {
            continue;
        }
        for row in &facts.perm_rows {
            let codename = resolver.resolve(&row.codename, 0);
            let (label, model) = match &row.content_type {
                CtRef::Known(l, m) => (l.clone(), m.clone()),
                CtRef::Unknown => (None, None),
            };
            match (label, codename) {
                (Some(label), Value::Str(codename)) => project.add(PermissionDef {
                    label,
                    codename,
                    model,
                    in_database: in_plan || at_migrate(file, row.span),
                    source: if in_plan {
                        Source::DataMigration
                    } else if at_migrate(file, row.span) {
                        Source::PostMigrate
                    } else {
                        Source::Code
                    },
                    span: Some(row.span),
                }),
                (_, _) if row.action.is_some() => {
                    let action = row.action.clone().unwrap_or_default();
                    if !project.custom_actions.contains(&action) {
                        project.custom_actions.push(action);
                    }
                }
                (Some(label), _) => {
                    project.opaque_labels.insert(label);
                }
                (None, Value::Str(codename)) => {
                    project.floating_codenames.insert(codename);
                }
                (None, _) => project.dynamic_rows = true,
            }
        }
        for item in &facts.rules_perms {
            match resolver.resolve(&item.value, 0) {
                Value::Str(name) => match name.split_once('.') {
                    Some((label, codename)) => project.add(PermissionDef {
                        label: label.to_string(),
                        codename: codename.to_string(),
                        model: None,
                        in_database: false,
                        source: Source::Rules,
                        span: Some(item.span),
                    }),
                    None => {
                        project.bare_rules.insert(name);
                    }
                },
                _ => project.rules_opaque = true,
            }
        }
    }
}
