//! DJP022 fixture-permission-natural-key: a JSON or YAML fixture whose `permissions` /
//! `user_permissions` name a permission by natural key `[codename, app_label, model]` that a
//! fresh `migrate` does not create (or whose app label no installed app has): `loaddata` fails
//! with `Permission.DoesNotExist` (`ContentType.DoesNotExist`).

use super::fixture_keys::natural_keys;
use super::verdict::{label_suggestion, suggestions};
use super::{by_code, Context};
use crate::diagnostic::{Diagnostic, Span};
use crate::index::{Project, Source};
use crate::workspace::FileKind;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (file, f) in ctx.ws.snapshot.files.iter().enumerate() {
        if f.kind != FileKind::Fixture {
            continue;
        }
        let Some(keys) = natural_keys(&f.path, &f.text) else {
            continue; // not a Django fixture (or does not parse): loaddata's business
        };
        let project = ctx.project(file);
        // An app whose code is not in the tree may create permissions for any model after
        // `migrate` (a `post_migrate` receiver), and so may code that builds its rows: then a
        // codename named after the model is reported only as a near miss of a known one.
        let unseen = project.settings.apps_incomplete
            || project.dynamic_rows
            || project
                .apps
                .iter()
                .any(|a| !a.scanned() && !a.contrib && !a.name.starts_with("django."));
        for key in keys {
            let (codename, label, model) = (&key.codename, &key.label, &key.model);
            let span = Span::new(file, key.start as u32, key.end as u32);
            if !project.has_label(label) && !project.by_label.contains_key(label.as_str()) {
                if let Some(d) = unknown_label(project, span, label, codename, model) {
                    out.push(d);
                }
                continue;
            }
            if !project.has_label(label)
                || project.opaque_labels.contains(label)
                || project.floating_codenames.contains(codename)
            {
                continue;
            }
            // A row project code creates (a `post_migrate` receiver) may exist too.
            let exists = project.lookup(label, codename).any(|d| {
                (d.in_database || d.source == Source::Code)
                    && d.model.as_deref().is_none_or(|m| m == model)
            });
            if exists {
                continue;
            }
            let suggestion = suggestions(project, label, codename).into_iter().next();
            // Such apps name what they create after the model (`lock_<model>`).
            let per_model = codename.ends_with(&format!("_{model}"));
            if unseen && per_model && suggestion.is_none() {
                continue;
            }
            let mut d = Diagnostic::new(
                by_code("DJP022"),
                span,
                format!("Fixture grants `{label}.{codename}` (model `{model}`), which a fresh database does not have"),
            )
            .with_note("`loaddata` looks the permission up by natural key and fails with `Permission.DoesNotExist`");
            if let Some(s) = suggestion {
                d = d.with_help(format!("Did you mean `{s}`?"));
            }
            out.push(d);
        }
    }
}

/// A natural key whose app label no installed app has: reported when the project's labels are
/// all known, or when the label is a near miss of a real one.
fn unknown_label(
    project: &Project,
    span: Span,
    label: &str,
    codename: &str,
    model: &str,
) -> Option<Diagnostic> {
    if project.inferred || project.opaque_labels.contains(label) {
        return None;
    }
    let suggestion = match project.labels_defining(codename).as_slice() {
        [only] => Some(only.to_string()),
        _ => label_suggestion(project, label),
    };
    if suggestion.is_none() && !project.labels_known {
        return None;
    }
    let mut d = Diagnostic::new(
        by_code("DJP022"),
        span,
        format!("Fixture grants `{label}.{codename}` (model `{model}`), but no installed app has the label `{label}`"),
    )
    .with_note("`loaddata` looks the content type of the natural key up first and fails with `ContentType.DoesNotExist`");
    if let Some(s) = suggestion {
        d = d.with_help(format!("Did you mean the app label `{s}`?"));
    }
    Some(d)
}
