//! Which project function a call names: module functions, methods of project classes (and of
//! their bases), through imports, re-exports, submodules and star imports.

use crate::diagnostic::FileId;
use crate::facts::helpers::{ArgPos, FnKind, HelperFn};
use crate::index::resolve::{Resolver, Target};
use crate::value::Value;

const MAX_DEPTH: u32 = 16;

/// A helper function: its file and index in that file's `HelperFacts::functions`.
pub type FnId = (FileId, usize);

/// What a callee names.
pub enum Callee {
    Project(FnId),
    /// A project class called: the `__init__` that runs (its own, or the first up its bases,
    /// past those that only hand their keywords on), with `self` bound, and the class made.
    Init {
        init: FnId,
        class: (FileId, String),
    },
    /// Anything else, by dotted name (a package's function, or a project function that forwards
    /// nothing), for the declared sinks.
    Dotted(String),
}

pub struct Functions<'w> {
    pub resolver: &'w Resolver<'w>,
}

impl<'w> Functions<'w> {
    pub fn get(&self, id: FnId) -> &'w HelperFn {
        let facts = self.resolver.ws.python[id.0]
            .as_ref()
            .expect("a helper's file has facts");
        &facts.helpers.functions[id.1]
    }

    pub fn callee(&self, value: &Value) -> Option<Callee> {
        match value {
            Value::Ref { module, path } => self.find(module, path, 0),
            Value::StarRef { modules, path } => modules.iter().rev().find_map(|m| {
                self.find(m, path, 0)
                    .filter(|c| matches!(c, Callee::Project(_)))
            }),
            _ => None,
        }
    }

    fn find(
        &self,
        module: &str,
        path: &[crate::value::CompactString],
        depth: u32,
    ) -> Option<Callee> {
        if depth > MAX_DEPTH || path.is_empty() {
            return None;
        }
        let ws = self.resolver.ws;
        let dotted = || Callee::Dotted(format!("{module}.{}", path.join(".")));
        let Some(file) = ws.module_file(module) else {
            if let Some((first, rest)) = path.split_first() {
                let longer = if module.is_empty() {
                    first.to_string()
                } else {
                    format!("{module}.{first}")
                };
                if ws.modules.contains_key(&longer) {
                    return self.find(&longer, rest, depth + 1);
                }
            }
            return Some(dotted());
        };
        let first = &path[0];
        let sub = if module.is_empty() {
            first.to_string()
        } else {
            format!("{module}.{first}")
        };
        let Some(facts) = ws.python[file].as_ref() else {
            // An unread package `__init__.py`: its submodules.
            return ws
                .modules
                .contains_key(&sub)
                .then(|| self.find(&sub, &path[1..], depth + 1))
                .flatten();
        };
        let name = path.join(".");
        if let Some(i) = facts.helpers.functions.iter().position(|f| f.name == name) {
            return Some(Callee::Project((file, i)));
        }
        if facts.functions.iter().any(|f| f.name == first.as_str()) && path.len() == 1 {
            return Some(dotted());
        }
        if let Some(class) = facts
            .classes
            .iter()
            .rev()
            .find(|c| c.name == first.as_str())
        {
            let [_, method] = path else {
                return match self.constructor(file, class, 0) {
                    Init::Found(init) => Some(Callee::Init {
                        init,
                        class: (file, class.name.clone()),
                    }),
                    Init::None | Init::Unknown => None,
                };
            };
            if class.methods.iter().any(|m| m == method) {
                return Some(dotted());
            }
            for base in &class.bases {
                if let Target::Class(c) = self.resolver.base_target(base, 0) {
                    let found = self.find(
                        c.module,
                        &[c.class.name.as_str().into(), method.clone()],
                        depth + 1,
                    );
                    if found.is_some() {
                        return found;
                    }
                }
            }
            return None;
        }
        if let Some((m, p)) = facts.imports.get(first.as_str()) {
            let mut full: Vec<crate::value::CompactString> =
                p.iter().map(|x| x.as_str().into()).collect();
            full.extend(path[1..].iter().cloned());
            if !(m == module && full.as_slice() == path) {
                return self.find(m, &full, depth + 1);
            }
        }
        if ws.modules.contains_key(&sub) {
            return self.find(&sub, &path[1..], depth + 1);
        }
        facts.star_imports.iter().rev().find_map(|star| {
            self.find(star, path, depth + 1)
                .filter(|c| matches!(c, Callee::Project(_)))
        })
    }
}

/// The `__init__` a class runs, as far as the project shows it.
enum Init {
    /// A project `__init__` that keeps something of its arguments (a helper function).
    Found(FnId),
    /// No `__init__` on the class or its project bases.
    None,
    /// One that keeps nothing a check reads, or one outside the project: nothing to follow.
    Unknown,
}

impl Functions<'_> {
    /// The `__init__` that runs when `class` (of `file`) is called: its own, else the first
    /// found up its bases in order, passing over an `__init__(self, *args, **kwargs)` that
    /// only hands its keywords to `super().__init__(**kwargs)`.
    fn constructor(&self, file: FileId, class: &crate::facts::ClassFact, depth: u32) -> Init {
        if depth > MAX_DEPTH {
            return Init::Unknown;
        }
        // A helper `__init__` the class defines, or one a decorator writes (`@dataclass`).
        let name = format!("{}.__init__", class.name);
        let found = self.resolver.ws.python[file]
            .as_ref()
            .and_then(|f| f.helpers.functions.iter().position(|h| h.name == name));
        match found {
            Some(i) => {
                let init = self.get((file, i));
                if !(init.forwards_keywords && init.flows.is_empty() && !init.stores_keywords) {
                    return Init::Found((file, i));
                }
            }
            // An `__init__` that keeps nothing a check reads.
            None if class.methods.iter().any(|m| m == "__init__") => return Init::Unknown,
            None => {}
        }
        for base in &class.bases {
            match self.resolver.base_target(base, 0) {
                Target::Class(c) => match self.constructor(c.file, c.class, depth + 1) {
                    Init::None => continue,
                    found => return found,
                },
                // A builtin (`object`): nothing the project's `__init__`s need.
                Target::Unknown => {}
                _ => return Init::Unknown,
            }
        }
        Init::None
    }
}

/// The parameter an argument binds to.
pub fn param_of(f: &HelperFn, arg: &ArgPos, bound: bool) -> Option<usize> {
    match arg {
        ArgPos::Index(i) => {
            let offset = match f.kind {
                FnKind::Function | FnKind::StaticMethod => 0,
                FnKind::ClassMethod => 1,
                FnKind::Method => usize::from(bound),
            };
            let p = i + offset;
            (p < f.params.len()).then_some(p)
        }
        ArgPos::Keyword(k) => f.params.iter().position(|p| p == k),
    }
}
