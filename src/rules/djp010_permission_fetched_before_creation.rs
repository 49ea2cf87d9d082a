//! DJP010 permission-fetched-before-creation: `create_permissions` runs at `post_migrate`, after
//! every migration of the run, so a data migration that fetches a default or Meta permission on
//! a fresh database gets `Permission.DoesNotExist`, and one that grants
//! `Permission.objects.filter(...)` grants nothing.

use super::{by_code, Context};
use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::facts::{FileFacts, RefKind};
use crate::index::{Project, Source};
use crate::value::Value;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        if r.reference.kind != RefKind::Lookup {
            continue;
        }
        let Some(lookup) = &r.reference.lookup else {
            continue;
        };
        let Some(facts) = ctx.ws.python[r.file].as_ref() else {
            continue;
        };
        let fetch = matches!(lookup.method.as_str(), "get" | "aget");
        let grant =
            lookup.method == "filter" && facts.granted_queries.contains(&r.reference.call_span);
        if !(fetch || grant) {
            continue;
        }
        let in_migration = facts.module.split('.').any(|p| p == "migrations");
        let span = r.reference.call_span;
        if !in_migration || !facts.has_run_python || only_reverse(facts, span) {
            continue;
        }
        // In a function defined inside another: it runs when called, maybe after post_migrate
        // (a receiver the migration connects to it).
        if facts
            .nested_functions
            .iter()
            .any(|f| f.start <= span.start && span.end <= f.end)
        {
            continue;
        }
        // What `create_permissions` made earlier in this run: in this file or an earlier
        // migration of the plan (`None`: every app's).
        let created: Vec<&Option<String>> = std::iter::once(r.file)
            .chain(project_plan_before(ctx, r.file))
            .filter_map(|f| ctx.ws.python[f].as_ref())
            .flat_map(|f| &f.create_permissions_labels)
            .collect();
        if created.iter().any(|l| l.is_none()) {
            continue;
        }
        let codenames: Vec<&str> = if fetch {
            match &r.value.value {
                Value::Str(codename) => vec![codename.as_str()],
                _ => continue,
            }
        } else {
            let items = lookup.codename.iter().chain(&lookup.codename_in);
            let mut names = Vec::new();
            for item in items {
                match &item.value {
                    Value::Str(s) => names.push(s.as_str()),
                    Value::Seq(xs) if xs.iter().all(|x| x.value.as_str().is_some()) => {
                        names.extend(xs.iter().filter_map(|x| x.value.as_str()))
                    }
                    _ => {}
                }
            }
            names
        };
        let project = ctx.project(r.file);
        let app_label = match &lookup.app_label {
            Some(Value::Str(l)) => Some(l.as_str()),
            Some(_) => continue,
            None => None,
        };
        let missing: Vec<String> = codenames
            .iter()
            .filter_map(|c| not_yet_created(project, app_label, c, &created))
            .collect();
        let Some(first) = missing.first() else {
            continue;
        };
        out.push(diagnostic(r.reference.call_span, fetch, first, &missing));
    }
}

fn diagnostic(span: Span, fetch: bool, first: &str, missing: &[String]) -> Diagnostic {
    let help = "Call `create_permissions(app_config, apps=apps, verbosity=0)` first (set `app_config.models_module = True` around it)";
    if fetch {
        Diagnostic::new(
            by_code("DJP010"),
            span,
            format!("`{first}` does not exist yet when this migration runs on a fresh database"),
        )
        .with_help(format!("{help}, or use `get_or_create`"))
        .with_note("Django creates default and Meta permissions in `post_migrate`, after all migrations: `get` raises `Permission.DoesNotExist`")
    } else {
        let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
        Diagnostic::new(
            by_code("DJP010"),
            span,
            format!(
                "{} not exist yet when this migration runs on a fresh database: the grant adds nothing",
                if list.len() == 1 { format!("{} does", list[0]) } else { format!("{} do", list.join(", ")) }
            ),
        )
        .with_help(help)
        .with_note("Django creates default and Meta permissions in `post_migrate`, after all migrations: the filter matches no row and nothing is granted, without an error")
    }
}

/// `label.codename` when every permission the lookup may mean is made only by `post_migrate`
/// (default, Meta or contrib) and no `create_permissions` call of the run made its app's.
fn not_yet_created(
    project: &Project,
    app_label: Option<&str>,
    codename: &str,
    created: &[&Option<String>],
) -> Option<String> {
    let labels: Vec<&str> = match app_label {
        Some(l) => vec![l],
        None => project.labels_defining(codename),
    };
    let defs: Vec<_> = labels
        .iter()
        .flat_map(|l| project.lookup(l, codename))
        .collect();
    if defs.is_empty()
        // Created by a data migration (or anything but create_permissions): it may exist.
        || defs
            .iter()
            .any(|d| !matches!(d.source, Source::Default | Source::Meta | Source::Contrib))
        || defs
            .iter()
            .any(|d| created.iter().any(|c| c.as_deref() == Some(d.label.as_str())))
    {
        return None;
    }
    Some(format!("{}.{codename}", defs[0].label))
}

/// The lookup sits in a module-level function that `RunPython` runs only backwards
/// (`reverse_code`): on a database migrated forwards earlier, where the rows exist.
fn only_reverse(facts: &FileFacts, span: Span) -> bool {
    let Some(function) = facts
        .functions
        .iter()
        .find(|f| f.body.start <= span.start && span.end <= f.body.end)
    else {
        return false;
    };
    let name = Some(function.name.clone());
    facts.run_python.iter().any(|(_, r)| *r == name)
        && !facts.run_python.iter().any(|(f, _)| *f == name)
}

/// Migration files applied before `file` in its app's fresh-database plan.
fn project_plan_before(ctx: &Context<'_>, file: FileId) -> Vec<FileId> {
    let project = ctx.project(file);
    for replay in project.state.values() {
        if let Some(pos) = replay.plan.iter().position(|f| *f == file) {
            return replay.plan[..pos].to_vec();
        }
    }
    Vec::new()
}
