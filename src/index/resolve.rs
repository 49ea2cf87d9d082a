//! Cross-file resolution of folded values: imported constants, star imports, class attributes,
//! enum members and `Base.Meta.permissions`.

use crate::diagnostic::{FileId, Span};
use crate::facts::ClassFact;
use crate::python::extract::add_values;
use crate::value::{CompactString, Item, Value};
use crate::workspace::Workspace;

const MAX_DEPTH: u32 = 24;

/// A class found in the project: its file and facts.
#[derive(Clone, Copy)]
pub struct ClassRef<'w> {
    pub file: FileId,
    pub module: &'w str,
    pub class: &'w ClassFact,
}

pub struct Resolver<'w> {
    pub ws: &'w Workspace,
}

/// What a dotted reference names.
pub enum Target<'w> {
    Value(Value),
    Class(ClassRef<'w>),
    /// Something outside the project, by dotted name (`django.db.models.Model`).
    External(String),
    Unknown,
}

impl<'w> Resolver<'w> {
    pub fn new(ws: &'w Workspace) -> Self {
        Resolver { ws }
    }

    pub fn class(&self, module: &str, name: &str) -> Option<ClassRef<'w>> {
        let file = self.ws.module_file(module)?;
        let facts = self.ws.python[file].as_ref()?;
        let class = facts.classes.iter().rev().find(|c| c.name == name)?;
        Some(ClassRef {
            file,
            module: &facts.module,
            class,
        })
    }

    /// Resolve `module` + attribute `path`.
    pub fn target(&self, module: &str, path: &[CompactString], depth: u32) -> Target<'w> {
        if depth > MAX_DEPTH {
            return Target::Unknown;
        }
        let Some(file) = self.ws.module_file(module) else {
            // `import a.b` then `a.b.c`: try longer module names.
            if let Some((first, rest)) = path.split_first() {
                let longer = if module.is_empty() {
                    first.to_string()
                } else {
                    format!("{module}.{first}")
                };
                if self.ws.packages.contains_key(&longer) || self.ws.modules.contains_key(&longer) {
                    return self.target(&longer, rest, depth + 1);
                }
            }
            let mut dotted = module.to_string();
            for p in path {
                dotted.push('.');
                dotted.push_str(p);
            }
            return Target::External(dotted);
        };
        let Some(facts) = self.ws.python[file].as_ref() else {
            return Target::Unknown;
        };
        let Some((first, rest)) = path.split_first() else {
            return Target::Unknown; // a module object
        };
        if let Some(class) = facts
            .classes
            .iter()
            .rev()
            .find(|c| c.name == first.as_str())
        {
            let class = ClassRef {
                file,
                module: &facts.module,
                class,
            };
            return self.class_path(class, rest, depth + 1);
        }
        if let Some(value) = facts.constants.get(first.as_str()) {
            let value = self.resolve(value, depth + 1);
            return if rest.is_empty() {
                Target::Value(value)
            } else {
                match value {
                    Value::Ref { module, mut path } => {
                        path.extend(rest.iter().cloned());
                        self.target(&module, &path, depth + 1)
                    }
                    _ => Target::Unknown,
                }
            };
        }
        // A re-exported name (`from .base import BaseModel` in models/__init__.py); `from . import
        // mixins` in a package's own __init__.py names its submodule (below).
        if let Some((module, path)) = facts
            .imports
            .get(first.as_str())
            .filter(|(m, p)| !(m == module && p.len() == 1 && p[0] == first.as_str()))
        {
            let mut full: Vec<CompactString> = path.iter().map(|p| p.as_str().into()).collect();
            full.extend(rest.iter().cloned());
            return self.target(module, &full, depth + 1);
        }
        // A submodule (`from . import perms` then `perms.X`).
        let sub = if module.is_empty() {
            first.to_string()
        } else {
            format!("{module}.{first}")
        };
        if self.ws.modules.contains_key(&sub) {
            return self.target(&sub, rest, depth + 1);
        }
        for star in facts.star_imports.iter().rev() {
            match self.target(star, path, depth + 1) {
                Target::Unknown | Target::External(_) => continue,
                found => return found,
            }
        }
        Target::Unknown
    }

    pub fn class_path(
        &self,
        class: ClassRef<'w>,
        rest: &[CompactString],
        depth: u32,
    ) -> Target<'w> {
        let Some((attr, tail)) = rest.split_first() else {
            return Target::Class(class);
        };
        if attr == "Meta" {
            if let Some((name, _)) = tail.split_first() {
                return match self.meta_attr(class, name, depth + 1) {
                    Some(item) => Target::Value(self.resolve(&item.value, depth + 1)),
                    None => Target::Unknown,
                };
            }
            return Target::Unknown;
        }
        if let Some(item) = class.class.attrs.get(attr.as_str()) {
            let value = self.resolve(&item.value, depth + 1);
            // Enum members: `Perm.X.value` is the literal.
            return match tail {
                [] => Target::Value(value),
                [v] if v == "value" => Target::Value(value),
                _ => Target::Unknown,
            };
        }
        // Inherited class attribute.
        for base in &class.class.bases {
            if let Some(base) = self.base_class(class.module, base, depth + 1) {
                match self.class_path(base, rest, depth + 1) {
                    Target::Unknown => continue,
                    found => return found,
                }
            }
        }
        Target::Unknown
    }

    /// The class a base expression names, when it is in the project.
    pub fn base_class(&self, _module: &str, base: &Value, depth: u32) -> Option<ClassRef<'w>> {
        match self.base_target(base, depth) {
            Target::Class(c) => Some(c),
            _ => None,
        }
    }

    pub fn base_target(&self, base: &Value, depth: u32) -> Target<'w> {
        match base {
            Value::Ref { module, path } => self.target(module, path, depth + 1),
            Value::StarRef { modules, path } => {
                for m in modules.iter().rev() {
                    match self.target(m, path, depth + 1) {
                        Target::Unknown => continue,
                        found => return found,
                    }
                }
                Target::Unknown
            }
            _ => Target::Unknown,
        }
    }

    /// `getattr(Meta, name)` for the class's own `Meta` (following `Meta(Base.Meta)` bases).
    pub fn meta_attr(&self, class: ClassRef<'w>, name: &str, depth: u32) -> Option<Item> {
        if depth > MAX_DEPTH {
            return None;
        }
        let meta = class.class.meta.as_ref()?;
        if let Some(item) = meta.attrs.get(name) {
            return Some(item.clone());
        }
        if name == "abstract" {
            return None; // reset to False on every stored Meta
        }
        for base in &meta.bases {
            // `class Meta(Base.Meta)`: Base.Meta is Base's stored Meta.
            let owner = match base {
                Value::Ref { module, path } if path.last().is_some_and(|p| p == "Meta") => {
                    Value::Ref {
                        module: module.clone(),
                        path: path[..path.len() - 1].into(),
                    }
                }
                Value::StarRef { modules, path } if path.last().is_some_and(|p| p == "Meta") => {
                    Value::StarRef {
                        modules: modules.clone(),
                        path: path[..path.len() - 1].into(),
                    }
                }
                _ => continue,
            };
            if let Some(owner) = self.base_class("", &owner, depth + 1) {
                if let Some(item) = self.meta_attr(owner, name, depth + 1) {
                    return Some(item);
                }
            }
        }
        None
    }

    /// Fully resolve a value: references, star imports and concatenations.
    pub fn resolve(&self, value: &Value, depth: u32) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        match value {
            Value::Ref { module, path } => match self.target(module, path, depth + 1) {
                Target::Value(v) => v,
                _ => Value::Unknown,
            },
            Value::StarRef { modules, path } => {
                for m in modules.iter().rev() {
                    if let Target::Value(v) = self.target(m, path, depth + 1) {
                        return v;
                    }
                }
                Value::Unknown
            }
            Value::Concat(parts) => {
                let mut acc: Option<Value> = None;
                for p in parts {
                    let v = self.resolve(p, depth + 1);
                    acc = Some(match acc {
                        None => v,
                        // The parts of a deferred sum keep no span: an unknown one gets none.
                        Some(a) => add_values(a, v, Span::default()),
                    });
                }
                acc.unwrap_or(Value::Unknown)
            }
            Value::Seq(items) => Value::Seq(
                items
                    .iter()
                    .map(|i| Item {
                        value: self.resolve(&i.value, depth + 1),
                        span: i.span,
                        literal: i.literal,
                    })
                    .collect(),
            ),
            Value::Dict(items) => Value::Dict(
                items
                    .iter()
                    .map(|(k, v)| {
                        (
                            self.resolve(k, depth + 1),
                            Item {
                                value: self.resolve(&v.value, depth + 1),
                                span: v.span,
                                literal: v.literal,
                            },
                        )
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// [`Self::resolve_item`], borrowing `item` when resolving would give it back unchanged.
    pub fn resolve_cow<'i>(&self, item: &'i Item) -> std::borrow::Cow<'i, Item> {
        if settled(&item.value, 0) {
            std::borrow::Cow::Borrowed(item)
        } else {
            std::borrow::Cow::Owned(self.resolve_item(item))
        }
    }

    pub fn resolve_item(&self, item: &Item) -> Item {
        Item {
            value: self.resolve(&item.value, 0),
            span: item.span,
            literal: item.literal,
        }
    }

    /// A module-level name of `module` (after its star imports).
    pub fn module_value(&self, module: &str, name: &str) -> Value {
        match self.target(module, &[name.into()], 0) {
            Target::Value(v) => v,
            _ => Value::Unknown,
        }
    }
}

/// Whether [`Resolver::resolve`] gives `value` back unchanged: nothing in it to look up (no
/// reference or deferred sum in its lists and dicts) and not nested beyond the depth limit.
fn settled(value: &Value, depth: u32) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Value::Ref { .. } | Value::StarRef { .. } | Value::Concat(_) => false,
        Value::Seq(items) => items.iter().all(|i| settled(&i.value, depth + 1)),
        Value::Dict(items) => items
            .iter()
            .all(|(k, v)| settled(k, depth + 1) && settled(&v.value, depth + 1)),
        _ => true,
    }
}
