//! DJP002 unknown-permission: a `label.codename` that no fresh database has.

use super::verdict::{fix_allowed, Verdict};
use super::{by_code, Context};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (i, s, verdict) in &ctx.verdicts {
        let Verdict::Unknown {
            label,
            codename,
            suggestions,
            reason,
        } = verdict
        else {
            continue;
        };
        let project = ctx.project(ctx.refs[*i].file);
        let mut d = Diagnostic::new(
            by_code("DJP002"),
            s.span,
            format!("Unknown permission `{label}.{codename}`"),
        );
        let file = ctx.refs[*i].file;
        // A codename can hold anything (`Meta.permissions` is free text); only offer an edit
        // that stays a valid literal or template variable, else the fix breaks the code.
        let edit_span = ctx
            .string_edit_span(s)
            .filter(|_| suggestions.iter().all(|c| fits_in_place(ctx, file, c)));
        match suggestions.as_slice() {
            [] => {}
            [one] => {
                d = d.with_help(format!("Did you mean `{one}`?"));
                let allowed = fix_allowed(project, label, codename, one);
                if !allowed {
                    d = d.with_note(format!("No fix is offered: `{one}` may be a permission on another model, so replacing the string could change what the check is about"));
                }
                if let Some(span) = edit_span.filter(|_| allowed) {
                    d = d.with_fix(Some(Fix {
                        creates: Vec::new(),
                        applicability: Applicability::Unsafe,
                        message: format!("Replace with `{one}`"),
                        edits: vec![Edit {
                            span,
                            content: one.clone(),
                        }],
                    }));
                }
            }
            several => {
                let list: Vec<String> = several.iter().map(|c| format!("`{c}`")).collect();
                d = d.with_help(format!("Did you mean one of {}?", list.join(", ")));
                // Editors offer each candidate of the fix: only those about the same object.
                let allowed: Vec<&String> = several
                    .iter()
                    .filter(|c| fix_allowed(project, label, codename, c))
                    .collect();
                if let (Some(span), Some(first)) = (edit_span, allowed.first()) {
                    let list: Vec<String> = allowed.iter().map(|c| format!("`{c}`")).collect();
                    d = d.with_fix(Some(Fix {
                        creates: Vec::new(),
                        applicability: Applicability::DisplayOnly,
                        message: format!("Replace with one of {}", list.join(", ")),
                        edits: vec![Edit {
                            span,
                            content: (*first).clone(),
                        }],
                    }));
                }
            }
        }
        if let Some(model) = project.code_models_of(label).find(|m| {
            m.options
                .permissions
                .iter()
                .flatten()
                .any(|e| &e.codename == codename)
        }) {
            d = d.with_note(format!(
                "`{}.Meta.permissions` declares it, but no migration does, so `migrate` never creates it (see DJP004)",
                model.object_name
            ));
        }
        if let Some(reason) = reason {
            let upgraded = if project.target_django < (6, 1) {
                format!(
                    "; databases migrated before the rename keep user and group grants on `{label}.{codename}` (Django {}.{} does not rename permissions)",
                    project.target_django.0, project.target_django.1
                )
            } else {
                String::new()
            };
            d = d.with_note(format!(
                "{reason}; a fresh database has only the new codenames{upgraded}"
            ));
        }
        if label == "auth" && codename.ends_with("_user") {
            if let Some(user) = &project.settings.auth_user_model {
                if !user.eq_ignore_ascii_case("auth.User") {
                    d = d.with_note(format!("`AUTH_USER_MODEL` is `{user}`, so `auth.User` is swapped out and has no permissions"));
                }
            }
        }
        let custom = project.settings.custom_backends();
        if !custom.is_empty() {
            d = d.with_note(format!(
                "A custom backend (`{}`) may accept it: list it under `extra-permissions` in `[tool.djperm]` if so",
                custom[0]
            ));
        } else {
            d = d.with_note("`has_perm` returns False for every user but active superusers");
        }
        out.push(d);
    }
    // `Permission.objects.get(codename=…, content_type__app_label=…)` of a row no fresh
    // database has.
    for (r, _, _, verdict) in super::lookup_verdict::lookups(ctx) {
        let super::lookup_verdict::LookupVerdict::Unknown { target, suggestion } = verdict else {
            continue;
        };
        let mut d = Diagnostic::new(
            by_code("DJP002"),
            r.reference.call_span,
            format!("`Permission.objects.get` looks up {target}, which no fresh database has"),
        )
        .with_note("`get` raises `Permission.DoesNotExist`");
        if let Some(first) = suggestion {
            d = d.with_help(format!("Did you mean `{first}`?"));
        }
        out.push(d);
    }
}

/// Whether `replacement` can be written where a permission string is: in a template, every
/// dotted part must be a variable name (`perms.blog.can_publish`); in Python, the text must not
/// hold a quote, a backslash or a line break (the literal would end or change meaning).
fn fits_in_place(ctx: &Context<'_>, file: crate::diagnostic::FileId, replacement: &str) -> bool {
    if ctx.ws.snapshot.files[file].kind == crate::workspace::FileKind::Template {
        replacement
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
    } else {
        !replacement.contains(['"', '\'', '\\', '\n', '\r'])
    }
}
