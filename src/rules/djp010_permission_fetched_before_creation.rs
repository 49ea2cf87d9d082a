//! DJP010 permission-fetched-before-creation: `create_permissions` runs at `post_migrate`, after
//! every migration of the run, so a data migration that fetches a default or Meta permission on
//! a fresh database gets `Permission.DoesNotExist`.

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::facts::RefKind;
use crate::index::Source;
use crate::value::Value;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        if r.reference.kind != RefKind::Lookup {
            continue;
        }
        let Some(lookup) = &r.reference.lookup else {
            continue;
        };
        if !matches!(lookup.method.as_str(), "get" | "aget") {
            continue;
        }
        let Some(facts) = ctx.ws.python[r.file].as_ref() else {
            continue;
        };
        let in_migration = facts.module.split('.').any(|p| p == "migrations");
        if !in_migration || !facts.has_run_python || facts.calls_create_permissions {
            continue;
        }
        // An earlier migration of the same run that called `create_permissions` made them.
        let earlier_create = project_plan_before(ctx, r.file).iter().any(|f| {
            ctx.ws.python[*f]
                .as_ref()
                .is_some_and(|x| x.calls_create_permissions)
        });
        if earlier_create {
            continue;
        }
        let Value::Str(codename) = &r.value.value else {
            continue;
        };
        let project = ctx.project(r.file);
        let labels: Vec<String> = match &lookup.app_label {
            Some(Value::Str(l)) => vec![l.clone()],
            Some(_) => continue,
            None => project
                .labels_defining(codename)
                .into_iter()
                .map(str::to_string)
                .collect(),
        };
        let defs: Vec<_> = labels
            .iter()
            .flat_map(|l| project.lookup(l, codename))
            .collect();
        if defs.is_empty() {
            continue;
        }
        // Created by a data migration (or anything but create_permissions): it may exist.
        if defs
            .iter()
            .any(|d| !matches!(d.source, Source::Default | Source::Meta | Source::Contrib))
        {
            continue;
        }
        out.push(
            Diagnostic::new(
                by_code("DJP010"),
                r.reference.call_span,
                format!("`{}.{codename}` does not exist yet when this migration runs on a fresh database", defs[0].label),
            )
            .with_help("Call `create_permissions(app_config, apps=apps, verbosity=0)` first (set `app_config.models_module = True` around it), or use `get_or_create`")
            .with_note("Django creates default and Meta permissions in `post_migrate`, after all migrations: `get` raises `Permission.DoesNotExist`"),
        );
    }
}

/// Migration files applied before `file` in its app's fresh-database plan.
fn project_plan_before(
    ctx: &Context<'_>,
    file: crate::diagnostic::FileId,
) -> Vec<crate::diagnostic::FileId> {
    let project = ctx.project(file);
    for replay in project.state.values() {
        if let Some(pos) = replay.plan.iter().position(|f| *f == file) {
            return replay.plan[..pos].to_vec();
        }
    }
    Vec::new()
}
