//! What a view class and its bases say about its permission check (DJP012, DJP017): the
//! `PermissionRequiredMixin` it uses, the hooks it overrides, whether it requires a login.

use crate::diagnostic::FileId;
use crate::index::resolve::{ClassRef, Resolver, Target};
use crate::value::Value;
use crate::workspace::Workspace;

#[derive(Default)]
pub struct Chain {
    /// A `PermissionRequiredMixin` from outside the project is among the bases.
    pub has_mixin: bool,
    /// That mixin is django-guardian's.
    pub guardian_mixin: bool,
    /// Some class of the chain sets `permission_required` or overrides Django's hooks
    /// (`get_permission_required`, `has_permission`), or rules derives the permission.
    pub defines: bool,
    /// Some class of the chain overrides Django's hooks (`get_permission_required`,
    /// `has_permission`).
    pub django_hooks: bool,
    /// Some class of the chain overrides guardian's hooks (`get_required_permissions`,
    /// `check_permissions`), which replace the reading of `permission_required` there.
    pub guardian_hooks: bool,
    /// Some base class (not the view itself) sets a non-empty `permission_required`.
    pub inherited_permission: bool,
    /// Django's `LoginRequiredMixin` is among the bases: anonymous users are redirected.
    pub login_required: bool,
    /// A base outside Django and guardian that may set anything.
    pub unknown_external: bool,
}

impl Chain {
    pub fn of(resolver: &Resolver<'_>, class: ClassRef<'_>) -> Chain {
        let mut chain = Chain::default();
        walk(resolver, class, &mut chain, 0);
        chain
    }

    /// The permission check does not read `permission_required` as it is: a hook computes it.
    pub fn hooks_overridden(&self) -> bool {
        self.django_hooks || (self.guardian_mixin && self.guardian_hooks)
    }
}

/// The class `name` defined in `file`.
pub fn class_at<'w>(ws: &'w Workspace, file: FileId, name: &str) -> Option<ClassRef<'w>> {
    let facts = ws.python[file].as_ref()?;
    let class = facts.classes.iter().find(|c| c.name == name)?;
    Some(ClassRef {
        file,
        module: &facts.module,
        class,
    })
}

fn walk(resolver: &Resolver<'_>, class: ClassRef<'_>, chain: &mut Chain, depth: u32) {
    if depth > 24 {
        chain.unknown_external = true;
        return;
    }
    let c = class.class;
    let attr = c.attrs.get("permission_required");
    if c.methods
        .iter()
        .any(|m| m == "get_permission_required" || m == "has_permission")
    {
        chain.django_hooks = true;
    }
    if attr.is_some_and(|i| i.value != Value::None)
        || c.self_attrs.iter().any(|a| a == "permission_required")
        || chain.django_hooks
    {
        chain.defines = true;
    }
    if c.methods
        .iter()
        .any(|m| m == "get_required_permissions" || m == "check_permissions")
    {
        chain.guardian_hooks = true;
    }
    if depth > 0
        && attr.is_some_and(|i| match &i.value {
            Value::Seq(items) => !items.is_empty(),
            Value::Str(_) => true,
            _ => false,
        })
    {
        chain.inherited_permission = true;
    }
    for base in &c.bases {
        match resolver.base_target(base, 0) {
            Target::Class(c) => walk(resolver, c, chain, depth + 1),
            Target::External(name) => {
                let guardian = crate::python::extract::is_guardian(&name);
                let mixin = super::known_permission_mixin(&name);
                if mixin {
                    chain.has_mixin = true;
                    chain.guardian_mixin |= guardian;
                }
                if name == "django.contrib.auth.mixins.LoginRequiredMixin" {
                    chain.login_required = true;
                }
                if !name.starts_with("django.") && !guardian && !mixin {
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
