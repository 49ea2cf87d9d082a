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
        suffixes: bool,
        frame: &Frame,
        at: Option<Span>,
    ) {
        let trail = if slash { "/" } else { "" };
        // `DefaultRouter` also serves every route with a format suffix (`users.json`).
        let suffix = suffixes || frame.format_suffix;
        if default {
            self.routes.push(RawRoute {
                pattern: frame.join(""),
                name: frame.name(Some("api-root")),
                format_suffix: frame.suffixed("", suffix),
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
                        "`{}({})` on the router: not a method of DRF's routers, so the routes \
                         it adds are not listed",
                        call.method,
                        call.args
                            .first()
                            .and_then(|a| a.value.as_str())
                            .map(|s| format!("\"{s}\", …"))
                            .unwrap_or_else(|| "…".into())
                    )),
                    wrappers: Vec::new(),
                    class_kwargs: Vec::new(),
                    format_suffix: None,
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
                    format_suffix: None,
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
                        format_suffix: None,
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
                        format_suffix: None,
                    });
                    continue;
                }
            };
            let basename = basename.unwrap_or_else(|| self.basename(class));
            let shape = self.viewset_shape(class);
            let lookup = self
                .class_attr_str(class, "lookup_url_kwarg")
                .or_else(|| self.class_attr_str(class, "lookup_field"))
                .unwrap_or_else(|| "pk".into());
            let mut push = |own: String, name: String, action: Option<String>, methods| {
                self.routes.push(RawRoute {
                    pattern: frame.join(&own),
                    format_suffix: frame.suffixed(&own, suffix),
                    name: frame.name(Some(&name)),
                    at: Some(call.span),
                    view: ViewTarget::ViewSet {
                        class,
                        action,
                        methods,
                    },
                    wrappers: Vec::new(),
                    class_kwargs: Vec::new(),
                });
            };
            let list = shape.methods(LIST);
            let detail = shape.methods(DETAIL);
            let (has_list, has_detail) = (!list.is_empty(), !detail.is_empty());
            if has_list {
                push(
                    format!("{prefix}{trail}"),
                    format!("{basename}-list"),
                    None,
                    Some(list),
                );
            }
            if has_detail {
                push(
                    format!("{prefix}/<{lookup}>{trail}"),
                    format!("{basename}-detail"),
                    None,
                    Some(detail),
                );
            }
            for extra in shape.extra {
                let pattern = if extra.detail {
                    format!("{prefix}/<{lookup}>/{}{trail}", extra.url_path)
                } else {
                    format!("{prefix}/{}{trail}", extra.url_path)
                };
                push(
                    pattern,
                    format!("{basename}-{}", extra.url_name),
                    Some(extra.method),
                    Some(extra.http),
                );
            }
            if !has_list && !has_detail {
                self.routes.push(RawRoute {
                    pattern: format!("{base}{trail}"),
                    name: frame.name(Some(&format!("{basename}-list"))),
                    at: Some(call.span),
                    view: ViewTarget::ViewSet {
                        class,
                        action: None,
                        methods: None,
                    },
                    wrappers: Vec::new(),
                    class_kwargs: Vec::new(),
                    format_suffix: None,
                });
            }
        }
    }

    pub(super) fn class_attr_str(&self, class: ClassRef<'w>, name: &str) -> Option<String> {
        match self.resolver.class_path(class, &[name.into()], 0) {
            Target::Value(Value::Str(s)) => Some(s.into()),
            _ => None,
        }
    }

    /// DRF's default basename: the queryset model's lowercased name.
    pub(super) fn basename(&self, class: ClassRef<'w>) -> String {
        if let Target::Value(v) = self.resolver.class_path(class, &["queryset".into()], 0) {
            if let Some(Value::Ref { path, .. }) = queryset_model(&v) {
                if let Some(last) = path.last() {
                    return last.as_str().to_lowercase();
                }
            }
        }
        class.class.name.to_lowercase()
    }

    /// Which router routes a viewset has: its standard actions and its `@action`s.
    pub(super) fn viewset_shape(&self, class: ClassRef<'w>) -> Shape {
        let mut names: Vec<String> = Vec::new();
        let mut methods: Vec<String> = Vec::new();
        let mut extra: Vec<ExtraAction> = Vec::new();
        let mut stack = vec![(class, 0u32)];
        while let Some((c, d)) = stack.pop() {
            names.push(c.class.name.clone());
            methods.extend(c.class.methods.iter().cloned());
            for (method, decorators) in &c.class.method_decorators {
                for dec in decorators {
                    let Value::Call(call) = dec else {
                        continue;
                    };
                    let (func, kwargs) = (&call.func, &call.kwargs);
                    if func != "action" && func != "detail_route" && func != "list_route" {
                        continue;
                    }
                    let detail = match Value::kwarg(kwargs, "detail").map(|i| &i.value) {
                        Some(Value::Bool(b)) => *b,
                        _ => func == "detail_route",
                    };
                    let text = |k: &str| {
                        Value::kwarg(kwargs, k).and_then(|i| i.value.as_str().map(str::to_string))
                    };
                    let http = match Value::kwarg(kwargs, "methods").map(|i| &i.value) {
                        Some(Value::Seq(items)) => items
                            .iter()
                            .filter_map(|i| i.value.as_str().map(str::to_lowercase))
                            .collect(),
                        _ => vec!["get".to_string()],
                    };
                    if !extra.iter().any(|e| &e.method == method) {
                        extra.push(ExtraAction {
                            method: method.clone(),
                            detail,
                            url_path: text("url_path").unwrap_or_else(|| method.clone()),
                            url_name: text("url_name").unwrap_or_else(|| method.replace('_', "-")),
                            http,
                        });
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
        let mut actions: Vec<&'static str> = Vec::new();
        for (action, mixins) in [
            ("list", &["ListModelMixin", "ModelViewSet"][..]),
            ("create", &["CreateModelMixin"][..]),
            ("retrieve", &["RetrieveModelMixin", "ModelViewSet"][..]),
            ("update", &["UpdateModelMixin"][..]),
            ("partial_update", &["UpdateModelMixin"][..]),
            ("destroy", &["DestroyModelMixin"][..]),
        ] {
            // `ModelViewSet` has every action, `ReadOnlyModelViewSet` list and retrieve.
            let full = names
                .iter()
                .any(|n| n.ends_with("ModelViewSet") && !n.contains("ReadOnly"));
            if full || mixins.iter().any(|m| has(m)) || methods.iter().any(|m| m == action) {
                actions.push(action);
            }
        }
        extra.sort_by(|a, b| a.method.cmp(&b.method));
        Shape { actions, extra }
    }
}

/// A router's list and detail routes: HTTP method → viewset action.
const LIST: &[(&str, &str)] = &[("get", "list"), ("post", "create")];
const DETAIL: &[(&str, &str)] = &[
    ("get", "retrieve"),
    ("put", "update"),
    ("patch", "partial_update"),
    ("delete", "destroy"),
];

/// An `@action` method of a viewset.
pub(super) struct ExtraAction {
    method: String,
    detail: bool,
    url_path: String,
    url_name: String,
    /// Its HTTP methods, lowercase (`methods=[...]`, else `get`).
    http: Vec<String>,
}

/// What a viewset implements: the standard actions and its `@action`s.
pub(super) struct Shape {
    actions: Vec<&'static str>,
    extra: Vec<ExtraAction>,
}

impl Shape {
    /// The HTTP methods of a router route that map to an action the viewset implements.
    fn methods(&self, map: &[(&str, &str)]) -> Vec<String> {
        map.iter()
            .filter(|(_, a)| self.actions.contains(a))
            .map(|(m, _)| m.to_string())
            .collect()
    }
}
