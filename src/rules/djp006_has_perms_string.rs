//! DJP006 has-perms-string: `has_perms("a.b")` raises ValueError on Django ≥ 4.1 (and iterated
//! the characters before: False for users, True for superusers). The same str reaches
//! `has_perms` from a `get_permission_required()` override that returns it.

use super::{by_code, Context};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Span};
use crate::facts::RefKind;
use crate::value::Value;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        let override_return = match r.reference.kind {
            RefKind::HasPerms => false,
            RefKind::PermissionRequiredReturn => true,
            _ => continue,
        };
        let Value::Str(s) = &r.value.value else {
            continue;
        };
        let project = ctx.project(r.file);
        let span = r.reference.value.span;
        // Two insertions around the value, not a replacement of it: a fix inside the string
        // (DJP002's typo correction) stays disjoint and both apply in the same round.
        let insert = |at: u32, content: &str| Edit {
            span: Span::new(span.file, at, at),
            content: content.to_string(),
        };
        let fix = Fix {
            creates: Vec::new(),
            applicability: Applicability::Safe,
            message: "Wrap the permission in a tuple".to_string(),
            edits: vec![insert(span.start, "("), insert(span.end, ",)")],
        };
        let (message, help) = if override_return {
            (
                format!("`get_permission_required()` returns the str `{s}` instead of a list of permissions"),
                format!("Return a tuple: `return (\"{s}\",)`; `PermissionRequiredMixin` passes the value to `has_perms` unchanged"),
            )
        } else {
            (
                format!("`has_perms` is given the str `{s}` instead of a list of permissions"),
                format!("Pass a tuple: `has_perms((\"{s}\",))`, or call `has_perm`"),
            )
        };
        out.push(
            Diagnostic::new(by_code("DJP006"), r.reference.call_span, message)
                .with_help(help)
                .with_note(if project.target_django >= (4, 1) {
                    "Django ≥ 4.1 raises `ValueError: perm_list must be an iterable of permissions`"
                } else {
                    "Django < 4.1 checks each character: False for every user, True for active superusers"
                })
                .with_fix(Some(fix)),
        );
    }
}
