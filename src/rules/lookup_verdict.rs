//! What is wrong with one `Permission.objects.get(codename=…, …)` lookup, decided once and shared
//! by DJP002 (no such row), DJP003 (no such app label) and DJP008 (several rows), so that a
//! lookup gets at most one of them.

use super::verdict::{label_suggestion, suggestions};
use super::{Context, Resolved};
use crate::facts::{Lookup, RefKind};
use crate::index::Project;
use crate::value::Value;

pub enum LookupVerdict {
    /// The rows it matches, when there are several: `label.model` each, and what they are
    /// (`models of `blog``, `models`).
    Ambiguous { rows: Vec<String>, what: String },
    /// No fresh database has the row (`target`: `` `blog.can_x` `` or `` codename `can_x` ``).
    Unknown {
        target: String,
        suggestion: Option<String>,
    },
    /// `codename="app.x"`: codenames never contain the app label, so `get` matches no row.
    LabelInCodename { label: String, codename: String },
    /// `content_type__app_label` names no installed app.
    UnknownLabel {
        label: String,
        suggestion: Option<String>,
    },
}

/// Every `get`/`aget` lookup with something to say: (the reference, its codename, the verdict).
pub fn lookups<'c, 'a>(
    ctx: &'c Context<'a>,
) -> impl Iterator<Item = (&'c Resolved<'a>, &'c Lookup, &'c str, LookupVerdict)> {
    ctx.refs.iter().filter_map(move |r| {
        if r.reference.kind != RefKind::Lookup {
            return None;
        }
        let lookup = r.reference.lookup.as_deref()?;
        if !matches!(lookup.method.as_str(), "get" | "aget") {
            return None;
        }
        let Value::Str(codename) = &r.value.value else {
            return None;
        };
        let verdict = judge(ctx.project(r.file), lookup, codename)?;
        Some((r, lookup, codename.as_str(), verdict))
    })
}

fn judge(project: &Project, lookup: &Lookup, codename: &str) -> Option<LookupVerdict> {
    let label = match &lookup.app_label {
        Some(Value::Str(label)) => Some(label.as_str()),
        Some(_) => return None,
        None => None,
    };
    let model = match &lookup.model {
        Some(Value::Str(model)) => Some(model.to_lowercase()),
        Some(_) => return None,
        None => None,
    };
    // Pinned by a filter djperm does not read (`content_type=`, `pk=`, `Q(...)`).
    if lookup.pinned {
        return None;
    }
    if let Some(label) = label {
        if project.opaque_labels.contains(label) || project.inferred {
            return None;
        }
        if !project.has_label(label) && !project.by_label.contains_key(label) {
            let defining = project.labels_defining(codename);
            let suggestion = match defining.as_slice() {
                [only] => Some(only.to_string()),
                _ => label_suggestion(project, label),
            };
            if suggestion.is_none() && !project.labels_known {
                return None;
            }
            return Some(LookupVerdict::UnknownLabel {
                label: label.to_string(),
                suggestion,
            });
        }
    }
    if let Some((prefix, bare)) = codename.split_once('.') {
        // A declared dotted codename is valid as written; a prefix that is no label is not ours.
        let declared = project.by_label.values().any(|m| m.contains_key(codename));
        let is_label = project.has_label(prefix) || project.by_label.contains_key(prefix);
        return (!declared && is_label && !bare.is_empty()).then(|| {
            LookupVerdict::LabelInCodename {
                label: prefix.to_string(),
                codename: bare.to_string(),
            }
        });
    }
    // The rows the filters leave: `label.model` of each model that has the codename.
    let labels: Vec<&str> = match label {
        Some(label) => vec![label],
        None => project.labels_defining(codename),
    };
    let mut rows = Vec::new();
    for l in &labels {
        for m in project.models_with(l, codename) {
            if model.as_deref().is_none_or(|want| want == m) {
                rows.push(format!("`{l}.{m}`"));
            }
        }
    }
    if rows.len() > 1 {
        // Apps that settings install in one branch of an `if` (one swapped for another) are
        // never installed together: no ambiguity can be told.
        let conditional = labels.len() > 1
            && labels
                .iter()
                .any(|l| project.app(l).is_some_and(|a| a.conditional));
        if conditional {
            return None;
        }
        let what = match label {
            Some(label) => format!("models of `{label}`"),
            None => "models".to_string(),
        };
        return Some(LookupVerdict::Ambiguous { rows, what });
    }
    if model.is_some() {
        return None; // a row of another model, or none: left to the model's own name
    }
    if project.floating_codenames.contains(codename)
        || project.rules_opaque
        || project.dynamic_rows
        || project.inferred
    {
        return None;
    }
    let known = match label {
        Some(label) => project.is_known(label, codename),
        None => !project.labels_defining(codename).is_empty() || !project.opaque_labels.is_empty(),
    };
    if known {
        return None;
    }
    let (target, suggestion) = match label {
        Some(label) => (
            format!("`{label}.{codename}`"),
            suggestions(project, label, codename).into_iter().next(),
        ),
        None => (format!("codename `{codename}`"), None),
    };
    Some(LookupVerdict::Unknown { target, suggestion })
}
