//! Which files the index can open from the facts it reads, so that parsing the pre-filtered
//! files plus this closure answers every question exactly as parsing everything would.
//!
//! The closure follows `index/resolve.rs`: a deferred value `Ref { module, path }` opens
//! `module`, then the class or constant `path[0]` there (every value of a class, since the
//! index may read its bases, attributes or `Meta`), else the submodule `module.path[0]` and the
//! star imports. Definition files (models, migrations, settings, app configs, and what
//! `<app>.models` imports inside its app) are read whole, as the index scans them; files kept
//! for their references only need the values of those references.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnostic::FileId;
use crate::facts::FileFacts;
use crate::value::{CompactString, Item, Value};

/// What the closure still has to look at.
enum Work {
    /// Every value of the file (a definition file).
    Full(FileId),
    /// The values of the file's references, data-migration rows and rules names.
    Refs(FileId),
    /// `module.path…` as the resolver looks it up; `true` when it is (part of) INSTALLED_APPS
    /// or AUTHENTICATION_BACKENDS, whose strings may name classes (app configs, backends).
    Demand(String, Vec<CompactString>, bool),
    /// The file is `<prefix>.models` or imported from it inside the app `prefix`: the index
    /// scans its classes for models and follows its imports inside the app.
    App(FileId, String),
    /// A file the index scans for model classes: read whole, but its other names only when
    /// the index may read them by name ([`read_by_name`]).
    Scan(FileId),
}

pub struct Closure<'a> {
    modules: &'a FxHashMap<String, FileId>,
    packages: &'a FxHashMap<String, String>,
    queued: Vec<bool>,
    /// Files to parse in the next wave.
    pub next: Vec<FileId>,
    work: Vec<Work>,
    /// Work waiting for a file to be parsed.
    pending: Vec<Vec<Work>>,
    walked_full: Vec<bool>,
    walked_scan: Vec<bool>,
    walked_refs: Vec<bool>,
    prefixes: Vec<Vec<String>>,
    demands: FxHashSet<String>,
    classes: FxHashSet<(FileId, usize)>,
    constants: FxHashSet<(FileId, String, bool)>,
}

impl<'a> Closure<'a> {
    pub fn new(
        modules: &'a FxHashMap<String, FileId>,
        packages: &'a FxHashMap<String, String>,
        files: usize,
    ) -> Self {
        Closure {
            modules,
            packages,
            queued: vec![false; files],
            next: Vec::new(),
            work: Vec::new(),
            pending: (0..files).map(|_| Vec::new()).collect(),
            walked_full: vec![false; files],
            walked_scan: vec![false; files],
            walked_refs: vec![false; files],
            prefixes: vec![Vec::new(); files],
            demands: FxHashSet::default(),
            classes: FxHashSet::default(),
            constants: FxHashSet::default(),
        }
    }

    pub fn full(&mut self, file: FileId) {
        self.work.push(Work::Full(file));
    }

    /// Read a module whole when it is in the tree (a settings module).
    pub fn full_module(&mut self, module: &str) {
        if let Some(&id) = self.modules.get(module) {
            self.work.push(Work::Full(id));
        }
    }

    pub fn refs(&mut self, file: FileId) {
        self.work.push(Work::Refs(file));
    }

    pub fn app(&mut self, file: FileId, prefix: String) {
        self.work.push(Work::App(file, prefix));
    }

    /// `file` was parsed: its waiting work can run.
    pub fn parsed(&mut self, file: FileId) {
        let waiting = std::mem::take(&mut self.pending[file]);
        self.work.extend(waiting);
    }

    /// Process the work with the facts parsed so far; files still needed go to `next`.
    pub fn run(&mut self, python: &[Option<Box<FileFacts>>]) {
        while let Some(work) = self.work.pop() {
            let file = match &work {
                Work::Full(f) | Work::Refs(f) | Work::App(f, _) | Work::Scan(f) => Some(*f),
                Work::Demand(module, _, _) => self.modules.get(module).copied(),
            };
            let facts = match file {
                Some(f) => match &python[f] {
                    Some(facts) => Some((f, &**facts)),
                    None => {
                        if !std::mem::replace(&mut self.queued[f], true) {
                            self.next.push(f);
                        }
                        self.pending[f].push(work);
                        continue;
                    }
                },
                None => None,
            };
            match work {
                Work::Full(f) => {
                    if !std::mem::replace(&mut self.walked_full[f], true) {
                        if let Some((_, facts)) = facts {
                            // A models or migrations module: its names as a scanned module's.
                            let names = !defines_models(&facts.module) || read_by_name(facts);
                            self.walk_full(f, facts, names);
                        }
                    }
                }
                Work::Scan(f) => {
                    if !self.walked_full[f] && !std::mem::replace(&mut self.walked_scan[f], true) {
                        if let Some((_, facts)) = facts {
                            self.walk_full(f, facts, read_by_name(facts));
                        }
                    }
                }
                Work::Refs(f) => {
                    if !std::mem::replace(&mut self.walked_refs[f], true) {
                        if let Some((_, facts)) = facts {
                            self.walk_registrations(facts);
                            self.walk_refs(facts);
                        }
                    }
                }
                Work::App(f, prefix) => {
                    if self.prefixes[f].contains(&prefix) {
                        continue;
                    }
                    self.work.push(Work::Scan(f));
                    if let Some((_, facts)) = facts {
                        for imported in &facts.imported_modules {
                            let inside = imported
                                .strip_prefix(prefix.as_str())
                                .is_some_and(|rest| rest.starts_with('.'));
                            match (inside, self.modules.get(imported.as_str())) {
                                (true, Some(&id)) => self.work.push(Work::App(id, prefix.clone())),
                                // A module of no app may define models with `Meta.app_label`.
                                (false, Some(&id)) => self.work.push(Work::Scan(id)),
                                _ => {}
                            }
                        }
                    }
                    self.prefixes[f].push(prefix);
                }
                Work::Demand(module, path, apps) => self.demand(&module, &path, apps, facts),
            }
        }
    }

    /// Look up `module.path…` (once per distinct demand).
    fn push_demand(&mut self, module: &str, path: &[CompactString], apps: bool) {
        let mut key = String::with_capacity(module.len() + 16);
        key.push_str(if apps { "+" } else { "-" });
        key.push_str(module);
        for p in path {
            key.push(':');
            key.push_str(p);
        }
        if self.demands.insert(key) {
            self.work
                .push(Work::Demand(module.to_string(), path.to_vec(), apps));
        }
    }

    fn demand(
        &mut self,
        module: &str,
        path: &[CompactString],
        apps: bool,
        facts: Option<(FileId, &FileFacts)>,
    ) {
        let Some((first, rest)) = path.split_first() else {
            return; // a module object
        };
        let sub = if module.is_empty() {
            first.to_string()
        } else {
            format!("{module}.{first}")
        };
        let Some((file, facts)) = facts else {
            // Not a module: `import a.b` then `a.b.c` tries longer names.
            if self.packages.contains_key(&sub) || self.modules.contains_key(&sub) {
                self.push_demand(&sub, rest, apps);
            }
            return;
        };
        if let Some(i) = facts.classes.iter().rposition(|c| c.name == first.as_str()) {
            self.walk_class(file, i, facts);
            return;
        }
        if let Some(value) = facts.constants.get(first.as_str()) {
            if self.constants.insert((file, first.to_string(), apps)) {
                self.value(value, apps);
            }
            return;
        }
        if self.modules.contains_key(&sub) {
            self.push_demand(&sub, rest, apps);
        }
        for star in &facts.star_imports {
            self.push_demand(star, path, apps);
        }
    }

    /// Router and admin registrations and view decorators (`djperm audit`): a urlconf's
    /// `router.register("posts", PostViewSet)` needs the viewset's module.
    fn walk_registrations(&mut self, facts: &FileFacts) {
        for call in &facts.module_calls {
            self.value(&call.receiver, false);
            for a in &call.args {
                self.item(a);
            }
            for (_, a) in &call.kwargs {
                self.item(a);
            }
        }
        for f in &facts.functions {
            for d in &f.decorators {
                self.value(d, false);
            }
        }
    }

    /// Every value of a definition file; its module-level names only when `names`.
    fn walk_full(&mut self, file: FileId, facts: &FileFacts, names: bool) {
        self.walk_registrations(facts);
        if names {
            for (name, value) in &facts.constants {
                // Their strings name classes the index reads (app configs, backends).
                let apps = name == "INSTALLED_APPS" || name == "AUTHENTICATION_BACKENDS";
                if self.constants.insert((file, name.clone(), apps)) {
                    self.value(value, apps);
                }
            }
        }
        for i in 0..facts.classes.len() {
            self.walk_class(file, i, facts);
        }
        // The index reads any name of a settings module, through its star imports.
        for star in &facts.star_imports {
            if let Some(&id) = self.modules.get(star) {
                self.work.push(Work::Full(id));
            }
        }
        // `MIGRATION_MODULES = {"blog": "blog.db_migrations"}`: that package's modules are
        // migrations.
        if let Some(Value::Dict(items)) = facts.constants.get("MIGRATION_MODULES") {
            for (_, v) in items {
                if let Value::Str(package) = &v.value {
                    let prefix = format!("{package}.");
                    for (m, &child) in self.modules {
                        if m.strip_prefix(&prefix).is_some_and(|r| !r.contains('.')) {
                            self.work.push(Work::Full(child));
                        }
                    }
                }
            }
        }
        self.walk_refs(facts);
    }

    fn walk_refs(&mut self, facts: &FileFacts) {
        for r in &facts.references {
            self.item(&r.value);
            for b in r.class_bases.iter().chain(r.callee.as_deref()) {
                self.value(b, false);
            }
            if let Some(l) = &r.lookup {
                if let Some(c) = &l.codename {
                    self.item(c);
                }
                for v in l.app_label.iter().chain(&l.model) {
                    self.value(v, false);
                }
            }
        }
        for row in &facts.perm_rows {
            self.value(&row.codename, false);
            // `get_for_model(Post)`: the index resolves the class to a model.
            if let crate::facts::CtRef::Class { model, .. } = &row.content_type {
                self.value(model, false);
            }
        }
        for i in &facts.rules_perms {
            self.item(i);
        }
        // A class made with what may be a permission (`Button(required=["app.x"])`): its
        // `__init__` and bases may store it where a method checks it (`crate::sinks`).
        for call in &facts.helpers.calls {
            if let Value::Ref { path, .. } | Value::StarRef { path, .. } = &call.callee {
                if path
                    .last()
                    .is_some_and(|p| crate::facts::helpers::is_class_name(p))
                {
                    self.value(&call.callee, false);
                }
            }
        }
        // Routed views: their classes and bases (DJP012, DJP017).
        for (v, _) in &facts.as_view_classes {
            self.value(v, false);
        }
        // DRF views: `permission_classes` and `queryset` (DJP021).
        for c in &facts.classes {
            for key in ["permission_classes", "queryset"] {
                if let Some(item) = c.attrs.get(key) {
                    self.item(item);
                }
            }
            for b in &c.bases {
                self.value(b, false);
            }
        }
    }

    fn walk_class(&mut self, file: FileId, i: usize, facts: &FileFacts) {
        if !self.classes.insert((file, i)) {
            return;
        }
        let c = &facts.classes[i];
        for b in &c.bases {
            self.value(b, false);
        }
        for item in c.attrs.values() {
            self.value(&item.value, false);
        }
        if let Some(meta) = &c.meta {
            for b in &meta.bases {
                self.value(b, false);
            }
            for item in meta.attrs.values() {
                self.value(&item.value, false);
            }
        }
    }

    fn item(&mut self, item: &Item) {
        self.value(&item.value, false);
    }

    /// The demands of a value; `strings`: it is (part of) INSTALLED_APPS.
    fn value(&mut self, value: &Value, strings: bool) {
        match value {
            Value::Ref { module, path } => self.push_demand(module, path, strings),
            Value::StarRef { modules, path } => {
                for m in modules {
                    self.push_demand(m, path, strings);
                }
            }
            Value::Concat(parts) => {
                for p in parts {
                    self.value(p, strings);
                }
            }
            Value::Seq(items) => {
                for i in items {
                    self.value(&i.value, strings);
                }
            }
            Value::Dict(items) => {
                for (k, v) in items {
                    self.value(k, strings);
                    self.value(&v.value, strings);
                }
            }
            Value::Call(call) => {
                for i in &call.args {
                    self.value(&i.value, strings);
                }
                for (_, i) in &call.kwargs {
                    self.value(&i.value, strings);
                }
            }
            Value::Str(s) if strings => self.class_path(s),
            _ => {}
        }
    }

    /// An INSTALLED_APPS entry naming a class in a module (`"blog.config.BlogConfig"`) leads
    /// to that class. Entries naming a package (`"blog"`) lead nowhere: the index needs only the
    /// module map for them, and opens `<app>.apps`, `<app>.models` and migrations, which the
    /// path rules keep. `AUTHENTICATION_BACKENDS` entries lead to their classes too (the index
    /// reads their permission methods); other strings (middleware) are never opened.
    fn class_path(&mut self, s: &str) {
        if !s.contains('.')
            || s.len() > 200
            || !s
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            || self.modules.contains_key(s)
            || self.packages.contains_key(s)
        {
            return;
        }
        if let Some((module, class)) = s.rsplit_once('.') {
            self.push_demand(module, &[class.into()], false);
        }
    }
}

/// Whether the index may read a module-level name of the file without a value naming it: a
/// settings module's (any setting, through the settings it names) or a urlconf's. Of any other
/// module whose classes it scans (models, migrations, what models import), it reads the classes
/// and only the names their values lead to: a table such a module imports for its methods is not
/// followed.
fn read_by_name(facts: &FileFacts) -> bool {
    [
        "INSTALLED_APPS",
        "AUTHENTICATION_BACKENDS",
        "AUTH_USER_MODEL",
        "MIGRATION_MODULES",
        "urlpatterns",
    ]
    .iter()
    .any(|name| facts.constants.contains_key(*name))
}

/// A module of a `models` or `migrations` package (or a `models` module).
fn defines_models(module: &str) -> bool {
    module
        .split('.')
        .any(|p| p == "models" || p == "migrations")
}
