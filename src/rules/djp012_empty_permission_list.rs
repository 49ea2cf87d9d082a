//! DJP012 empty-permission-list: `has_perms([])` is True for everyone, and
//! `permission_required([])` / `permission_required = ()` let anonymous users through.

use super::view_chain::{class_at, Chain};
use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::facts::RefKind;
use crate::index::resolve::Resolver;
use crate::value::Value;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let resolver = Resolver::new(ctx.ws);
    for r in &ctx.refs {
        let what = match r.reference.kind {
            RefKind::HasPerms => "`has_perms` of an empty list",
            RefKind::PermissionRequired => "`permission_required` with no permission",
            RefKind::MixinAttr => "`permission_required` set to an empty sequence",
            _ => continue,
        };
        let Value::Seq(items) = &r.value.value else {
            continue;
        };
        if !items.is_empty() {
            continue;
        }
        // A base view's empty default is overridden by its subclasses: only routed views count.
        if r.reference.kind == RefKind::MixinAttr {
            if !ctx.is_routed(r.file, r.reference.owner.as_deref()) {
                continue;
            }
            let class = r
                .reference
                .owner
                .as_deref()
                .and_then(|o| class_at(ctx.ws, r.file, o));
            if let Some(chain) = class.map(|c| Chain::of(&resolver, c)) {
                // A hook computes the permissions: the attribute is not what is checked.
                if chain.hooks_overridden() {
                    continue;
                }
                // Emptying an inherited permission behind Django's LoginRequiredMixin opens
                // the view to logged-in users on purpose: anonymous users are redirected.
                if chain.login_required && chain.inherited_permission {
                    continue;
                }
            }
        }
        out.push(
            Diagnostic::new(by_code("DJP012"), r.reference.value.span, format!("{what} grants access to everyone"))
                .with_help("Name the permission(s) the view needs, or remove the check if it is meant to be public")
                .with_note("`has_perms([])` is True for every user, anonymous users included"),
        );
    }
}
