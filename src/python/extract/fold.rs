//! Folding expressions to values: module constants, function locals bound once, `+` on
//! sequences, gettext wrappers; past a fixed depth a value is `Unknown`.

use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{self as ast, Expr, Number, Operator, Stmt};
use ruff_text_size::Ranged;
use rustc_hash::FxHashMap;

use super::{dotted, Extractor, Scope, Walker};
use crate::diagnostic::Span;
use crate::value::{Item, Value};

/// Deeper expressions than this fold to `Unknown` (no stack overflow on generated code).
pub(super) const MAX_DEPTH: u32 = 48;
const GETTEXT: &[&str] = &[
    "_",
    "gettext",
    "gettext_lazy",
    "ugettext",
    "ugettext_lazy",
    "gettext_noop",
    "ugettext_noop",
    "_lazy",
    "lazy_gettext",
];

impl Extractor<'_> {
    pub(super) fn lookup_name(&self, name: &str, scope: Option<&Scope<'_>>, depth: u32) -> Value {
        if let Some(scope) = scope {
            if let Some(def) = scope.locals.get(name) {
                return match def {
                    Some((expr, None)) => self.fold(expr, None, depth + 1),
                    Some((expr, Some(index))) => match self.fold(expr, None, depth + 1) {
                        Value::Seq(items) => items
                            .get(*index)
                            .map(|i| i.value.clone())
                            .unwrap_or(Value::Unknown),
                        _ => Value::Unknown,
                    },
                    None => Value::Unknown,
                };
            }
            // `from django.contrib.auth.models import Group` inside the function.
            if let Some((level, module, imported)) = scope.imports.get(name) {
                return Value::Ref {
                    module: self.absolute_module(*level, *module).into(),
                    path: imported.iter().map(|n| (*n).into()).collect(),
                };
            }
        }
        if let Some(value) = self.facts.constants.get(name) {
            return value.clone();
        }
        if let Some((module, path)) = self.imports.get(name) {
            return Value::Ref {
                module: module.clone(),
                path: path.clone(),
            };
        }
        if self.local_classes.contains(name) {
            return Value::Ref {
                module: self.module.as_str().into(),
                path: thin_vec::thin_vec![name.into()],
            };
        }
        if !self.facts.star_imports.is_empty() {
            return Value::StarRef {
                modules: self
                    .facts
                    .star_imports
                    .iter()
                    .map(|m| m.as_str().into())
                    .collect(),
                path: thin_vec::thin_vec![name.into()],
            };
        }
        Value::Unknown
    }

    pub(super) fn fold(&self, expr: &Expr, scope: Option<&Scope<'_>>, depth: u32) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        match expr {
            Expr::StringLiteral(s) => Value::Str(s.value.to_str().into()),
            Expr::BooleanLiteral(b) => Value::Bool(b.value),
            Expr::NoneLiteral(_) => Value::None,
            Expr::NumberLiteral(n) => match &n.value {
                Number::Int(i) => i.as_i64().map(Value::Int).unwrap_or(Value::Unknown),
                _ => Value::Unknown,
            },
            Expr::Name(name) => self.lookup_name(name.id.as_str(), scope, depth),
            Expr::Attribute(attr) => match self.fold(&attr.value, scope, depth + 1) {
                Value::Ref { module, mut path } => {
                    path.push(attr.attr.id.as_str().into());
                    Value::Ref { module, path }
                }
                Value::StarRef { modules, mut path } => {
                    path.push(attr.attr.id.as_str().into());
                    Value::StarRef { modules, path }
                }
                // `router.urls` for a module-level object built here: keep what it names.
                Value::Call { .. } => match self.module_object(&attr.value, scope) {
                    Some(name) => Value::Ref {
                        module: self.module.as_str().into(),
                        path: thin_vec::thin_vec![name.into(), attr.attr.id.as_str().into()],
                    },
                    None => Value::Unknown,
                },
                _ => Value::Unknown,
            },
            Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                Value::Seq(
                    elts.iter()
                        .map(|e| {
                            let v = if e.is_starred_expr() {
                                Value::Unknown
                            } else {
                                self.fold(e, scope, depth + 1)
                            };
                            self.item(e, v)
                        })
                        .collect(),
                )
            }
            Expr::Set(set) => Value::Seq(
                set.elts
                    .iter()
                    .map(|e| self.item(e, self.fold(e, scope, depth + 1)))
                    .collect(),
            ),
            Expr::Dict(dict) => Value::Dict(
                dict.items
                    .iter()
                    .map(|item| {
                        let key = match &item.key {
                            Some(k) => self.fold(k, scope, depth + 1),
                            None => Value::Unknown,
                        };
                        let value = self.fold(&item.value, scope, depth + 1);
                        (key, self.item(&item.value, value))
                    })
                    .collect(),
            ),
            Expr::BinOp(bin) if bin.op == Operator::Add => add_values(
                self.fold(&bin.left, scope, depth + 1),
                self.fold(&bin.right, scope, depth + 1),
                self.span(bin.range()),
            ),
            Expr::Call(call) => {
                let func = match &*call.func {
                    Expr::Attribute(a) => a.attr.id.to_string(),
                    // `permission_required("a.b")(view)`: the inner call is kept in `on`.
                    Expr::Call(_) => "__call__".to_string(),
                    other => match dotted(other) {
                        Some(f) => f,
                        None => return Value::Unknown,
                    },
                };
                let last = func.rsplit('.').next().unwrap_or(&func);
                if GETTEXT.contains(&last) || last == "pgettext_lazy" || last == "pgettext" {
                    let arg = if last.starts_with('p') {
                        call.arguments.args.get(1)
                    } else {
                        call.arguments.args.first()
                    };
                    return match arg.map(|a| self.fold(a, scope, depth + 1)) {
                        Some(Value::Str(s)) => Value::Str(s),
                        _ => Value::Unknown,
                    };
                }
                if matches!(last, "tuple" | "list") && call.arguments.args.len() == 1 {
                    return match self.fold(&call.arguments.args[0], scope, depth + 1) {
                        v @ Value::Seq(_) => v,
                        _ => Value::Unknown,
                    };
                }
                let on = match &*call.func {
                    Expr::Attribute(a) => Some(Box::new(self.fold(&a.value, scope, depth + 1))),
                    inner @ Expr::Call(_) => Some(Box::new(self.fold(inner, scope, depth + 1))),
                    _ => None,
                };
                Value::Call(Box::new(crate::value::Call {
                    func: last.into(),
                    on,
                    args: call
                        .arguments
                        .args
                        .iter()
                        .map(|a| {
                            let v = if a.is_starred_expr() {
                                Value::Unknown
                            } else {
                                self.fold(a, scope, depth + 1)
                            };
                            self.item(a, v)
                        })
                        .collect(),
                    kwargs: call
                        .arguments
                        .keywords
                        .iter()
                        .filter_map(|k| {
                            let name = k.arg.as_ref()?.id.as_str().into();
                            Some((
                                name,
                                self.item(&k.value, self.fold(&k.value, scope, depth + 1)),
                            ))
                        })
                        .collect(),
                }))
            }
            _ => Value::Unknown,
        }
    }
}

/// Python `+` on folded values. `at` is where the sum is written: an unknown part added to a
/// list becomes an unknown item there (a span in this file, as every span of a file's facts).
pub fn add_values(left: Value, right: Value, at: Span) -> Value {
    match (left, right) {
        (Value::Str(a), Value::Str(b)) => Value::Str(a + &b),
        (Value::Seq(mut a), Value::Seq(b)) => {
            a.extend(b);
            Value::Seq(a)
        }
        // A list plus something unknown stays a list with an unknown item (INSTALLED_APPS
        // `+= get_plugins()`): known entries are kept, the list is marked incomplete.
        (Value::Seq(mut a), Value::Unknown) => {
            a.push(unknown_item(at));
            Value::Seq(a)
        }
        (Value::Unknown, Value::Seq(b)) => {
            let mut a = vec![unknown_item(at)];
            a.extend(b);
            Value::Seq(a)
        }
        (Value::Unknown, _) | (_, Value::Unknown) => Value::Unknown,
        (Value::Concat(mut a), b) => {
            a.push(b);
            Value::Concat(a)
        }
        (a, b) => Value::Concat(vec![a, b]),
    }
}

fn unknown_item(span: Span) -> Item {
    Item {
        value: Value::Unknown,
        span,
        literal: false,
    }
}

impl<'a> Walker<'_, '_, 'a> {
    pub(super) fn function_scope(func: &'a ast::StmtFunctionDef) -> Scope<'a> {
        let mut scope = Scope::default();
        let params = &func.parameters;
        for p in params
            .posonlyargs
            .iter()
            .chain(&params.args)
            .chain(&params.kwonlyargs)
        {
            scope.locals.insert(p.parameter.name.id.to_string(), None);
            if let Some(annotation) = &p.parameter.annotation {
                scope
                    .annotations
                    .insert(p.parameter.name.id.to_string(), annotation);
            }
        }
        if let Some(v) = &params.vararg {
            scope.locals.insert(v.name.id.to_string(), None);
        }
        if let Some(v) = &params.kwarg {
            scope.locals.insert(v.name.id.to_string(), None);
        }
        let mut counts: FxHashMap<String, u32> = FxHashMap::default();
        collect_locals(&func.body, &mut scope, &mut counts);
        for (name, count) in counts {
            if count > 1 {
                scope.locals.insert(name, None);
            }
        }
        // `perms = []` then `perms.append(...)`: the list no longer holds what it was bound to.
        // Only a body with such a container is searched.
        let containers: Vec<String> = scope
            .locals
            .iter()
            .filter(|(_, bound)| {
                matches!(bound, Some((expr, None)) if match expr {
                    Expr::List(_) | Expr::Dict(_) | Expr::Set(_) | Expr::ListComp(_) => true,
                    Expr::Call(c) => {
                        matches!(&*c.func, Expr::Name(n) if matches!(n.id.as_str(), "list" | "dict" | "set"))
                    }
                    _ => false,
                })
            })
            .map(|(name, _)| name.clone())
            .collect();
        if !containers.is_empty() {
            let mut mutated = Mutated {
                containers: &containers,
                names: Vec::new(),
                depth: 0,
            };
            for stmt in &func.body {
                mutated.visit_stmt(stmt);
            }
            for name in mutated.names {
                scope.locals.insert(name.to_string(), None);
            }
        }
        scope
    }
}

/// Names a function body changes in place: `x.append(...)` (and the other mutating methods),
/// `x[i] = ...`, or `x` handed to a call that may fill it; of the names in `containers`.
struct Mutated<'c, 'a> {
    containers: &'c [String],
    names: Vec<&'a str>,
    depth: u32,
}

impl<'a> Mutated<'_, 'a> {
    fn note(&mut self, name: &'a str) {
        if self.containers.iter().any(|c| c == name) {
            self.names.push(name);
        }
    }
}

impl<'a> Visitor<'a> for Mutated<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let targets: &[Expr] = match stmt {
            Stmt::Assign(a) => &a.targets,
            Stmt::AugAssign(a) => std::slice::from_ref(&*a.target),
            _ => &[],
        };
        for t in targets {
            if let Expr::Subscript(sub) = t {
                if let Expr::Name(n) = &*sub.value {
                    self.note(n.id.as_str());
                }
            }
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.depth > 200 {
            return;
        }
        if let Expr::Call(call) = expr {
            match &*call.func {
                Expr::Attribute(a)
                    if matches!(
                        a.attr.id.as_str(),
                        "append" | "extend" | "insert" | "add" | "update" | "__iadd__"
                    ) =>
                {
                    if let Expr::Name(n) = &*a.value {
                        self.note(n.id.as_str());
                    }
                }
                func => {
                    let name = match func {
                        Expr::Name(n) => n.id.as_str(),
                        Expr::Attribute(a) => a.attr.id.as_str(),
                        _ => "",
                    };
                    let reads = matches!(
                        name,
                        "has_perm" | "has_perms" | "ahas_perm" | "ahas_perms" | "len" | "bool"
                    );
                    if !reads {
                        let args = call.arguments.args.iter();
                        let kwargs = call.arguments.keywords.iter().map(|k| &k.value);
                        for arg in args.chain(kwargs) {
                            if let Expr::Name(n) = arg {
                                self.note(n.id.as_str());
                            }
                        }
                    }
                }
            }
        }
        self.depth += 1;
        walk_expr(self, expr);
        self.depth -= 1;
    }
}

pub(super) fn collect_locals<'a>(
    body: &'a [Stmt],
    scope: &mut Scope<'a>,
    counts: &mut FxHashMap<String, u32>,
) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    match target {
                        Expr::Name(n) => {
                            *counts.entry(n.id.to_string()).or_default() += 1;
                            scope
                                .locals
                                .entry(n.id.to_string())
                                .or_insert(Some((&assign.value, None)));
                        }
                        Expr::Tuple(t) => {
                            for (i, e) in t.elts.iter().enumerate() {
                                if let Expr::Name(n) = e {
                                    *counts.entry(n.id.to_string()).or_default() += 1;
                                    scope
                                        .locals
                                        .entry(n.id.to_string())
                                        .or_insert(Some((&assign.value, Some(i))));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Stmt::AugAssign(a) => {
                if let Expr::Name(n) = &*a.target {
                    scope.locals.insert(n.id.to_string(), None);
                    counts.insert(n.id.to_string(), 2);
                }
            }
            Stmt::AnnAssign(a) => {
                if let Expr::Name(n) = &*a.target {
                    *counts.entry(n.id.to_string()).or_default() += 1;
                    match &a.value {
                        Some(v) => {
                            scope
                                .locals
                                .entry(n.id.to_string())
                                .or_insert(Some((v, None)));
                        }
                        None => {
                            scope.locals.insert(n.id.to_string(), None);
                        }
                    }
                }
            }
            Stmt::For(f) => {
                mark_unknown_targets(&f.target, scope, counts);
                collect_locals(&f.body, scope, counts);
                collect_locals(&f.orelse, scope, counts);
            }
            Stmt::ImportFrom(imp) => {
                let module = imp.module.as_ref().map(|m| m.id.as_str());
                for alias in imp.names.iter().filter(|a| a.name.id.as_str() != "*") {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name).id.as_str();
                    *counts.entry(local.to_string()).or_default() += 1;
                    scope.imports.insert(
                        local.to_string(),
                        (imp.level, module, Some(alias.name.id.as_str())),
                    );
                }
            }
            Stmt::Import(imp) => {
                for alias in &imp.names {
                    let (local, module) = super::definitions::import_binding(alias);
                    *counts.entry(local.to_string()).or_default() += 1;
                    scope
                        .imports
                        .insert(local.to_string(), (0, Some(module), None));
                }
            }
            Stmt::While(w) => {
                collect_locals(&w.body, scope, counts);
                collect_locals(&w.orelse, scope, counts);
            }
            Stmt::If(i) => {
                collect_locals(&i.body, scope, counts);
                for c in &i.elif_else_clauses {
                    collect_locals(&c.body, scope, counts);
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(v) = &item.optional_vars {
                        mark_unknown_targets(v, scope, counts);
                    }
                }
                collect_locals(&w.body, scope, counts);
            }
            Stmt::Try(t) => {
                collect_locals(&t.body, scope, counts);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    collect_locals(&h.body, scope, counts);
                }
                collect_locals(&t.orelse, scope, counts);
                collect_locals(&t.finalbody, scope, counts);
            }
            _ => {}
        }
    }
}

fn mark_unknown_targets(target: &Expr, scope: &mut Scope<'_>, counts: &mut FxHashMap<String, u32>) {
    match target {
        Expr::Name(n) => {
            scope.locals.insert(n.id.to_string(), None);
            counts.insert(n.id.to_string(), 2);
        }
        Expr::Tuple(t) => {
            for e in &t.elts {
                mark_unknown_targets(e, scope, counts);
            }
        }
        _ => {}
    }
}
