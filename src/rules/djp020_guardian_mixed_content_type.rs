//! DJP020 guardian-mixed-content-type: guardian's `get_objects_for_user/group` needs every
//! permission on one model: perms across apps or models, or a `klass` of another model than the
//! permissions', raise MixedContentTypeError. (Bare codenames with nothing naming the model raise
//! WrongAppError: DJP001 reports those strings.)

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::facts::RefKind;
use crate::index::resolve::{Resolver, Target};
use crate::index::Project;
use crate::value::Value;

/// The concrete model `klass` names: `Model`, `Model.objects`, `Model.objects.filter(...)…`.
/// `None` when unknown, a proxy (guardian then uses the concrete model's content type) or
/// outside the project.
fn klass_model(
    resolver: &Resolver<'_>,
    project: &Project,
    klass: &Value,
    depth: u32,
) -> Option<(String, String)> {
    if depth > 12 {
        return None;
    }
    match klass {
        Value::Call(call) => resolver_model(resolver, project, call.on.as_deref()?, depth + 1),
        Value::Ref { .. } | Value::StarRef { .. } => {
            resolver_model(resolver, project, klass, depth + 1)
        }
        _ => None,
    }
}

fn resolver_model(
    resolver: &Resolver<'_>,
    project: &Project,
    value: &Value,
    depth: u32,
) -> Option<(String, String)> {
    let trimmed = |v: &Value| -> Option<Value> {
        match v {
            Value::Ref { module, path } if path.len() > 1 => Some(Value::Ref {
                module: module.clone(),
                path: path[..path.len() - 1].into(),
            }),
            Value::StarRef { modules, path } if path.len() > 1 => Some(Value::StarRef {
                modules: modules.clone(),
                path: path[..path.len() - 1].into(),
            }),
            _ => None,
        }
    };
    match value {
        Value::Call(_) => klass_model(resolver, project, value, depth),
        // `Model.objects` (or another manager): the model.
        _ => match resolver.base_target(value, 0) {
            Target::Class(c) => {
                let m = project
                    .code_models
                    .iter()
                    .find(|m| m.file == c.file && m.object_name == c.class.name)?;
                (!m.abstract_ && !m.proxy && !m.label_opaque)
                    .then(|| Some((m.label.clone()?, m.model_name.clone())))
                    .flatten()
            }
            Target::External(name) => match name.strip_prefix("django.contrib.auth.models.") {
                Some(m @ ("Group" | "Permission")) => Some(("auth".into(), m.to_lowercase())),
                _ => None,
            },
            Target::Value(v @ Value::Call(_)) => klass_model(resolver, project, &v, depth + 1),
            _ => trimmed(value).and_then(|v| match resolver.base_target(&v, 0) {
                Target::Class(_) | Target::External(_) => {
                    resolver_model(resolver, project, &v, depth + 1)
                }
                _ => None,
            }),
        },
    }
}

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let resolver = Resolver::new(ctx.ws);
    for r in &ctx.refs {
        if r.reference.kind != RefKind::GuardianObjects {
            continue;
        }
        let strings = r.strings();
        if strings.is_empty() || strings.len() != r.value.value.as_seq().map_or(1, |s| s.len()) {
            continue; // something dynamic
        }
        let dotted: Vec<(&str, &str)> = strings
            .iter()
            .filter_map(|s| s.text.split_once('.'))
            .collect();
        if dotted.is_empty() {
            continue; // `klass` decides the model; without it DJP001 reports the strings
        }
        let mut labels: Vec<&str> = dotted.iter().map(|(l, _)| *l).collect();
        labels.sort_unstable();
        labels.dedup();
        if labels.len() > 1 {
            out.push(
                Diagnostic::new(
                    by_code("DJP020"),
                    r.reference.call_span,
                    format!(
                        "Permissions from several apps ({}) in one `get_objects_for_*` call",
                        labels
                            .iter()
                            .map(|l| format!("`{l}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_help("Query each model separately")
                .with_note("guardian raises `MixedContentTypeError`"),
            );
            continue;
        }
        let project = ctx.project(r.file);
        let mut models: Vec<String> = Vec::new();
        for (label, codename) in &dotted {
            let m = project.models_with(label, codename);
            if m.len() != 1 {
                models.clear();
                break; // unknown or ambiguous: other rules speak
            }
            models.push(m[0].clone());
        }
        models.sort();
        models.dedup();
        let klass = r
            .reference
            .lookup
            .as_ref()
            .and_then(|l| l.model.as_ref())
            .and_then(|k| klass_model(&resolver, project, k, 0));
        if let (Some((kl, km)), [model]) = (&klass, models.as_slice()) {
            if (kl.as_str(), km.as_str()) != (labels[0], model.as_str()) {
                out.push(
                    Diagnostic::new(
                        by_code("DJP020"),
                        r.reference.call_span,
                        format!(
                            "`klass` is `{kl}.{km}` but the permissions are on `{}.{model}`",
                            labels[0]
                        ),
                    )
                    .with_help(format!("Pass the permissions' model (`{}.{model}`) as `klass`, or permissions of `{kl}.{km}`", labels[0]))
                    .with_note("guardian raises `MixedContentTypeError`: the content type of the permissions and of `klass` differ"),
                );
                continue;
            }
        }
        if models.len() > 1 {
            out.push(
                Diagnostic::new(
                    by_code("DJP020"),
                    r.reference.call_span,
                    format!(
                        "Permissions of several models ({}) in one `get_objects_for_*` call",
                        models
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_help("Query each model separately")
                .with_note("guardian raises `MixedContentTypeError`"),
            );
        }
    }
}
