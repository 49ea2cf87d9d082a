//! Definitions, the first pass: imports, module constants bound in order (so
//! `INSTALLED_APPS += [...]` folds like Python runs it), module-level calls such as
//! `admin.site.register(...)`, classes with their `Meta` options, functions and decorators.

use ruff_python_ast::{self as ast, Expr, Operator, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::FxHashMap;

use super::fold::{add_values, collect_locals};
use super::{Extractor, Scope};
use crate::facts::{ClassFact, FunctionFact, MetaFact, ModuleCall};
use crate::value::{Item, ThinVec, Value};

impl Extractor<'_> {
    /// First pass: imports, module constants (in order) and class facts.
    pub(super) fn bind_module(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.bind_stmt(stmt);
        }
    }

    /// Bind each branch from the state before them and unite the results: a list any branch
    /// can leave counts with the items of all (`if DEBUG: INSTALLED_APPS += [...]`, `if`/`else`
    /// choosing between two lists). Without an `else`, no branch may run at all.
    fn bind_branches(&mut self, branches: &[&[Stmt]], exhaustive: bool) {
        let assigns = branches.iter().flat_map(|b| b.iter()).any(|s| {
            matches!(
                s,
                Stmt::Assign(_) | Stmt::AugAssign(_) | Stmt::AnnAssign(_) | Stmt::Expr(_)
            )
        });
        if !assigns || branches.len() == 1 && exhaustive {
            for b in branches {
                for s in *b {
                    self.bind_stmt(s);
                }
            }
            return;
        }
        let before = self.facts.constants.clone();
        let mut merged = if exhaustive {
            None
        } else {
            Some(before.clone())
        };
        for b in branches {
            self.facts.constants = before.clone();
            for s in *b {
                self.bind_stmt(s);
            }
            let after = std::mem::take(&mut self.facts.constants);
            merged = Some(match merged {
                None => after,
                Some(m) => unite(m, after),
            });
        }
        self.facts.constants = merged.unwrap_or(before);
    }

    pub(super) fn bind_stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(imp) => {
                for alias in &imp.names {
                    self.facts
                        .imported_modules
                        .push(alias.name.id.as_str().into());
                    let (local, module) = import_binding(alias);
                    self.imports
                        .insert(local.into(), (module.into(), ThinVec::new()));
                }
            }
            Stmt::ImportFrom(imp) => {
                let module =
                    self.absolute_module(imp.level, imp.module.as_ref().map(|m| m.id.as_str()));
                self.facts.imported_modules.push(module.as_str().into());
                for alias in &imp.names {
                    let name = alias.name.id.as_str();
                    if name != "*" {
                        self.facts
                            .imported_modules
                            .push(compact_str::format_compact!("{module}.{name}"));
                    }
                    if name == "*" {
                        self.facts.star_imports.push(module.clone());
                        continue;
                    }
                    let local = alias.asname.as_ref().unwrap_or(&alias.name).id.to_string();
                    self.facts.constants.remove(&local);
                    self.imports.insert(
                        local.into(),
                        (module.as_str().into(), thin_vec::thin_vec![name.into()]),
                    );
                }
            }
            Stmt::Assign(assign) => {
                let value = self.fold(&assign.value, None, 0);
                for target in &assign.targets {
                    self.bind_target(target, &value);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    let value = self.fold(value, None, 0);
                    self.bind_target(&assign.target, &value);
                }
            }
            Stmt::AugAssign(assign) => {
                if let (Expr::Name(name), Operator::Add) = (&*assign.target, assign.op) {
                    let current = self.lookup_name(name.id.as_str(), None, 0);
                    let added = self.fold(&assign.value, None, 0);
                    let at = self.span(assign.value.range());
                    self.facts
                        .constants
                        .insert(name.id.to_string(), add_values(current, added, at));
                }
            }
            Stmt::Expr(expr) => {
                self.module_call(&expr.value);
                // INSTALLED_APPS.append("x") / .extend([...]) / .insert(0, "x")
                if let Expr::Call(call) = &*expr.value {
                    if let Expr::Attribute(attr) = &*call.func {
                        if let Expr::Name(name) = &*attr.value {
                            let method = attr.attr.id.as_str();
                            let arg = match method {
                                "append" | "extend" => call.arguments.args.first(),
                                "insert" => call.arguments.args.get(1),
                                _ => None,
                            };
                            if let Some(arg) = arg {
                                if self.facts.constants.contains_key(name.id.as_str())
                                    || !self.facts.star_imports.is_empty()
                                {
                                    let current = self.lookup_name(name.id.as_str(), None, 0);
                                    let folded = self.fold(arg, None, 0);
                                    let added = if method == "extend" {
                                        folded
                                    } else {
                                        Value::Seq(vec![self.item(arg, folded)])
                                    };
                                    let at = self.span(arg.range());
                                    self.facts.constants.insert(
                                        name.id.to_string(),
                                        add_values(current, added, at),
                                    );
                                }
                            }
                        }
                    }
                }
            }
            Stmt::ClassDef(class) => {
                self.local_classes.insert(class.name.id.to_string());
                self.facts.constants.remove(class.name.id.as_str());
                let fact = self.class_fact(class);
                self.facts.classes.push(fact);
            }
            Stmt::FunctionDef(func) => {
                self.facts.constants.remove(func.name.id.as_str());
                let fact = FunctionFact {
                    name: func.name.id.to_string(),
                    span: self.span(func.name.range),
                    body: self.span(TextRange::new(func.name.range.start(), func.range.end())),
                    decorators: self.decorators(&func.decorator_list),
                };
                self.facts.functions.push(fact);
            }
            Stmt::If(if_stmt) => {
                self.facts.conditional.push(self.span(if_stmt.range));
                let type_checking = match &*if_stmt.test {
                    Expr::Name(n) => n.id.as_str() == "TYPE_CHECKING",
                    Expr::Attribute(a) => a.attr.id.as_str() == "TYPE_CHECKING",
                    _ => false,
                };
                if let (true, Some(first), Some(last)) =
                    (type_checking, if_stmt.body.first(), if_stmt.body.last())
                {
                    let body = TextRange::new(first.range().start(), last.range().end());
                    self.facts.type_checking.push(self.span(body));
                }
                let mut branches: Vec<&[Stmt]> = vec![&if_stmt.body];
                branches.extend(if_stmt.elif_else_clauses.iter().map(|c| c.body.as_slice()));
                let exhaustive = if_stmt.elif_else_clauses.iter().any(|c| c.test.is_none());
                self.bind_branches(&branches, exhaustive);
            }
            Stmt::Try(try_stmt) => {
                // The body (with its `else`) or a handler runs: lists are united.
                let mut body: Vec<&Stmt> = try_stmt.body.iter().collect();
                body.extend(&try_stmt.orelse);
                let handlers: Vec<&[Stmt]> = try_stmt
                    .handlers
                    .iter()
                    .map(|h| {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        h.body.as_slice()
                    })
                    .collect();
                if handlers.is_empty() {
                    for s in body {
                        self.bind_stmt(s);
                    }
                } else {
                    let before = self.facts.constants.clone();
                    for s in body {
                        self.bind_stmt(s);
                    }
                    let after_body = std::mem::replace(&mut self.facts.constants, before);
                    self.bind_branches(&handlers, true);
                    let handled = std::mem::take(&mut self.facts.constants);
                    self.facts.constants = unite(after_body, handled);
                }
                for s in &try_stmt.finalbody {
                    self.bind_stmt(s);
                }
            }
            Stmt::With(with) => {
                for s in &with.body {
                    self.bind_stmt(s);
                }
            }
            _ => {}
        }
    }

    pub(super) fn bind_target(&mut self, target: &Expr, value: &Value) {
        match target {
            Expr::Name(name) => {
                self.facts
                    .constants
                    .insert(name.id.to_string(), value.clone());
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                for (i, elt) in elts.iter().enumerate() {
                    let v = match value {
                        Value::Seq(items) if items.len() == elts.len() => items[i].value.clone(),
                        _ => Value::Unknown,
                    };
                    self.bind_target(elt, &v);
                }
            }
            _ => {}
        }
    }

    pub(super) fn class_fact(&mut self, class: &ast::StmtClassDef) -> ClassFact {
        let bases = class
            .arguments
            .as_ref()
            .map(|a| a.args.iter().map(|b| self.fold(b, None, 0)).collect())
            .unwrap_or_default();
        let mut fact = ClassFact {
            name: class.name.id.to_string(),
            span: self.span(class.name.range),
            bases,
            decorators: self.decorators(&class.decorator_list).into(),
            body: self.span(TextRange::new(class.name.range.start(), class.range.end())),
            ..ClassFact::default()
        };
        let mut class_scope = Scope::default();
        let mut counts: FxHashMap<String, u32> = FxHashMap::default();
        collect_locals(&class.body, &mut class_scope, &mut counts);
        for (name, count) in counts {
            if count > 1 {
                class_scope.locals.insert(name, None);
            }
        }
        for stmt in &class.body {
            match stmt {
                Stmt::Assign(assign) => {
                    for target in &assign.targets {
                        if let Expr::Name(name) = target {
                            let value = self.fold(&assign.value, Some(&class_scope), 0);
                            let item = self.item(&assign.value, value);
                            fact.attrs.insert(name.id.as_str(), item);
                        }
                    }
                }
                Stmt::AnnAssign(assign) => {
                    if let (Expr::Name(name), Some(value)) = (&*assign.target, &assign.value) {
                        let folded = self.fold(value, None, 0);
                        let item = self.item(value, folded);
                        fact.attrs.insert(name.id.as_str(), item);
                    }
                }
                Stmt::ClassDef(inner) if inner.name.id.as_str() == "Meta" => {
                    let mut meta = MetaFact {
                        span: self.span(inner.name.range),
                        bases: inner
                            .arguments
                            .as_ref()
                            .map(|a| a.args.iter().map(|b| self.fold(b, None, 0)).collect())
                            .unwrap_or_default(),
                        attrs: Default::default(),
                    };
                    for s in &inner.body {
                        if let Stmt::Assign(assign) = s {
                            for target in &assign.targets {
                                if let Expr::Name(name) = target {
                                    let value = self.fold(&assign.value, None, 0);
                                    let item = self.item(&assign.value, value);
                                    meta.attrs.insert(name.id.as_str(), item);
                                }
                            }
                        } else if let Stmt::AnnAssign(assign) = s {
                            if let (Expr::Name(name), Some(value)) =
                                (&*assign.target, &assign.value)
                            {
                                let folded = self.fold(value, None, 0);
                                let item = self.item(value, folded);
                                meta.attrs.insert(name.id.as_str(), item);
                            }
                        }
                    }
                    fact.meta = Some(Box::new(meta));
                }
                Stmt::FunctionDef(func) => {
                    fact.methods.push(func.name.id.to_string());
                    if !func.decorator_list.is_empty() {
                        let decorators = self.decorators(&func.decorator_list);
                        fact.method_decorators
                            .push((func.name.id.to_string(), decorators));
                    }
                    collect_self_assigns(&func.body, &mut fact.self_attrs);
                    if matches!(func.name.id.as_str(), "__init__" | "setup" | "dispatch") {
                        self.self_values(&func.body, &mut fact.self_values);
                    }
                    let text = &self.source[func.range()];
                    if text.contains("super(") && text.contains(&format!(".{}(", func.name.id)) {
                        fact.super_calls.push(func.name.id.to_string());
                    }
                }
                _ => {}
            }
        }
        fact
    }

    /// `self.<name> = value` statements of a method body (also inside `if`/`with`/`try`).
    fn self_values(&self, body: &[Stmt], out: &mut crate::value::ThinVec<(String, Item)>) {
        for stmt in body {
            match stmt {
                Stmt::Assign(a) if a.targets.len() == 1 => {
                    if let Expr::Attribute(t) = &a.targets[0] {
                        if matches!(&*t.value, Expr::Name(n) if n.id.as_str() == "self") {
                            let value = self.fold(&a.value, None, 0);
                            out.push((t.attr.id.to_string(), self.item(&a.value, value)));
                        }
                    }
                }
                Stmt::If(i) => {
                    self.self_values(&i.body, out);
                    for c in &i.elif_else_clauses {
                        self.self_values(&c.body, out);
                    }
                }
                Stmt::With(w) => self.self_values(&w.body, out),
                Stmt::Try(t) => {
                    self.self_values(&t.body, out);
                    self.self_values(&t.finalbody, out);
                }
                _ => {}
            }
        }
    }

    pub(super) fn decorators(&self, list: &[ast::Decorator]) -> Vec<Value> {
        list.iter()
            .map(|d| self.fold(&d.expression, None, 0))
            .collect()
    }

    /// A module-level name bound to an object built here (`router = DefaultRouter()`).
    pub(super) fn module_object(&self, expr: &Expr, scope: Option<&Scope<'_>>) -> Option<String> {
        let Expr::Name(name) = expr else { return None };
        let local = scope.is_some_and(|s| s.locals.contains_key(name.id.as_str()));
        let object = matches!(
            self.facts.constants.get(name.id.as_str()),
            Some(Value::Call { .. })
        );
        (!local && object).then(|| name.id.to_string())
    }

    /// Record `X.register(...)`-style module-level calls (see [`ModuleCall`]).
    pub(super) fn module_call(&mut self, expr: &Expr) {
        let Expr::Call(call) = expr else { return };
        let Expr::Attribute(attr) = &*call.func else {
            return;
        };
        let method = attr.attr.id.to_string();
        let receiver = match self.module_object(&attr.value, None) {
            Some(name) => Value::Ref {
                module: self.module.as_str().into(),
                path: thin_vec::thin_vec![name.into()],
            },
            None if method == "register" || method == "unregister" => {
                self.fold(&attr.value, None, 0)
            }
            None => return,
        };
        let Value::Call(folded) = self.fold(expr, None, 0) else {
            return;
        };
        let crate::value::Call { args, kwargs, .. } = *folded;
        self.facts.module_calls.push(ModuleCall {
            receiver,
            method,
            args,
            kwargs,
            span: self.span(call.range()),
        });
    }
}

/// `self.<name> = …` targets anywhere in a method body.
/// What `import a.b` (or `import a.b as c`) binds: the name and the module it names, `a` and
/// `a` (or `c` and `a.b`).
pub(super) fn import_binding(alias: &ast::Alias) -> (&str, &str) {
    let full = alias.name.id.as_str();
    match &alias.asname {
        Some(asname) => (asname.id.as_str(), full),
        None => {
            let root = full.split('.').next().unwrap_or(full);
            (root, root)
        }
    }
}

fn collect_self_assigns(body: &[Stmt], out: &mut crate::value::ThinVec<String>) {
    fn push(target: &Expr, out: &mut crate::value::ThinVec<String>) {
        if let Expr::Attribute(a) = target {
            if matches!(&*a.value, Expr::Name(n) if n.id.as_str() == "self") {
                out.push(a.attr.id.to_string());
            }
        }
    }
    for stmt in body {
        match stmt {
            Stmt::Assign(a) => a.targets.iter().for_each(|t| push(t, out)),
            Stmt::AnnAssign(a) => push(&a.target, out),
            Stmt::If(i) => {
                collect_self_assigns(&i.body, out);
                for c in &i.elif_else_clauses {
                    collect_self_assigns(&c.body, out);
                }
            }
            Stmt::For(f) => collect_self_assigns(&f.body, out),
            Stmt::With(w) => collect_self_assigns(&w.body, out),
            Stmt::Try(t) => {
                collect_self_assigns(&t.body, out);
                collect_self_assigns(&t.finalbody, out);
            }
            _ => {}
        }
    }
}

/// Constants after one of two paths: a name bound on one path only keeps that value (as
/// before); lists bound on both are united (items of the second whose span the first lacks are
/// appended); other values take the second path's.
fn unite(
    first: FxHashMap<String, Value>,
    mut second: FxHashMap<String, Value>,
) -> FxHashMap<String, Value> {
    let mut out = first;
    for (name, value) in second.drain() {
        match (out.get_mut(&name), value) {
            (Some(Value::Seq(a)), Value::Seq(b)) => {
                let mut items = std::mem::take(a);
                for item in b {
                    if !items.iter().any(|i| i.span == item.span) {
                        items.push(item);
                    }
                }
                *a = items;
            }
            (_, value) => {
                out.insert(name, value);
            }
        }
    }
    out
}
