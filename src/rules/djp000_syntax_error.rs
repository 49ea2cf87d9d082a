//! DJP000 syntax-error: a Python file that does not parse. Its definitions and references are
//! unknown, so the rest of the run stays silent about what it would have defined.

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for facts in ctx.ws.python.iter().flatten() {
        if let Some((span, message)) = &facts.syntax_error {
            out.push(
                Diagnostic::new(by_code("DJP000"), *span, format!("Syntax error: {message}"))
                    .with_note(
                        "djperm skipped this file: permissions it defines or checks are not known",
                    ),
            );
        }
    }
}
