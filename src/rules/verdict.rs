//! What is wrong with one permission string, decided once and shared by DJP001/2/3/9 so that
//! a string gets at most one of them.

use crate::facts::RefKind;
use crate::index::models::DEFAULT_ACTIONS;
use crate::index::Project;
use crate::value::CompactString;

#[derive(Debug, PartialEq)]
pub enum Verdict {
    Fine,
    /// Nothing can be said (dynamic, opaque label, not a permission-shaped string).
    Silent,
    Malformed(&'static str),
    MissingLabel {
        candidates: Vec<String>,
    },
    UnknownLabel {
        label: String,
        suggestion: Option<String>,
    },
    Unknown {
        label: String,
        codename: String,
        suggestions: Vec<String>,
        reason: Option<String>,
    },
}

/// Which reference kinds pass a full `"label.codename"` string to a backend.
fn is_sink(kind: RefKind) -> bool {
    kind != RefKind::Shape && kind.checks_strings()
}

pub fn judge(project: &Project, kind: RefKind, text: &str, with_obj: bool) -> Verdict {
    if kind == RefKind::GuardianObjects && !text.contains('.') && with_obj {
        return Verdict::Silent; // `klass` (or a dotted sibling) gives the model
    }
    // A declared codename with dots or spaces is valid as written.
    if let Some((label, codename)) = text.split_once('.') {
        if project.is_known(label, codename) {
            return Verdict::Fine;
        }
    }
    if is_sink(kind) {
        if let Some(reason) = malformed(text) {
            return Verdict::Malformed(reason);
        }
    }
    // Every backend (or the user model) answers `has_perm` itself: any string may be granted.
    // Guardian's shortcuts read the database, not the backends.
    if project.settings.own_checker.is_some()
        && !matches!(kind, RefKind::GuardianAssign | RefKind::GuardianObjects)
    {
        return Verdict::Silent;
    }
    // A project backend whose `has_perm` was read accepts this string.
    if project.settings.narrowed_accepts(text).is_some()
        && !matches!(kind, RefKind::GuardianAssign | RefKind::GuardianObjects)
    {
        return Verdict::Silent;
    }
    // `blog.post.can_publish`: the label is the part before the first dot, and no codename
    // holds a dot unless one is declared.
    if is_sink(kind)
        && text.matches('.').count() > 1
        && !project.rules_opaque
        && project.settings.custom_backends().is_empty()
        && text
            .split_once('.')
            .is_some_and(|(_, rest)| project.labels_defining(rest).is_empty())
    {
        return Verdict::Malformed("has more than one dot");
    }
    let Some((label, codename)) = text.split_once('.') else {
        // `{% if "blog" in perms %}` is a module check (`has_module_perms("blog")`); it lacks a
        // label only when the name is a codename and not a label.
        if kind == RefKind::TemplateIn
            && (project.labels_defining(text).is_empty()
                || project.has_label(text)
                || project.by_label.contains_key(text))
        {
            return module_check(project, text);
        }
        if !is_sink(kind) || with_obj || project.bare_rules.contains(text) || project.rules_opaque {
            return Verdict::Silent;
        }
        if kind == RefKind::TemplateAttr {
            return Verdict::Silent;
        }
        let candidates = project
            .labels_defining(text)
            .into_iter()
            .map(str::to_string)
            .collect();
        return Verdict::MissingLabel { candidates };
    };
    if kind == RefKind::Shape {
        // Only `<known label>.<action>_<name>` strings are taken for permissions.
        let Some(app) = project.app(label) else {
            return Verdict::Silent;
        };
        if !app.scanned() && !app.contrib {
            return Verdict::Silent;
        }
        // `<action>_<model>` where the model is one of the app's models, or a near miss of one
        // (`view_postt`): task names, metric keys and cache keys share the shape but not this.
        let models = project.model_names(label);
        let near = |m: &str, model: &str| {
            m == model
                || (model.len() >= 4
                    && strsim::levenshtein(m, model) <= 1 + usize::from(model.len() >= 8))
        };
        let action_ok = label_actions(project, label).iter().any(|a| {
            codename
                .strip_prefix(a.as_str())
                .and_then(|rest| rest.strip_prefix('_'))
                .is_some_and(|model| models.iter().any(|m| near(m, model)))
        });
        if !action_ok {
            return Verdict::Silent;
        }
    }
    if !project.has_label(label) && !project.by_label.contains_key(label) {
        if kind == RefKind::Shape || project.inferred {
            return Verdict::Silent;
        }
        // The one label that defines this codename, else a label the author probably meant.
        let defining = project.labels_defining(codename);
        let suggestion = match defining.as_slice() {
            [only] => Some(only.to_string()),
            _ => label_suggestion(project, label),
        };
        if suggestion.is_none() && !project.labels_known {
            return Verdict::Silent;
        }
        return Verdict::UnknownLabel {
            label: label.to_string(),
            suggestion,
        };
    }
    if project.opaque_labels.contains(label) || project.floating_codenames.contains(codename) {
        return Verdict::Silent;
    }
    // A label no known app owns (only rules names, rows or configured names use it) may belong
    // to an INSTALLED_APPS entry outside the project, whose own permissions djperm cannot read:
    // the names written here are known, the rest of the label is not.
    if !project.has_label(label) && !project.apps_complete {
        return Verdict::Silent;
    }
    // A project backend that answers `has_perm` itself accepts free-form
    // actions on real models: `inventory.render_config_device`. Stay silent for those.
    if !project.settings.custom_backends().is_empty() {
        if let Some((_, model)) = codename.rsplit_once('_') {
            if project.model_names(label).contains(&model) {
                return Verdict::Silent;
            }
        }
    }
    // Code `migrate` runs creates rows djperm cannot read: the only rows a many-to-many
    // field's table has are such rows.
    if project.through_row_unread(label, codename).is_some() {
        return Verdict::Silent;
    }
    let suggestions = suggestions(project, label, codename);
    let reason = project
        .renames
        .iter()
        .find(|(l, old, _)| l == label && codename.ends_with(&format!("_{old}")))
        .map(|(_, old, new)| format!("model `{old}` was renamed to `{new}` by a migration"));
    Verdict::Unknown {
        label: label.to_string(),
        codename: codename.to_string(),
        suggestions,
        reason,
    }
}

/// A module check of `label`: fine when an app has it, else an unknown label (when labels are
/// known or the label is a near miss).
fn module_check(project: &Project, label: &str) -> Verdict {
    if project.has_label(label)
        || project.by_label.contains_key(label)
        || project.opaque_labels.contains(label)
    {
        return Verdict::Fine;
    }
    if project.inferred {
        return Verdict::Silent;
    }
    let suggestion = label_suggestion(project, label);
    if suggestion.is_none() && !project.labels_known {
        return Verdict::Silent;
    }
    Verdict::UnknownLabel {
        label: label.to_string(),
        suggestion,
    }
}

/// Whitespace, empty parts, stray dots.
pub fn malformed(text: &str) -> Option<&'static str> {
    if text.is_empty() {
        return Some("is empty");
    }
    if text.trim() != text {
        return Some("has leading or trailing whitespace");
    }
    if text.chars().any(char::is_whitespace) {
        return Some("contains whitespace");
    }
    if text.starts_with('.') || text.ends_with('.') {
        return Some("has a leading or trailing dot");
    }
    if text.contains("..") {
        return Some("has an empty part");
    }
    None
}

/// Actions used by the models of `label` (their `default_permissions`, plus Django's four).
fn label_actions(project: &Project, label: &str) -> Vec<String> {
    let mut actions: Vec<String> = DEFAULT_ACTIONS.iter().map(|s| s.to_string()).collect();
    for m in project.code_models_of(label) {
        if let Some(list) = &m.options.default_permissions {
            for a in list {
                if a.len() > 1 && !actions.contains(a) {
                    actions.push(a.clone());
                }
            }
        }
    }
    actions
}

/// The label the author probably meant: the app's module name or last component → its label.
pub fn label_suggestion(project: &Project, written: &str) -> Option<String> {
    for app in &project.apps {
        let last = app.name.rsplit('.').next().unwrap_or(&app.name);
        if (app.name == written || last == written) && app.label != written {
            return Some(app.label.clone());
        }
    }
    let mut best: Option<(f64, &str)> = None;
    let labels = project.labels.keys().map(String::as_str);
    for label in labels.chain(project.by_label.keys().map(CompactString::as_str)) {
        let score = strsim::jaro_winkler(written, label);
        if score >= 0.9 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, label));
        }
    }
    best.map(|(_, l)| l.to_string())
}

/// Did-you-mean candidates for an unknown `label.codename`, best first.
pub fn suggestions(project: &Project, label: &str, codename: &str) -> Vec<String> {
    // 1. The same codename under another label.
    let other: Vec<String> = project
        .labels_defining(codename)
        .into_iter()
        .filter(|l| *l != label)
        .map(|l| format!("{l}.{codename}"))
        .collect();
    if !other.is_empty() {
        return other;
    }
    // 2. A model renamed by a migration.
    for (l, old, new) in &project.renames {
        if l == label {
            if let Some(action) = codename.strip_suffix(&format!("_{old}")) {
                let candidate = format!("{action}_{new}");
                if project.is_known(label, &candidate) {
                    return vec![format!("{label}.{candidate}")];
                }
            }
        }
    }
    // 3. auth.*_user with a swapped user model.
    if label == "auth" {
        if let (Some(action), Some((user_label, user_model))) = (
            codename.strip_suffix("_user"),
            project.settings.user_model(),
        ) {
            if (user_label.as_str(), user_model.as_str()) != ("auth", "user") {
                let candidate = format!("{action}_{user_model}");
                if project.is_known(&user_label, &candidate) {
                    return vec![format!("{user_label}.{candidate}")];
                }
            }
        }
    }
    // 4. Case, then edit distance within the label.
    let Some(codenames) = project.by_label.get(label) else {
        return Vec::new();
    };
    let mut exact_case: Vec<String> = codenames
        .keys()
        .filter(|c| c.eq_ignore_ascii_case(codename))
        .map(|c| format!("{label}.{c}"))
        .collect();
    if !exact_case.is_empty() {
        exact_case.sort();
        return exact_case;
    }
    let length = codename.chars().count();
    let limit = (length / 4).clamp(1, 3);
    // The distance is at least the difference in length: most codenames are not measured.
    let mut scored: Vec<(usize, String)> = codenames
        .keys()
        .filter(|c| c.chars().count().abs_diff(length) <= limit)
        .map(|c| (strsim::levenshtein(codename, c), c))
        .filter(|(d, _)| *d <= limit)
        .map(|(d, c)| (d, c.to_string()))
        .collect();
    scored.sort();
    let Some(best) = scored.first().map(|(d, _)| *d) else {
        return Vec::new();
    };
    scored
        .into_iter()
        .filter(|(d, _)| *d == best)
        .map(|(_, c)| format!("{label}.{c}"))
        .collect()
}

/// Whether replacing the unknown `label.codename` with `candidate` (one of [`suggestions`]) may
/// be an applicable fix: only when it cannot change which object the check is about. That is a
/// wrong label of a codename exactly one label defines, a case difference, a typo inside the
/// action of the same model, the model's new name after `RenameModel`, or the user model that
/// replaces a swapped-out `auth.User`. A near miss that lands on another model's permission
/// (`delete_ordertag` → `delete_order`) is help, never a fix.
pub fn fix_allowed(project: &Project, label: &str, codename: &str, candidate: &str) -> bool {
    let Some((cand_label, cand_codename)) = candidate.split_once('.') else {
        return false;
    };
    if cand_codename == codename {
        return project.labels_defining(codename) == [cand_label];
    }
    if cand_label != label {
        // The user model that replaces `auth.User` (`auth.change_user` → `accounts.change_member`).
        return label == "auth" && codename.ends_with("_user");
    }
    if cand_codename.eq_ignore_ascii_case(codename) {
        return true;
    }
    let renamed = project.renames.iter().any(|(l, old, new)| {
        l == label
            && codename
                .strip_suffix(&format!("_{old}"))
                .is_some_and(|action| cand_codename == format!("{action}_{new}"))
    });
    if renamed {
        return true;
    }
    // The models the candidate is a permission of; a default-shaped candidate names its model.
    let models: Vec<&str> = project
        .lookup(label, cand_codename)
        .filter_map(|d| d.model.as_deref())
        .collect();
    if models.is_empty() {
        return false;
    }
    let names_model = |code: &str, m: &str| code.ends_with(&format!("_{m}"));
    if let Some(m) = models.iter().find(|m| names_model(cand_codename, m)) {
        if names_model(codename, m) {
            return true; // a typo in the action
        }
        // The same action on a misspelt model name (`view_postt`), not on another model.
        let action = &cand_codename[..cand_codename.len() - m.len() - 1];
        return codename
            .strip_prefix(action)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|written| {
                !project.model_names(label).contains(&written)
                    && m.len() >= 4
                    && strsim::damerau_levenshtein(written, m) <= 1 + usize::from(m.len() >= 8)
            });
    }
    // A custom codename of a model: the written one must not name some other model.
    !project
        .model_names(label)
        .iter()
        .any(|m| !models.contains(m) && names_model(codename, m))
}
