//! What guards a view: decorators and urlconf wrappers, class-based mixins, DRF
//! `permission_classes` (with `DjangoModelPermissions` expanded to the model's permissions),
//! admin sites, `has_perm` calls inside the view, and login middleware.

use crate::diagnostic::Span;
use crate::facts::RefKind;
use crate::index::resolve::{ClassRef, Resolver, Target};
use crate::index::Project;
use crate::rules::Context;
use crate::value::{CompactString, Item, Value};

use super::routes::{queryset_model, ViewTarget};

mod drf;

use drf::{DrfView, ModelPerms};

/// One thing that keeps someone out of a route.
#[derive(Clone, Debug)]
pub struct Guard {
    /// `login`, `permission`, `object-permission`, `rules`, `user-passes-test`, `staff`,
    /// `superuser`, `drf`, `admin`, `has-perm`, `body-check`, `custom`.
    pub kind: &'static str,
    pub detail: String,
    pub permissions: Vec<String>,
    pub span: Option<Span>,
    /// DRF model permissions per HTTP method the route serves (empty when not per method).
    pub by_method: Vec<(String, Vec<String>)>,
    /// Served methods the permission class's map lacks (DRF answers 405).
    pub not_allowed: Vec<String>,
}

#[derive(Default, Debug)]
pub struct Verdict {
    pub guards: Vec<Guard>,
    /// Why the view may be guarded by something djperm did not analyse.
    pub notes: Vec<String>,
}

impl Verdict {
    fn guard(
        &mut self,
        kind: &'static str,
        detail: impl Into<String>,
        permissions: Vec<String>,
        span: Option<Span>,
    ) {
        let detail = detail.into();
        if self
            .guards
            .iter()
            .any(|g| g.kind == kind && g.detail == detail && g.permissions == permissions)
        {
            return;
        }
        self.guards.push(Guard {
            kind,
            detail,
            permissions,
            span,
            by_method: Vec::new(),
            not_allowed: Vec::new(),
        });
    }

    fn guard_by_method(
        &mut self,
        kind: &'static str,
        detail: impl Into<String>,
        perms: ModelPerms,
        span: Option<Span>,
    ) {
        let detail = detail.into();
        if self.guards.iter().any(|g| {
            g.kind == kind
                && g.detail == detail
                && g.by_method == perms.by_method
                && g.not_allowed == perms.not_allowed
        }) {
            return;
        }
        self.guards.push(Guard {
            kind,
            detail,
            permissions: perms.all,
            span,
            by_method: perms.by_method,
            not_allowed: perms.not_allowed,
        });
    }

    fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// Django decorators that guard nothing.
const HARMLESS: &[&str] = &[
    "csrf_exempt",
    "csrf_protect",
    "ensure_csrf_cookie",
    "requires_csrf_token",
    "require_POST",
    "require_GET",
    "require_safe",
    "require_http_methods",
    "cache_page",
    "cache_control",
    "never_cache",
    "vary_on_headers",
    "vary_on_cookie",
    "xframe_options_exempt",
    "xframe_options_deny",
    "xframe_options_sameorigin",
    "sensitive_post_parameters",
    "sensitive_variables",
    "gzip_page",
    "condition",
    "etag",
    "last_modified",
    "atomic",
    "non_atomic_requests",
    "api_view",
    "renderer_classes",
    "parser_classes",
    "authentication_classes",
    "throttle_classes",
    "schema",
    "extend_schema",
    "swagger_auto_schema",
    "action",
    "login_not_required",
    "staticmethod",
    "classmethod",
    "property",
    "cached_property",
    "wraps",
];

pub struct Guards<'c, 'a, 'w> {
    pub ctx: &'c Context<'a>,
    pub resolver: &'c Resolver<'w>,
    pub project: &'c Project,
    /// `REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]`, each a dotted path; `None` = not set.
    pub drf_default: Option<Vec<String>>,
    pub login_middleware: bool,
}

fn func_name(v: &Value) -> Option<&str> {
    match v {
        Value::Ref { path, .. } | Value::StarRef { path, .. } => path.last().map(|p| p.as_str()),
        Value::Call(c) if c.func == "__call__" => c.on.as_deref().and_then(func_name),
        Value::Call(c) => Some(&c.func),
        _ => None,
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Str(s) => vec![s.to_string()],
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| i.value.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn last(dotted: &str) -> &str {
    dotted.rsplit('.').next().unwrap_or(dotted)
}

impl<'c, 'a, 'w> Guards<'c, 'a, 'w> {
    pub fn of(&self, target: &ViewTarget<'w>, wrappers: &[Value], span: Option<Span>) -> Verdict {
        let mut v = Verdict::default();
        let mut login_not_required = false;
        for w in wrappers {
            self.decorator(w, span, &mut v);
        }
        match target {
            ViewTarget::Function { file, fact, .. } => {
                for d in &fact.decorators {
                    if func_name(d) == Some("login_not_required") {
                        login_not_required = true;
                    }
                    self.decorator(d, Some(fact.span), &mut v);
                }
                let drf = fact
                    .decorators
                    .iter()
                    .any(|d| func_name(d) == Some("api_view"));
                if drf
                    && !fact
                        .decorators
                        .iter()
                        .any(|d| func_name(d) == Some("permission_classes"))
                {
                    self.drf_default(&mut v, &DrfView::default());
                }
                self.body(*file, fact.body, &mut v);
            }
            ViewTarget::Class { class, kwargs } => {
                login_not_required = class
                    .class
                    .decorators
                    .iter()
                    .any(|d| func_name(d) == Some("login_not_required"));
                self.class(*class, kwargs, None, None, &mut v);
            }
            ViewTarget::ViewSet {
                class,
                action,
                methods,
            } => {
                self.class(*class, &[], action.as_deref(), methods.as_deref(), &mut v);
            }
            ViewTarget::Admin {
                model,
                admin,
                model_value,
            } => {
                let perms = match (model, model_value) {
                    (Some(m), _) => self.model_perms(*m, &["view", "add", "change", "delete"]),
                    (None, Value::Ref { module, path }) => {
                        let label = module
                            .strip_prefix("django.contrib.")
                            .and_then(|m| m.strip_suffix(".models"));
                        match (label, path.last()) {
                            (Some(label), Some(object)) => ["view", "add", "change", "delete"]
                                .iter()
                                .map(|a| format!("{a}_{}", object.to_lowercase()))
                                .filter(|c| self.project.lookup(label, c).next().is_some())
                                .map(|c| format!("{label}.{c}"))
                                .collect(),
                            _ => Vec::new(),
                        }
                    }
                    _ => Vec::new(),
                };
                v.guard(
                    "admin",
                    "admin site: active staff user with a model permission",
                    perms,
                    admin.map(|a| a.class.span),
                );
                if let Some(a) = admin {
                    let overrides: Vec<&str> = self
                        .chain(*a)
                        .iter()
                        .flat_map(|c| c.class.methods.iter())
                        .map(String::as_str)
                        .filter(|m| m.starts_with("has_") && m.ends_with("_permission"))
                        .collect();
                    if !overrides.is_empty() {
                        v.note(format!(
                            "the ModelAdmin overrides `{}`",
                            dedup(overrides).join("`, `")
                        ));
                    }
                }
            }
            ViewTarget::AdminIndex => {
                v.guard("staff", "admin site: active staff user", Vec::new(), span);
            }
            ViewTarget::External(d) => {
                if let Some(module) = d
                    .strip_prefix("include(\"")
                    .and_then(|m| m.strip_suffix("\")"))
                {
                    v.note(format!(
                        "`{module}` is a URLconf outside the scanned tree (an installed \
                         package's): its routes are not listed"
                    ));
                } else if d.starts_with("rest_framework.") {
                    self.drf_default(&mut v, &DrfView::default());
                } else if !d.starts_with("django.") {
                    v.note(format!("`{d}` is outside the scanned tree"));
                }
            }
            ViewTarget::Unresolved(what) => v.note(format!("not resolved: {what}")),
        }
        if self.login_middleware && !login_not_required {
            v.guard("login", "LoginRequiredMiddleware", Vec::new(), None);
        }
        v
    }

    fn decorator(&self, d: &Value, span: Option<Span>, v: &mut Verdict) {
        let Some(name) = func_name(d) else {
            v.note("a decorator that does not fold");
            return;
        };
        let call_args = |d: &Value| -> Vec<Item> {
            match d {
                Value::Call(c) if c.func == "__call__" && c.on.is_some() => match c.on.as_deref() {
                    Some(Value::Call(on)) => on.args.clone(),
                    _ => Vec::new(),
                },
                Value::Call(c) => c.args.clone(),
                _ => Vec::new(),
            }
        };
        let args = call_args(d);
        match name {
            "login_required" => v.guard("login", "login_required", Vec::new(), span),
            "permission_required" => {
                let perms = args
                    .first()
                    .map(|a| strings(&self.resolver.resolve(&a.value, 0)));
                let detail = if perms.as_ref().is_some_and(|p| !p.is_empty()) {
                    "permission_required"
                } else {
                    "permission_required (permission not folded)"
                };
                v.guard("permission", detail, perms.unwrap_or_default(), span)
            }
            "permission_required_or_403" | "permission_required_or_404" => {
                let perms = args
                    .first()
                    .map(|a| strings(&self.resolver.resolve(&a.value, 0)))
                    .unwrap_or_default();
                v.guard("object-permission", name.to_string(), perms, span)
            }
            "user_passes_test" => v.guard("user-passes-test", "user_passes_test", Vec::new(), span),
            "staff_member_required" => v.guard("staff", "staff_member_required", Vec::new(), span),
            "superuser_required" => v.guard("superuser", "superuser_required", Vec::new(), span),
            "method_decorator" => {
                if let Some(inner) = args.first() {
                    match &inner.value {
                        Value::Seq(items) => {
                            for i in items {
                                self.decorator(&i.value, span, v);
                            }
                        }
                        other => self.decorator(other, span, v),
                    }
                }
            }
            "permission_classes" => {
                if let Some(a) = args.first() {
                    self.drf_classes(&a.value, &DrfView::default(), span, v);
                }
            }
            n if HARMLESS.contains(&n) => {}
            n => {
                let external_django = matches!(
                    self.resolver.base_target(d, 0),
                    Target::External(ref e) if e.starts_with("django.")
                );
                if !external_django {
                    v.note(format!("decorator `{n}` not analysed"));
                }
            }
        }
    }

    /// The class and its project ancestors (depth-first, as written).
    fn chain(&self, class: ClassRef<'w>) -> Vec<ClassRef<'w>> {
        let mut out = Vec::new();
        let mut stack = vec![(class, 0u32)];
        while let Some((c, d)) = stack.pop() {
            if out
                .iter()
                .any(|o: &ClassRef<'w>| o.file == c.file && o.class.name == c.class.name)
            {
                continue;
            }
            out.push(c);
            if d > 16 {
                continue;
            }
            for b in c.class.bases.iter().rev() {
                if let Target::Class(bc) = self.resolver.base_target(b, 0) {
                    stack.push((bc, d + 1));
                }
            }
        }
        out
    }

    /// External base names of the whole chain, dotted.
    fn externals(&self, chain: &[ClassRef<'w>]) -> (Vec<String>, bool) {
        let mut out = Vec::new();
        let mut unresolved = false;
        for c in chain {
            for b in &c.class.bases {
                match self.resolver.base_target(b, 0) {
                    Target::External(n) => out.push(n),
                    Target::Class(_) => {}
                    _ => unresolved = true,
                }
            }
        }
        (out, unresolved)
    }

    /// A class attribute (or `as_view` kwarg) as resolved constants; references to classes
    /// outside the tree resolve to `Unknown`, so see [`Self::raw_attr`] for those.
    fn attr(
        &self,
        class: ClassRef<'w>,
        kwargs: &[(CompactString, Item)],
        name: &str,
    ) -> Option<Value> {
        if let Some(i) = Value::kwarg(kwargs, name) {
            return Some(self.resolver.resolve(&i.value, 0));
        }
        match self.resolver.class_path(class, &[name.into()], 0) {
            Target::Value(v) => Some(v),
            _ => None,
        }
    }

    /// A class attribute as written (first class of the chain that sets it), or the kwarg.
    fn raw_attr(
        &self,
        class: ClassRef<'w>,
        kwargs: &[(CompactString, Item)],
        name: &str,
    ) -> Option<Value> {
        if let Some(i) = Value::kwarg(kwargs, name) {
            return Some(i.value.clone());
        }
        self.chain(class)
            .iter()
            .find_map(|c| c.class.attrs.get(name).map(|i| i.value.clone()))
    }

    fn class(
        &self,
        class: ClassRef<'w>,
        kwargs: &[(CompactString, Item)],
        action: Option<&str>,
        methods: Option<&[String]>,
        v: &mut Verdict,
    ) {
        let chain = self.chain(class);
        let (externals, unresolved) = self.externals(&chain);
        let drf_view = DrfView {
            class: Some(class),
            methods: methods
                .map(<[String]>::to_vec)
                .or_else(|| self.drf_handlers(&chain, &externals)),
        };
        if unresolved {
            v.note("a base class djperm cannot resolve");
        }
        let span = Some(class.class.span);
        let perm_attr = || -> (Vec<String>, bool) {
            // An instance attribute set before the handler runs wins over the class's.
            if Value::kwarg(kwargs, "permission_required").is_none() {
                if let Some(set) = chain.iter().find_map(|c| {
                    let values: Vec<&Item> = c
                        .class
                        .self_values
                        .iter()
                        .filter(|(n, _)| n == "permission_required")
                        .map(|(_, i)| i)
                        .collect();
                    (!values.is_empty()).then_some(values)
                }) {
                    let mut perms = Vec::new();
                    let mut folded = true;
                    for i in set {
                        let s = strings(&self.resolver.resolve(&i.value, 0));
                        folded &= !s.is_empty();
                        perms.extend(s);
                    }
                    return (dedup(perms), folded);
                }
            }
            match self.attr(class, kwargs, "permission_required") {
                Some(val) => {
                    let s = strings(&val);
                    let folded = !s.is_empty();
                    (s, folded)
                }
                None => (Vec::new(), false),
            }
        };
        let custom_perm_method = chain.iter().any(|c| {
            c.class
                .methods
                .iter()
                .any(|m| m == "get_permission_required" || m == "has_permission")
        });
        let mut drf = false;
        for ext in &externals {
            let name = last(ext);
            match name {
                "LoginRequiredMixin" => v.guard("login", "LoginRequiredMixin", Vec::new(), span),
                "PermissionRequiredMixin" | "PermissionListMixin" => {
                    let (perms, folded) = perm_attr();
                    let kind = if ext.starts_with("guardian") {
                        "object-permission"
                    } else if ext.starts_with("rules") {
                        "rules"
                    } else {
                        "permission"
                    };
                    let detail = if folded {
                        name.to_string()
                    } else if custom_perm_method {
                        format!("{name} (get_permission_required/has_permission overridden)")
                    } else {
                        format!("{name} (permission_required not folded)")
                    };
                    v.guard(kind, detail, perms, span);
                }
                "AutoPermissionRequiredMixin" => {
                    let perms = self
                        .view_model(class, kwargs)
                        .map(|m| self.model_perms(m, &["view", "add", "change", "delete"]))
                        .unwrap_or_default();
                    v.guard(
                        "rules",
                        "AutoPermissionRequiredMixin (permission by view type)",
                        perms,
                        span,
                    )
                }
                "UserPassesTestMixin" => v.guard(
                    "user-passes-test",
                    "UserPassesTestMixin.test_func",
                    Vec::new(),
                    span,
                ),
                "StaffuserRequiredMixin" | "StaffMemberRequiredMixin" => {
                    v.guard("staff", name.to_string(), Vec::new(), span)
                }
                "SuperuserRequiredMixin" => {
                    v.guard("superuser", name.to_string(), Vec::new(), span)
                }
                "GroupRequiredMixin"
                | "MultiplePermissionsRequiredMixin"
                | "ObjectPermissionRequiredMixin" => {
                    v.guard("custom", name.to_string(), Vec::new(), span)
                }
                _ => {}
            }
            if ext.starts_with("rest_framework.") || ext.starts_with("rest_framework_") {
                drf = true;
            } else if !ext.starts_with("django.")
                && !matches!(
                    name,
                    "LoginRequiredMixin"
                        | "PermissionRequiredMixin"
                        | "AutoPermissionRequiredMixin"
                        | "UserPassesTestMixin"
                        | "object"
                )
                && !ext.starts_with("guardian")
                && !ext.starts_with("rules")
                && !ext.starts_with("typing")
                && !ext.starts_with("abc")
            {
                v.note(format!("base `{ext}` is outside the scanned tree"));
            }
        }
        // Decorators on the class and on its dispatch/handler methods.
        for c in &chain {
            for d in &c.class.decorators {
                if func_name(d) != Some("register") {
                    self.decorator(d, Some(c.class.span), v);
                }
            }
            for (method, decorators) in &c.class.method_decorators {
                let handler = matches!(
                    method.as_str(),
                    "dispatch" | "get" | "post" | "put" | "patch" | "delete" | "head" | "options"
                ) || action == Some(method.as_str());
                if !handler {
                    continue;
                }
                for d in decorators {
                    if func_name(d) == Some("action") {
                        // `@action(permission_classes=[...])` overrides the viewset's.
                        if let Value::Call(call) = d {
                            if let Some(pc) = Value::kwarg(&call.kwargs, "permission_classes") {
                                self.drf_classes(&pc.value, &drf_view, Some(c.class.span), v);
                                drf = false;
                            }
                        }
                        continue;
                    }
                    self.decorator(d, Some(c.class.span), v);
                }
            }
        }
        if drf {
            match self.raw_attr(class, kwargs, "permission_classes") {
                Some(pc) => self.drf_classes(&pc, &drf_view, span, v),
                None => self.drf_default(v, &drf_view),
            }
        }
        for c in &chain {
            self.body(c.file, c.class.body, v);
        }
        if v.guards.is_empty() {
            for c in &chain {
                if c.class.methods.iter().any(|m| m == "dispatch") {
                    v.note(format!("`{}` overrides dispatch()", c.class.name));
                }
            }
        }
    }

    fn view_model(
        &self,
        class: ClassRef<'w>,
        kwargs: &[(CompactString, Item)],
    ) -> Option<ClassRef<'w>> {
        let qs = self.raw_attr(class, kwargs, "queryset");
        let model_ref = qs
            .as_ref()
            .and_then(queryset_model)
            .or_else(|| self.raw_attr(class, kwargs, "model"))?;
        match self.resolver.base_target(&model_ref, 0) {
            Target::Class(c) => Some(c),
            _ => None,
        }
    }

    fn code_model(&self, model: ClassRef<'w>) -> Option<&crate::index::models::CodeModel> {
        self.project.code_model_at(model.file, &model.class.name)
    }

    fn model_perms(&self, model: ClassRef<'w>, actions: &[&str]) -> Vec<String> {
        let Some(cm) = self.code_model(model) else {
            return Vec::new();
        };
        let Some(label) = &cm.label else {
            return Vec::new();
        };
        actions
            .iter()
            .map(|a| format!("{a}_{}", cm.model_name))
            .filter(|c| self.project.lookup(label, c).next().is_some())
            .map(|c| format!("{label}.{c}"))
            .collect()
    }

    /// `has_perm` calls and `is_authenticated`/`is_staff`/`PermissionDenied` inside a body.
    fn body(&self, file: usize, body: Span, v: &mut Verdict) {
        if body == Span::default() {
            return;
        }
        for r in &self.ctx.refs {
            let span = r.reference.call_span;
            if r.file != file || span.start < body.start || span.end > body.end {
                continue;
            }
            if !matches!(
                r.reference.kind,
                RefKind::HasPerm
                    | RefKind::HasPerms
                    | RefKind::GuardianObjects
                    | RefKind::ModulePerms
                    | RefKind::PermissionRequiredReturn
            ) {
                continue;
            }
            let perms: Vec<String> = r.strings().into_iter().map(|s| s.text).collect();
            let detail = match r.reference.kind {
                RefKind::HasPerms => "has_perms() in the body",
                RefKind::GuardianObjects => "get_objects_for_user() in the body",
                RefKind::ModulePerms => "has_module_perms() in the body",
                RefKind::PermissionRequiredReturn => "get_permission_required()",
                _ => "has_perm() in the body",
            };
            v.guard("has-perm", detail, perms, Some(span));
        }
        let text = self.ctx.ws.text(file);
        let Some(body_text) = text.get(body.start as usize..body.end as usize) else {
            return;
        };
        for needle in [
            "is_authenticated",
            "is_staff",
            "is_superuser",
            "PermissionDenied",
        ] {
            if let Some(at) = body_text.find(needle) {
                let start = body.start + at as u32;
                v.guard(
                    "body-check",
                    format!("`{needle}` in the body"),
                    Vec::new(),
                    Some(Span::new(file, start, start + needle.len() as u32)),
                );
            }
        }
    }
}

pub(super) fn dedup<T: PartialEq>(list: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for x in list {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}
