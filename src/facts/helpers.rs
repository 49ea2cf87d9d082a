//! What one file says about the project's own permission helpers, for sink inference
//! (`crate::sinks`): which parameters (or `self.<attr>` class attributes) of its functions and
//! methods reach a permission API or another call, and which calls pass values that may be
//! permission strings. Resolved across modules after every file is read.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Span;
use crate::facts::RefKind;
use crate::value::{Item, Value};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HelperFacts {
    pub functions: crate::value::ThinVec<HelperFn>,
    /// `self.<attr>` / `getattr(self, "<attr>")` read by a method and handed on: (class, attr, target).
    pub attrs: crate::value::ThinVec<AttrFlow>,
    /// Calls that pass a value that may name a permission (a string, a sequence, a constant).
    pub calls: crate::value::ThinVec<HelperCall>,
    /// check → call passing the checked object → check: stale if the callee changes the
    /// permissions or groups of that parameter (DJP005 across helpers).
    pub stale_via: crate::value::ThinVec<StaleVia>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaleVia {
    pub check: crate::facts::StaleCheck,
    pub callee: Value,
    pub bound: bool,
    pub arg: ArgPos,
}

/// How a function receives its first positional argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FnKind {
    Function,
    /// A method taking `self`: called as `obj.m(a)` the first argument is the second parameter.
    Method,
    ClassMethod,
    StaticMethod,
}

/// Registration as a template filter or tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateHook {
    pub filter: bool,
    pub name: String,
    /// `takes_context=True`: the first parameter is the context.
    pub takes_context: bool,
}

/// A module-level function, or a method of a module-level class (`Class.method`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HelperFn {
    /// `f` or `Class.method`.
    pub name: String,
    pub span: Span,
    pub kind: FnKind,
    /// Positional-or-keyword parameters in order (including `self`/`cls`).
    pub params: Vec<String>,
    pub flows: Vec<ParamFlow>,
    /// Parameters whose permissions or groups the function changes (`user.groups.add(g)`).
    pub mutates: Vec<usize>,
    pub template: Option<TemplateHook>,
    /// An `__init__` that sets an attribute for every keyword it is given
    /// (`for k, v in kwargs.items(): setattr(self, k, v)`).
    pub stores_keywords: bool,
    /// An `__init__(self, *args, **kwargs)` that hands its keywords on to
    /// `super().__init__(**kwargs)`: a constructor call reaches the next `__init__` up.
    pub forwards_keywords: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamFlow {
    pub param: usize,
    /// The parameter is put in a tuple or list first (one permission of a sequence).
    pub wrapped: bool,
    pub target: FlowTarget,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttrFlow {
    pub class: String,
    pub attr: String,
    pub wrapped: bool,
    pub target: FlowTarget,
}

/// Where a parameter or attribute goes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum FlowTarget {
    /// A permission API: the reference kind it would be, how it reads (`user.has_perm`), whether
    /// an object argument is passed, and the call.
    Api {
        kind: RefKind,
        api: String,
        with_obj: bool,
        span: Span,
    },
    /// `self.<attr>` in an `__init__`: what a constructor call passes becomes the attribute.
    Store { attr: String },
    /// Argument `arg` (a position, or a keyword) of another call.
    Call {
        callee: Value,
        /// Called on `self`/`cls` (so a method's first parameter is implicit).
        bound: bool,
        arg: ArgPos,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArgPos {
    Index(usize),
    Keyword(String),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HelperCall {
    pub callee: Value,
    pub bound: bool,
    pub args: Vec<Item>,
    pub kwargs: Vec<(crate::value::CompactString, Item)>,
    pub span: Span,
}

/// Whether a folded value may be (or resolve to) a permission string or a sequence of them.
pub fn may_name_permission(value: &Value) -> bool {
    match value {
        // Prose, paths and URLs are not permission names.
        Value::Str(s) => crate::facts::helpers::name_like(s),
        // A constant (`CAN_EDIT`, `Perms.EDIT`), not a function, a class or a module.
        Value::Ref { path, .. } | Value::StarRef { path, .. } => path
            .iter()
            .rev()
            .find(|p| p.as_str() != "value")
            .is_some_and(|p| {
                p.bytes().any(|b| b.is_ascii_uppercase())
                    && !p.bytes().any(|b| b.is_ascii_lowercase())
            }),
        Value::Concat(_) => true,
        Value::Seq(items) => items.iter().any(|i| may_name_permission(&i.value)),
        _ => false,
    }
}

/// A capitalised name: a class, whose constructor may store an argument where a method checks
/// it (`crate::sinks`).
pub fn is_class_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

/// A template's use of a filter or tag that may be a project helper: `"app.x"|name:arg` (the
/// value, then the argument) or `{% name "app.x" other key="v" %}` (the arguments).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TemplateUse {
    pub filter: bool,
    pub name: String,
    pub args: Vec<Item>,
    pub kwargs: Vec<(crate::value::CompactString, Item)>,
    pub span: Span,
}

/// A string that may be a permission name: `app.codename` or a bare `codename` (an identifier
/// with a `_` or a `.`), not prose, paths, URLs or numbers.
pub fn name_like(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() > 150 || !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return false;
    }
    // One pass: every byte a letter, digit, `_` or `.`, and at least one `_` or `.`.
    let mut separated = false;
    for &b in bytes {
        if b == b'_' || b == b'.' {
            separated = true;
        } else if !b.is_ascii_alphanumeric() {
            return false;
        }
    }
    separated
}

#[cfg(test)]
mod tests {
    use super::name_like;

    #[test]
    fn what_may_be_a_permission_name() {
        for s in ["blog.add_post", "add_post", "a.b", "x9_y"] {
            assert!(name_like(s), "{s}");
        }
        let long = format!("a_{}", "b".repeat(149));
        for s in [
            "",
            "addpost",
            "_add",
            "1a_b",
            "a b_c",
            "blog/add_post",
            "é_x",
            &long,
        ] {
            assert!(!name_like(s), "{s}");
        }
        assert!(name_like(&long[..150]));
    }
}
