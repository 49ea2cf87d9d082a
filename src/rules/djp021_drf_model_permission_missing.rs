//! DJP021 drf-model-permission-missing: DRF's `DjangoModelPermissions` requires
//! `<label>.add_<model>` for POST, `change_` for PUT/PATCH and `delete_` for DELETE on the view's
//! `queryset` model. A model whose `default_permissions` lacks one makes that method 403 for
//! every non-superuser.

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::index::resolve::{ClassRef, Resolver, Target};
use crate::value::Value;

const MODEL_PERMISSION_CLASSES: &[&str] = &[
    "DjangoModelPermissions",
    "DjangoModelPermissionsOrAnonReadOnly",
    "DjangoObjectPermissions",
];

/// Names of every class in the chain (project and external).
fn chain_names(
    resolver: &Resolver<'_>,
    class: ClassRef<'_>,
    out: &mut Vec<String>,
    methods: &mut Vec<String>,
    custom_map: &mut bool,
    depth: u32,
) {
    if depth > 16 {
        return;
    }
    out.push(class.class.name.clone());
    methods.extend(class.class.methods.iter().cloned());
    for base in &class.class.bases {
        match resolver.base_target(base, 0) {
            Target::Class(c) => {
                if c.class.attrs.contains_key("perms_map") {
                    *custom_map = true;
                }
                chain_names(resolver, c, out, methods, custom_map, depth + 1)
            }
            Target::External(name) => {
                out.push(name.rsplit('.').next().unwrap_or(&name).to_string())
            }
            _ => out.push("?".into()),
        }
    }
}

/// `Post.objects.filter(...).all()` → the `Post` reference.
fn queryset_model(value: &Value) -> Option<Value> {
    match value {
        Value::Call(call) if call.on.is_some() => queryset_model(call.on.as_deref()?),
        Value::Ref { module, path }
            if path.len() >= 2
                && matches!(
                    path.last().map(|p| p.as_str()),
                    Some("objects" | "_default_manager")
                ) =>
        {
            Some(Value::Ref {
                module: module.clone(),
                path: path[..path.len() - 1].into(),
            })
        }
        _ => None,
    }
}

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let resolver = Resolver::new(ctx.ws);
    for (file, facts) in ctx.ws.python.iter().enumerate() {
        let Some(facts) = facts else { continue };
        for class in &facts.classes {
            let Some(classes) = class.attrs.get("permission_classes") else {
                continue;
            };
            let Some(queryset) = class.attrs.get("queryset") else {
                continue;
            };
            let Value::Seq(entries) = &classes.value else {
                continue;
            };
            let Some(entry) = entries.iter().find(|e| {
                matches!(resolver.base_target(&e.value, 0), Target::External(n) if MODEL_PERMISSION_CLASSES.iter().any(|c| n.ends_with(&format!(".{c}"))))
            }) else {
                continue;
            };
            let Some(model_ref) = queryset_model(&queryset.value) else {
                continue;
            };
            let Target::Class(model_class) = resolver.base_target(&model_ref, 0) else {
                continue;
            };
            let project = ctx.project(file);
            let Some(model) = project.code_model_at(model_class.file, &model_class.class.name)
            else {
                continue;
            };
            let Some(label) = &model.label else { continue };
            if project.opaque_labels.contains(label) || model.options.opaque() {
                continue;
            }
            let this = ClassRef {
                file,
                module: &facts.module,
                class,
            };
            let (mut names, mut methods, mut custom_map) = (
                Vec::new(),
                Vec::new(),
                class.attrs.contains_key("perms_map"),
            );
            chain_names(
                &resolver,
                this,
                &mut names,
                &mut methods,
                &mut custom_map,
                0,
            );
            if custom_map || names.iter().any(|n| n == "?") {
                continue;
            }
            let has = |needle: &str| names.iter().any(|n| n.contains(needle));
            let full = has("ModelViewSet") && !has("ReadOnly");
            let mut needed = Vec::new();
            if full || has("Create") || methods.iter().any(|m| m == "post") {
                needed.push(("POST", "add"));
            }
            if full || has("Update") || methods.iter().any(|m| m == "put" || m == "patch") {
                needed.push(("PUT/PATCH", "change"));
            }
            if full || has("Destroy") || methods.iter().any(|m| m == "delete") {
                needed.push(("DELETE", "delete"));
            }
            let missing: Vec<(&str, &str, String)> = needed
                .into_iter()
                .map(|(method, action)| (method, action, format!("{action}_{}", model.model_name)))
                .filter(|(_, _, codename)| !project.is_known(label, codename))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let list: Vec<String> = missing
                .iter()
                .map(|(m, _, c)| format!("`{label}.{c}` ({m})"))
                .collect();
            let actions: Vec<String> = missing.iter().map(|(_, a, _)| format!("\"{a}\"")).collect();
            let methods: Vec<&str> = missing.iter().map(|(m, _, _)| *m).collect();
            out.push(
                Diagnostic::new(
                    by_code("DJP021"),
                    entry.span,
                    format!("`{}` requires {}, which `{}` does not have", class.name, list.join(", "), model.object_name),
                )
                .with_help(format!(
                    "Add {} to `{}.Meta.default_permissions` (and make a migration), or use a permission class with a `perms_map` that fits",
                    actions.join(", "),
                    model.object_name
                ))
                .with_note(format!("{} requests are 403 for every user except active superusers", methods.join(", "))),
            );
        }
    }
}
