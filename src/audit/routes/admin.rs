//! Admin sites: `admin.site.urls` (or a custom `AdminSite`) expanded into one entry per
//! registered model.

use super::{with_namespace, Frame, RawRoute, Routes, ViewTarget};
use crate::diagnostic::Span;
use crate::index::resolve::Target;
use crate::value::Value;

impl<'w> Routes<'_, 'w> {
    pub(super) fn admin_site(&mut self, key: &str, frame: &Frame, at: Option<Span>) {
        let frame = if frame.namespaces.is_empty() && key.starts_with("django.contrib.admin") {
            with_namespace(frame, Some("admin"))
        } else {
            frame.clone()
        };
        self.routes.push(RawRoute {
            pattern: frame.join(""),
            name: frame.name(Some("index")),
            at,
            view: ViewTarget::AdminIndex,
            wrappers: Vec::new(),
            class_kwargs: Vec::new(),
            format_suffix: None,
        });
        let mut registered: Vec<(Value, Option<Value>, Span)> = Vec::new();
        if key == "django.contrib.admin.site" || key == "django.contrib.admin.sites.site" {
            for m in &self.contrib_admin {
                registered.push((m.clone(), None, at.unwrap_or_default()));
            }
        }
        let user_model = self.user_model.clone();
        let canon = |v: Value| -> Value {
            match (&v, &user_model) {
                (Value::Call(c), Some(u)) if c.func == "get_user_model" => u.clone(),
                _ => v,
            }
        };
        // Decorated ModelAdmins register at import time, like the calls; keep call order.
        let mut calls = self.calls_on(key);
        calls.sort_by_key(|(file, c)| (*file, c.span.start));
        for (_, call) in calls {
            let models = match call.args.first().map(|i| &i.value) {
                Some(Value::Seq(items)) => items.iter().map(|i| i.value.clone()).collect(),
                Some(v) => vec![v.clone()],
                None => Vec::new(),
            };
            for m in models {
                let m = canon(m);
                if call.method == "register" {
                    let admin = call
                        .args
                        .get(1)
                        .or_else(|| Value::kwarg(&call.kwargs, "admin_class"))
                        .map(|i| i.value.clone());
                    registered.push((m, admin, call.span));
                } else if call.method == "unregister" {
                    registered.retain(|(r, _, _)| *r != m);
                }
            }
        }
        // `@admin.register(Model, ..., site=...)` on ModelAdmin classes.
        for facts in self.ws.python.iter() {
            let Some(facts) = facts else { continue };
            for class in &facts.classes {
                for dec in &class.decorators {
                    let Value::Call(call) = dec else {
                        continue;
                    };
                    let crate::value::Call {
                        func,
                        on,
                        args,
                        kwargs,
                    } = &**call;
                    if func != "register" {
                        continue;
                    }
                    let site = match Value::kwarg(kwargs, "site") {
                        Some(s) => self.object_key(&s.value),
                        None => Some("django.contrib.admin.site".to_string()),
                    };
                    let on_admin = match on.as_deref() {
                        None => true,
                        Some(v) => self
                            .object_key(v)
                            .is_some_and(|k| k.starts_with("django.contrib.admin")),
                    };
                    let same_site = site.as_deref() == Some(key)
                        || (site.as_deref() == Some("django.contrib.admin.site")
                            && key == "django.contrib.admin.sites.site");
                    if !on_admin || !same_site {
                        continue;
                    }
                    let admin = Value::Ref {
                        module: facts.module.as_str().into(),
                        path: thin_vec::thin_vec![class.name.as_str().into()],
                    };
                    for a in args {
                        registered.push((a.value.clone(), Some(admin.clone()), class.span));
                    }
                }
            }
        }
        for (model, admin, span) in registered {
            let model_class = match self.resolver.base_target(&model, 0) {
                Target::Class(c) => Some(c),
                _ => None,
            };
            let admin_class = admin
                .as_ref()
                .and_then(|a| match self.resolver.base_target(a, 0) {
                    Target::Class(c) => Some(c),
                    _ => None,
                });
            self.routes.push(RawRoute {
                pattern: frame.join("?"),
                name: None,
                at: Some(span),
                view: ViewTarget::Admin {
                    model: model_class,
                    model_value: model,
                    admin: admin_class,
                },
                wrappers: Vec::new(),
                class_kwargs: Vec::new(),
                format_suffix: None,
            });
        }
    }
}
