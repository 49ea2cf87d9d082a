//! Which other files the facts of one file can lead the index to: every module a deferred value
//! names (`Ref`, `StarRef`, with the submodules its path may reach), star imports, and modules
//! holding a class named by a dotted string in module constants (`INSTALLED_APPS` config paths).
//! A superset of what `index/resolve.rs` can open from these facts, so parsing the pre-filtered
//! files plus this closure gives the index the same answers as parsing everything.

use rustc_hash::FxHashMap;

use crate::diagnostic::FileId;
use crate::facts::FileFacts;
use crate::python::value::{Item, Value};

pub struct Deps<'a> {
    modules: &'a FxHashMap<String, FileId>,
    packages: &'a FxHashMap<String, String>,
    pub out: Vec<FileId>,
}

impl<'a> Deps<'a> {
    pub fn new(
        modules: &'a FxHashMap<String, FileId>,
        packages: &'a FxHashMap<String, String>,
    ) -> Self {
        Deps {
            modules,
            packages,
            out: Vec::new(),
        }
    }

    fn module(&mut self, name: &str) {
        if let Some(&id) = self.modules.get(name) {
            self.out.push(id);
        }
    }

    /// `module`, `module.p0`, `module.p0.p1`, …: the resolver tries submodules along the path.
    fn dotted(&mut self, module: &str, path: &[String]) {
        let mut name = module.to_string();
        if !name.is_empty() {
            self.module(&name);
        }
        for p in path {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(p);
            self.module(&name);
        }
    }

    pub fn value(&mut self, value: &Value, strings: bool) {
        match value {
            Value::Ref { module, path } => self.dotted(module, path),
            Value::StarRef { modules, path } => {
                for m in modules {
                    self.dotted(m, path);
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
            Value::Call { args, kwargs, .. } => {
                for i in args {
                    self.value(&i.value, strings);
                }
                for (_, i) in kwargs {
                    self.value(&i.value, strings);
                }
            }
            Value::Str(s) if strings => self.string(s),
            _ => {}
        }
    }

    fn item(&mut self, item: &Item) {
        self.value(&item.value, false);
    }

    /// A dotted string naming a class in a module (`"blog.config.BlogConfig"` in
    /// INSTALLED_APPS) leads to that module. Strings naming a module or a package
    /// (`"acme.urls"`, `"blog"`) do not: the index only needs the module map for those, and
    /// opens `<app>.apps` / `<app>.models` / migrations, which the path rules keep.
    fn string(&mut self, s: &str) {
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
        if let Some((module, _)) = s.rsplit_once('.') {
            self.module(module);
        }
    }

    pub fn facts(&mut self, facts: &FileFacts) {
        for m in &facts.star_imports {
            self.module(m);
        }
        for v in facts.constants.values() {
            self.value(v, true);
        }
        for c in &facts.classes {
            for b in &c.bases {
                self.value(b, false);
            }
            for i in c.attrs.values() {
                self.item(i);
            }
            if let Some(meta) = &c.meta {
                for b in &meta.bases {
                    self.value(b, false);
                }
                for i in meta.attrs.values() {
                    self.item(i);
                }
            }
        }
        for r in &facts.references {
            self.item(&r.value);
            for b in &r.class_bases {
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
        }
        for i in &facts.rules_perms {
            self.item(i);
        }
    }
}
