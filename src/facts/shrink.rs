//! Give back the spare capacity of one file's facts once they are extracted: the facts of every
//! parsed file stay in memory for the whole run, and vectors and maps grown by pushing hold up
//! to twice what they use.

use std::hash::{BuildHasher, Hash};

use super::{ClassFact, FileFacts, FunctionFact, MetaFact, ModuleCall, Reference};
use crate::value::{Item, Value};

/// Drop spare capacity, recursively.
pub trait Shrink {
    fn shrink(&mut self);
}

impl Shrink for String {
    fn shrink(&mut self) {
        self.shrink_to_fit();
    }
}

impl Shrink for crate::value::CompactString {
    fn shrink(&mut self) {
        self.shrink_to_fit();
    }
}

impl<T: Shrink> Shrink for Vec<T> {
    fn shrink(&mut self) {
        self.iter_mut().for_each(Shrink::shrink);
        self.shrink_to_fit();
    }
}

impl<T: Shrink> Shrink for crate::value::ThinVec<T> {
    fn shrink(&mut self) {
        self.iter_mut().for_each(Shrink::shrink);
        self.shrink_to_fit();
    }
}

impl<T: Shrink> Shrink for Option<T> {
    fn shrink(&mut self) {
        if let Some(x) = self {
            x.shrink();
        }
    }
}

impl<T: Shrink> Shrink for Box<T> {
    fn shrink(&mut self) {
        (**self).shrink();
    }
}

impl<A: Shrink, B: Shrink> Shrink for (A, B) {
    fn shrink(&mut self) {
        self.0.shrink();
        self.1.shrink();
    }
}

impl<K: Eq + Hash, V: Shrink, S: BuildHasher> Shrink for std::collections::HashMap<K, V, S> {
    fn shrink(&mut self) {
        self.values_mut().for_each(Shrink::shrink);
        self.shrink_to_fit();
    }
}

impl Shrink for Value {
    fn shrink(&mut self) {
        match self {
            Value::Str(s) => s.shrink(),
            Value::Seq(items) => items.shrink(),
            Value::Dict(items) => items.shrink(),
            Value::Ref { module, path } => {
                module.shrink();
                path.shrink();
            }
            Value::StarRef { modules, path } => {
                modules.shrink();
                path.shrink();
            }
            Value::Concat(parts) => parts.shrink(),
            Value::Call(call) => {
                call.func.shrink();
                call.on.shrink();
                call.args.shrink();
                call.kwargs.shrink();
            }
            Value::Bool(_) | Value::Int(_) | Value::None | Value::Unknown => {}
        }
    }
}

impl Shrink for Item {
    fn shrink(&mut self) {
        self.value.shrink();
    }
}

impl Shrink for super::Imports {
    fn shrink(&mut self) {
        self.entries_mut().shrink();
    }
}

impl Shrink for super::Attrs {
    fn shrink(&mut self) {
        self.entries_mut().shrink();
    }
}

impl Shrink for MetaFact {
    fn shrink(&mut self) {
        self.bases.shrink();
        self.attrs.shrink();
    }
}

impl Shrink for ClassFact {
    fn shrink(&mut self) {
        self.bases.shrink();
        self.attrs.shrink();
        self.meta.shrink();
        self.methods.shrink();
        self.self_attrs.shrink();
        self.self_values.shrink();
        self.decorators.shrink();
        self.method_decorators.shrink();
        self.super_calls.shrink();
    }
}

impl Shrink for FunctionFact {
    fn shrink(&mut self) {
        self.decorators.shrink();
    }
}

impl Shrink for ModuleCall {
    fn shrink(&mut self) {
        self.receiver.shrink();
        self.args.shrink();
        self.kwargs.shrink();
    }
}

impl Shrink for Reference {
    fn shrink(&mut self) {
        self.value.shrink();
        self.class_bases.shrink();
        self.callee.shrink();
    }
}

impl Shrink for FileFacts {
    fn shrink(&mut self) {
        self.constants.shrink();
        self.star_imports.shrink();
        self.imports.shrink();
        self.imported_modules.shrink();
        self.classes.shrink();
        self.perm_rows.shrink_to_fit();
        self.rules_perms.shrink();
        self.references.shrink();
        self.stale_checks.shrink_to_fit();
        self.create_permissions_labels.shrink_to_fit();
        self.run_python.shrink_to_fit();
        self.granted_queries.shrink_to_fit();
        self.nested_functions.shrink_to_fit();
        self.as_view_classes.shrink_to_fit();
        self.functions.shrink();
        self.module_calls.shrink();
        self.conditional.shrink_to_fit();
        self.type_checking.shrink_to_fit();
        self.migrate_time.shrink_to_fit();
        self.migrate_hooks.shrink_to_fit();
        self.noqa.lines.shrink_to_fit();
        let helpers = &mut self.helpers;
        helpers.functions.shrink_to_fit();
        helpers.attrs.shrink_to_fit();
        helpers.calls.shrink_to_fit();
        helpers.stale_via.shrink_to_fit();
    }
}
