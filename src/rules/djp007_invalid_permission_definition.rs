//! DJP007 invalid-permission-definition: what `check_models_permissions` rejects (and so blocks
//! `migrate`): auth.E005–E008, E011, E012, contenttypes.E005.

use rustc_hash::FxHashSet;

use super::{by_code, Context};
use crate::diagnostic::{Diagnostic, Span};
use crate::index::models::CodeModel;
use crate::index::Project;

/// Django's `camel_case_to_spaces`: a space before an upper-case letter that follows a lower-case
/// one, or that is followed by a lower-case letter; then strip and lower.
pub fn camel_case_to_spaces(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev_lower = i > 0 && chars[i - 1].is_lowercase();
        let next_not_upper_or_end = match chars.get(i + 1) {
            None => false,
            Some(n) => !n.is_uppercase(),
        };
        if c.is_uppercase() && (prev_lower || next_not_upper_or_end) {
            out.push(' ');
        }
        out.push(c);
    }
    out.trim().to_lowercase()
}

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let rule = by_code("DJP007");
    let blocks = "Django's system checks report this and `migrate` stops until it is fixed";
    for project in &ctx.index.projects {
        for model in &project.code_models {
            if model.abstract_ || model.options.opaque() {
                continue;
            }
            let label = model.label.as_deref().unwrap_or("?");
            let opts_label = format!("{label}.{}", model.object_name);
            let actions = model.options.default_permissions.as_ref().unwrap();
            let builtins = builtins(model);
            let model_name_len = model.model_name.chars().count();
            if model_name_len > 100 {
                out.push(Diagnostic::new(rule, model.span, format!("Model names must be at most 100 characters (got {model_name_len}) (contenttypes.E005)")).with_note(blocks));
            }
            if let Some(max_action) = actions.iter().map(|a| a.chars().count()).max() {
                let verbose = model
                    .verbose_name
                    .clone()
                    .unwrap_or_else(|| camel_case_to_spaces(&model.object_name));
                let verbose_len = verbose.chars().count();
                let max_name = "Can ".len() + max_action + 1 + verbose_len;
                if max_name > 255 {
                    out.push(Diagnostic::new(rule, model.span, format!(
                        "The verbose_name of model '{opts_label}' must be at most {} characters for its builtin permission names to be at most 255 characters (auth.E007)",
                        255 - (max_name - verbose_len)
                    )).with_note(blocks));
                }
                let max_codename = max_action + 1 + model_name_len;
                if max_codename > 100 {
                    out.push(Diagnostic::new(rule, model.span, format!(
                        "The name of model '{opts_label}' must be at most {} characters for its builtin permission codenames to be at most 100 characters (auth.E011)",
                        100 - (max_codename - model_name_len)
                    )).with_note(blocks));
                }
            }
            for (span, message, help) in invalid_entries(model, &builtins, &opts_label) {
                let mut d = Diagnostic::new(rule, span, message);
                if let Some(help) = help {
                    d = d.with_help(help);
                }
                out.push(d.with_note(blocks));
            }
        }
    }
}

/// The `Meta.permissions` entries of `model` Django's checks reject (auth.E005, E006, E008,
/// E012): where, the message, and a help.
fn invalid_entries(
    model: &CodeModel,
    builtins: &FxHashSet<String>,
    opts_label: &str,
) -> Vec<(Span, String, Option<&'static str>)> {
    let mut out = Vec::new();
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    for entry in model.options.permissions.iter().flatten() {
        if let Some(name) = &entry.name {
            if name.chars().count() > 255 {
                out.push((entry.span, format!("The permission named '{name}' of model '{opts_label}' is longer than 255 characters (auth.E008)"), None));
            }
        }
        if entry.codename.chars().count() > 100 {
            out.push((entry.codename_span, format!("The permission codenamed '{}' of model '{opts_label}' is longer than 100 characters (auth.E012)", entry.codename), None));
        }
        if builtins.contains(&entry.codename) {
            out.push((entry.codename_span, format!("The permission codenamed '{}' clashes with a builtin permission for model '{opts_label}' (auth.E005)", entry.codename), Some("Remove it: the builtin permission already exists")));
        } else if !seen.insert(&entry.codename) {
            out.push((entry.codename_span, format!("The permission codenamed '{}' is duplicated for model '{opts_label}' (auth.E006)", entry.codename), Some("Remove the duplicate entry")));
        }
    }
    out
}

/// `(label, model_name, codename)` of every custom permission DJP007 reports an entry of (a
/// duplicated codename counts once for all its entries): that report is the diagnostic for it.
pub fn invalid_definitions(project: &Project) -> FxHashSet<(String, String, String)> {
    let mut out = FxHashSet::default();
    for model in &project.code_models {
        if model.abstract_ || model.options.opaque() {
            continue;
        }
        let Some(label) = model.label.as_deref() else {
            continue;
        };
        let builtins = builtins(model);
        let entries = model.options.permissions.iter().flatten();
        let flagged: FxHashSet<Span> = invalid_entries(model, &builtins, "")
            .into_iter()
            .map(|(span, _, _)| span)
            .collect();
        for entry in entries {
            if flagged.contains(&entry.span) || flagged.contains(&entry.codename_span) {
                out.insert((
                    label.to_string(),
                    model.model_name.clone(),
                    entry.codename.clone(),
                ));
            }
        }
    }
    out
}

/// `<action>_<model_name>` of the model's default actions.
fn builtins(model: &CodeModel) -> FxHashSet<String> {
    model
        .options
        .default_permissions
        .iter()
        .flatten()
        .map(|a| format!("{a}_{}", model.model_name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::camel_case_to_spaces;

    #[test]
    fn camel_case_matches_django() {
        assert_eq!(camel_case_to_spaces("CamelCaseName"), "camel case name");
        assert_eq!(camel_case_to_spaces("BlogPost"), "blog post");
        assert_eq!(camel_case_to_spaces("HTTPResponse"), "http response");
        assert_eq!(camel_case_to_spaces("ABC"), "abc");
        assert_eq!(camel_case_to_spaces("Post"), "post");
    }
}
