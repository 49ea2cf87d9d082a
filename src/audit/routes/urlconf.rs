//! Walking a urlconf: `urlpatterns` lists, `path`/`re_path`/`url` entries, `include` of
//! modules, lists and `(patterns, app_name)` tuples with their namespaces, and the view each
//! entry resolves to (`as_view(**kwargs)`, viewsets, views wrapped in decorators).

use super::{
    known, tuple_form, with_namespace, Frame, Located, RawRoute, Routes, ViewTarget, MAX_DEPTH,
};
use crate::diagnostic::Span;
use crate::index::resolve::Target;
use crate::value::{Item, Value, UNKNOWN};

impl<'w> Routes<'_, 'w> {
    pub(super) fn include_module(
        &mut self,
        module: &str,
        frame: &Frame,
        at: Option<Span>,
        depth: u32,
    ) {
        let Some(facts) = self.facts(module) else {
            if let Some(known) = known::urlconf(module) {
                for k in known.routes {
                    let login = Value::Ref {
                        module: "django.contrib.auth.decorators".into(),
                        path: thin_vec::thin_vec!["login_required".into()],
                    };
                    self.routes.push(RawRoute {
                        pattern: frame.join(k.pattern),
                        name: frame.name(Some(k.name)),
                        at,
                        view: ViewTarget::External(k.view.to_string()),
                        wrappers: if k.login { vec![login] } else { Vec::new() },
                        class_kwargs: Vec::new(),
                        format_suffix: None,
                    });
                }
                return;
            }
            self.routes.push(RawRoute {
                pattern: frame.join(""),
                name: None,
                at,
                view: ViewTarget::External(format!("include(\"{module}\")")),
                wrappers: Vec::new(),
                class_kwargs: Vec::new(),
                format_suffix: None,
            });
            return;
        };
        let key = format!("{module}@{}", frame.prefix);
        if depth > MAX_DEPTH || !self.visiting.insert(key.clone()) {
            return;
        }
        match facts.constants.get("urlpatterns") {
            Some(v) => {
                let v = v.clone();
                self.patterns(&facts.module, &v, frame, at, depth + 1);
            }
            None => {
                // `from .base import *` urlconfs.
                match self.locate(module, &["urlpatterns".into()], 0) {
                    Located::Value(m, v) => self.patterns(&m, v, frame, at, depth + 1),
                    _ => self.unresolved(
                        frame,
                        at,
                        format!("`{module}` has no `urlpatterns` djperm can read"),
                    ),
                }
            }
        }
        self.visiting.remove(&key);
    }

    pub(super) fn patterns(
        &mut self,
        module: &str,
        value: &Value,
        frame: &Frame,
        at: Option<Span>,
        depth: u32,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Value::Seq(items) => {
                for item in items {
                    let at = (item.span != Span::default()).then_some(item.span).or(at);
                    self.entry(module, &item.value, frame, at, depth + 1);
                }
            }
            Value::Concat(parts) => {
                for p in parts {
                    self.patterns(module, p, frame, at, depth + 1);
                }
            }
            Value::Ref { .. } | Value::StarRef { .. } => self.named(value, frame, at, depth),
            Value::Call(c)
                if matches!(c.func.as_str(), "i18n_patterns" | "format_suffix_patterns") =>
            {
                let args = &c.args;
                let (items, frame): (Vec<Item>, Frame) = if c.func == "i18n_patterns" {
                    (args.clone(), frame.clone())
                } else {
                    let mut suffixed = frame.clone();
                    suffixed.format_suffix = true;
                    (args.iter().take(1).cloned().collect(), suffixed)
                };
                for item in items {
                    self.patterns(module, &item.value, &frame, Some(item.span), depth + 1);
                }
            }
            Value::Call { .. } => self.entry(module, value, frame, at, depth + 1),
            _ => self.unresolved(frame, at, "URL patterns that do not fold to a list"),
        }
    }

    /// A name used as patterns: `router.urls`, `admin.site.urls`, a list constant, a module.
    pub(super) fn named(&mut self, value: &Value, frame: &Frame, at: Option<Span>, depth: u32) {
        let path = match value {
            Value::Ref { path, .. } | Value::StarRef { path, .. } => path.to_vec(),
            _ => Vec::new(),
        };
        if path.last().is_some_and(|p| p == "urls") && path.len() >= 2 {
            let receiver = match value {
                Value::Ref { module, path } => Value::Ref {
                    module: module.clone(),
                    path: path[..path.len() - 1].into(),
                },
                Value::StarRef { modules, path } => Value::StarRef {
                    modules: modules.clone(),
                    path: path[..path.len() - 1].into(),
                },
                _ => unreachable!(),
            };
            if self.site_or_router(&receiver, frame, at) {
                return;
            }
        }
        match self.locate_value(value) {
            Located::Value(m, v) => {
                if let Some((patterns, app_name)) = tuple_form(v) {
                    let frame = with_namespace(frame, app_name.as_deref());
                    match patterns {
                        Value::Str(sub) => self.include_module(sub, &frame, at, depth + 1),
                        p => self.patterns(&m, &p.clone(), &frame, at, depth + 1),
                    }
                } else {
                    self.patterns(&m, &v.clone(), frame, at, depth + 1);
                }
            }
            Located::External(d) => self.routes.push(RawRoute {
                pattern: frame.join(""),
                name: None,
                at,
                view: ViewTarget::External(d),
                wrappers: Vec::new(),
                class_kwargs: Vec::new(),
                format_suffix: None,
            }),
            _ => {
                // `from . import urls as x` then `include(x)`: a module object.
                if let Value::Ref { module: m, path } = value {
                    let dotted = std::iter::once(m.clone())
                        .chain(path.iter().cloned())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(".");
                    if self.ws.modules.contains_key(&dotted) {
                        self.include_module(&dotted, frame, at, depth + 1);
                        return;
                    }
                }
                self.unresolved(frame, at, "URL patterns djperm cannot resolve")
            }
        }
    }

    /// One urlpatterns entry.
    pub(super) fn entry(
        &mut self,
        module: &str,
        value: &Value,
        frame: &Frame,
        at: Option<Span>,
        depth: u32,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let Value::Call(call) = value else {
            return match value {
                Value::Seq(_) | Value::Concat(_) | Value::Ref { .. } | Value::StarRef { .. } => {
                    self.patterns(module, value, frame, at, depth + 1)
                }
                _ => self.unresolved(frame, at, "a URL pattern that does not fold"),
            };
        };
        let (func, args, kwargs) = (&call.func, &call.args, &call.kwargs);
        if !matches!(func.as_str(), "path" | "re_path" | "url") {
            if matches!(func.as_str(), "i18n_patterns" | "format_suffix_patterns") {
                return self.patterns(module, value, frame, at, depth + 1);
            }
            return self.unresolved(frame, at, format!("`{func}(...)` in urlpatterns"));
        }
        let pattern = match args
            .first()
            .or_else(|| Value::kwarg(kwargs, "route"))
            .map(|i| &i.value)
        {
            Some(Value::Str(s)) => s.to_string(),
            _ => "?".to_string(),
        };
        let name = Value::kwarg(kwargs, "name").and_then(|i| i.value.as_str().map(str::to_string));
        let Some(view) = args.get(1).or_else(|| Value::kwarg(kwargs, "view")) else {
            return self.unresolved(frame, at, "a URL pattern without a view");
        };
        let here = Frame {
            prefix: frame.join(&pattern),
            namespaces: frame.namespaces.clone(),
            format_suffix: frame.format_suffix,
        };
        // include(...)
        if let Value::Call(inc) = &view.value {
            let (f, iargs, ikwargs) = (&inc.func, &inc.args, &inc.kwargs);
            if f == "include" {
                let namespace = Value::kwarg(ikwargs, "namespace")
                    .and_then(|i| i.value.as_str().map(str::to_string));
                let Some(arg) = iargs.first().or_else(|| Value::kwarg(ikwargs, "arg")) else {
                    return self.unresolved(&here, at, "`include()` without an argument");
                };
                match &arg.value {
                    Value::Str(m) => {
                        let app_name = match self.facts(m) {
                            Some(f) => f
                                .constants
                                .get("app_name")
                                .and_then(|v| v.as_str().map(str::to_string)),
                            None => known::urlconf(m)
                                .and_then(|k| k.app_name)
                                .map(str::to_string),
                        };
                        let ns = namespace.or(app_name);
                        let frame = with_namespace(&here, ns.as_deref());
                        self.include_module(m, &frame, at, depth + 1);
                    }
                    v => {
                        if let Some((patterns, app_name)) = tuple_form(v) {
                            let ns = namespace.or(app_name);
                            let frame = with_namespace(&here, ns.as_deref());
                            match patterns {
                                Value::Str(m) => self.include_module(m, &frame, at, depth + 1),
                                p => self.patterns(module, &p.clone(), &frame, at, depth + 1),
                            }
                        } else {
                            // A module object imported here: its `app_name` names the namespace.
                            let app_name = match self.locate_value(v) {
                                Located::Unknown => self.module_of(v).and_then(|m| {
                                    self.facts(&m)
                                        .and_then(|f| f.constants.get("app_name"))
                                        .and_then(|v| v.as_str().map(str::to_string))
                                }),
                                _ => None,
                            };
                            let ns = namespace.or(app_name);
                            let frame = with_namespace(&here, ns.as_deref());
                            self.patterns(module, v, &frame, at, depth + 1);
                        }
                    }
                }
                return;
            }
        }
        // admin.site.urls / router.urls as a path's view (no include).
        if let Value::Ref { path, .. } | Value::StarRef { path, .. } = &view.value {
            if path.last().is_some_and(|p| p == "urls") {
                self.patterns(module, &view.value, &here, at, depth + 1);
                return;
            }
        }
        let (target, wrappers, class_kwargs) = self.view(&view.value, 0);
        self.routes.push(RawRoute {
            pattern: here.prefix.clone(),
            name: frame.name(name.as_deref()),
            at,
            view: target,
            wrappers,
            class_kwargs,
            format_suffix: frame.suffixed(&pattern, frame.format_suffix),
        });
    }

    pub(super) fn module_of(&self, value: &Value) -> Option<String> {
        let Value::Ref { module, path } = value else {
            return None;
        };
        let dotted = std::iter::once(module.clone())
            .chain(path.iter().cloned())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(".");
        self.ws.modules.contains_key(&dotted).then_some(dotted)
    }

    /// A view expression → its target, the calls wrapped around it, and `as_view` kwargs.
    #[allow(clippy::type_complexity)]
    pub(super) fn view(
        &self,
        value: &Value,
        depth: u32,
    ) -> (
        ViewTarget<'w>,
        Vec<Value>,
        Vec<(crate::value::CompactString, Item)>,
    ) {
        if depth > MAX_DEPTH {
            return (
                ViewTarget::Unresolved("too deep".into()),
                Vec::new(),
                Vec::new(),
            );
        }
        match value {
            Value::Call(c) if c.func == "as_view" && c.on.is_some() => {
                let (on, args, kwargs) = (c.on.as_deref().unwrap_or(&UNKNOWN), &c.args, &c.kwargs);
                let actions = match args.first().map(|i| &i.value) {
                    Some(Value::Dict(entries)) => Some(
                        entries
                            .iter()
                            .filter_map(|(k, _)| k.as_str().map(str::to_lowercase))
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                };
                match self.resolver.base_target(on, 0) {
                    Target::Class(class) if actions.is_some() => (
                        ViewTarget::ViewSet {
                            class,
                            action: None,
                            methods: actions,
                        },
                        Vec::new(),
                        kwargs.clone(),
                    ),
                    Target::Class(class) => (
                        ViewTarget::Class {
                            class,
                            kwargs: kwargs.clone(),
                        },
                        Vec::new(),
                        kwargs.clone(),
                    ),
                    Target::External(d) => (ViewTarget::External(d), Vec::new(), kwargs.clone()),
                    _ => (
                        ViewTarget::Unresolved("a class djperm cannot resolve".into()),
                        Vec::new(),
                        kwargs.clone(),
                    ),
                }
            }
            // decorator(args)(view)
            Value::Call(c) if c.func == "__call__" && c.on.is_some() => {
                let (inner, args) = (c.on.as_deref().unwrap_or(&UNKNOWN), &c.args);
                let Some(v) = args.first() else {
                    return (
                        ViewTarget::Unresolved("a call".into()),
                        Vec::new(),
                        Vec::new(),
                    );
                };
                let (t, mut w, k) = self.view(&v.value, depth + 1);
                w.insert(0, inner.clone());
                (t, w, k)
            }
            // login_required(view), csrf_exempt(view), …
            Value::Call(c) => {
                let (func, args) = (&c.func, &c.args);
                let Some(v) = args.first() else {
                    return (
                        ViewTarget::Unresolved(format!("`{func}()`")),
                        Vec::new(),
                        Vec::new(),
                    );
                };
                let (t, mut w, k) = self.view(&v.value, depth + 1);
                if matches!(t, ViewTarget::Unresolved(_)) {
                    return (
                        ViewTarget::Unresolved(format!("`{func}(...)`")),
                        Vec::new(),
                        Vec::new(),
                    );
                }
                w.insert(0, value.clone());
                (t, w, k)
            }
            Value::Ref { .. } | Value::StarRef { .. } => match self.locate_value(value) {
                Located::Function(file, module, fact) => (
                    ViewTarget::Function { file, module, fact },
                    Vec::new(),
                    Vec::new(),
                ),
                Located::Class(class) => (
                    ViewTarget::Class {
                        class,
                        kwargs: Vec::new(),
                    },
                    Vec::new(),
                    Vec::new(),
                ),
                Located::Value(_, v) => self.view(v, depth + 1),
                Located::External(d) => (ViewTarget::External(d), Vec::new(), Vec::new()),
                Located::Unknown => (
                    ViewTarget::Unresolved("a view djperm cannot resolve".into()),
                    Vec::new(),
                    Vec::new(),
                ),
            },
            Value::Str(s) => (
                ViewTarget::Unresolved(format!("view given as the string `{s}`")),
                Vec::new(),
                Vec::new(),
            ),
            _ => (
                ViewTarget::Unresolved("a view that does not fold".into()),
                Vec::new(),
                Vec::new(),
            ),
        }
    }
}

/// `Post.objects.filter(...).all()` → the `Post` reference.
pub fn queryset_model(value: &Value) -> Option<Value> {
    match value {
        Value::Call(c) if c.on.is_some() => queryset_model(c.on.as_deref()?),
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
        Value::StarRef { modules, path }
            if path.len() >= 2
                && matches!(
                    path.last().map(|p| p.as_str()),
                    Some("objects" | "_default_manager")
                ) =>
        {
            Some(Value::StarRef {
                modules: modules.clone(),
                path: path[..path.len() - 1].into(),
            })
        }
        _ => None,
    }
}
