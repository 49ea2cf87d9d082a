//! DRF routers: `router.register(prefix, viewset, basename=...)` expanded into the list and
//! detail routes (and `@action` routes) a `SimpleRouter` or `DefaultRouter` generates.

use super::{queryset_model, Frame, RawRoute, Routes, ViewTarget};
use crate::diagnostic::Span;
use crate::index::resolve::{ClassRef, Target};
use crate::value::Value;

impl<'w> Routes<'_, 'w> {
    pub(super) fn router(
        &mut self,
        key: &str,
        default: bool,
        slash: bool,
        frame: &Frame,
        at: Option<Span>,
        _depth: u32,
    ) {
        let trail = if slash { "/" } else { "" };
        if default {
            self.routes.push(RawRoute {
                pattern: frame.join(""),
                name: frame.name(Some("api-root")),
                at,
                view: ViewTarget::External("rest_framework.routers.APIRootView".into()),
                wrappers: Vec::new(),
                class_kwargs: Vec::new(),
            });
        }
        for (_, call) in self.calls_on(key) {
            if call.method != "register" {
                self.routes.push(RawRoute {
                    pattern: frame.join("?"),
                    name: None,
                    at: Some(call.span),
                    view: ViewTarget::Unresolved(format!(
                        "routes added by `{}(...)` on the router",
                        call.method
                    )),
                    wrappers: Vec::new(),
                    class_kwargs: Vec::new(),
                });
                continue;
            }
            let prefix = call
                .args
                .first()
                .or_else(|| Value::kwarg(&call.kwargs, "prefix"))
                .and_then(|i| i.value.as_str().map(str::to_string));
            let viewset = call
                .args
                .get(1)
                .or_else(|| Value::kwarg(&call.kwargs, "viewset"));
            let basename = call
                .args
                .get(2)
                .or_else(|| Value::kwarg(&call.kwargs, "basename"))
                .and_then(|i| i.value.as_str().map(str::to_string));
            let (Some(prefix), Some(viewset)) = (prefix, viewset) else {
                self.routes.push(RawRoute {
                    pattern: frame.join("?"),
                    name: None,
                    at: Some(call.span),
                    view: ViewTarget::Unresolved(
                        "a `register(...)` call that does not fold".into(),
                    ),
                    wrappers: Vec::new(),
                    class_kwargs: Vec::new(),
                });
                continue;
            };
            let prefix = prefix
                .trim_start_matches('^')
                .trim_end_matches('$')
                .to_string();
            let base = frame.join(&prefix);
            let class = match self.resolver.base_target(&viewset.value, 0) {
                Target::Class(c) => c,
                Target::External(d) => {
                    self.routes.push(RawRoute {
                        pattern: format!("{base}{trail}"),
                        name: None,
                        at: Some(call.span),
                        view: ViewTarget::External(d),
                        wrappers: Vec::new(),
                        class_kwargs: Vec::new(),
                    });
                    continue;
                }
                _ => {
                    self.routes.push(RawRoute {
                        pattern: format!("{base}{trail}"),
                        name: None,
                        at: Some(call.span),
                        view: ViewTarget::Unresolved("a viewset djperm cannot resolve".into()),
                        wrappers: Vec::new(),
                        class_kwargs: Vec::new(),
                    });
                    continue;
                }
            };
            let basename = basename.unwrap_or_else(|| self.basename(class));
            let (list, detail, actions) = self.viewset_shape(class);
            let lookup = self
                .class_attr_str(class, "lookup_url_kwarg")
                .or_else(|| self.class_attr_str(class, "lookup_field"))
                .unwrap_or_else(|| "pk".into());
            let mut push = |pattern: String, name: String, action: Option<String>| {
                self.routes.push(RawRoute {
                    pattern,
                    name: frame.name(Some(&name)),
                    at: Some(call.span),
                    view: ViewTarget::ViewSet { class, action },
                    wrappers: Vec::new(),
                    class_kwargs: Vec::new(),
                });
            };
            if list {
                push(format!("{base}{trail}"), format!("{basename}-list"), None);
            }
            if detail {
                push(
                    format!("{base}/<{lookup}>{trail}"),
                    format!("{basename}-detail"),
                    None,
                );
            }
            for (method, is_detail, url_path, url_name) in actions {
                let pattern = if is_detail {
                    format!("{base}/<{lookup}>/{url_path}{trail}")
                } else {
                    format!("{base}/{url_path}{trail}")
                };
                push(pattern, format!("{basename}-{url_name}"), Some(method));
            }
            if !list && !detail {
                self.routes.push(RawRoute {
                    pattern: format!("{base}{trail}"),
                    name: frame.name(Some(&format!("{basename}-list"))),
                    at: Some(call.span),
                    view: ViewTarget::ViewSet {
                        class,
                        action: None,
                    },
                    wrappers: Vec::new(),
                    class_kwargs: Vec::new(),
                });
            }
        }
    }

    pub(super) fn class_attr_str(&self, class: ClassRef<'w>, name: &str) -> Option<String> {
        match self.resolver.class_path(class, &[name.to_string()], 0) {
            Target::Value(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// DRF's default basename: the queryset model's lowercased name.
    pub(super) fn basename(&self, class: ClassRef<'w>) -> String {
        if let Target::Value(v) = self
            .resolver
            .class_path(class, &["queryset".to_string()], 0)
        {
            if let Some(Value::Ref { path, .. }) = queryset_model(&v) {
                if let Some(last) = path.last() {
                    return last.to_lowercase();
                }
            }
        }
        class.class.name.to_lowercase()
    }

    /// Which router routes a viewset has: (list route, detail route, `@action`s as
    /// (method, detail, url_path, url_name)).
    #[allow(clippy::type_complexity)]
    pub(super) fn viewset_shape(
        &self,
        class: ClassRef<'w>,
    ) -> (bool, bool, Vec<(String, bool, String, String)>) {
        let mut names: Vec<String> = Vec::new();
        let mut methods: Vec<String> = Vec::new();
        let mut actions: Vec<(String, bool, String, String)> = Vec::new();
        let mut stack = vec![(class, 0u32)];
        while let Some((c, d)) = stack.pop() {
            names.push(c.class.name.clone());
            methods.extend(c.class.methods.iter().cloned());
            for (method, decorators) in &c.class.method_decorators {
                for dec in decorators {
                    let Value::Call { func, kwargs, .. } = dec else {
                        continue;
                    };
                    if func != "action" && func != "detail_route" && func != "list_route" {
                        continue;
                    }
                    let detail = match Value::kwarg(kwargs, "detail").map(|i| &i.value) {
                        Some(Value::Bool(b)) => *b,
                        _ => func == "detail_route",
                    };
                    let url_path = Value::kwarg(kwargs, "url_path")
                        .and_then(|i| i.value.as_str().map(str::to_string))
                        .unwrap_or_else(|| method.clone());
                    let url_name = Value::kwarg(kwargs, "url_name")
                        .and_then(|i| i.value.as_str().map(str::to_string))
                        .unwrap_or_else(|| method.replace('_', "-"));
                    if !actions.iter().any(|(m, ..)| m == method) {
                        actions.push((method.clone(), detail, url_path, url_name));
                    }
                }
            }
            if d > 16 {
                continue;
            }
            for b in &c.class.bases {
                match self.resolver.base_target(b, 0) {
                    Target::Class(bc) => stack.push((bc, d + 1)),
                    Target::External(n) => {
                        names.push(n.rsplit('.').next().unwrap_or(&n).to_string())
                    }
                    _ => {}
                }
            }
        }
        let has = |s: &str| names.iter().any(|n| n.contains(s));
        let method = |m: &[&str]| methods.iter().any(|x| m.contains(&x.as_str()));
        let full = has("ModelViewSet");
        let list =
            full || has("ListModelMixin") || has("CreateModelMixin") || method(&["list", "create"]);
        let detail = full
            || has("RetrieveModelMixin")
            || has("UpdateModelMixin")
            || has("DestroyModelMixin")
            || method(&["retrieve", "update", "partial_update", "destroy"]);
        actions.sort();
        (list, detail, actions)
    }
}
