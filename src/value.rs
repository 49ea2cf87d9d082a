//! Constant values as djperm folds them: enough of Python to evaluate `Meta.permissions`,
//! migration operations and settings lists without importing anything.

use crate::diagnostic::Span;
/// A string held inline up to 24 bytes (no allocation): most strings in the facts are names
/// and module paths that short (crate: `compact_str`, maintained, serde-compatible; ruff's
/// parser already depends on it).
pub use compact_str::CompactString;
use serde::{Deserialize, Serialize};
/// A vector one pointer wide (its length and capacity sit in its allocation): the paths of
/// references, in every value the facts hold.
pub use thin_vec::ThinVec;

/// A folded Python value. `Ref`/`StarRef`/`Concat` are resolved later, across files, by the index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Str(CompactString),
    /// A list or a tuple, each item with where it was written.
    Seq(Vec<Item>),
    Dict(Vec<(Value, Item)>),
    Bool(bool),
    Int(i64),
    None,
    /// `module.path[0].path[1]…`, e.g. a name imported from another module or a local class.
    Ref {
        module: CompactString,
        path: ThinVec<CompactString>,
    },
    /// A name that may come from one of these star-imported modules (searched last to first).
    StarRef {
        modules: ThinVec<CompactString>,
        path: ThinVec<CompactString>,
    },
    /// `a + b + …` where some part is not known yet.
    Concat(Vec<Value>),
    /// A call such as `migrations.CreateModel(...)` (boxed: calls are a fraction of the values,
    /// and every value is as large as its largest variant).
    Call(Box<Call>),
    Unknown,
}

/// An unknown value to borrow.
pub static UNKNOWN: Value = Value::Unknown;

/// A call: callee's last name, positional and keyword args.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub func: CompactString,
    /// What the method is called on (`Post.objects` for `Post.objects.all()`).
    pub on: Option<Box<Value>>,
    pub args: Vec<Item>,
    pub kwargs: Vec<(CompactString, Item)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub value: Value,
    pub span: Span,
    /// True when the value is written as a plain string literal at `span` (so a fix may edit it).
    pub literal: bool,
}

impl Item {
    /// The strings it holds: itself when a string, else the string items of a sequence
    /// (dynamic parts skipped).
    pub fn str_items(&self) -> impl Iterator<Item = &Item> {
        let items: &[Item] = match &self.value {
            Value::Str(_) => std::slice::from_ref(self),
            Value::Seq(items) => items,
            _ => &[],
        };
        items.iter().filter(|i| matches!(i.value, Value::Str(_)))
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Item]> {
        match self {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            Value::None => Some(false),
            Value::Str(s) => Some(!s.is_empty()),
            _ => None,
        }
    }

    pub fn is_deferred(&self) -> bool {
        matches!(
            self,
            Value::Ref { .. } | Value::StarRef { .. } | Value::Concat(_)
        )
    }

    pub fn kwarg<'a>(kwargs: &'a [(CompactString, Item)], name: &str) -> Option<&'a Item> {
        kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Positional argument `index`, or keyword `name`.
    pub fn arg<'a>(&'a self, index: usize, name: &str) -> Option<&'a Item> {
        match self {
            Value::Call(c) => c.args.get(index).or_else(|| Value::kwarg(&c.kwargs, name)),
            _ => None,
        }
    }

    pub fn dict_get(&self, key: &str) -> Option<&Item> {
        match self {
            Value::Dict(items) => items
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether the value (after resolution) still contains something unknown.
    pub fn has_unknown(&self) -> bool {
        match self {
            Value::Unknown | Value::Ref { .. } | Value::StarRef { .. } | Value::Concat(_) => true,
            Value::Seq(items) => items.iter().any(|i| i.value.has_unknown()),
            Value::Dict(items) => items
                .iter()
                .any(|(k, v)| k.has_unknown() || v.value.has_unknown()),
            Value::Call(_) => true,
            _ => false,
        }
    }
}
