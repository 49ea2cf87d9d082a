//! Permissions the code declares that a fresh database will not have: a migrated app's model
//! whose `Meta.permissions` or `default_permissions` changed without `makemigrations`, or a
//! model no migration creates. `create_permissions` reads the replayed migration state, not
//! models.py. DJP004 reports each at its declaration; the index keeps them (not in the
//! database) so that the references to them are not reported a second time, and so that
//! suggestions can name them before the migration exists.

use rustc_hash::FxHashSet;

use super::models::{CodeModel, PermEntry};
use super::{PermissionDef, Project, Source};

/// What `migrate` will not create of one code model.
pub enum Missing<'m> {
    /// No migration of its app creates the model: none of its permissions exist.
    Model,
    /// The model is migrated, but these `Meta.permissions` entries and these default
    /// codenames (`<action>_<model>`) are not in its migration state.
    Options {
        entries: Vec<&'m PermEntry>,
        defaults: Vec<String>,
    },
}

/// What of `model` a fresh database lacks; `None` when nothing, or when it cannot be told
/// (unmigrated or opaque app, options that did not fold, a swapped-out user model, a class
/// that is only probably a model).
pub fn missing<'m>(project: &Project, model: &'m CodeModel) -> Option<Missing<'m>> {
    let label = model.label.as_ref()?;
    if model.abstract_
        || model.options.opaque()
        || model.label_opaque
        || project.opaque_labels.contains(label)
        || !project.migrated.contains(label)
    {
        return None;
    }
    if !project.app(label)?.has_models_module {
        return None;
    }
    let replay = project.state.get(label)?;
    if replay.opaque {
        return None;
    }
    if model.swappable.as_deref() == Some("AUTH_USER_MODEL")
        && project
            .settings
            .auth_user_model
            .as_deref()
            .is_some_and(|u| !u.eq_ignore_ascii_case(&format!("{label}.{}", model.object_name)))
    {
        return None;
    }
    let Some(state) = replay.models.get(&model.model_name) else {
        // Not sure it is a model at all: say nothing.
        return model.certain.then_some(Missing::Model);
    };
    let state_options = state.perm_options();
    if state_options.opaque() {
        return None;
    }
    let state_codenames: FxHashSet<String> = state_options
        .codenames(&model.model_name)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let entries: Vec<&PermEntry> = model
        .options
        .permissions
        .iter()
        .flatten()
        .filter(|e| !state_codenames.contains(&e.codename))
        .collect();
    let defaults: Vec<String> = model
        .options
        .default_permissions
        .iter()
        .flatten()
        .map(|a| format!("{a}_{}", model.model_name))
        .filter(|c| !state_codenames.contains(c))
        .collect();
    if entries.is_empty() && defaults.is_empty() {
        return None;
    }
    Some(Missing::Options { entries, defaults })
}

/// Add what the code declares and a fresh database lacks to the project, not in the database.
pub fn add_declared(project: &mut Project) {
    let mut defs = Vec::new();
    for model in &project.code_models {
        let Some(missing) = missing(project, model) else {
            continue;
        };
        let label = model.label.clone().unwrap_or_default();
        let def = |codename: String, source: Source, span| PermissionDef {
            label: label.as_str().into(),
            codename: codename.into(),
            model: Some(model.model_name.as_str().into()),
            in_database: false,
            source,
            span: Some(span),
        };
        let whole = matches!(missing, Missing::Model);
        let (entries, defaults): (Vec<&PermEntry>, Vec<String>) = match missing {
            Missing::Model => (
                model.options.permissions.iter().flatten().collect(),
                model
                    .options
                    .default_permissions
                    .iter()
                    .flatten()
                    .map(|a| format!("{a}_{}", model.model_name))
                    .collect(),
            ),
            Missing::Options { entries, defaults } => (entries, defaults),
        };
        let defaults_span = match model.options.default_permissions_span {
            Some(span) if !whole => span,
            _ => model.span,
        };
        defs.extend(
            defaults
                .into_iter()
                .map(|c| def(c, Source::Default, defaults_span)),
        );
        defs.extend(
            entries
                .into_iter()
                .map(|e| def(e.codename.clone(), Source::Meta, e.span)),
        );
    }
    for d in defs {
        project.add(d);
    }
}

impl PermissionDef {
    /// Declared by the code (a model's default action or `Meta.permissions` entry) but in no
    /// migration, so a fresh database lacks it (DJP004).
    pub fn unmigrated(&self) -> bool {
        !self.in_database && matches!(self.source, Source::Default | Source::Meta)
    }
}
