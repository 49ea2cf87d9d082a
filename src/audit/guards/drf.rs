//! DRF permission classes: `permission_classes` (or `DEFAULT_PERMISSION_CLASSES`) on a view,
//! with `DjangoModelPermissions` and its kin expanded per HTTP method through the class's
//! `perms_map` (DRF's own map unless the project's class sets one).

use crate::diagnostic::Span;
use crate::index::resolve::{ClassRef, Target};
use crate::value::Value;

use super::{dedup, last, strings, Guards, Verdict};

/// The view a DRF permission class guards: its class (for the queryset model) and the HTTP
/// methods (lowercase) its route serves, `None` when not known.
#[derive(Clone, Default)]
pub struct DrfView<'w> {
    pub class: Option<ClassRef<'w>>,
    pub methods: Option<Vec<String>>,
}

/// DRF's `DjangoModelPermissions.perms_map`.
const DEFAULT_MAP: &[(&str, &[&str])] = &[
    ("GET", &[]),
    ("OPTIONS", &[]),
    ("HEAD", &[]),
    ("POST", &["%(app_label)s.add_%(model_name)s"]),
    ("PUT", &["%(app_label)s.change_%(model_name)s"]),
    ("PATCH", &["%(app_label)s.change_%(model_name)s"]),
    ("DELETE", &["%(app_label)s.delete_%(model_name)s"]),
];

/// The order methods are listed in.
const ORDER: &[&str] = &["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];

/// DRF generic views → the handlers they define.
const GENERIC: &[(&str, &[&str])] = &[
    ("ListAPIView", &["get"]),
    ("CreateAPIView", &["post"]),
    ("RetrieveAPIView", &["get"]),
    ("DestroyAPIView", &["delete"]),
    ("UpdateAPIView", &["put", "patch"]),
    ("ListCreateAPIView", &["get", "post"]),
    ("RetrieveUpdateAPIView", &["get", "put", "patch"]),
    ("RetrieveDestroyAPIView", &["get", "delete"]),
    (
        "RetrieveUpdateDestroyAPIView",
        &["get", "put", "patch", "delete"],
    ),
];

/// What `DjangoModelPermissions` requires on one route.
#[derive(Default)]
pub struct ModelPerms {
    /// Every permission some served method requires.
    pub all: Vec<String>,
    /// Per served method (uppercase), in [`ORDER`].
    pub by_method: Vec<(String, Vec<String>)>,
    /// Served methods the map lacks: DRF answers them 405.
    pub not_allowed: Vec<String>,
}

/// The methods a route serves, uppercase: the mapped ones, `HEAD` with `GET` (DRF's viewsets
/// and Django's `View.setup` add it), and `OPTIONS` (every `APIView` answers it).
fn served(mapped: &[String]) -> Vec<String> {
    let mut out: Vec<String> = mapped.iter().map(|m| m.to_uppercase()).collect();
    if out.iter().any(|m| m == "GET") {
        out.push("HEAD".into());
    }
    out.push("OPTIONS".into());
    let mut out = dedup(out);
    out.sort_by_key(|m| ORDER.iter().position(|o| o == m).unwrap_or(ORDER.len()));
    out
}

impl<'c, 'a, 'w> Guards<'c, 'a, 'w> {
    /// The handlers a DRF class view defines (its own methods and its generic bases), or `None`.
    pub(super) fn drf_handlers(
        &self,
        chain: &[ClassRef<'w>],
        externals: &[String],
    ) -> Option<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for c in chain {
            for m in &c.class.methods {
                if matches!(m.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                    out.push(m.clone());
                }
            }
        }
        for e in externals {
            if let Some((_, handlers)) = GENERIC.iter().find(|(g, _)| *g == last(e)) {
                out.extend(handlers.iter().map(|h| h.to_string()));
            }
        }
        (!out.is_empty()).then(|| dedup(out))
    }

    pub(super) fn drf_default(&self, v: &mut Verdict, view: &DrfView<'w>) {
        match &self.drf_default {
            None => {} // AllowAny
            Some(list) => {
                for dotted in list {
                    let (module, name) = dotted.rsplit_once('.').unwrap_or(("", dotted));
                    match self.resolver.class(module, name) {
                        Some(c) => self.drf_project_class(c, view, None, v),
                        None => self.drf_external(dotted, view, None, v),
                    }
                }
            }
        }
    }

    pub(super) fn drf_classes(
        &self,
        value: &Value,
        view: &DrfView<'w>,
        span: Option<Span>,
        v: &mut Verdict,
    ) {
        let Value::Seq(items) = value else {
            v.note("permission_classes that do not fold to a list");
            return;
        };
        for i in items {
            match self.resolver.base_target(&i.value, 0) {
                Target::External(n) => self.drf_external(&n, view, span, v),
                Target::Class(c) => self.drf_project_class(c, view, span, v),
                _ => v.note("a permission class that does not fold (`&`, `|`, a call)"),
            }
        }
    }

    fn drf_external(&self, dotted: &str, view: &DrfView<'w>, span: Option<Span>, v: &mut Verdict) {
        let name = last(dotted);
        match name {
            "AllowAny" => {}
            "IsAuthenticated" => v.guard("login", "DRF IsAuthenticated", Vec::new(), span),
            "IsAuthenticatedOrReadOnly" => v.guard(
                "login",
                "DRF IsAuthenticatedOrReadOnly (writes only)",
                Vec::new(),
                span,
            ),
            "IsAdminUser" => v.guard("staff", "DRF IsAdminUser", Vec::new(), span),
            "DjangoModelPermissions"
            | "DjangoModelPermissionsOrAnonReadOnly"
            | "DjangoObjectPermissions" => {
                let perms = self.drf_model_perms(view, None);
                let kind = if name == "DjangoObjectPermissions" {
                    "object-permission"
                } else {
                    "drf"
                };
                v.guard_by_method(kind, format!("DRF {name}"), perms, span)
            }
            _ => v.guard("drf", format!("DRF {name}"), Vec::new(), span),
        }
    }

    fn drf_project_class(
        &self,
        pc: ClassRef<'w>,
        view: &DrfView<'w>,
        span: Option<Span>,
        v: &mut Verdict,
    ) {
        let chain = self.chain(pc);
        let (externals, _) = self.externals(&chain);
        let model = externals.iter().find(|e| {
            matches!(
                last(e),
                "DjangoModelPermissions"
                    | "DjangoModelPermissionsOrAnonReadOnly"
                    | "DjangoObjectPermissions"
            )
        });
        let Some(base) = model else {
            return v.guard("drf", format!("DRF {}", pc.class.name), Vec::new(), span);
        };
        let perms_map = match self.resolver.class_path(pc, &["perms_map".into()], 0) {
            Target::Value(Value::Dict(d)) => Some(Value::Dict(d)),
            _ => {
                if chain
                    .iter()
                    .any(|c| c.class.attrs.contains_key("perms_map"))
                {
                    v.note(format!(
                        "`{}.perms_map` does not fold; DRF's own map assumed",
                        pc.class.name
                    ));
                }
                None
            }
        };
        let perms = self.drf_model_perms(view, perms_map.as_ref());
        v.guard_by_method(
            "drf",
            format!("DRF {} ({})", pc.class.name, last(base)),
            perms,
            span,
        )
    }

    /// The permissions `DjangoModelPermissions` requires for the view's queryset model, per
    /// HTTP method the route serves.
    fn drf_model_perms(&self, view: &DrfView<'w>, perms_map: Option<&Value>) -> ModelPerms {
        let Some(class) = view.class else {
            return ModelPerms::default();
        };
        let Some(model) = self.view_model(class, &[]) else {
            return ModelPerms::default();
        };
        let Some(cm) = self.code_model(model) else {
            return ModelPerms::default();
        };
        let Some(label) = &cm.label else {
            return ModelPerms::default();
        };
        let map: Vec<(String, Vec<String>)> = match perms_map {
            Some(Value::Dict(entries)) => entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_uppercase(), strings(&v.value))))
                .collect(),
            _ => DEFAULT_MAP
                .iter()
                .map(|(m, t)| (m.to_string(), t.iter().map(|s| s.to_string()).collect()))
                .collect(),
        };
        let fill = |t: &String| {
            t.replace("%(app_label)s", label)
                .replace("%(model_name)s", &cm.model_name)
        };
        let methods: Vec<String> = match &view.methods {
            Some(mapped) => served(mapped),
            None => {
                let mut all: Vec<String> = map.iter().map(|(m, _)| m.clone()).collect();
                all.sort_by_key(|m| ORDER.iter().position(|o| o == m).unwrap_or(ORDER.len()));
                all
            }
        };
        let mut out = ModelPerms::default();
        for m in methods {
            match map.iter().find(|(k, _)| *k == m) {
                Some((_, templates)) => {
                    let perms: Vec<String> = templates.iter().map(fill).collect();
                    out.all.extend(perms.iter().cloned());
                    out.by_method.push((m, perms));
                }
                None => out.not_allowed.push(m),
            }
        }
        out.all = dedup(out.all);
        out
    }
}
