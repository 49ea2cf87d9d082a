//! DJP005 stale-permission-cache: check → grant → check on the same user object. Django caches
//! permissions on the instance and never invalidates them (`refresh_from_db` does not either).

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (file, facts) in ctx.ws.python.iter().enumerate() {
        let Some(facts) = facts else { continue };
        let text = ctx.ws.text(file);
        let line = |offset: u32| text[..offset as usize].matches('\n').count() + 1;
        for stale in &facts.stale_checks {
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
                )),
            );
        }
    }
}
