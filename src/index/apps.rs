//! Projects, settings and installed apps.

use rustc_hash::FxHashMap;

use crate::diagnostic::FileId;
use crate::index::resolve::{ClassRef, Resolver, Target};
use crate::value::Value;
use crate::workspace::{settings_from_manage, split_dir, Workspace};

/// Labels of third-party apps whose label differs from the last component of their name.
const KNOWN_LABELS: &[(&str, &str)] = &[
    ("rest_framework.authtoken", "authtoken"),
    ("wagtail", "wagtailcore"),
    ("wagtail.admin", "wagtailadmin"),
    ("wagtail.users", "wagtailusers"),
    ("wagtail.documents", "wagtaildocs"),
    ("wagtail.images", "wagtailimages"),
    ("wagtail.snippets", "wagtailsnippets"),
    ("wagtail.search", "wagtailsearch"),
    ("wagtail.sites", "wagtailsites"),
    ("wagtail.embeds", "wagtailembeds"),
    ("wagtail.locales", "wagtaillocales"),
    ("wagtail.contrib.forms", "wagtailforms"),
    ("wagtail.contrib.redirects", "wagtailredirects"),
    ("django.contrib.admin.apps.SimpleAdminConfig", "admin"),
    ("django.contrib.gis", "gis"),
];

#[derive(Clone, Debug)]
pub struct App {
    /// The INSTALLED_APPS entry as written.
    pub entry: String,
    /// The app's Python package (`AppConfig.name`).
    pub name: String,
    pub label: String,
    /// Package directory in the snapshot; `None` for apps not in the tree.
    pub dir: Option<String>,
    pub contrib: bool,
    /// The label came from reading the app's code (or a known table), not a guess.
    pub label_certain: bool,
    pub has_models_module: bool,
    /// The settings add it inside an `if` (one of several configurations).
    pub conditional: bool,
    /// Not in the tree, known from the bundled table of third-party apps (`env::bundled`).
    pub bundled: bool,
}

impl App {
    pub fn scanned(&self) -> bool {
        self.dir.is_some()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub module: Option<String>,
    pub file: Option<FileId>,
    pub installed_apps: Vec<String>,
    /// INSTALLED_APPS entries written inside a module-level `if` of a settings file: installed
    /// in some configurations only (settings that swap one app for another).
    pub conditional_apps: Vec<String>,
    /// INSTALLED_APPS had parts that did not fold.
    pub apps_incomplete: bool,
    /// `"label.Model"`; `None` when it did not fold.
    pub auth_user_model: Option<String>,
    /// `None` when it did not fold.
    pub backends: Option<Vec<String>>,
    /// Backends read in the project that define no permission method: they only authenticate.
    pub auth_only_backends: Vec<String>,
    /// Why no permission string can be judged (every backend answers `has_perm` itself, or the
    /// user model overrides it); see `backends::classify`.
    pub own_checker: Option<String>,
    /// Backends whose own `has_perm` accepts only these strings besides ModelBackend's
    /// (`backend_accepts`).
    pub narrowed_backends: Vec<(String, Vec<crate::index::backend_accepts::Accept>)>,
    /// label → module (None = `None`, i.e. unmigrated). Missing key = default.
    pub migration_modules: FxHashMap<String, Option<String>>,
    pub migration_modules_opaque: bool,
}

impl Settings {
    pub fn has_object_backend(&self) -> bool {
        match &self.backends {
            None => true,
            Some(list) => list.iter().any(|b| {
                !b.starts_with("django.contrib.auth.backends.")
                    && !self.auth_only_backends.contains(b)
            }),
        }
    }

    pub fn custom_backends(&self) -> Vec<&str> {
        match &self.backends {
            None => Vec::new(),
            Some(list) => list
                .iter()
                .map(String::as_str)
                .filter(|b| {
                    // Known packages' backends (guardian, rules, axes, allauth…) are classified
                    // by the bundled table; only their own permission methods make one custom.
                    // Other paths of the packages that grant nothing of their own stay known.
                    let known = match crate::env::bundled::backend(b) {
                        Some(k) => k.kind != crate::env::bundled::BackendKind::Custom,
                        None => ["guardian.", "rules.", "axes."]
                            .iter()
                            .any(|p| b.starts_with(p)),
                    };
                    !b.starts_with("django.contrib.auth.backends.")
                        && !known
                        && !b.ends_with("ModelBackend")
                        && !self.auth_only_backends.iter().any(|a| a == b)
                        && !self.narrowed_backends.iter().any(|(n, _)| n == b)
                })
                .collect(),
        }
    }

    /// A backend whose own `has_perm` was read accepts `text`.
    pub fn narrowed_accepts(&self, text: &str) -> Option<&str> {
        self.narrowed_backends
            .iter()
            .find(|(_, list)| list.iter().any(|a| a.matches(text)))
            .map(|(name, _)| name.as_str())
    }

    pub fn rules_backend(&self) -> bool {
        self.backends
            .as_ref()
            .is_some_and(|l| l.iter().any(|b| b.starts_with("rules.")))
    }

    pub fn user_model(&self) -> Option<(String, String)> {
        let s = self.auth_user_model.as_deref()?;
        let (label, model) = s.split_once('.')?;
        Some((label.to_string(), model.to_lowercase()))
    }
}

pub fn read_settings(resolver: &Resolver<'_>, module: &str) -> Settings {
    let ws = resolver.ws;
    let mut settings = Settings {
        module: Some(module.to_string()),
        file: ws.module_file(module),
        ..Settings::default()
    };
    match resolver.module_value(module, "INSTALLED_APPS") {
        Value::Seq(items) => {
            for item in items {
                match item.value {
                    Value::Str(s) => {
                        if ws.python[item.span.file]
                            .as_ref()
                            .is_some_and(|f| f.in_conditional(item.span))
                        {
                            settings.conditional_apps.push(s.to_string());
                        }
                        settings.installed_apps.push(s.into());
                    }
                    _ => settings.apps_incomplete = true,
                }
            }
        }
        _ => settings.apps_incomplete = true,
    }
    let defined = |name: &str| -> bool {
        !matches!(resolver.target(module, &[name.into()], 0), Target::Unknown)
    };
    settings.auth_user_model = if defined("AUTH_USER_MODEL") {
        resolver
            .module_value(module, "AUTH_USER_MODEL")
            .as_str()
            .map(str::to_string)
    } else {
        Some("auth.User".to_string())
    };
    settings.backends = if defined("AUTHENTICATION_BACKENDS") {
        match resolver.module_value(module, "AUTHENTICATION_BACKENDS") {
            // Unknown entries (`*REMOTE_AUTH_BACKEND`) count as a custom backend.
            Value::Seq(items) => Some(
                items
                    .iter()
                    .map(|i| i.value.as_str().unwrap_or("<unknown backend>").to_string())
                    .collect(),
            ),
            _ => None,
        }
    } else {
        Some(vec!["django.contrib.auth.backends.ModelBackend".to_string()])
    };
    if defined("MIGRATION_MODULES") {
        match resolver.module_value(module, "MIGRATION_MODULES") {
            Value::Dict(items) => {
                for (k, v) in items {
                    match (k.as_str(), &v.value) {
                        (Some(label), Value::Str(m)) => {
                            settings
                                .migration_modules
                                .insert(label.to_string(), Some(m.to_string()));
                        }
                        (Some(label), Value::None) => {
                            settings.migration_modules.insert(label.to_string(), None);
                        }
                        _ => settings.migration_modules_opaque = true,
                    }
                }
            }
            _ => settings.migration_modules_opaque = true,
        }
    }
    settings
}

fn contrib_label(entry: &str) -> Option<&str> {
    let rest = entry.strip_prefix("django.contrib.")?;
    let first = rest.split('.').next()?;
    Some(first)
}

/// AppConfig subclasses defined (or imported) in `<package>.apps`, per `AppConfig.create`.
fn auto_config<'w>(resolver: &Resolver<'w>, package: &str) -> Option<ClassRef<'w>> {
    let module = format!("{package}.apps");
    let file = resolver.ws.module_file(&module)?;
    let facts = resolver.ws.python[file].as_ref()?;
    let mut candidates: Vec<ClassRef<'w>> = Vec::new();
    for class in &facts.classes {
        let c = ClassRef {
            file,
            module: &facts.module,
            class,
        };
        if is_app_config(resolver, c, 0) {
            candidates.push(c);
        }
    }
    let enabled: Vec<ClassRef<'w>> = candidates
        .iter()
        .copied()
        .filter(|c| {
            config_attr(resolver, *c, "default", 0).and_then(|v| v.as_bool()) != Some(false)
        })
        .collect();
    if enabled.len() == 1 {
        return Some(enabled[0]);
    }
    let defaults: Vec<ClassRef<'w>> = enabled
        .into_iter()
        .filter(|c| {
            c.class
                .attrs
                .get("default")
                .and_then(|i| resolver.resolve(&i.value, 0).as_bool())
                == Some(true)
        })
        .collect();
    (defaults.len() == 1).then(|| defaults[0])
}

fn is_app_config(resolver: &Resolver<'_>, class: ClassRef<'_>, depth: u32) -> bool {
    if depth > 16 {
        return false;
    }
    class
        .class
        .bases
        .iter()
        .any(|b| match resolver.base_target(b, 0) {
            Target::Class(c) => is_app_config(resolver, c, depth + 1),
            Target::External(name) => name.ends_with("AppConfig") || name.ends_with("Config"),
            _ => false,
        })
}

/// A class attribute of an AppConfig, inherited through project base classes.
fn config_attr(
    resolver: &Resolver<'_>,
    class: ClassRef<'_>,
    name: &str,
    depth: u32,
) -> Option<Value> {
    if depth > 16 {
        return None;
    }
    if let Some(item) = class.class.attrs.get(name) {
        return Some(resolver.resolve(&item.value, 0));
    }
    for b in &class.class.bases {
        if let Some(base) = resolver.base_class("", b, 0) {
            if let Some(v) = config_attr(resolver, base, name, depth + 1) {
                return Some(v);
            }
        }
    }
    None
}

fn last_component(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

pub fn resolve_app(resolver: &Resolver<'_>, entry: &str) -> App {
    let ws = resolver.ws;
    if let Some(label) = KNOWN_LABELS
        .iter()
        .find(|(e, _)| *e == entry)
        .map(|(_, l)| *l)
    {
        if !ws.packages.contains_key(entry) {
            return App {
                entry: entry.to_string(),
                name: entry.to_string(),
                label: label.to_string(),
                dir: None,
                contrib: entry.starts_with("django.contrib."),
                label_certain: true,
                has_models_module: entry.starts_with("django.contrib.admin"),
                conditional: false,
                bundled: false,
            };
        }
    }
    if let Some(label) = contrib_label(entry) {
        if !ws.packages.contains_key("django.contrib") {
            return App {
                entry: entry.to_string(),
                name: format!("django.contrib.{label}"),
                label: label.to_string(),
                dir: None,
                contrib: true,
                label_certain: true,
                has_models_module: crate::index::contrib::has_models(label),
                conditional: false,
                bundled: false,
            };
        }
    }
    // An explicit AppConfig path: "pkg.apps.PkgConfig".
    let mut config: Option<ClassRef<'_>> = None;
    let mut package = entry.to_string();
    if !ws.packages.contains_key(entry) {
        if let Some((module, class)) = entry.rsplit_once('.') {
            if let Some(c) = resolver.class(module, class) {
                config = Some(c);
                package = match config_attr(resolver, c, "name", 0) {
                    Some(Value::Str(n)) => n.into(),
                    _ => module
                        .rsplit_once('.')
                        .map(|(p, _)| p.to_string())
                        .unwrap_or_default(),
                };
            }
        }
    } else {
        config = auto_config(resolver, entry);
        if let Some(c) = config {
            if let Some(Value::Str(n)) = config_attr(resolver, c, "name", 0) {
                package = n.into();
            }
        }
    }
    let dir = ws.packages.get(&package).cloned();
    let mut label_certain = dir.is_some();
    let label = match config.and_then(|c| config_attr(resolver, c, "label", 0)) {
        Some(Value::Str(l)) => l.into(),
        Some(_) => {
            label_certain = false;
            last_component(&package).to_string()
        }
        None => last_component(&package).to_string(),
    };
    let has_models_module = ws.modules.contains_key(&format!("{package}.models"));
    App {
        entry: entry.to_string(),
        name: package,
        label,
        dir,
        contrib: false,
        label_certain,
        has_models_module,
        conditional: false,
        bundled: false,
    }
}

/// Settings modules of the projects in the snapshot: from each manage.py, else the settings-like
/// modules that define INSTALLED_APPS.
pub fn find_settings_modules(ws: &Workspace, configured: Option<&str>) -> Vec<(String, String)> {
    if let Some(module) = configured {
        return vec![(String::new(), module.to_string())];
    }
    let mut found: Vec<(String, String)> = Vec::new();
    for f in ws.snapshot.files.iter().filter(|f| !f.in_environment()) {
        let (dir, name) = split_dir(&f.path);
        if name != "manage.py" {
            continue;
        }
        if let Some(module) = settings_from_manage(&f.text) {
            if ws.modules.contains_key(&module) {
                found.push((dir.to_string(), module));
            }
        }
    }
    if !found.is_empty() {
        return found;
    }
    // No manage.py that names a settings module in the tree: look for settings modules.
    let mut candidates: Vec<(usize, String, String)> = Vec::new();
    for (id, facts) in ws.python.iter().enumerate() {
        let Some(facts) = facts else { continue };
        let path = ws.path(id);
        if !facts.constants.contains_key("INSTALLED_APPS")
            || !path.contains("settings")
            || ws.in_environment(id)
        {
            continue;
        }
        let n = facts.constants["INSTALLED_APPS"]
            .as_seq()
            .map_or(0, |s| s.len());
        candidates.push((n, path.to_string(), facts.module.clone()));
    }
    // Prefer a module that star-imports another (the leaf of a split settings package).
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.len().cmp(&b.1.len())));
    candidates
        .into_iter()
        .take(1)
        .map(|(_, path, module)| (split_dir(&path).0.to_string(), module))
        .collect()
}

/// Never silently silent: INSTALLED_APPS entries that resolve nowhere (neither in the project
/// nor Django's own) leave their labels unchecked; one warning names them.
pub fn unresolved_warning(apps: &[App], at: &str) -> Option<String> {
    let unresolved: Vec<&str> = apps
        .iter()
        .filter(|a| !a.scanned() && !a.contrib && !a.bundled && !a.name.starts_with("django."))
        .map(|a| a.name.as_str())
        .collect();
    if unresolved.is_empty() {
        return None;
    }
    let shown: Vec<String> = unresolved
        .iter()
        .take(6)
        .map(|n| format!("`{n}`"))
        .collect();
    let more = match unresolved.len() - shown.len() {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let (verb, their) = if unresolved.len() == 1 {
        ("entry is", "its")
    } else {
        ("entries are", "their")
    };
    Some(format!(
        "{at}: {} INSTALLED_APPS {verb} not in the project ({}{more}): djperm does not know {their} permissions and does not check {their} labels",
        unresolved.len(),
        shown.join(", "),
    ))
}

/// Every label is known: INSTALLED_APPS folded completely and every app of the project has a
/// certain label (entries outside the project count with Django's default label).
pub fn labels_known(settings: &Settings, apps: &[App]) -> bool {
    !settings.apps_incomplete
        && apps
            .iter()
            .all(|a| !a.scanned() || a.contrib || a.label_certain)
}

/// Two INSTALLED_APPS entries with one label: Django refuses to start.
pub fn duplicate_label_warning(at: &str, label: &str, first: &str, second: &str) -> String {
    format!(
        "{at}: INSTALLED_APPS has two apps labelled `{label}` (`{first}` and `{second}`): Django refuses to start (ImproperlyConfigured: Application labels aren't unique); djperm says nothing about `{label}` permissions"
    )
}
