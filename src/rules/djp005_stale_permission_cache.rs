//! DJP005 stale-permission-cache: check → grant → check on the same user object. Django caches
//! permissions on the instance and never invalidates them (`refresh_from_db` does not either).

use super::{by_code, Context};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Span};

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (file, facts) in ctx.ws.python.iter().enumerate() {
        let Some(facts) = facts.as_ref().filter(|f| !f.stale_checks.is_empty()) else {
            continue;
        };
        let text = ctx.ws.text(file);
        let line = |offset: u32| text[..offset as usize].matches('\n').count() + 1;
        for stale in &facts.stale_checks {
            // Display-only: the fix a reader would write, before the stale check's line.
            let line_start = text[..stale.span.start as usize]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let indent: String = text[line_start..]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            let recv = &stale.receiver;
            let fix = Fix {
                applicability: Applicability::DisplayOnly,
                message: format!("Re-fetch `{recv}` from the database before this check"),
                edits: vec![Edit {
                    span: Span::new(file, line_start as u32, line_start as u32),
                    content: format!("{indent}{recv} = type({recv}).objects.get(pk={recv}.pk)\n"),
                }],
            };
            out.push(
                Diagnostic::new(
                    by_code("DJP005"),
                    stale.span,
                    format!("Permission check on `{}` uses a permission cache filled before the change on line {}", stale.receiver, line(stale.mutation.start)),
                )
                .with_help(format!("Re-fetch the user before checking again, e.g. `{0} = type({0}).objects.get(pk={0}.pk)`", stale.receiver))
                .with_note(format!(
                    "The check on line {} cached the permissions on this object; Django never clears that cache, and `refresh_from_db()` does not either",
                    line(stale.first_check.start)
                ))
                .with_fix(Some(fix)),
            );
        }
    }
}
