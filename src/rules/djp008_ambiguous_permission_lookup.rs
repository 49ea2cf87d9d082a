//! DJP008 ambiguous-permission-lookup: `Permission.objects.get(codename=…)` that matches
//! several rows (several apps, or several models of one app, or one model name in several
//! apps) → MultipleObjectsReturned. (A row that does not exist is DJP002, an unknown
//! `content_type__app_label` DJP003.)

use super::lookup_verdict::{lookups, LookupVerdict};
use super::{by_code, Context};
use crate::diagnostic::Diagnostic;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (r, lookup, codename, verdict) in lookups(ctx) {
        if let LookupVerdict::Ambiguous { rows, what } = verdict {
            out.push(
                Diagnostic::new(
                    by_code("DJP008"),
                    r.reference.call_span,
                    format!("`Permission.objects.{}(codename=\"{codename}\")` matches {} rows", lookup.method, rows.len()),
                )
                .with_help("Filter by `content_type=` (or `content_type__app_label=` and `content_type__model=`) to pick one")
                .with_note(format!("`{codename}` is defined on several {what}: {}; `get` raises MultipleObjectsReturned", rows.join(", "))),
            );
        }
    }
}
