//! DJP022 fixture-permission-natural-key: a JSON fixture whose `permissions` /
//! `user_permissions` name a permission by natural key `[codename, app_label, model]` that a
//! fresh `migrate` does not create: `loaddata` fails with `Permission.DoesNotExist`.

use serde_json::Value as Json;

use super::{by_code, verdict::suggestions, Context};
use crate::diagnostic::{Diagnostic, Span};
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
                    let exists = project
                        .lookup(label, codename)
                        .any(|d| d.in_database && d.model.as_deref().is_none_or(|m| m == model));
                    if exists {
                        continue;
                    }
                    let mut d = Diagnostic::new(
                        by_code("DJP022"),
                        Span::new(file, start as u32, cursor as u32),
                        format!("Fixture grants `{label}.{codename}` (model `{model}`), which a fresh database does not have"),
                    )
                    .with_note("`loaddata` looks the permission up by natural key and fails with `Permission.DoesNotExist`");
                    if let Some(s) = suggestions(project, label, codename).first() {
                        d = d.with_help(format!("Did you mean `{s}`?"));
                    }
                    out.push(d);
                }
            }
        }
    }
}
