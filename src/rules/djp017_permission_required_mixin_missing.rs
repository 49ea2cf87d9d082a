//! DJP017 permission-required-mixin-missing: a routed view using `PermissionRequiredMixin`
//! without `permission_required` (or a `get_permission_required` override) raises
//! ImproperlyConfigured on every request.

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::index::resolve::{ClassRef, Resolver, Target};

#[derive(Default)]
struct Chain {
    has_mixin: bool,
    defines: bool,
    unknown_external: bool,
}

fn walk(resolver: &Resolver<'_>, class: ClassRef<'_>, chain: &mut Chain, depth: u32) {
    if depth > 24 {
        chain.unknown_external = true;
        return;
    }
    if class
        .class
        .attrs
        .get("permission_required")
        .is_some_and(|i| i.value != crate::value::Value::None)
        || class
            .class
            .self_attrs
            .iter()
            .any(|a| a == "permission_required")
        || class
            .class
            .methods
            .iter()
            .any(|m| m == "get_permission_required" || m == "has_permission")
    {
        chain.defines = true;
    }
    for base in &class.class.bases {
        match resolver.base_target(base, 0) {
            Target::Class(c) => walk(resolver, c, chain, depth + 1),
            Target::External(name) => {
                if name.ends_with("PermissionRequiredMixin") {
                    chain.has_mixin = true;
                }
                if !name.starts_with("django.") && !name.ends_with("PermissionRequiredMixin") {
                    chain.unknown_external = true; // a third-party base may set it
                }
                if name.starts_with("rules.") || name.ends_with("AutoPermissionRequiredMixin") {
                    chain.defines = true; // rules derives the permission from the model
                }
            }
            _ => chain.unknown_external = true,
        }
    }
}

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let resolver = Resolver::new(ctx.ws);
    let mut routed: Vec<_> = ctx.routed.iter().collect();
    routed.sort();
    for (file, name) in routed {
        let Some(facts) = ctx.ws.python[*file].as_ref() else {
            continue;
        };
        let Some(class) = facts.classes.iter().find(|c| &c.name == name) else {
            continue;
        };
        let class = ClassRef {
            file: *file,
            module: &facts.module,
            class,
        };
        let mut chain = Chain::default();
        walk(&resolver, class, &mut chain, 0);
        if chain.has_mixin && !chain.defines && !chain.unknown_external {
            out.push(
                Diagnostic::new(by_code("DJP017"), class.class.span, format!("`{name}` uses `PermissionRequiredMixin` but never sets `permission_required`"))
                    .with_help(format!("Set `permission_required = \"<app_label>.<codename>\"` on `{name}` (or override `get_permission_required`)"))
                    .with_note("Every request raises ImproperlyConfigured: `permission_required` defaults to None"),
            );
        }
    }
}
