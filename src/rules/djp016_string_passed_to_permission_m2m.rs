//! DJP016 string-passed-to-permission-m2m: `user.user_permissions.add("app.x")` raises
//! `ValueError: Field 'id' expected a number`; the relation wants `Permission` objects. Only
//! relations that go to `auth.Permission`: a project model's relation of the same name to another
//! model (a role's `permissions` to its own capability model, keyed by a string) silences it.

use super::view_chain::class_at;
use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::facts::RefKind;
use crate::index::resolve::{Resolver, Target};
use crate::index::Project;
use crate::value::Value;

/// Whether a field `ManyToManyField(to)` goes to Django's `Permission`.
fn to_permission(resolver: &Resolver<'_>, to: &Value) -> bool {
    match to {
        Value::Str(s) => s
            .split_once('.')
            .is_some_and(|(l, m)| l == "auth" && m.eq_ignore_ascii_case("permission")),
        _ => matches!(resolver.base_target(to, 0),
            Target::External(name) if name == "django.contrib.auth.models.Permission"),
    }
}

/// Whether a model field is a `ManyToManyField` to `Permission`.
fn field_to_permission(resolver: &Resolver<'_>, field: &Value) -> bool {
    match field {
        Value::Call(call) if call.func == "ManyToManyField" => call
            .kwargs
            .iter()
            .find(|(k, _)| k == "to")
            .map(|(_, v)| v)
            .or(call.args.first())
            .is_some_and(|to| to_permission(resolver, &to.value)),
        _ => false,
    }
}

/// Whether the relation `rel` of instances of `model` goes to `Permission`; `None` when djperm
/// cannot tell. Django's `Group.permissions` and its users' `user_permissions` do.
fn relation_of(ctx: &Context<'_>, model: &Value, rel: &str) -> Option<bool> {
    let resolver = Resolver::new(ctx.ws);
    match resolver.base_target(model, 0) {
        Target::External(name) => match (name.as_str(), rel) {
            ("django.contrib.auth.models.Group", "permissions") => Some(true),
            ("django.contrib.auth.models.User", "user_permissions") => Some(true),
            _ => None,
        },
        Target::Class(c) => c
            .class
            .attrs
            .get(rel)
            .map(|field| field_to_permission(&resolver, &field.value)),
        _ => None,
    }
}

/// Whether every relation of the project's models that `.rel` may name goes to `Permission`
/// (Django's own `Group.permissions` and `user_permissions` do): a field `rel` of a model, or a
/// relation whose `related_name` is `rel`, that goes elsewhere (or cannot be told) makes the
/// receiver's relation unknown.
fn only_permission_relations(ctx: &Context<'_>, project: &Project, rel: &str) -> bool {
    let resolver = Resolver::new(ctx.ws);
    project.code_models.iter().all(|m| {
        let Some(class) = class_at(ctx.ws, m.file, &m.object_name) else {
            return true;
        };
        let own = class
            .class
            .attrs
            .get(rel)
            .is_none_or(|field| field_to_permission(&resolver, &field.value));
        let reverse = class.class.attrs.values().any(|field| match &field.value {
            Value::Call(call) => call
                .kwargs
                .iter()
                .any(|(k, v)| k == "related_name" && v.value.as_str() == Some(rel)),
            _ => false,
        });
        own && !reverse
    })
}

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        if r.reference.kind != RefKind::M2mString {
            continue;
        }
        let strings: Vec<&str> = match &r.value.value {
            crate::value::Value::Str(s) => vec![s.as_str()],
            crate::value::Value::Seq(items) => {
                items.iter().filter_map(|i| i.value.as_str()).collect()
            }
            _ => continue,
        };
        // Only strings that look like permissions (a label.codename or a known codename).
        let project = ctx.project(r.file);
        let Some(rel) = r.reference.owner.as_deref() else {
            continue;
        };
        let known = r
            .reference
            .class_bases
            .first()
            .and_then(|model| relation_of(ctx, model, rel));
        if !known.unwrap_or_else(|| only_permission_relations(ctx, project, rel)) {
            continue;
        }
        let Some(first) = strings.iter().find(|s| match s.split_once('.') {
            Some((l, _)) => project.has_label(l) || project.by_label.contains_key(l),
            None => !project.labels_defining(s).is_empty(),
        }) else {
            continue;
        };
        let (label, codename) = first.split_once('.').unwrap_or(("<app_label>", first));
        out.push(
            Diagnostic::new(by_code("DJP016"), r.reference.call_span, format!("Permission relation given the str `{first}` instead of a `Permission`"))
                .with_help(format!("Pass the object: `Permission.objects.get(content_type__app_label=\"{label}\", codename=\"{codename}\")`"))
                .with_note("Django raises `ValueError: Field 'id' expected a number but got '…'`"),
        );
    }
}
