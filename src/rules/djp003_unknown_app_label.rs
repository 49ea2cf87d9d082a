//! DJP003 unknown-app-label: the part before the dot is an app label, not a module path.

use super::verdict::{label_suggestion, Verdict};
use super::{by_code, Context};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Span};
use crate::facts::RefKind;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (i, s, verdict) in &ctx.verdicts {
        let Verdict::UnknownLabel { label, suggestion } = verdict else {
            continue;
        };
        // `{% if "blgo" in perms %}` names the label alone: a module check.
        let module = s.text == *label;
        let written = if module {
            format!("\"{label}\" in perms")
        } else {
            s.text.clone()
        };
        let mut d = Diagnostic::new(
            by_code("DJP003"),
            s.span,
            format!("Unknown app label `{label}` in `{written}`"),
        );
        if let Some(better) = suggestion {
            let fixed = format!("{better}{}", &s.text[label.len()..]);
            d = d.with_help(format!(
                "Did you mean `{fixed}`? Permission strings use the app label (`AppConfig.label`)"
            ));
            let project = ctx.project(ctx.refs[*i].file);
            let codename = s.text.get(label.len() + 1..).unwrap_or_default();
            let allowed = module || super::verdict::fix_allowed(project, label, codename, &fixed);
            if let Some(span) = ctx.string_edit_span(s).filter(|_| allowed) {
                d = d.with_fix(Some(Fix {
                    creates: Vec::new(),
                    applicability: Applicability::Unsafe,
                    message: format!("Use the app label: `{fixed}`"),
                    edits: vec![Edit {
                        span,
                        content: fixed,
                    }],
                }));
            }
        }
        out.push(d.with_note("No installed app has this label: the check is False for every user except active superusers"));
    }
    // `{% if perms.app %}` module checks.
    for r in &ctx.refs {
        let template = match r.reference.kind {
            RefKind::TemplateModule => true,
            RefKind::ModulePerms => false,
            _ => continue,
        };
        let Some(label) = r.value.value.as_str() else {
            continue;
        };
        let project = ctx.project(r.file);
        if project.has_label(label) || project.by_label.contains_key(label) || project.inferred {
            continue;
        }
        let suggestion = label_suggestion(project, label);
        if suggestion.is_none() && !project.labels_known {
            continue;
        }
        let span: Span = r.value.span;
        let written = if template {
            format!("perms.{label}")
        } else {
            format!("has_module_perms(\"{label}\")")
        };
        let mut d = Diagnostic::new(
            by_code("DJP003"),
            span,
            format!("Unknown app label `{label}` in `{written}`"),
        );
        if let Some(better) = suggestion {
            let edit_span = if template {
                Some(span)
            } else {
                ctx.string_edit_span(&super::PermString {
                    text: label.to_string(),
                    span,
                    literal: r.value.literal,
                })
            };
            d = d.with_help(if template {
                format!("Did you mean `perms.{better}`?")
            } else {
                format!("Did you mean `has_module_perms(\"{better}\")`?")
            });
            if let Some(edit_span) = edit_span {
                d = d.with_fix(Some(Fix {
                    creates: Vec::new(),
                    applicability: Applicability::Unsafe,
                    message: format!("Use the app label `{better}`"),
                    edits: vec![Edit {
                        span: edit_span,
                        content: better,
                    }],
                }));
            }
        }
        out.push(d.with_note("A module check (`has_module_perms`) is False for every non-superuser when no app has that label"));
    }
    // `Permission.objects.get(content_type__app_label=…)` with a label no app has.
    for (r, _, _, verdict) in super::lookup_verdict::lookups(ctx) {
        let super::lookup_verdict::LookupVerdict::UnknownLabel { label, suggestion } = verdict
        else {
            continue;
        };
        let mut d = Diagnostic::new(
            by_code("DJP003"),
            r.reference.call_span,
            format!("Unknown app label `{label}` in `content_type__app_label`"),
        )
        .with_note("No installed app has this label: `get` raises `Permission.DoesNotExist`");
        if let Some(better) = suggestion {
            d = d.with_help(format!(
                "Did you mean `content_type__app_label=\"{better}\"`? Content types store the app label (`AppConfig.label`), not the module"
            ));
        }
        out.push(d);
    }
}
