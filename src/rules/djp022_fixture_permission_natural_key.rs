//! DJP022 fixture-permission-natural-key: a JSON fixture whose `permissions` /
//! `user_permissions` name a permission by natural key `[codename, app_label, model]` that a
//! fresh `migrate` does not create: `loaddata` fails with `Permission.DoesNotExist`.

use serde_json::Value as Json;

use super::{by_code, verdict::suggestions, Context};
use crate::diagnostic::{Diagnostic, Span};
use crate::index::Source;
use crate::workspace::FileKind;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (file, f) in ctx.ws.snapshot.files.iter().enumerate() {
        if f.kind != FileKind::Fixture {
            continue;
        }
        let Ok(Json::Array(objects)) = serde_json::from_str::<Json>(&f.text) else {
            continue; // not a Django fixture (or not JSON): loaddata's business
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
        // Natural keys appear in the text in document order: find each from a moving cursor.
        let mut cursor = 0usize;
        for obj in &objects {
            let Some(fields) = obj.get("fields").and_then(Json::as_object) else {
                continue;
            };
            for key in ["permissions", "user_permissions"] {
                let Some(Json::Array(perms)) = fields.get(key) else {
                    continue;
                };
                for p in perms {
                    let Some([Json::String(codename), Json::String(label), Json::String(model)]) =
                        p.as_array().map(Vec::as_slice)
                    else {
                        continue; // a primary key: nothing to check statically
                    };
                    let needle = format!("\"{codename}\"");
                    let Some(rel) = f.text[cursor..].find(&needle) else {
                        continue;
                    };
                    let start = cursor + rel;
                    cursor = start + needle.len();
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
                        Span::new(file, start as u32, cursor as u32),
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
    }
}
