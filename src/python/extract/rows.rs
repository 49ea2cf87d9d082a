//! Permission rows and lookups: `Permission.objects.get/filter/...` lookups, and the rows a
//! data migration (or code) creates with `Permission.objects.create(...)` / `Permission(...)`,
//! with their content types followed through locals and enclosing `for` loops.

use ruff_python_ast::{self as ast, Expr, Number};
use ruff_text_size::Ranged;

use super::{dotted, keyword, Call, Walker};
use crate::facts::{CtRef, Lookup, PermRow, RefKind, Reference};
use crate::value::{Item, Value};

impl<'a> Walker<'_, '_, 'a> {
    /// `Permission.objects.<method>(...)`: a lookup, or a created row.
    pub(super) fn permission_query(&mut self, c: &Call<'a>) {
        let (call, call_span, receiver) = (c.call, c.span, c.receiver.map(on_database));
        let func_name = c.name;
        // `Permission.objects.filter(...).get(...)` (filters chained, or the queryset bound to a
        // local first): the keywords of every call, the get's method.
        let mut calls = vec![call];
        let mut receiver = receiver;
        if matches!(func_name, "get" | "aget") {
            for _ in 0..8 {
                let (inner, via_local) = match receiver {
                    Some(Expr::Call(inner)) => (inner, false),
                    Some(Expr::Name(n)) => {
                        match self.scope().and_then(|s| s.locals.get(n.id.as_str())) {
                            Some(Some((Expr::Call(inner), None))) => (inner, true),
                            _ => break,
                        }
                    }
                    _ => break,
                };
                match &*inner.func {
                    Expr::Attribute(f) if f.attr.id.as_str() == "filter" => {
                        if !via_local {
                            self.skip_lookups.insert(self.ex.span(inner.range()));
                        }
                        calls.push(inner);
                        receiver = Some(on_database(&f.value));
                    }
                    _ if via_local => break,
                    _ => return,
                }
            }
        }
        let args: Vec<&Expr> = calls.iter().flat_map(|c| &c.arguments.args).collect();
        let kw = |name: &str| keyword(call, name);
        let Some(Expr::Attribute(objects)) = receiver else {
            return;
        };
        if objects.attr.id.as_str() != "objects" || self.skip_lookups.contains(&call_span) {
            return;
        }
        if !self.is_permission_model(&objects.value) {
            return;
        }
        if func_name.contains("create") {
            self.perm_row(call, kw("codename"), kw("content_type"));
            return;
        }
        let mut lookup = Lookup {
            method: func_name.to_string(),
            ..Lookup::default()
        };
        if func_name == "get_by_natural_key" {
            lookup.codename = args.first().map(|a| self.item(a));
            lookup.app_label = args.get(1).map(|a| self.fold(a));
            lookup.model = args.get(2).map(|a| self.fold(a));
            lookup.pinned = lookup.model.is_some();
        } else {
            for k in calls.iter().flat_map(|c| c.arguments.keywords.iter()) {
                let Some(arg) = &k.arg else {
                    lookup.pinned = true;
                    continue;
                };
                match arg.id.as_str() {
                    "codename" => lookup.codename = Some(self.item(&k.value)),
                    "codename__in" => lookup.codename_in = Some(self.item(&k.value)),
                    "content_type__app_label" => lookup.app_label = Some(self.fold(&k.value)),
                    "content_type__model" => lookup.model = Some(self.fold(&k.value)),
                    other
                        if other.starts_with("content_type")
                            || other == "pk"
                            || other == "id"
                            || other == "name" =>
                    {
                        lookup.pinned = true
                    }
                    _ => {}
                }
            }
            if !args.is_empty() {
                lookup.pinned = true; // Q objects: too dynamic to judge
            }
        }
        let value = lookup.codename.clone().unwrap_or(Item {
            value: Value::Unknown,
            span: call_span,
            literal: false,
        });
        self.mark_sink(&value);
        self.ex.facts.references.push(Reference {
            kind: RefKind::Lookup,
            value,
            with_obj: false,
            call_span,
            lookup: Some(Box::new(lookup)),
            class_bases: Default::default(),
            callee: None,
            owner: None,
        });
    }

    /// `Permission`, `auth.models.Permission`, Django's `Permission` imported under another
    /// name, or a local bound to `apps.get_model("auth", "Permission")`.
    pub(super) fn is_permission_model(&self, expr: &Expr) -> bool {
        let n = match expr {
            Expr::Name(n) if n.id.as_str() == "Permission" => return true,
            Expr::Attribute(a) => {
                return a.attr.id.as_str() == "Permission" && dotted(&a.value).is_some()
            }
            Expr::Name(n) => n,
            _ => return false,
        };
        let imported = self
            .ex
            .imports
            .get(n.id.as_str())
            .is_some_and(|(module, path)| {
                module.starts_with("django.contrib.auth")
                    && path.last().is_some_and(|p| p == "Permission")
            });
        // Otherwise only a local bound once to `apps.get_model(...)` can be the model (a
        // class a name folds to is never the content type's label and name).
        let local = self.ex.gets_models
            && matches!(
                self.scope().and_then(|s| s.locals.get(n.id.as_str())),
                Some(Some((_, None)))
            );
        imported
            || (local
                && self.model_of(expr, 0)
                    == CtRef::Known(Some("auth".to_string()), Some("permission".to_string())))
    }

    /// A data-migration (or code) row: `Permission.objects.create(codename=…, content_type=…)`.
    pub(super) fn perm_row(
        &mut self,
        call: &'a ast::ExprCall,
        codename: Option<&'a Expr>,
        ct: Option<&'a Expr>,
    ) {
        let span = self.ex.span(call.range());
        if let Some(per_model) = self.per_model(codename, ct) {
            if let Some(expr) = codename {
                self.sink_literals.insert(self.ex.span(expr.range()));
            }
            self.ex.facts.perm_rows.push(PermRow {
                action: None,
                codename: Value::Unknown,
                content_type: CtRef::Unknown,
                span,
                per_model: Some(per_model),
            });
            return;
        }
        let content_type = ct
            .map(|e| self.content_type(e, 0))
            .unwrap_or(CtRef::Unknown);
        let codenames: Vec<Value> = match codename {
            None => vec![Value::Unknown],
            Some(expr) => self
                .loop_values(expr)
                .unwrap_or_else(|| vec![self.fold(expr)]),
        };
        if let Some(expr) = codename {
            self.sink_literals.insert(self.ex.span(expr.range()));
        }
        let action = match codename {
            Some(Expr::FString(f)) => match f.value.elements().next() {
                Some(ast::InterpolatedStringElement::Literal(lit)) => lit
                    .value
                    .strip_suffix('_')
                    .filter(|a| {
                        !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                    .map(str::to_string),
                _ => None,
            },
            _ => None,
        };
        for codename in codenames {
            self.ex.facts.perm_rows.push(PermRow {
                action: action.clone(),
                codename,
                content_type: content_type.clone(),
                span,
                per_model: None,
            });
        }
    }

    /// Values of a loop variable over a folded sequence in an enclosing `for`, or of its
    /// subscripts (`var[0]`, `var["codename"]`, nested): one value per item of the loop.
    pub(super) fn loop_values(&self, expr: &Expr) -> Option<Vec<Value>> {
        let mut keys = Vec::new();
        let mut at = expr;
        while let Expr::Subscript(sub) = at {
            let key = match &*sub.slice {
                Expr::NumberLiteral(num) => match &num.value {
                    Number::Int(i) => Value::Int(i.as_i64()?),
                    _ => return None,
                },
                Expr::StringLiteral(s) => Value::Str(s.value.to_str().into()),
                _ => return None,
            };
            if keys.len() >= 8 {
                return None;
            }
            keys.push(key);
            at = &sub.value;
        }
        let Expr::Name(name) = at else { return None };
        let values = self.loop_variable(name.id.as_str())?;
        Some(
            values
                .into_iter()
                .map(|v| keys.iter().rev().fold(v, |v, k| subscript(&v, k)))
                .collect(),
        )
    }

    fn loop_variable(&self, name: &str) -> Option<Vec<Value>> {
        let (targets, items) = self
            .loops
            .iter()
            .rev()
            .find(|(targets, _)| targets.iter().any(|t| t.as_deref() == Some(name)))?;
        let pos = targets.iter().position(|t| t.as_deref() == Some(name))?;
        Some(
            items
                .iter()
                .map(|item| match targets.len() {
                    1 => item.clone(),
                    _ => subscript(item, &Value::Int(pos as i64)),
                })
                .collect(),
        )
    }

    pub(super) fn content_type(&self, expr: &Expr, depth: u32) -> CtRef {
        if depth > 8 {
            return CtRef::Unknown;
        }
        match expr {
            Expr::Name(name) => {
                let Some(Some((def, index))) =
                    self.scope().and_then(|s| s.locals.get(name.id.as_str()))
                else {
                    return CtRef::Unknown;
                };
                match (def, index) {
                    (Expr::Call(_), Some(0)) | (_, None) => self.content_type(def, depth + 1),
                    _ => CtRef::Unknown,
                }
            }
            // `ContentType.objects.get_for_models(A, B)[A]`: `A`'s content type.
            Expr::Subscript(sub) => match self.local_call(&sub.value, depth) {
                Some(call) if call_name(call) == Some("get_for_models") => {
                    match call.arguments.args.iter().any(|a| same_name(a, &sub.slice)) {
                        true => self.model_of(&sub.slice, depth + 1),
                        false => CtRef::Unknown,
                    }
                }
                _ => self.content_type(&sub.value, depth + 1),
            },
            Expr::Await(a) => self.content_type(&a.value, depth + 1),
            Expr::Call(call) => {
                let Expr::Attribute(attr) = &*call.func else {
                    return CtRef::Unknown;
                };
                let args = &call.arguments.args;
                let kw = |name: &str| {
                    call.arguments
                        .keywords
                        .iter()
                        .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
                        .map(|k| self.fold(&k.value))
                };
                let s = |v: Option<Value>| v.and_then(|v| v.as_str().map(str::to_string));
                match attr.attr.id.as_str() {
                    "get_for_model" | "aget_for_model" => {
                        let concrete = call
                            .arguments
                            .keywords
                            .iter()
                            .find(|k| {
                                k.arg
                                    .as_ref()
                                    .is_some_and(|a| a.id.as_str() == "for_concrete_model")
                            })
                            .map(|k| self.fold(&k.value))
                            .or_else(|| args.get(1).map(|a| self.fold(a)));
                        match (args.first(), concrete) {
                            (None, _) => CtRef::Unknown,
                            (Some(model), None | Some(Value::Bool(true))) => {
                                self.model_of(model, depth + 1)
                            }
                            (Some(model), Some(Value::Bool(false))) => {
                                match self.model_of(model, depth + 1) {
                                    CtRef::Class { model, .. } => CtRef::Class {
                                        model,
                                        concrete: false,
                                    },
                                    other => other,
                                }
                            }
                            (Some(_), Some(_)) => CtRef::Unknown,
                        }
                    }
                    "get" | "get_or_create" | "aget" | "aget_or_create" | "create" => {
                        CtRef::Known(s(kw("app_label")), s(kw("model")))
                    }
                    "get_by_natural_key" => CtRef::Known(
                        s(args.first().map(|a| self.fold(a))),
                        s(args.get(1).map(|a| self.fold(a))),
                    ),
                    _ => CtRef::Unknown,
                }
            }
            _ => CtRef::Unknown,
        }
    }

    /// The call `expr` is, or the call a local is bound to once.
    fn local_call<'x>(&'x self, expr: &'x Expr, depth: u32) -> Option<&'x ast::ExprCall> {
        match expr {
            Expr::Call(call) => Some(call),
            Expr::Name(name) if depth < 8 => {
                match self.scope().and_then(|s| s.locals.get(name.id.as_str())) {
                    Some(Some((def, None))) => self.local_call(def, depth + 1),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `apps.get_model("a", "M")` (possibly through a local) → (label, model_name); a class
    /// the file names (`Post`, `models.Post`) → the class, resolved by the index.
    pub(super) fn model_of(&self, expr: &Expr, depth: u32) -> CtRef {
        if depth > 8 {
            return CtRef::Unknown;
        }
        match expr {
            Expr::Name(name) => match self.scope().and_then(|s| s.locals.get(name.id.as_str())) {
                Some(Some((def, None))) => self.model_of(def, depth + 1),
                // A parameter, a loop variable or a local bound more than once.
                Some(_) => CtRef::Unknown,
                None => self.class_named(expr),
            },
            Expr::Attribute(_) => self.class_named(expr),
            Expr::Call(call) => {
                let Expr::Attribute(attr) = &*call.func else {
                    return CtRef::Unknown;
                };
                if attr.attr.id.as_str() != "get_model" {
                    return CtRef::Unknown;
                }
                let args: Vec<Value> = call.arguments.args.iter().map(|a| self.fold(a)).collect();
                match args.as_slice() {
                    [Value::Str(label), Value::Str(model)] => {
                        CtRef::Known(Some(label.to_string()), Some(str::to_lowercase(model)))
                    }
                    [Value::Str(dotted)] => match dotted.split_once('.') {
                        Some((label, model)) => {
                            CtRef::Known(Some(label.to_string()), Some(str::to_lowercase(model)))
                        }
                        None => CtRef::Unknown,
                    },
                    _ => CtRef::Unknown,
                }
            }
            _ => CtRef::Unknown,
        }
    }
}

impl Walker<'_, '_, '_> {
    /// A name or dotted name that folds to a reference (a class defined or imported here).
    fn class_named(&self, expr: &Expr) -> CtRef {
        match self.fold(expr) {
            model @ (Value::Ref { .. } | Value::StarRef { .. }) => CtRef::Class {
                model,
                concrete: true,
            },
            _ => CtRef::Unknown,
        }
    }
}

/// The called name of `call`: `f` in `f(...)` and in `x.f(...)`.
fn call_name(call: &ast::ExprCall) -> Option<&str> {
    match &*call.func {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => Some(a.attr.id.as_str()),
        _ => None,
    }
}

/// Two names spelled the same (`A` in `get_for_models(A, B)[A]`).
fn same_name(a: &Expr, b: &Expr) -> bool {
    matches!((a, b), (Expr::Name(x), Expr::Name(y)) if x.id == y.id)
}

/// `value[key]` of a folded sequence (int key) or dict (str key); anything else is unknown.
fn subscript(value: &Value, key: &Value) -> Value {
    let found = match (value, key) {
        (Value::Seq(items), Value::Int(i)) => usize::try_from(*i).ok().and_then(|i| items.get(i)),
        (Value::Dict(_), Value::Str(k)) => value.dict_get(k),
        _ => None,
    };
    found.map(|x| x.value.clone()).unwrap_or(Value::Unknown)
}

/// `x` for `x.using(alias)` / `x.db_manager(alias)` (the same manager on another database).
fn on_database(expr: &Expr) -> &Expr {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Attribute(a) if matches!(a.attr.id.as_str(), "using" | "db_manager") => &a.value,
            _ => expr,
        },
        _ => expr,
    }
}
