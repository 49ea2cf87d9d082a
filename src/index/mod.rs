//! The permission index: for each Django project in the snapshot, the permissions a fresh
//! `migrate` creates (and the names other backends know), each with where it comes from.

pub mod apps;
pub mod backend_accepts;
pub mod backends;
pub mod bundled;
mod compose;
pub mod contrib;
mod defs;
pub mod migrations;
pub mod models;
mod opaque;
mod per_model;
pub mod resolve;
mod rows;
mod shrink;
pub mod unmigrated;
pub mod version;

use globset::{Glob, GlobMatcher};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use crate::config::Config;
use crate::diagnostic::{FileId, Span};
use crate::value::CompactString;
use crate::workspace::{Timer, Workspace};
use apps::{App, Settings};
use defs::{inferred_entries, perm_defs};
use migrations::{Replay, StateModel};
use models::{CodeModel, ModelFinder};
use resolve::{ClassRef, Resolver};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A builtin action of a model (`default_permissions`).
    Default,
    /// A `Meta.permissions` entry.
    Meta,
    /// A row created by a data migration.
    DataMigration,
    /// A row created by project code outside migrations (signals, commands): not on a fresh DB.
    Code,
    /// A row created by code `migrate` runs (`post_migrate` receivers, `AppConfig.ready()`).
    PostMigrate,
    /// A django-rules permission name (not a DB row).
    Rules,
    /// The `django.contrib` table.
    Contrib,
    /// The bundled table of third-party apps not in the tree.
    Bundled,
    /// `extra-permissions` in the configuration.
    Config,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::Meta => "meta",
            Source::DataMigration => "data-migration",
            Source::Code => "code",
            Source::PostMigrate => "post-migrate",
            Source::Rules => "rules",
            Source::Contrib => "contrib",
            Source::Bundled => "bundled",
            Source::Config => "config",
        }
    }
}

#[derive(Clone, Debug)]
pub struct PermissionDef {
    /// Label, codename and model are held inline up to 24 bytes, as nearly every one is: a
    /// large tree defines a permission per model and action, held until the rules end.
    pub label: CompactString,
    pub codename: CompactString,
    pub model: Option<CompactString>,
    pub in_database: bool,
    pub source: Source,
    /// Where it is defined (Meta entry, model class, data-migration call, rules call).
    pub span: Option<Span>,
}

impl PermissionDef {
    pub fn perm(&self) -> String {
        format!("{}.{}", self.label, self.codename)
    }
}

#[derive(Debug, Default)]
pub struct Project {
    /// Directory (relative) that holds the project's manage.py, "" for the snapshot root.
    pub root: String,
    pub settings: Settings,
    pub apps: Vec<App>,
    pub labels: FxHashMap<String, usize>,
    pub perms: Vec<PermissionDef>,
    /// Label → codename → indexes into `perms` (nearly always one).
    pub by_label: FxHashMap<CompactString, FxHashMap<CompactString, SmallVec<[u32; 2]>>>,
    /// Codename → the labels that define it (sorted), for did-you-mean across labels.
    by_codename: FxHashMap<CompactString, SmallVec<[CompactString; 1]>>,
    /// Label → indexes into `code_models` (non-abstract and abstract alike).
    models_by_label: FxHashMap<String, Vec<usize>>,
    /// Labels whose permission set is not fully known (unscanned apps, unfoldable options).
    pub opaque_labels: FxHashSet<String>,
    /// Codenames created by data migrations whose content type could not be read.
    pub floating_codenames: FxHashSet<String>,
    /// Where the code creating each floating codename is (the first such row), for `explain`.
    pub floating_at: FxHashMap<String, Span>,
    /// Some code creates rows whose label and codename are both unknown.
    pub dynamic_rows: bool,
    /// Where code `migrate` runs creates such rows (the first place), and the tables Django
    /// creates for many-to-many fields (`(label, model_name)`), whose rows only such code makes.
    pub dynamic_at_migrate: Option<(Span, FxHashSet<(String, String)>)>,
    /// Bare (no dot) names registered with django-rules.
    pub bare_rules: FxHashSet<String>,
    /// Some rules names did not fold: bare names may be rules permissions.
    pub rules_opaque: bool,
    pub code_models: Vec<CodeModel>,
    /// Migration state per migrated label (for DJP004).
    pub state: FxHashMap<String, Replay>,
    pub migrated: FxHashSet<String>,
    /// `(label, old model_name, new model_name)`.
    pub renames: Vec<(String, String, String)>,
    pub extra: Vec<GlobMatcher>,
    pub custom_actions: Vec<String>,
    /// Every INSTALLED_APPS entry was resolved to a scanned or contrib app.
    pub apps_complete: bool,
    /// Every label is known: INSTALLED_APPS folded completely and every app in the project has
    /// a certain label; entries that resolve nowhere count with Django's default label (the
    /// entry's last component), and are named in a warning.
    pub labels_known: bool,
    /// True when no settings module was found and apps were inferred from the tree.
    pub inferred: bool,
    /// The Django version the project runs on: `target-django`, else what the environment or
    /// the requirements say, else 5.2; and where it was read.
    pub target_django: (u32, u32),
    pub django_from: String,
    /// What makes Django refuse this project (duplicate app labels, a migration cycle), said
    /// once per run on stderr; the labels concerned are opaque.
    pub warnings: Vec<String>,
}

impl Project {
    pub fn has_label(&self, label: &str) -> bool {
        self.labels.contains_key(label)
    }

    pub fn lookup(&self, label: &str, codename: &str) -> impl Iterator<Item = &PermissionDef> {
        self.by_label
            .get(label)
            .and_then(|m| m.get(codename))
            .into_iter()
            .flatten()
            .map(|&i| &self.perms[i as usize])
    }

    pub fn is_known(&self, label: &str, codename: &str) -> bool {
        if self.lookup(label, codename).next().is_some() {
            return true;
        }
        let perm = format!("{label}.{codename}");
        if self.extra.iter().any(|g| g.is_match(&perm)) {
            return true;
        }
        self.custom_actions.iter().any(|a| {
            codename == a
                || codename
                    .strip_prefix(a.as_str())
                    .is_some_and(|rest| rest.starts_with('_'))
        })
    }

    /// Labels (sorted) that define `codename`.
    pub fn labels_defining(&self, codename: &str) -> Vec<&str> {
        self.by_codename
            .get(codename)
            .map(|labels| labels.iter().map(CompactString::as_str).collect())
            .unwrap_or_default()
    }

    /// The code model of class `name` in `file` (views, DRF and admin name model classes).
    pub fn code_model_at(&self, file: FileId, name: &str) -> Option<&CodeModel> {
        self.code_models
            .iter()
            .find(|m| m.file == file && m.object_name == name)
    }

    /// The code models whose label is `label`.
    pub fn code_models_of<'a>(&'a self, label: &str) -> impl Iterator<Item = &'a CodeModel> + 'a {
        self.models_by_label
            .get(label)
            .into_iter()
            .flatten()
            .map(|&i| &self.code_models[i])
    }

    /// The model names in `label` that have `codename` (for lookups).
    pub fn models_with(&self, label: &str, codename: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .lookup(label, codename)
            .filter(|p| p.in_database)
            .filter_map(|p| p.model.as_ref().map(|m| m.to_string()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Lowercase model names known under `label` (from its permissions and its code).
    pub fn model_names(&self, label: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .by_label
            .get(label)
            .into_iter()
            .flat_map(|m| m.values().flatten())
            .filter_map(|&i| self.perms[i as usize].model.as_deref())
            .chain(self.code_models_of(label).map(|m| m.model_name.as_str()))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every permission under `label`.
    pub fn lookup_label<'a>(&'a self, label: &str) -> impl Iterator<Item = &'a PermissionDef> + 'a {
        self.by_label
            .get(label)
            .into_iter()
            .flat_map(|m| m.values().flatten())
            .map(|&i| &self.perms[i as usize])
    }

    pub fn app(&self, label: &str) -> Option<&App> {
        self.labels.get(label).map(|&i| &self.apps[i])
    }

    fn add(&mut self, def: PermissionDef) {
        let i = u32::try_from(self.perms.len()).expect("fewer than 4 billion permissions");
        self.by_label
            .entry(def.label.clone())
            .or_default()
            .entry(def.codename.clone())
            .or_default()
            .push(i);
        let labels = self.by_codename.entry(def.codename.clone()).or_default();
        if let Err(at) = labels.binary_search(&def.label) {
            labels.insert(at, def.label.clone());
        }
        self.perms.push(def);
    }

    fn set_code_models(&mut self, code_models: Vec<CodeModel>) {
        self.models_by_label.clear();
        for (i, m) in code_models.iter().enumerate() {
            if let Some(label) = &m.label {
                self.models_by_label
                    .entry(label.clone())
                    .or_default()
                    .push(i);
            }
        }
        self.code_models = code_models;
    }
}

/// All projects of a workspace.
#[derive(Debug)]
pub struct Index {
    pub projects: Vec<Project>,
}

impl Index {
    pub fn build(ws: &Workspace, config: &Config) -> Index {
        let timer = Timer::start();
        let resolver = Resolver::new(ws);
        timer.report("  resolver", format_args!(""));
        let mut projects: Vec<Project> =
            apps::find_settings_modules(ws, config.settings.as_deref())
                .into_iter()
                .map(|(root, module)| build_project(ws, &resolver, root, Some(module), config))
                .collect();
        if projects.is_empty() {
            projects.push(build_project(ws, &resolver, String::new(), None, config));
        }
        Index { projects }
    }

    /// The project a file belongs to: the deepest project root containing it.
    pub fn project_for(&self, path: &str) -> &Project {
        self.projects
            .iter()
            .filter(|p| p.root.is_empty() || path.starts_with(&format!("{}/", p.root)))
            .max_by_key(|p| p.root.len())
            .unwrap_or(&self.projects[0])
    }
}

fn build_project(
    ws: &Workspace,
    resolver: &Resolver<'_>,
    root: String,
    settings_module: Option<String>,
    config: &Config,
) -> Project {
    let mut project = Project {
        root,
        ..Project::default()
    };
    let mut settings = match &settings_module {
        Some(m) => compose::read(resolver, m, config),
        None => Settings {
            installed_apps: inferred_entries(ws),
            apps_incomplete: true,
            auth_user_model: None,
            backends: None,
            ..Settings::default()
        },
    };
    // A settings file that does not parse says nothing: read the project as if it had none
    // (apps from the tree, any backend, any user model) rather than assume Django's defaults.
    let settings_unreadable = settings
        .file
        .and_then(|f| ws.python[f].as_ref())
        .is_some_and(|f| f.syntax_error.is_some());
    if settings_unreadable {
        settings.auth_user_model = None;
        settings.backends = None;
        settings.apps_incomplete = true;
    }
    if settings.installed_apps.is_empty() && settings_module.is_some() {
        // INSTALLED_APPS did not fold at all: fall back to the apps found in the tree.
        settings.installed_apps = inferred_entries(ws);
        settings.apps_incomplete = true;
    }
    project.inferred = settings_module.is_none() || settings_unreadable;
    if project.inferred {
        settings.installed_apps.extend([
            "django.contrib.auth".to_string(),
            "django.contrib.contenttypes".to_string(),
        ]);
    }
    project.extra = config
        .extra_permissions
        .iter()
        .filter_map(|p| Glob::new(p).ok().map(|g| g.compile_matcher()))
        .collect();
    project.custom_actions = config.custom_actions.clone();
    (project.target_django, project.django_from) = version::target(config, ws);

    let timer = Timer::start();
    for entry in &settings.installed_apps {
        let mut app = apps::resolve_app(resolver, entry);
        app.conditional = settings.conditional_apps.contains(entry);
        bundled::recognise(&mut app);
        if (!app.scanned() && !app.contrib && !app.bundled) || !app.label_certain {
            project.opaque_labels.insert(app.label.clone());
        }
        if let Some(&first) = project.labels.get(&app.label) {
            let first = &project.apps[first];
            // The same entry twice is left alone: both branches of an `if` are read.
            if first.name != app.name && !project.inferred {
                let at = settings.file.map_or("the settings", |f| ws.path(f));
                let warning = apps::duplicate_label_warning(at, &app.label, &first.name, &app.name);
                project.warnings.push(warning);
                project.opaque_labels.insert(app.label.clone());
            }
        }
        project
            .labels
            .entry(app.label.clone())
            .or_insert(project.apps.len());
        project.apps.push(app);
    }
    let at = settings.file.map_or("the settings", |f| ws.path(f));
    if !project.inferred {
        project
            .warnings
            .extend(apps::unresolved_warning(&project.apps, at));
    }
    let warnings = backends::classify(resolver, &mut settings, &project.apps, at);
    project.warnings.extend(warnings);
    project.labels_known = apps::labels_known(&settings, &project.apps);
    project.apps_complete = !settings.apps_incomplete
        && project
            .apps
            .iter()
            .all(|a| a.scanned() || a.contrib || a.label_certain);

    // Code models: classes in each scanned app's models module (and what it imports).
    let mut finder = ModelFinder::new(resolver).with_app_roots(
        (project.apps.iter().map(|a| a.name.as_str()))
            .chain(ws.packages.keys().map(String::as_str)),
    );
    // Scanned app by package name; a module belongs to the app of its longest dotted prefix.
    let mut scanned_by_name: FxHashMap<&str, &App> = FxHashMap::default();
    for a in project.apps.iter().filter(|a| a.scanned()) {
        scanned_by_name.insert(a.name.as_str(), a);
    }
    let app_of_module = |module: &str| -> Option<&App> {
        let mut prefix = module;
        loop {
            if let Some(app) = scanned_by_name.get(prefix) {
                return Some(app);
            }
            prefix = &prefix[..prefix.rfind('.')?];
        }
    };
    // (file, its module name as the app sees it): a manage.py inside a package gives files a
    // shorter primary name than the one INSTALLED_APPS uses.
    let mut model_files: Vec<(FileId, String)> = Vec::new();
    for app in project
        .apps
        .iter()
        .filter(|a| a.scanned() && a.has_models_module)
    {
        let root = format!("{}.models", app.name);
        let mut queue = vec![root.clone()];
        let mut seen: FxHashSet<String> = FxHashSet::default();
        let app_prefix = format!("{}.", app.name);
        while let Some(m) = queue.pop() {
            if !seen.insert(m.clone()) {
                continue;
            }
            let Some(file) = ws.module_file(&m) else {
                continue;
            };
            model_files.push((file, m.clone()));
            if let Some(facts) = &ws.python[file] {
                let outer = m.strip_suffix(facts.module.as_str()).unwrap_or("");
                for imported in &facts.imported_modules {
                    let full = if imported.starts_with(&app_prefix) {
                        imported.to_string()
                    } else {
                        format!("{outer}{imported}")
                    };
                    if full.starts_with(&app_prefix) && ws.modules.contains_key(&full) {
                        queue.push(full);
                    } else if let (false, Some(outside)) = (
                        [imported.as_str(), &full]
                            .iter()
                            .any(|f| app_of_module(f).is_some()),
                        [imported.as_str(), &full]
                            .into_iter()
                            .find(|f| ws.modules.contains_key(*f)),
                    ) {
                        // A module of no app: its models need `Meta.app_label` (not followed on).
                        if let Some(file) = ws.module_file(outside) {
                            model_files.push((file, outside.to_string()));
                        }
                    }
                }
            }
        }
    }
    timer.report("  apps", format_args!("{} apps", project.apps.len()));
    let timer = Timer::start();
    // A file known under an app's module name and another: the app's name wins.
    model_files.sort_by_cached_key(|(f, m)| (*f, app_of_module(m).is_none(), m.clone()));
    model_files.dedup_by(|a, b| a.0 == b.0);
    let mut code_models = Vec::new();
    let mut unreadable_labels = Vec::new();
    for (file, module) in model_files {
        let Some(facts) = ws.python[file].as_ref() else {
            continue;
        };
        let containing = app_of_module(&module).map(|a| a.label.clone());
        if facts.syntax_error.is_some() {
            // Its models are unknown: say nothing about this app's permissions.
            unreadable_labels.extend(containing.clone());
            continue;
        }
        for class in &facts.classes {
            let c = ClassRef {
                file,
                module: &facts.module,
                class,
            };
            if finder.is_model(c, 0) {
                let model = finder.model(c, containing.as_deref());
                if model.label.is_some() || model.label_opaque {
                    code_models.push(model);
                }
            }
        }
    }

    timer.report(
        "  models",
        format_args!("{} code models", code_models.len()),
    );
    let timer = Timer::start();
    project.opaque_labels.extend(unreadable_labels);
    let swapped = |label: &str, object_name: &str, swappable: Option<&str>| -> bool {
        let Some(setting) = swappable else {
            return false;
        };
        let target = if setting == "AUTH_USER_MODEL" {
            settings.auth_user_model.clone()
        } else {
            settings_module.as_deref().and_then(|m| {
                resolver
                    .module_value(m, setting)
                    .as_str()
                    .map(str::to_string)
            })
        };
        match target {
            Some(t) => !t.eq_ignore_ascii_case(&format!("{label}.{object_name}")),
            None => false,
        }
    };

    // Migrated or not, per scanned app: its migrations package, if it is a regular package.
    let apps_list = project.apps.clone();
    let migration_packages: Vec<(&App, String)> = apps_list
        .iter()
        .filter(|a| a.scanned())
        .filter_map(|app| {
            let module = match settings.migration_modules.get(&app.label) {
                Some(None) => None,
                Some(Some(m)) => Some(m.clone()),
                None => Some(format!("{}.migrations", app.name)),
            };
            let module = module.filter(|m| ws.regular_packages.contains_key(m))?;
            Some((app, module))
        })
        .collect();
    let wanted: FxHashSet<&str> = migration_packages.iter().map(|(_, m)| m.as_str()).collect();
    let mut children: FxHashMap<&str, Vec<(String, FileId)>> = FxHashMap::default();
    for (module, &file) in &ws.modules {
        if let Some((parent, name)) = module.rsplit_once('.') {
            if wanted.contains(parent) {
                children
                    .entry(parent)
                    .or_default()
                    .push((name.to_string(), file));
            }
        }
    }
    for list in children.values_mut() {
        list.sort();
    }
    let south = version::south_apps(ws, &migration_packages, &children, &mut project.warnings);
    // Each app's migrations replay on their own: in parallel, merged in INSTALLED_APPS order.
    let replays: Vec<(&App, Replay)> = migration_packages
        .par_iter()
        .filter(|(app, _)| !south.contains(&app.label))
        .map(|(app, module)| {
            let kids = children
                .get(module.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            (*app, migrations::replay(resolver, &app.label, module, kids))
        })
        .collect();
    for (app, replay) in replays {
        project.migrated.insert(app.label.clone());
        if !replay.cycle.is_empty() {
            project.warnings.push(format!(
                "the migrations of `{}` depend on each other in a cycle ({}): `migrate` fails (CircularDependencyError); djperm says nothing about `{}` permissions",
                app.label,
                replay.cycle.join(", "),
                app.label
            ));
        }
        if replay.opaque {
            project.opaque_labels.insert(app.label.clone());
        }
        for (old, new) in &replay.renames {
            project
                .renames
                .push((app.label.clone(), old.clone(), new.clone()));
        }
        project.state.insert(app.label.clone(), replay);
    }
    if settings.migration_modules_opaque {
        for app in &apps_list {
            project.opaque_labels.insert(app.label.clone());
        }
    }

    timer.report(
        "  replay",
        format_args!("{} migrated apps", project.state.len()),
    );
    let timer = Timer::start();
    // (label, model_name) → code model: one lookup per migrated model, not a scan.
    let mut code_by_key: FxHashMap<(&str, &str), &CodeModel> = FxHashMap::default();
    for c in &code_models {
        if let Some(label) = c.label.as_deref() {
            code_by_key
                .entry((label, c.model_name.as_str()))
                .or_insert(c);
        }
    }
    // Fresh-DB permissions.
    let v = version::for_defaults(project.target_django, ws);
    for app in apps_list.iter() {
        bundled::add_rows(&mut project, app, &|l, o, s| swapped(l, o, Some(s)));
        if app.contrib && !app.scanned() {
            if let Some(table) = contrib::app(&app.label) {
                for model in &table.models {
                    let is_swapped = model
                        .swappable
                        .as_deref()
                        .is_some_and(|s| swapped(&app.label, &model.object_name, Some(s)));
                    let unknown_user =
                        model.swappable.is_some() && settings.auth_user_model.is_none();
                    if is_swapped {
                        continue;
                    }
                    for p in model
                        .permissions
                        .iter()
                        .filter(|p| version::exists(&p.codename, v))
                    {
                        project.add(PermissionDef {
                            label: app.label.as_str().into(),
                            codename: p.codename.as_str().into(),
                            model: Some(model.model.as_str().into()),
                            in_database: !unknown_user,
                            source: Source::Contrib,
                            span: None,
                        });
                    }
                }
            }
            continue;
        }
        if !app.scanned() || !app.has_models_module {
            continue;
        }
        if let Some(replay) = project.state.get(&app.label) {
            let mut models: Vec<&StateModel> = replay.models.values().collect();
            models.sort_by(|a, b| a.model_name.cmp(&b.model_name));
            let mut defs = Vec::new();
            let mut opaque = false;
            for m in models {
                if swapped(&app.label, &m.name, m.option_str("swappable")) {
                    continue;
                }
                let code = code_by_key
                    .get(&(app.label.as_str(), m.model_name.as_str()))
                    .copied();
                match perm_defs(
                    &app.label,
                    &m.model_name,
                    &m.perm_options(),
                    code,
                    m.span,
                    v,
                ) {
                    Some(d) => defs.extend(d),
                    None => opaque = true,
                }
            }
            if opaque {
                project.opaque_labels.insert(app.label.clone());
            }
            for d in defs {
                project.add(d);
            }
        } else {
            let mut defs = Vec::new();
            let mut opaque = false;
            for m in code_models
                .iter()
                .filter(|c| c.label.as_deref() == Some(&app.label) && !c.abstract_)
            {
                if swapped(&app.label, &m.object_name, m.swappable.as_deref()) {
                    continue;
                }
                match perm_defs(&app.label, &m.model_name, &m.options, Some(m), m.span, v) {
                    Some(d) => defs.extend(d),
                    None => opaque = true,
                }
            }
            if opaque {
                project.opaque_labels.insert(app.label.clone());
            }
            for d in defs {
                project.add(d);
            }
        }
    }
    if code_models.iter().any(|m| m.label_opaque) {
        project.rules_opaque = true;
    }

    timer.report(
        "  fresh-db",
        format_args!("{} permissions", project.perms.len()),
    );
    let timer = Timer::start();
    let tables = per_model::Tables {
        ws,
        resolver,
        code_models: &code_models,
        swapped: &|l: &str, o: &str, s: Option<&str>| swapped(l, o, s),
    };
    rows::add_rows(&mut project, ws, resolver, &tables, v);
    for m in &code_models {
        if let (Some(label), false) = (&m.label, m.abstract_) {
            for action in &m.rules_permissions {
                project.add(PermissionDef {
                    label: label.as_str().into(),
                    codename: compact_str::format_compact!("{action}_{}", m.model_name),
                    model: Some(m.model_name.as_str().into()),
                    in_database: false,
                    source: Source::Rules,
                    span: Some(m.span),
                });
            }
        }
    }
    for perm in &config.extra_permissions {
        if perm.contains(['*', '?', '[']) {
            continue;
        }
        if let Some((label, codename)) = perm.split_once('.') {
            project.add(PermissionDef {
                label: label.into(),
                codename: codename.into(),
                model: None,
                in_database: false,
                source: Source::Config,
                span: None,
            });
        }
    }
    timer.report("  rows", format_args!(""));
    project.set_code_models(code_models);
    project.settings = settings;
    unmigrated::add_declared(&mut project);
    project.shrink();
    project
}
