//! DJP017 permission-required-mixin-missing: a routed view using `PermissionRequiredMixin`
//! without `permission_required` (or a `get_permission_required` override, or with guardian's
//! mixin a `get_required_permissions` / `check_permissions` override) raises
//! ImproperlyConfigured on every request.

use super::view_chain::{class_at, Chain};
use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::index::resolve::Resolver;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let resolver = Resolver::new(ctx.ws);
    let mut routed: Vec<_> = ctx.routed.iter().collect();
    routed.sort();
    for (file, name) in routed {
        let Some(class) = class_at(ctx.ws, *file, name) else {
            continue;
        };
        let chain = Chain::of(&resolver, class);
        if chain.has_mixin && !chain.defines && !chain.hooks_overridden() && !chain.unknown_external
        {
            out.push(
                Diagnostic::new(by_code("DJP017"), class.class.span, format!("`{name}` uses `PermissionRequiredMixin` but never sets `permission_required`"))
                    .with_help(format!("Set `permission_required = \"<app_label>.<codename>\"` on `{name}` (or override `get_permission_required`)"))
                    .with_note("Every request raises ImproperlyConfigured: `permission_required` defaults to None"),
            );
        }
    }
}
