//! `urlpatterns` resolved statically from folded values: `path`/`re_path`/`url`, `include` of
//! modules, lists and `(patterns, app_name)` tuples, namespaces, `as_view(**kwargs)`, DRF routers
//! (`router.register`) and admin sites (one entry per registered model). What does not fold is
//! listed as unresolved, never guessed.

use rustc_hash::FxHashSet;

use crate::diagnostic::{FileId, Span};
use crate::facts::{FileFacts, FunctionFact, ModuleCall};
use crate::index::resolve::{ClassRef, Resolver, Target};
use crate::value::{Item, Value};
use crate::workspace::Workspace;

const MAX_DEPTH: u32 = 24;

/// What a route's view resolved to.
#[derive(Clone)]
pub enum ViewTarget<'w> {
    Function {
        file: FileId,
        module: String,
        fact: &'w FunctionFact,
    },
    /// `View.as_view(**kwargs)` (or a class routed directly).
    Class {
        class: ClassRef<'w>,
        kwargs: Vec<(String, Item)>,
    },
    /// A DRF viewset registered with a router (or `as_view({...})`): the route's action, and
    /// an `@action` method's name when the route comes from one.
    ViewSet {
        class: ClassRef<'w>,
        action: Option<String>,
    },
    /// One registered model of an admin site: the model and its `ModelAdmin`.
    Admin {
        model: Option<ClassRef<'w>>,
        model_value: Value,
        admin: Option<ClassRef<'w>>,
    },
    /// The admin site's own index/login pages.
    AdminIndex,
    /// A view or urlconf outside the scanned tree, by dotted name.
    External(String),
    /// Something that does not fold; the text says what.
    Unresolved(String),
}

#[derive(Clone)]
pub struct RawRoute<'w> {
    pub pattern: String,
    pub name: Option<String>,
    /// The `path(...)` call (or `register(...)` call) that makes the route.
    pub at: Option<Span>,
    pub view: ViewTarget<'w>,
    /// Calls wrapped around the view in the urlconf (`login_required(view)`), outermost first.
    pub wrappers: Vec<Value>,
    pub class_kwargs: Vec<(String, Item)>,
}

pub struct Routes<'r, 'w> {
    pub ws: &'w Workspace,
    pub resolver: &'r Resolver<'w>,
    pub routes: Vec<RawRoute<'w>>,
    /// Every module-level call of the workspace, with its file.
    calls: Vec<(FileId, &'w ModuleCall)>,
    visiting: FxHashSet<String>,
    /// Models `django.contrib` registers on the default admin site (auth's `Group`, and `User`
    /// when it is not swapped); `get_user_model()` stands for the user model among them.
    pub contrib_admin: Vec<Value>,
    pub user_model: Option<Value>,
}

#[derive(Clone, Default)]
struct Frame {
    prefix: String,
    namespaces: Vec<String>,
}

impl Frame {
    fn name(&self, name: Option<&str>) -> Option<String> {
        let name = name?;
        let mut out = String::new();
        for ns in &self.namespaces {
            out.push_str(ns);
            out.push(':');
        }
        out.push_str(name);
        Some(out)
    }

    fn join(&self, pattern: &str) -> String {
        join_pattern(&self.prefix, pattern)
    }
}

/// Join a prefix and a route the way a reader wants to see it (`api/` + `^users/$` →
/// `api/users/$`).
pub fn join_pattern(prefix: &str, pattern: &str) -> String {
    if prefix.is_empty() {
        return pattern.to_string();
    }
    let p = pattern.strip_prefix('^').unwrap_or(pattern);
    let prefix = prefix.strip_suffix('$').unwrap_or(prefix);
    format!("{prefix}{p}")
}

/// A located module-level name.
enum Located<'w> {
    Value(String, &'w Value),
    Function(FileId, String, &'w FunctionFact),
    Class(ClassRef<'w>),
    External(String),
    Unknown,
}

impl<'r, 'w> Routes<'r, 'w> {
    pub fn new(ws: &'w Workspace, resolver: &'r Resolver<'w>) -> Self {
        let mut calls = Vec::new();
        for (file, facts) in ws.python.iter().enumerate() {
            if let Some(facts) = facts {
                calls.extend(facts.module_calls.iter().map(|c| (file, c)));
            }
        }
        Routes {
            ws,
            resolver,
            routes: Vec::new(),
            calls,
            visiting: FxHashSet::default(),
            contrib_admin: Vec::new(),
            user_model: None,
        }
    }

    /// Resolve a urlconf module (`ROOT_URLCONF`).
    pub fn urlconf(&mut self, module: &str) {
        self.include_module(module, &Frame::default(), None, 0);
    }

    fn facts(&self, module: &str) -> Option<&'w FileFacts> {
        self.ws.facts(module)
    }

    /// Find `module.path` as written: a raw constant (so `+=` parts and `router.urls` stay
    /// visible), a function, a class, or something outside the tree.
    fn locate(&self, module: &str, path: &[String], depth: u32) -> Located<'w> {
        if depth > MAX_DEPTH {
            return Located::Unknown;
        }
        let Some(facts) = self.facts(module) else {
            return match self.resolver.target(module, path, depth) {
                Target::Class(c) => Located::Class(c),
                Target::External(d) => Located::External(d),
                _ => Located::Unknown,
            };
        };
        let Some((first, rest)) = path.split_first() else {
            return Located::Unknown;
        };
        if rest.is_empty() {
            if let Some(v) = facts.constants.get(first) {
                return Located::Value(facts.module.clone(), v);
            }
            if let Some(f) = facts.functions.iter().rev().find(|f| &f.name == first) {
                let file = self.ws.module_file(module).unwrap_or_default();
                return Located::Function(file, facts.module.clone(), f);
            }
        }
        if facts.classes.iter().any(|c| &c.name == first) {
            return match self.resolver.target(module, path, depth) {
                Target::Class(c) => Located::Class(c),
                _ => Located::Unknown,
            };
        }
        if let Some((m, p)) = facts
            .imports
            .get(first)
            .filter(|(m, p)| !(m == module && p.len() == 1 && &p[0] == first))
        {
            let mut full = p.clone();
            full.extend(rest.iter().cloned());
            return self.locate(m, &full, depth + 1);
        }
        let sub = format!("{module}.{first}");
        if self.ws.modules.contains_key(&sub) {
            return self.locate(&sub, rest, depth + 1);
        }
        for star in facts.star_imports.iter().rev() {
            match self.locate(star, path, depth + 1) {
                Located::Unknown | Located::External(_) => continue,
                found => return found,
            }
        }
        Located::Unknown
    }

    fn locate_value(&self, value: &Value) -> Located<'w> {
        match value {
            Value::Ref { module, path } => self.locate(module, path, 0),
            Value::StarRef { modules, path } => {
                for m in modules.iter().rev() {
                    match self.locate(m, path, 0) {
                        Located::Unknown => continue,
                        found => return found,
                    }
                }
                Located::Unknown
            }
            _ => Located::Unknown,
        }
    }

    /// A stable key for an object (`"blog.urls:router"`, `"django.contrib.admin.site"`).
    fn object_key(&self, value: &Value) -> Option<String> {
        match value {
            Value::Ref { module, path } => self.key_of(module, path, 0),
            Value::StarRef { modules, path } => {
                modules.iter().rev().find_map(|m| self.key_of(m, path, 0))
            }
            _ => None,
        }
    }

    fn key_of(&self, module: &str, path: &[String], depth: u32) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        let dotted = || {
            let mut d = module.to_string();
            for p in path {
                d.push('.');
                d.push_str(p);
            }
            d
        };
        let Some(facts) = self.facts(module) else {
            if let Some((first, rest)) = path.split_first() {
                let longer = format!("{module}.{first}");
                if self.ws.modules.contains_key(&longer) || self.ws.packages.contains_key(&longer) {
                    return self.key_of(&longer, rest, depth + 1);
                }
            }
            return Some(dotted());
        };
        let (first, rest) = path.split_first()?;
        if rest.is_empty() && facts.constants.contains_key(first) {
            return Some(format!("{}:{first}", facts.module));
        }
        if let Some((m, p)) = facts
            .imports
            .get(first)
            .filter(|(m, p)| !(m == module && p.len() == 1 && &p[0] == first))
        {
            let mut full = p.clone();
            full.extend(rest.iter().cloned());
            return self.key_of(m, &full, depth + 1);
        }
        let sub = format!("{module}.{first}");
        if self.ws.modules.contains_key(&sub) {
            return self.key_of(&sub, rest, depth + 1);
        }
        for star in &facts.star_imports {
            if let Some(k) = self.key_of(star, path, depth + 1) {
                if k.contains(':') {
                    return Some(k);
                }
            }
        }
        None
    }

    fn unresolved(&mut self, frame: &Frame, at: Option<Span>, what: impl Into<String>) {
        self.routes.push(RawRoute {
            pattern: frame.join("?"),
            name: None,
            at,
            view: ViewTarget::Unresolved(what.into()),
            wrappers: Vec::new(),
            class_kwargs: Vec::new(),
        });
    }

    fn include_module(&mut self, module: &str, frame: &Frame, at: Option<Span>, depth: u32) {
        let Some(facts) = self.facts(module) else {
            self.routes.push(RawRoute {
                pattern: frame.join(""),
                name: None,
                at,
                view: ViewTarget::External(format!("include(\"{module}\")")),
                wrappers: Vec::new(),
                class_kwargs: Vec::new(),
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
                match self.locate(module, &["urlpatterns".to_string()], 0) {
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

    fn patterns(
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
            Value::Ref { .. } | Value::StarRef { .. } => {
                self.named(module, value, frame, at, depth)
            }
            Value::Call { func, args, .. }
                if matches!(func.as_str(), "i18n_patterns" | "format_suffix_patterns") =>
            {
                let items: Vec<Item> = if func == "i18n_patterns" {
                    args.clone()
                } else {
                    args.iter().take(1).cloned().collect()
                };
                for item in items {
                    self.patterns(module, &item.value, frame, Some(item.span), depth + 1);
                }
            }
            Value::Call { .. } => self.entry(module, value, frame, at, depth + 1),
            _ => self.unresolved(frame, at, "URL patterns that do not fold to a list"),
        }
    }

    /// A name used as patterns: `router.urls`, `admin.site.urls`, a list constant, a module.
    fn named(&mut self, module: &str, value: &Value, frame: &Frame, at: Option<Span>, depth: u32) {
        let path = match value {
            Value::Ref { path, .. } | Value::StarRef { path, .. } => path.clone(),
            _ => Vec::new(),
        };
        if path.last().is_some_and(|p| p == "urls") && path.len() >= 2 {
            let receiver = match value {
                Value::Ref { module, path } => Value::Ref {
                    module: module.clone(),
                    path: path[..path.len() - 1].to_vec(),
                },
                Value::StarRef { modules, path } => Value::StarRef {
                    modules: modules.clone(),
                    path: path[..path.len() - 1].to_vec(),
                },
                _ => unreachable!(),
            };
            if self.site_or_router(&receiver, frame, at, depth) {
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
                let _ = module;
                self.unresolved(frame, at, "URL patterns djperm cannot resolve")
            }
        }
    }

    /// `X.urls` where X is an admin site or a router. Returns false when X is neither.
    fn site_or_router(
        &mut self,
        receiver: &Value,
        frame: &Frame,
        at: Option<Span>,
        depth: u32,
    ) -> bool {
        let Some(key) = self.object_key(receiver) else {
            return false;
        };
        if key == "django.contrib.admin.site" || key == "django.contrib.admin.sites.site" {
            self.admin_site(&key, frame, at);
            return true;
        }
        let built = match self.locate_value(receiver) {
            Located::Value(m, v) => Some((m, v)),
            _ => None,
        };
        let Some((m, Value::Call { func, kwargs, .. })) = built else {
            return false;
        };
        let class = self.class_names(&m, func);
        if class.iter().any(|n| n.ends_with("AdminSite")) {
            let name = Value::kwarg(kwargs, "name")
                .and_then(|i| i.value.as_str().map(str::to_string))
                .unwrap_or_else(|| "admin".into());
            let frame = with_namespace(frame, Some(&name));
            self.admin_site(&key, &frame, at);
            return true;
        }
        if class.iter().any(|n| n.ends_with("Router")) {
            let default = class.iter().any(|n| n == "DefaultRouter");
            let slash = !matches!(
                Value::kwarg(kwargs, "trailing_slash").map(|i| &i.value),
                Some(Value::Bool(false)) | Some(Value::Str(_))
            );
            self.router(&key, default, slash, frame, at, depth);
            return true;
        }
        false
    }

    /// Names of the class `func` constructs and of its bases (project and external).
    fn class_names(&self, module: &str, func: &str) -> Vec<String> {
        let mut out = vec![func.to_string()];
        if let Located::Class(c) = self.locate(module, &[func.to_string()], 0) {
            let mut stack = vec![(c, 0u32)];
            while let Some((c, d)) = stack.pop() {
                out.push(c.class.name.clone());
                if d > 16 {
                    continue;
                }
                for b in &c.class.bases {
                    match self.resolver.base_target(b, 0) {
                        Target::Class(bc) => stack.push((bc, d + 1)),
                        Target::External(n) => {
                            out.push(n.rsplit('.').next().unwrap_or(&n).to_string())
                        }
                        _ => {}
                    }
                }
            }
        }
        out
    }

    fn calls_on(&self, key: &str) -> Vec<(FileId, &'w ModuleCall)> {
        self.calls
            .iter()
            .filter(|(_, c)| self.object_key(&c.receiver).as_deref() == Some(key))
            .copied()
            .collect()
    }

    fn router(
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

    fn class_attr_str(&self, class: ClassRef<'w>, name: &str) -> Option<String> {
        match self.resolver.class_path(class, &[name.to_string()], 0) {
            Target::Value(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// DRF's default basename: the queryset model's lowercased name.
    fn basename(&self, class: ClassRef<'w>) -> String {
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
    fn viewset_shape(
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

    fn admin_site(&mut self, key: &str, frame: &Frame, at: Option<Span>) {
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
                (Value::Call { func, .. }, Some(u)) if func == "get_user_model" => u.clone(),
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
        for (file, facts) in self.ws.python.iter().enumerate() {
            let Some(facts) = facts else { continue };
            for class in &facts.classes {
                for dec in &class.decorators {
                    let Value::Call {
                        func,
                        on,
                        args,
                        kwargs,
                    } = dec
                    else {
                        continue;
                    };
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
                        module: facts.module.clone(),
                        path: vec![class.name.clone()],
                    };
                    for a in args {
                        registered.push((a.value.clone(), Some(admin.clone()), class.span));
                    }
                    let _ = file;
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
            });
        }
    }

    /// One urlpatterns entry.
    fn entry(&mut self, module: &str, value: &Value, frame: &Frame, at: Option<Span>, depth: u32) {
        if depth > MAX_DEPTH {
            return;
        }
        let Value::Call {
            func, args, kwargs, ..
        } = value
        else {
            return match value {
                Value::Seq(_) | Value::Concat(_) | Value::Ref { .. } | Value::StarRef { .. } => {
                    self.patterns(module, value, frame, at, depth + 1)
                }
                _ => self.unresolved(frame, at, "a URL pattern that does not fold"),
            };
        };
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
            Some(Value::Str(s)) => s.clone(),
            _ => "?".to_string(),
        };
        let name = Value::kwarg(kwargs, "name").and_then(|i| i.value.as_str().map(str::to_string));
        let Some(view) = args.get(1).or_else(|| Value::kwarg(kwargs, "view")) else {
            return self.unresolved(frame, at, "a URL pattern without a view");
        };
        let here = Frame {
            prefix: frame.join(&pattern),
            namespaces: frame.namespaces.clone(),
        };
        // include(...)
        if let Value::Call {
            func: f,
            args: iargs,
            kwargs: ikwargs,
            ..
        } = &view.value
        {
            if f == "include" {
                let namespace = Value::kwarg(ikwargs, "namespace")
                    .and_then(|i| i.value.as_str().map(str::to_string));
                let Some(arg) = iargs.first().or_else(|| Value::kwarg(ikwargs, "arg")) else {
                    return self.unresolved(&here, at, "`include()` without an argument");
                };
                match &arg.value {
                    Value::Str(m) => {
                        let app_name = self
                            .facts(m)
                            .and_then(|f| f.constants.get("app_name"))
                            .and_then(|v| v.as_str().map(str::to_string));
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
        });
    }

    fn module_of(&self, value: &Value) -> Option<String> {
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
    fn view(&self, value: &Value, depth: u32) -> (ViewTarget<'w>, Vec<Value>, Vec<(String, Item)>) {
        if depth > MAX_DEPTH {
            return (
                ViewTarget::Unresolved("too deep".into()),
                Vec::new(),
                Vec::new(),
            );
        }
        match value {
            Value::Call {
                func,
                on: Some(on),
                args,
                kwargs,
            } if func == "as_view" => {
                let viewset = matches!(args.first().map(|i| &i.value), Some(Value::Dict(_)));
                match self.resolver.base_target(on, 0) {
                    Target::Class(class) if viewset => (
                        ViewTarget::ViewSet {
                            class,
                            action: None,
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
            Value::Call {
                func,
                on: Some(inner),
                args,
                ..
            } if func == "__call__" => {
                let Some(v) = args.first() else {
                    return (
                        ViewTarget::Unresolved("a call".into()),
                        Vec::new(),
                        Vec::new(),
                    );
                };
                let (t, mut w, k) = self.view(&v.value, depth + 1);
                w.insert(0, (**inner).clone());
                (t, w, k)
            }
            // login_required(view), csrf_exempt(view), …
            Value::Call { func, args, .. } => {
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

fn with_namespace(frame: &Frame, ns: Option<&str>) -> Frame {
    let mut f = frame.clone();
    if let Some(ns) = ns {
        f.namespaces.push(ns.to_string());
    }
    f
}

/// `(patterns, app_name)` / `(patterns, app_name, namespace)` tuples.
fn tuple_form(v: &Value) -> Option<(&Value, Option<String>)> {
    let Value::Seq(items) = v else { return None };
    if !(2..=3).contains(&items.len()) {
        return None;
    }
    let app = items[1].value.as_str()?;
    match &items[0].value {
        Value::Str(_)
        | Value::Seq(_)
        | Value::Concat(_)
        | Value::Ref { .. }
        | Value::StarRef { .. } => Some((&items[0].value, Some(app.to_string()))),
        _ => None,
    }
}

/// `Post.objects.filter(...).all()` → the `Post` reference.
pub fn queryset_model(value: &Value) -> Option<Value> {
    match value {
        Value::Call { on: Some(on), .. } => queryset_model(on),
        Value::Ref { module, path }
            if path.len() >= 2
                && matches!(
                    path.last().map(String::as_str),
                    Some("objects" | "_default_manager")
                ) =>
        {
            Some(Value::Ref {
                module: module.clone(),
                path: path[..path.len() - 1].to_vec(),
            })
        }
        Value::StarRef { modules, path }
            if path.len() >= 2
                && matches!(
                    path.last().map(String::as_str),
                    Some("objects" | "_default_manager")
                ) =>
        {
            Some(Value::StarRef {
                modules: modules.clone(),
                path: path[..path.len() - 1].to_vec(),
            })
        }
        _ => None,
    }
}
