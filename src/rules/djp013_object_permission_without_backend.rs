//! DJP013 object-permission-without-backend: Django's ModelBackend answers False whenever an
//! object is passed, so `has_perm(p, obj)` needs an object backend (guardian, rules…).

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::facts::RefKind;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        if !matches!(r.reference.kind, RefKind::HasPerm | RefKind::HasPerms)
            || !r.reference.with_obj
        {
            continue;
        }
        let project = ctx.project(r.file);
        if project.settings.has_object_backend() {
            continue;
        }
        // Only receivers that are clearly users (other objects have their own `has_perm`).
        let call = ctx
            .ws
            .text(r.file)
            .get(r.reference.call_span.start as usize..r.reference.call_span.end as usize)
            .unwrap_or_default();
        let receiver = call
            .split(".has_perm")
            .next()
            .unwrap_or_default()
            .split(".ahas_perm")
            .next()
            .unwrap_or_default();
        let last = receiver.rsplit('.').next().unwrap_or(receiver);
        if !(last == "user" || last.ends_with("_user") || last == "u") {
            continue;
        }
        out.push(
            Diagnostic::new(by_code("DJP013"), r.reference.call_span, "Object permission check, but no configured backend supports object permissions")
                .with_help("Add an object-permission backend (e.g. `guardian.backends.ObjectPermissionBackend`) to `AUTHENTICATION_BACKENDS`, or drop the object argument")
                .with_note("`ModelBackend` returns no permissions when `obj` is given: this is False for every user except active superusers"),
        );
    }
}
