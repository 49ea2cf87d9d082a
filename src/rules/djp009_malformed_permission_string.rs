//! DJP009 malformed-permission-string: whitespace, empty parts, stray dots. Django compares
//! strings exactly, so such a string never matches.

use super::verdict::Verdict;
use super::{by_code, Context};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};

/// The string with surrounding whitespace and empty dotted parts removed, if that is all.
fn cleaned(text: &str) -> Option<String> {
    let parts: Vec<&str> = text
        .trim()
        .split('.')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let out = parts.join(".");
    (!out.is_empty() && !out.chars().any(char::is_whitespace) && out != text).then_some(out)
}

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (i, s, verdict) in &ctx.verdicts {
        let Verdict::Malformed(reason) = verdict else {
            continue;
        };
        let project = ctx.project(ctx.refs[*i].file);
        let mut d = Diagnostic::new(
            by_code("DJP009"),
            s.span,
            format!("Permission string `{}` {reason}", s.text),
        )
        .with_note("Permissions are compared as exact strings: this one never matches");
        if let Some(clean) = cleaned(&s.text) {
            let known = clean
                .split_once('.')
                .is_some_and(|(l, c)| project.is_known(l, c));
            d = d.with_help(format!("Did you mean `{clean}`?"));
            if let (Some(span), true) = (ctx.string_edit_span(s), known || !clean.contains(' ')) {
                d = d.with_fix(Some(Fix {
                    creates: Vec::new(),
                    applicability: Applicability::Unsafe,
                    message: format!("Replace with `{clean}`"),
                    edits: vec![Edit {
                        span,
                        content: clean,
                    }],
                }));
            }
        }
        out.push(d);
    }
}
