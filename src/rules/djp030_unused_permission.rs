//! DJP030 unused-permission: a custom permission (`Meta.permissions`, or a row a data
//! migration creates) that no code, template or data migration mentions.

use super::djp007_invalid_permission_definition::invalid_definitions;
use super::perms::unused_custom;
use super::{by_code, Context};
use crate::diagnostic::Diagnostic;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for project in &ctx.index.projects {
        // A definition Django's checks reject is reported once, by DJP007.
        let invalid = invalid_definitions(project);
        for p in unused_custom(ctx, project) {
            let Some(span) = p.span else { continue };
            let key = (
                p.label.to_string(),
                p.model.as_deref().unwrap_or_default().to_string(),
                p.codename.to_string(),
            );
            if invalid.contains(&key) {
                continue;
            }
            let model = match &p.model {
                Some(m) => format!("`{}.{m}`", p.label),
                None => "the model".to_string(),
            };
            out.push(
                Diagnostic::new(
                    by_code("DJP030"),
                    span,
                    format!("Custom permission `{}` is never checked", p.perm()),
                )
                .with_help(format!(
                    "Check it where it matters, or remove it from the `Meta.permissions` of {model} and run `python manage.py makemigrations {}`",
                    p.label
                ))
                .with_note(format!(
                    "No code, template or data migration mentions `{}`: granting it changes nothing",
                    p.codename
                )),
            );
        }
    }
}
