//! Rows created by code: data migrations in an app's fresh-DB plan, code `migrate` runs
//! (`post_migrate` receivers, `AppConfig.ready()`), other project code (not on a fresh
//! database), and django-rules names.

use rustc_hash::FxHashSet;

use super::contrib;
use super::models::CodeModel;
use super::per_model::{self, Tables};
use super::resolve::{Resolver, Target};
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

/// `(label, model_name)` of the content type `get_for_model(model)` returns for a class the
/// code names: a project model (a proxy's concrete model unless `concrete` is false), or a
/// contrib model. `None` when the class is no model djperm knows.
fn class_content_type(
    resolver: &Resolver<'_>,
    code_models: &[CodeModel],
    model: &Value,
    concrete: bool,
) -> Option<(String, String)> {
    let mut target = resolver.base_target(model, 0);
    for _ in 0..8 {
        let class = match target {
            Target::External(name) => {
                let (label, model) = contrib::model_at(&name)?;
                return Some((label.to_string(), model.to_string()));
            }
            Target::Class(c) => c,
            _ => return None,
        };
        let found = code_models
            .iter()
            .find(|m| m.file == class.file && m.object_name == class.class.name)?;
        if found.abstract_ || found.label_opaque {
            return None;
        }
        if !(found.proxy && concrete) {
            return Some((found.label.clone()?, found.model_name.clone()));
        }
        // A proxy: the content type of the model it stands for (its one model base).
        let mut bases = class
            .class
            .bases
            .iter()
            .filter_map(|b| match resolver.base_target(b, 0) {
                Target::Class(c)
                    if code_models.iter().any(|m| {
                        m.file == c.file && m.object_name == c.class.name && !m.abstract_
                    }) =>
                {
                    Some(Target::Class(c))
                }
                Target::External(name) if contrib::model_at(&name).is_some() => {
                    Some(Target::External(name))
                }
                _ => None,
            });
        target = bases.next()?;
        if bases.next().is_some() {
            return None;
        }
    }
    None
}

pub(super) fn add_rows(
    project: &mut Project,
    ws: &Workspace,
    resolver: &Resolver<'_>,
    tables: &Tables<'_>,
    django: (u32, u32),
) {
    let code_models = tables.code_models;
    let mut per_model = Vec::new();
    let mut dynamic_at = None;
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
            if let Some(pm) = &row.per_model {
                let (in_database, source) = if in_plan {
                    (true, Source::DataMigration)
                } else if at_migrate(file, row.span) {
                    (true, Source::PostMigrate)
                } else {
                    (false, Source::Code)
                };
                per_model.push((pm, in_database, source, row.span));
                continue;
            }
            let codename = resolver.resolve(&row.codename, 0);
            let (label, model) = match &row.content_type {
                CtRef::Known(l, m) => (l.clone(), m.clone()),
                CtRef::Class { model, concrete } => {
                    match class_content_type(resolver, code_models, model, *concrete) {
                        Some((label, model)) => (Some(label), Some(model)),
                        None => (None, None),
                    }
                }
                CtRef::Unknown => (None, None),
            };
            match (label, codename) {
                (Some(label), Value::Str(codename)) => project.add(PermissionDef {
                    label: label.into(),
                    codename,
                    model: model.map(Into::into),
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
                    project
                        .floating_at
                        .entry(codename.to_string())
                        .or_insert(row.span);
                    project.floating_codenames.insert(codename.into());
                }
                (None, _) => {
                    project.dynamic_rows = true;
                    if at_migrate(file, row.span) && dynamic_at.is_none() {
                        dynamic_at = Some(row.span);
                    }
                }
            }
        }
        for item in &facts.rules_perms {
            match resolver.resolve(&item.value, 0) {
                Value::Str(name) => match name.split_once('.') {
                    Some((label, codename)) => project.add(PermissionDef {
                        label: label.into(),
                        codename: codename.into(),
                        model: None,
                        in_database: false,
                        source: Source::Rules,
                        span: Some(item.span),
                    }),
                    None => {
                        project.bare_rules.insert(name.into());
                    }
                },
                _ => project.rules_opaque = true,
            }
        }
    }
    per_model::add(project, tables, &per_model, django);
    if let Some(span) = dynamic_at {
        let through = tables.through(project);
        project.dynamic_at_migrate = Some((span, through));
    }
}
