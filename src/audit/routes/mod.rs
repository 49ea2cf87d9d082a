//! `urlpatterns` resolved statically from folded values: `path`/`re_path`/`url`, `include` of
//! modules, lists and `(patterns, app_name)` tuples, namespaces, `as_view(**kwargs)`, DRF routers
//! (`router.register`) and admin sites (one entry per registered model). What does not fold is
//! listed as unresolved, never guessed.

use rustc_hash::FxHashSet;

use crate::diagnostic::{FileId, Span};
use crate::facts::{FileFacts, FunctionFact, ModuleCall};
use crate::index::resolve::{ClassRef, Resolver, Target};
use crate::value::{CompactString, Item, Value};
use crate::workspace::Workspace;

mod admin;
mod drf;
mod known;
mod urlconf;

pub use urlconf::queryset_model;

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
        kwargs: Vec<(crate::value::CompactString, Item)>,
    },
    /// A DRF viewset registered with a router (or `as_view({...})`): the route's action, and
    /// an `@action` method's name when the route comes from one.
    ViewSet {
        class: ClassRef<'w>,
        action: Option<String>,
        /// The HTTP methods (lowercase) the route maps to actions, when known; DRF adds
        /// `head` for `get`, and `options` is served everywhere.
        methods: Option<Vec<String>>,
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
    pub class_kwargs: Vec<(crate::value::CompactString, Item)>,
    /// The same route with a format suffix (`format_suffix_patterns`, a `DefaultRouter`).
    pub format_suffix: Option<String>,
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
    /// Inside `format_suffix_patterns(...)`.
    format_suffix: bool,
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

    /// The route `pattern` (under this frame) with DRF's format suffix, when it has one:
    /// `users/` → `users.<format>`.
    fn suffixed(&self, pattern: &str, suffix: bool) -> Option<String> {
        let own = pattern.trim_end_matches('$').trim_end_matches('/');
        suffix.then(|| self.join(&format!("{own}.<format>")))
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
    fn locate(&self, module: &str, path: &[CompactString], depth: u32) -> Located<'w> {
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
            if let Some(v) = facts.constants.get(first.as_str()) {
                return Located::Value(facts.module.clone(), v);
            }
            if let Some(f) = facts
                .functions
                .iter()
                .rev()
                .find(|f| f.name == first.as_str())
            {
                let file = self.ws.module_file(module).unwrap_or_default();
                return Located::Function(file, facts.module.clone(), f);
            }
        }
        if facts.classes.iter().any(|c| c.name == first.as_str()) {
            return match self.resolver.target(module, path, depth) {
                Target::Class(c) => Located::Class(c),
                _ => Located::Unknown,
            };
        }
        if let Some((m, p)) = facts
            .imports
            .get(first.as_str())
            .filter(|(m, p)| !(m == module && p.len() == 1 && p[0] == first.as_str()))
        {
            let mut full: Vec<CompactString> = p.iter().map(|x| x.as_str().into()).collect();
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

    fn key_of(&self, module: &str, path: &[CompactString], depth: u32) -> Option<String> {
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
        if rest.is_empty() && facts.constants.contains_key(first.as_str()) {
            return Some(format!("{}:{first}", facts.module));
        }
        if let Some((m, p)) = facts
            .imports
            .get(first.as_str())
            .filter(|(m, p)| !(m == module && p.len() == 1 && p[0] == first.as_str()))
        {
            let mut full: Vec<CompactString> = p.iter().map(|x| x.as_str().into()).collect();
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
            format_suffix: None,
        });
    }

    /// `X.urls` where X is an admin site or a router. Returns false when X is neither.
    fn site_or_router(&mut self, receiver: &Value, frame: &Frame, at: Option<Span>) -> bool {
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
        let Some((m, Value::Call(call))) = built else {
            return false;
        };
        let (func, kwargs) = (&call.func, &call.kwargs);
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
            // `DefaultRouter(include_format_suffixes=False)` serves no suffixed copies.
            let suffixes = default
                && !matches!(
                    Value::kwarg(kwargs, "include_format_suffixes").map(|i| &i.value),
                    Some(Value::Bool(false))
                );
            self.router(&key, default, slash, suffixes, frame, at);
            for (class, member) in self.router_overrides(&m, func) {
                self.unresolved(
                    frame,
                    at,
                    format!(
                        "the router class `{class}` overrides `{member}`: the routes it adds or \
                         reshapes are not listed (djperm expands `register()` calls as DRF's \
                         routers do)"
                    ),
                );
            }
            return true;
        }
        false
    }

    /// Names of the class `func` constructs and of its bases (project and external).
    fn class_names(&self, module: &str, func: &str) -> Vec<String> {
        let mut out = vec![func.to_string()];
        if let Located::Class(c) = self.locate(module, &[func.into()], 0) {
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

    /// Members of the project's router classes (the one `func` builds and its project bases)
    /// that change which routes a router makes: (class, member).
    fn router_overrides(&self, module: &str, func: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Located::Class(c) = self.locate(module, &[func.into()], 0) else {
            return out;
        };
        let mut stack = vec![(c, 0u32)];
        while let Some((c, d)) = stack.pop() {
            let members = (c.class.methods.iter().map(|m| m.as_str()))
                .chain(c.class.attrs.keys().map(|k| k.as_str()));
            for m in members {
                if matches!(
                    m,
                    "urls" | "get_urls" | "get_routes" | "routes" | "get_lookup_regex"
                ) && !out.iter().any(|(_, x)| x == m)
                {
                    // `urls` and `routes` are attributes on DRF's routers (a property, a list).
                    let attribute = matches!(m, "urls" | "routes");
                    let member = if c.class.methods.iter().any(|x| x == m) && !attribute {
                        format!("{m}()")
                    } else {
                        m.to_string()
                    };
                    out.push((c.class.name.clone(), member));
                }
            }
            if d > 16 {
                continue;
            }
            for b in &c.class.bases {
                if let Target::Class(bc) = self.resolver.base_target(b, 0) {
                    stack.push((bc, d + 1));
                }
            }
        }
        out.sort();
        out
    }

    fn calls_on(&self, key: &str) -> Vec<(FileId, &'w ModuleCall)> {
        self.calls
            .iter()
            .filter(|(_, c)| self.object_key(&c.receiver).as_deref() == Some(key))
            .copied()
            .collect()
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
