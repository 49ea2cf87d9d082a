//! DJP008 ambiguous-permission-lookup: `Permission.objects.get(codename=…)` that matches
//! several rows (several apps, or several models of one app, or one model name in several
//! apps) → MultipleObjectsReturned. (A row that does not exist is DJP002, an unknown
//! `content_type__app_label` DJP003.) Also a label inside the codename (`codename="app.x"`),
//! which matches no row: the lookup is DJP008's, the same mistake elsewhere DJP015's.

use super::lookup_verdict::{lookups, LookupVerdict};
use super::{by_code, Context};
use crate::diagnostic::Diagnostic;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (r, lookup, codename, verdict) in lookups(ctx) {
        if let LookupVerdict::LabelInCodename {
            label,
            codename: bare,
        } = &verdict
        {
            let mut d = Diagnostic::new(
                by_code("DJP008"),
                r.reference.call_span,
                format!("`Permission.objects.{}(codename=\"{codename}\")` matches no row: a codename never contains the app label", lookup.method),
            )
            .with_note(format!("`get` raises DoesNotExist; the row is codename `{bare}` of app `{label}`"));
            let item = lookup
                .codename
                .as_ref()
                .filter(|c| c.span == r.value.span)
                .unwrap_or(&r.value);
            match super::djp015_codename_contains_app_label::split_fix(r, item, label, bare) {
                Some((help, fix)) => d = d.with_help(help).with_fix(Some(fix)),
                None => {
                    d = d.with_help(format!(
                        "Use the bare codename `{bare}` with `content_type__app_label=\"{label}\"`"
                    ))
                }
            }
            out.push(d);
            continue;
        }
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
