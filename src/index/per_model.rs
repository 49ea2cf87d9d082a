//! Rows code creates for each model it loops over (`facts::PerModel`): ordinary models, and the
//! tables Django creates for many-to-many fields (auto-created through models: `Order.tags`
//! is `shop.order_tags`), for which Django's own `create_permissions` creates no row.

use rustc_hash::FxHashSet;

use super::models::CodeModel;
use super::resolve::{ClassRef, Resolver, Target};
use super::{contrib, version, PermissionDef, Project, Source};
use crate::diagnostic::Span;
use crate::facts::PerModel;
use crate::value::Value;
use crate::workspace::Workspace;

/// `(app, object name, field)` of the many-to-many fields of `django.contrib` models (the
/// tables `migrate` creates for them; `User`'s only while `auth.User` is not swapped).
const CONTRIB_M2M: &[(&str, &str, &str)] = &[
    ("auth", "Group", "permissions"),
    ("auth", "User", "groups"),
    ("auth", "User", "user_permissions"),
    ("flatpages", "FlatPage", "sites"),
];

/// Django's abstract models whose many-to-many fields a project model inherits.
const EXTERNAL_M2M: &[(&str, &[&str])] = &[
    (
        "django.contrib.auth.models.PermissionsMixin",
        &["groups", "user_permissions"],
    ),
    (
        "django.contrib.auth.models.AbstractUser",
        &["groups", "user_permissions"],
    ),
    ("django.contrib.auth.base_user.AbstractBaseUser", &[]),
];

/// A model a loop may visit: `(label, model_name, auto-created through model)`.
type Table = (String, String, bool);

pub(super) struct Tables<'p> {
    pub ws: &'p Workspace,
    pub resolver: &'p Resolver<'p>,
    pub code_models: &'p [CodeModel],
    /// `(label, object name, swappable setting)` → swapped out.
    pub swapped: &'p dyn Fn(&str, &str, Option<&str>) -> bool,
}

impl Tables<'_> {
    /// Every model (and through model) of the project's apps, and the labels whose tables are
    /// not all known (apps outside the tree).
    fn all(&self, project: &Project) -> (Vec<Table>, Vec<String>) {
        let mut out: Vec<Table> = Vec::new();
        let mut unknown = Vec::new();
        for m in self.code_models {
            let Some(label) = m.label.as_deref() else {
                continue;
            };
            if m.abstract_ || (self.swapped)(label, &m.object_name, m.swappable.as_deref()) {
                continue;
            }
            out.push((label.to_string(), m.model_name.clone(), false));
            if m.proxy {
                continue;
            }
            for field in self.m2m_fields(m) {
                let name = format!("{}_{field}", m.object_name).to_lowercase();
                out.push((label.to_string(), name, true));
            }
        }
        for app in &project.apps {
            if app.scanned() {
                continue;
            }
            if !app.contrib && app.bundled {
                // Its ordinary models are those of its rows; its many-to-many tables are unknown
                // (an app with no rows has no models).
                let before = out.len();
                for p in project.lookup_label(&app.label) {
                    if let Some(model) = &p.model {
                        out.push((app.label.clone(), model.to_string(), false));
                    }
                }
                if out.len() > before {
                    unknown.push(app.label.clone());
                }
            } else if let (true, Some(table)) = (app.contrib, contrib::app(&app.label)) {
                for model in &table.models {
                    // A swapped-out model has no rows in the index.
                    let present = project
                        .lookup(&app.label, &format!("add_{}", model.model))
                        .next()
                        .is_some();
                    if !present && model.swappable.is_some() {
                        continue;
                    }
                    out.push((app.label.clone(), model.model.clone(), false));
                    for (_, _, field) in CONTRIB_M2M
                        .iter()
                        .filter(|(l, o, _)| *l == app.label && *o == model.object_name)
                    {
                        let name = format!("{}_{field}", model.model);
                        out.push((app.label.clone(), name, true));
                    }
                }
            } else if !app.contrib {
                unknown.push(app.label.clone());
            }
        }
        out.sort();
        out.dedup();
        (out, unknown)
    }

    /// `(label, model_name)` of every auto-created through model djperm can list.
    pub fn through(&self, project: &Project) -> FxHashSet<(String, String)> {
        self.all(project)
            .0
            .into_iter()
            .filter(|t| t.2)
            .map(|(label, model, _)| (label, model))
            .collect()
    }

    /// The auto-created many-to-many fields of a model: its own and those of its abstract
    /// bases (a field given `through=` has a model of its own).
    fn m2m_fields(&self, model: &CodeModel) -> Vec<String> {
        let Some(facts) = self.ws.python[model.file].as_ref() else {
            return Vec::new();
        };
        let Some(class) = facts
            .classes
            .iter()
            .rev()
            .find(|c| c.name == model.object_name)
        else {
            return Vec::new();
        };
        let class = ClassRef {
            file: model.file,
            module: &facts.module,
            class,
        };
        let mut out: Vec<String> = Vec::new();
        self.collect_m2m(class, &mut out, 0);
        out.sort();
        out.dedup();
        out
    }

    fn collect_m2m(&self, class: ClassRef<'_>, out: &mut Vec<String>, depth: u32) {
        if depth > 8 {
            return;
        }
        for (name, item) in &class.class.attrs {
            if let Value::Call(call) = &item.value {
                let (func, kwargs) = (&call.func, &call.kwargs);
                if func.ends_with("ManyToManyField") && !kwargs.iter().any(|(k, _)| k == "through")
                {
                    out.push(name.to_string());
                }
            }
        }
        for base in &class.class.bases {
            match self.resolver.base_target(base, 0) {
                Target::Class(c) => {
                    let abstract_model = self
                        .code_models
                        .iter()
                        .any(|m| m.file == c.file && m.object_name == c.class.name && m.abstract_);
                    if abstract_model {
                        self.collect_m2m(c, out, depth + 1);
                    }
                }
                Target::External(name) => {
                    if let Some((_, fields)) = EXTERNAL_M2M.iter().find(|(n, _)| *n == name) {
                        out.extend(fields.iter().map(|f| f.to_string()));
                    }
                }
                _ => {}
            }
        }
    }
}

/// Add the rows of `rows` (one per-model loop each): `(loop, on a fresh database, source, where)`.
pub(super) fn add(
    project: &mut Project,
    tables: &Tables<'_>,
    rows: &[(&PerModel, bool, Source, Span)],
    django: (u32, u32),
) {
    if rows.is_empty() {
        return;
    }
    let (all, unknown) = tables.all(project);
    let mut warned: FxHashSet<String> = FxHashSet::default();
    for &(pm, in_database, source, span) in rows {
        let wanted = |label: &str| pm.label.as_deref().is_none_or(|l| l == label);
        // Apps outside the tree: their tables are not known, so neither are these rows (the
        // ordinary models of an app of the bundled table are).
        for label in unknown.iter().filter(|l| wanted(l)) {
            let bundled = project.app(label).is_some_and(|a| a.bundled);
            if bundled && !pm.through {
                continue;
            }
            if !warned.insert(label.clone()) || project.opaque_labels.contains(label) {
                continue;
            }
            let at = tables.ws.path(span.file);
            project.warnings.push(format!(
                "code at {at} creates permissions for each model of `{label}` and for the tables of its many-to-many fields, which djperm cannot list (the app is not in the project nor its environment): djperm says nothing about `{label}` permissions"
            ));
            project.opaque_labels.insert(label.clone());
        }
        for (label, model_name, through) in all.iter().filter(|t| wanted(&t.0)) {
            if !(if *through { pm.through } else { pm.models }) {
                continue;
            }
            let actions: Vec<String> = match (pm.default_actions, *through) {
                // Django's default actions: what an auto-created model's options give.
                (true, true) => ["add", "change", "delete", "view"]
                    .into_iter()
                    .filter(|a| version::default_action(a, django))
                    .map(str::to_string)
                    .collect(),
                // An ordinary model's own default actions: its rows exist already.
                (true, false) => Vec::new(),
                (false, _) => pm.actions.clone(),
            };
            for action in actions {
                let codename = format!("{action}_{model_name}");
                let exists = project
                    .lookup(label, &codename)
                    .any(|d| d.in_database || !in_database);
                if exists {
                    continue;
                }
                project.add(PermissionDef {
                    label: label.as_str().into(),
                    codename: codename.into(),
                    model: Some(model_name.as_str().into()),
                    in_database,
                    source,
                    span: Some(span),
                });
            }
        }
    }
}

impl Project {
    /// Where code `migrate` runs creates rows djperm cannot read, when `label.codename` names
    /// an action on the table of a many-to-many field: Django creates no row for those tables,
    /// only such code may.
    pub fn through_row_unread(&self, label: &str, codename: &str) -> Option<Span> {
        let (span, tables) = self.dynamic_at_migrate.as_ref()?;
        tables
            .iter()
            .any(|(l, model)| {
                l == label
                    && codename
                        .strip_suffix(model.as_str())
                        .and_then(|action| action.strip_suffix('_'))
                        .is_some_and(|action| !action.is_empty())
            })
            .then_some(*span)
    }
}
