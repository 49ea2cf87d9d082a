//! DJP001 permission-missing-app-label: `has_perm("can_publish")` is always False for
//! ModelBackend (and True for active superusers).

use super::verdict::Verdict;
use super::{by_code, Context};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::facts::RefKind;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (i, s, verdict) in &ctx.verdicts {
        let Verdict::MissingLabel { candidates } = verdict else {
            continue;
        };
        let note = if ctx.refs[*i].reference.kind == RefKind::GuardianObjects {
            "Nothing in the call names the model (no `klass`, no `app_label.codename`): guardian raises `WrongAppError`"
        } else {
            "Django compares `<app_label>.<codename>` strings: without a label the check is False for every user except active superusers"
        };
        let mut d = Diagnostic::new(
            by_code("DJP001"),
            s.span,
            format!("Permission `{}` has no app label", s.text),
        )
        .with_note(note);
        let edit_span = ctx.string_edit_span(s);
        match candidates.as_slice() {
            [] => {}
            [label] => {
                let full = format!("{label}.{}", s.text);
                d = d.with_help(format!("Did you mean `{full}`?"));
                if let Some(span) = edit_span {
                    d = d.with_fix(Some(Fix {
                        creates: Vec::new(),
                        applicability: Applicability::Unsafe,
                        message: format!("Add the app label: `{full}`"),
                        edits: vec![Edit {
                            span,
                            content: full,
                        }],
                    }));
                }
            }
            several => {
                let list: Vec<String> = several
                    .iter()
                    .map(|l| format!("`{l}.{}`", s.text))
                    .collect();
                d = d.with_help(format!(
                    "Several apps define `{}`: {}",
                    s.text,
                    list.join(", ")
                ));
                if let Some(span) = edit_span {
                    d = d.with_fix(Some(Fix {
                        creates: Vec::new(),
                        applicability: Applicability::DisplayOnly,
                        message: format!("Add an app label: one of {}", list.join(", ")),
                        edits: vec![Edit {
                            span,
                            content: format!("{}.{}", several[0], s.text),
                        }],
                    }));
                }
            }
        }
        out.push(d);
    }
}
