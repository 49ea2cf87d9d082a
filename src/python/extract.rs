//! One Python file → [`FileFacts`]. Two passes over the module: the first binds module-level
//! names in order (so `INSTALLED_APPS += [...]` folds like Python runs it), the second walks
//! every expression for references, data-migration rows and the permission-cache sequences.

use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{self as ast, Expr, Number, Operator, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnostic::{FileId, Span};
use crate::facts::{
    python_noqa, ClassFact, CtRef, FileFacts, FunctionFact, Lookup, MetaFact, ModuleCall, PermRow,
    RefKind, Reference, StaleCheck,
};
use crate::value::{Item, Value};

/// Deeper expressions than this fold to `Unknown` (no stack overflow on generated code).
const MAX_DEPTH: u32 = 48;
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
const CHECK_METHODS: &[&str] = &[
    "has_perm",
    "has_perms",
    "ahas_perm",
    "ahas_perms",
    "has_module_perms",
    "ahas_module_perms",
    "get_all_permissions",
    "get_user_permissions",
    "get_group_permissions",
    "aget_all_permissions",
    "aget_user_permissions",
    "aget_group_permissions",
];
const PERM_CACHES: &[&str] = &["_perm_cache", "_user_perm_cache", "_group_perm_cache"];

/// Parse `source` and extract its facts. `module` is the file's dotted module name and
/// `is_package` says whether it is an `__init__.py` (for relative imports).
pub fn extract_python(file: FileId, source: &str, module: &str, is_package: bool) -> FileFacts {
    let mut facts = FileFacts {
        module: module.to_string(),
        noqa: python_noqa(source),
        ..FileFacts::default()
    };
    let parsed = match ruff_python_parser::parse_module(source) {
        Ok(parsed) => parsed,
        Err(err) => {
            let range = err.location;
            let start = range.start().to_u32().min(source.len() as u32);
            let end = range.end().to_u32().clamp(start, source.len() as u32);
            facts.syntax_error = Some((Span::new(file, start, end), err.error.to_string()));
            return facts;
        }
    };
    let body = &parsed.syntax().body;
    let package = if is_package {
        module.to_string()
    } else {
        module
            .rsplit_once('.')
            .map(|(p, _)| p.to_string())
            .unwrap_or_default()
    };
    let mut ex = Extractor {
        file,
        source,
        module: module.to_string(),
        package,
        imports: FxHashMap::default(),
        local_classes: FxHashSet::default(),
        facts,
    };
    ex.bind_module(body);
    let mut walker = Walker {
        ex: &mut ex,
        scopes: Vec::new(),
        loops: Vec::new(),
        events: vec![Vec::new()],
        sink_literals: FxHashSet::default(),
        skip_lookups: FxHashSet::default(),
        shapes: Vec::new(),
        depth: 0,
    };
    for stmt in body {
        walker.visit_stmt(stmt);
    }
    let events = walker.events.pop().unwrap_or_default();
    let stale = stale_checks(events);
    let shapes = std::mem::take(&mut walker.shapes);
    let sink_literals = std::mem::take(&mut walker.sink_literals);
    ex.facts.stale_checks.extend(stale);
    ex.facts.imports = std::mem::take(&mut ex.imports);
    // A constant defined here and used by a sink here is reported once, at the use.
    let mut used: FxHashSet<String> = FxHashSet::default();
    for r in &ex.facts.references {
        match &r.value.value {
            Value::Str(s) => {
                used.insert(s.clone());
            }
            Value::Seq(items) => used.extend(
                items
                    .iter()
                    .filter_map(|i| i.value.as_str().map(str::to_string)),
            ),
            _ => {}
        }
    }
    for item in shapes {
        let text = item.value.as_str().unwrap_or_default();
        if !sink_literals.contains(&item.span) && !used.contains(text) {
            ex.facts.references.push(Reference {
                kind: RefKind::Shape,
                call_span: item.span,
                value: item,
                with_obj: false,
                lookup: None,
                class_bases: Vec::new(),
                owner: None,
            });
        }
    }
    ex.facts
}

struct Extractor<'s> {
    file: FileId,
    source: &'s str,
    module: String,
    package: String,
    /// Local name → (module, attribute path).
    imports: FxHashMap<String, (String, Vec<String>)>,
    local_classes: FxHashSet<String>,
    facts: FileFacts,
}

/// A function's simple local bindings: a name assigned exactly once (possibly by tuple unpacking).
#[derive(Default)]
struct Scope<'a> {
    locals: FxHashMap<String, Option<(&'a Expr, Option<usize>)>>,
}

impl<'s> Extractor<'s> {
    fn span(&self, range: TextRange) -> Span {
        Span::new(self.file, range.start().to_u32(), range.end().to_u32())
    }

    fn text(&self, range: TextRange) -> &'s str {
        &self.source[range.start().to_usize()..range.end().to_usize()]
    }

    fn absolute_module(&self, level: u32, module: Option<&str>) -> String {
        if level == 0 {
            return module.unwrap_or_default().to_string();
        }
        let mut base = self.package.clone();
        for _ in 1..level {
            base = base
                .rsplit_once('.')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default();
        }
        match module {
            Some(m) if base.is_empty() => m.to_string(),
            Some(m) => format!("{base}.{m}"),
            None => base,
        }
    }

    /// First pass: imports, module constants (in order) and class facts.
    fn bind_module(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.bind_stmt(stmt);
        }
    }

    fn bind_stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(imp) => {
                for alias in &imp.names {
                    let name = alias.name.id.as_str();
                    self.facts.imported_modules.push(name.to_string());
                    match &alias.asname {
                        Some(asname) => {
                            self.imports
                                .insert(asname.id.to_string(), (name.to_string(), Vec::new()));
                        }
                        None => {
                            let root = name.split('.').next().unwrap_or(name);
                            self.imports
                                .insert(root.to_string(), (root.to_string(), Vec::new()));
                        }
                    }
                }
            }
            Stmt::ImportFrom(imp) => {
                let module =
                    self.absolute_module(imp.level, imp.module.as_ref().map(|m| m.id.as_str()));
                self.facts.imported_modules.push(module.clone());
                for alias in &imp.names {
                    let name = alias.name.id.as_str();
                    if name != "*" {
                        self.facts.imported_modules.push(format!("{module}.{name}"));
                    }
                    if name == "*" {
                        self.facts.star_imports.push(module.clone());
                        continue;
                    }
                    let local = alias.asname.as_ref().unwrap_or(&alias.name).id.to_string();
                    self.facts.constants.remove(&local);
                    self.imports
                        .insert(local, (module.clone(), vec![name.to_string()]));
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
                for s in &if_stmt.body {
                    self.bind_stmt(s);
                }
                for clause in &if_stmt.elif_else_clauses {
                    for s in &clause.body {
                        self.bind_stmt(s);
                    }
                }
            }
            Stmt::Try(try_stmt) => {
                for s in &try_stmt.body {
                    self.bind_stmt(s);
                }
                for handler in &try_stmt.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = handler;
                    for s in &h.body {
                        self.bind_stmt(s);
                    }
                }
                for s in try_stmt.orelse.iter().chain(&try_stmt.finalbody) {
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

    fn bind_target(&mut self, target: &Expr, value: &Value) {
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

    fn class_fact(&mut self, class: &ast::StmtClassDef) -> ClassFact {
        let bases = class
            .arguments
            .as_ref()
            .map(|a| a.args.iter().map(|b| self.fold(b, None, 0)).collect())
            .unwrap_or_default();
        let mut fact = ClassFact {
            name: class.name.id.to_string(),
            span: self.span(class.name.range),
            bases,
            decorators: self.decorators(&class.decorator_list),
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
                            fact.attrs.insert(name.id.to_string(), item);
                        }
                    }
                }
                Stmt::AnnAssign(assign) => {
                    if let (Expr::Name(name), Some(value)) = (&*assign.target, &assign.value) {
                        let folded = self.fold(value, None, 0);
                        let item = self.item(value, folded);
                        fact.attrs.insert(name.id.to_string(), item);
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
                        attrs: FxHashMap::default(),
                    };
                    for s in &inner.body {
                        if let Stmt::Assign(assign) = s {
                            for target in &assign.targets {
                                if let Expr::Name(name) = target {
                                    let value = self.fold(&assign.value, None, 0);
                                    let item = self.item(&assign.value, value);
                                    meta.attrs.insert(name.id.to_string(), item);
                                }
                            }
                        } else if let Stmt::AnnAssign(assign) = s {
                            if let (Expr::Name(name), Some(value)) =
                                (&*assign.target, &assign.value)
                            {
                                let folded = self.fold(value, None, 0);
                                let item = self.item(value, folded);
                                meta.attrs.insert(name.id.to_string(), item);
                            }
                        }
                    }
                    fact.meta = Some(meta);
                }
                Stmt::FunctionDef(func) => {
                    fact.methods.push(func.name.id.to_string());
                    if !func.decorator_list.is_empty() {
                        let decorators = self.decorators(&func.decorator_list);
                        fact.method_decorators
                            .push((func.name.id.to_string(), decorators));
                    }
                    collect_self_assigns(&func.body, &mut fact.self_attrs);
                }
                _ => {}
            }
        }
        fact
    }

    fn decorators(&self, list: &[ast::Decorator]) -> Vec<Value> {
        list.iter()
            .map(|d| self.fold(&d.expression, None, 0))
            .collect()
    }

    /// A module-level name bound to an object built here (`router = DefaultRouter()`).
    fn module_object(&self, expr: &Expr, scope: Option<&Scope<'_>>) -> Option<String> {
        let Expr::Name(name) = expr else { return None };
        let local = scope.is_some_and(|s| s.locals.contains_key(name.id.as_str()));
        let object = matches!(
            self.facts.constants.get(name.id.as_str()),
            Some(Value::Call { .. })
        );
        (!local && object).then(|| name.id.to_string())
    }

    /// Record `X.register(...)`-style module-level calls (see [`ModuleCall`]).
    fn module_call(&mut self, expr: &Expr) {
        let Expr::Call(call) = expr else { return };
        let Expr::Attribute(attr) = &*call.func else {
            return;
        };
        let method = attr.attr.id.to_string();
        let receiver = match self.module_object(&attr.value, None) {
            Some(name) => Value::Ref {
                module: self.module.clone(),
                path: vec![name],
            },
            None if method == "register" || method == "unregister" => {
                self.fold(&attr.value, None, 0)
            }
            None => return,
        };
        let Value::Call { args, kwargs, .. } = self.fold(expr, None, 0) else {
            return;
        };
        self.facts.module_calls.push(ModuleCall {
            receiver,
            method,
            args,
            kwargs,
            span: self.span(call.range()),
        });
    }

    fn item(&self, expr: &Expr, value: Value) -> Item {
        let literal = matches!(expr, Expr::StringLiteral(s) if !s.value.is_implicit_concatenated());
        Item {
            value,
            span: self.span(expr.range()),
            literal,
        }
    }

    fn lookup_name(&self, name: &str, scope: Option<&Scope<'_>>, depth: u32) -> Value {
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
                module: self.module.clone(),
                path: vec![name.to_string()],
            };
        }
        if !self.facts.star_imports.is_empty() {
            return Value::StarRef {
                modules: self.facts.star_imports.clone(),
                path: vec![name.to_string()],
            };
        }
        Value::Unknown
    }

    fn fold(&self, expr: &Expr, scope: Option<&Scope<'_>>, depth: u32) -> Value {
        if depth > MAX_DEPTH {
            return Value::Unknown;
        }
        match expr {
            Expr::StringLiteral(s) => Value::Str(s.value.to_str().to_string()),
            Expr::BooleanLiteral(b) => Value::Bool(b.value),
            Expr::NoneLiteral(_) => Value::None,
            Expr::NumberLiteral(n) => match &n.value {
                Number::Int(i) => i.as_i64().map(Value::Int).unwrap_or(Value::Unknown),
                _ => Value::Unknown,
            },
            Expr::Name(name) => self.lookup_name(name.id.as_str(), scope, depth),
            Expr::Attribute(attr) => match self.fold(&attr.value, scope, depth + 1) {
                Value::Ref { module, mut path } => {
                    path.push(attr.attr.id.to_string());
                    Value::Ref { module, path }
                }
                Value::StarRef { modules, mut path } => {
                    path.push(attr.attr.id.to_string());
                    Value::StarRef { modules, path }
                }
                // `router.urls` for a module-level object built here: keep what it names.
                Value::Call { .. } => match self.module_object(&attr.value, scope) {
                    Some(name) => Value::Ref {
                        module: self.module.clone(),
                        path: vec![name, attr.attr.id.to_string()],
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
                Value::Call {
                    func: last.to_string(),
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
                            let name = k.arg.as_ref()?.id.to_string();
                            Some((
                                name,
                                self.item(&k.value, self.fold(&k.value, scope, depth + 1)),
                            ))
                        })
                        .collect(),
                }
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

/// `a.b.c` for a chain of names and attributes.
fn dotted(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attr) => Some(format!("{}.{}", dotted(&attr.value)?, attr.attr.id)),
        _ => None,
    }
}

fn shaped_like_permission(s: &str) -> bool {
    let Some((label, codename)) = s.split_once('.') else {
        return false;
    };
    let ident = |p: &str| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !p.starts_with(|c: char| c.is_ascii_digit())
    };
    ident(label) && ident(codename) && codename.contains('_')
}

#[derive(Clone, Debug)]
enum Event {
    Check(String, Span),
    Mutate(String, Span),
    Rebind(String),
}

/// check → mutate → check on the same receiver, with no rebinding in between.
fn stale_checks(events: Vec<Event>) -> Vec<StaleCheck> {
    #[derive(Clone, Copy)]
    enum State {
        Checked(Span),
        Dirty(Span, Span),
    }
    let mut state: FxHashMap<String, State> = FxHashMap::default();
    let mut out = Vec::new();
    for event in events {
        match event {
            Event::Check(recv, span) => match state.get(&recv).copied() {
                None => {
                    state.insert(recv, State::Checked(span));
                }
                Some(State::Checked(_)) => {}
                Some(State::Dirty(first, mutation)) => {
                    out.push(StaleCheck {
                        span,
                        receiver: recv.clone(),
                        first_check: first,
                        mutation,
                    });
                    // Report once per stale stretch.
                    state.insert(recv, State::Checked(first));
                }
            },
            Event::Mutate(recv, span) => {
                if let Some(State::Checked(first)) = state.get(&recv).copied() {
                    state.insert(recv, State::Dirty(first, span));
                }
            }
            Event::Rebind(recv) => {
                let prefix = format!("{recv}.");
                state.retain(|k, _| k != &recv && !k.starts_with(&prefix));
            }
        }
    }
    out
}

struct Walker<'e, 's, 'a> {
    ex: &'e mut Extractor<'s>,
    scopes: Vec<Scope<'a>>,
    /// Enclosing `for` loops over folded sequences: (target names by tuple index, items).
    loops: Vec<(Vec<Option<String>>, Vec<Value>)>,
    events: Vec<Vec<Event>>,
    sink_literals: FxHashSet<Span>,
    /// Inner `.filter(...)` calls already read as part of `.filter(...).get()`.
    skip_lookups: FxHashSet<Span>,
    shapes: Vec<Item>,
    depth: u32,
}

impl<'a> Walker<'_, '_, 'a> {
    fn scope(&self) -> Option<&Scope<'a>> {
        self.scopes.last()
    }

    fn fold(&self, expr: &Expr) -> Value {
        self.ex.fold(expr, self.scope(), 0)
    }

    fn item(&self, expr: &Expr) -> Item {
        self.ex.item(expr, self.fold(expr))
    }

    fn push_event(&mut self, event: Event) {
        if let Some(events) = self.events.last_mut() {
            events.push(event);
        }
    }

    fn mark_sink(&mut self, item: &Item) {
        match &item.value {
            Value::Seq(items) => {
                self.sink_literals.insert(item.span);
                for i in items {
                    self.sink_literals.insert(i.span);
                }
            }
            _ => {
                self.sink_literals.insert(item.span);
            }
        }
    }

    fn push_ref(&mut self, kind: RefKind, value: Item, with_obj: bool, call_span: Span) {
        self.mark_sink(&value);
        self.ex.facts.references.push(Reference {
            kind,
            value,
            with_obj,
            call_span,
            lookup: None,
            class_bases: Vec::new(),
            owner: None,
        });
    }

    fn import_origin(&self, name: &str) -> Option<&str> {
        self.ex.imports.get(name).map(|(m, _)| m.as_str())
    }

    fn function_scope(func: &'a ast::StmtFunctionDef) -> Scope<'a> {
        let mut scope = Scope::default();
        let params = &func.parameters;
        for p in params
            .posonlyargs
            .iter()
            .chain(&params.args)
            .chain(&params.kwonlyargs)
        {
            scope.locals.insert(p.parameter.name.id.to_string(), None);
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
        scope
    }

    fn handle_call(&mut self, call: &'a ast::ExprCall) {
        let call_span = self.ex.span(call.range());
        let args = &call.arguments.args;
        let kw = |name: &str| {
            call.arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
                .map(|k| &k.value)
        };
        let func_name = match &*call.func {
            Expr::Name(n) => n.id.to_string(),
            Expr::Attribute(a) => a.attr.id.to_string(),
            _ => return,
        };
        let receiver = match &*call.func {
            Expr::Attribute(a) => Some(&*a.value),
            _ => None,
        };
        let receiver_text = receiver.map(|r| self.ex.text(r.range()).to_string());
        if func_name == "RunPython" {
            self.ex.facts.has_run_python = true;
        }
        if func_name == "create_permissions" {
            self.ex.facts.calls_create_permissions = true;
        }
        if func_name == "as_view" && kw("permission_required").is_none() {
            if let Some(r) = receiver {
                let value = self.fold(r);
                self.ex
                    .facts
                    .as_view_classes
                    .push((value, self.ex.span(r.range())));
            }
        }
        // DJP005 bookkeeping.
        if CHECK_METHODS.contains(&func_name.as_str()) {
            if let Some(recv) = &receiver_text {
                if recv != "rules" {
                    self.push_event(Event::Check(recv.clone(), call_span));
                }
            }
        }
        if matches!(
            func_name.as_str(),
            "add" | "remove" | "set" | "clear" | "aadd" | "aremove" | "aset" | "aclear"
        ) {
            if let Some(Expr::Attribute(rel)) = receiver {
                if matches!(rel.attr.id.as_str(), "user_permissions" | "groups") {
                    let owner = self.ex.text(rel.value.range()).to_string();
                    self.push_event(Event::Mutate(owner, call_span));
                }
                if matches!(rel.attr.id.as_str(), "user_permissions" | "permissions")
                    && !func_name.ends_with("clear")
                {
                    for arg in args.iter() {
                        let item = self.item(arg);
                        let strings = match &item.value {
                            Value::Str(_) => true,
                            Value::Seq(items) => {
                                items.iter().any(|i| matches!(i.value, Value::Str(_)))
                            }
                            _ => false,
                        };
                        if strings {
                            self.push_ref(RefKind::M2mString, item, false, call_span);
                        }
                    }
                }
            }
        }
        let first = |name: &str| args.first().or_else(|| kw(name));
        match func_name.as_str() {
            "has_perm" | "ahas_perm" | "has_perms" | "ahas_perms" => {
                // `rules.has_perm(name, user)` and bare `has_perm(...)` helpers are not user methods.
                if receiver.is_none() || receiver_text.as_deref() == Some("rules") {
                    return;
                }
                let plural = func_name.ends_with('s');
                let Some(perm) = first(if plural { "perm_list" } else { "perm" }) else {
                    return;
                };
                let with_obj = args
                    .get(1)
                    .or_else(|| kw("obj"))
                    .is_some_and(|o| !o.is_none_literal_expr());
                let item = self.item(perm);
                let kind = if plural {
                    RefKind::HasPerms
                } else {
                    RefKind::HasPerm
                };
                self.push_ref(kind, item, with_obj, call_span);
            }
            "has_module_perms" | "ahas_module_perms" => {
                if receiver.is_none() || receiver_text.as_deref() == Some("rules") {
                    return;
                }
                if let Some(label) = first("app_label") {
                    let item = self.item(label);
                    self.push_ref(RefKind::ModulePerms, item, false, call_span);
                }
            }
            "with_perm" => {
                if let Some(perm) = first("perm") {
                    let item = self.item(perm);
                    self.push_ref(RefKind::WithPerm, item, kw("obj").is_some(), call_span);
                }
            }
            "permission_required" | "permission_required_or_403" | "permission_required_or_404" => {
                let Some(perm) = first("perm") else { return };
                let origin = match &*call.func {
                    Expr::Name(n) => self.import_origin(n.id.as_str()).map(str::to_string),
                    other => dotted(other),
                };
                let guardian = func_name != "permission_required"
                    || origin.as_deref().is_some_and(|m| m.starts_with("guardian"));
                let rules = origin.as_deref().is_some_and(|m| m.starts_with("rules"));
                let (kind, with_obj) = if guardian {
                    (
                        RefKind::GuardianPermissionRequired,
                        args.len() > 1 || kw("lookup_variables").is_some(),
                    )
                } else {
                    (
                        RefKind::PermissionRequired,
                        rules && (args.len() > 1 || kw("fn").is_some()),
                    )
                };
                let item = self.item(perm);
                self.push_ref(kind, item, with_obj, call_span);
            }
            "assign_perm" | "remove_perm" => {
                if let Some(perm) = first("perm") {
                    let with_obj = args.len() > 2 || kw("obj").is_some();
                    if !with_obj {
                        if let Some(target) = args.get(1) {
                            let owner = self.ex.text(target.range()).to_string();
                            self.push_event(Event::Mutate(owner, call_span));
                        }
                    }
                    let item = self.item(perm);
                    self.push_ref(RefKind::GuardianAssign, item, with_obj, call_span);
                }
            }
            "get_users_with_perms" | "get_groups_with_perms" => {
                if let Some(perms) = kw("only_with_perms_in") {
                    let item = self.item(perms);
                    self.push_ref(RefKind::GuardianOnlyWithPerms, item, true, call_span);
                }
            }
            "get_objects_for_user" | "get_objects_for_group" => {
                if let Some(perms) = args.get(1).or_else(|| kw("perms")) {
                    let with_obj = args.len() > 2 || kw("klass").is_some();
                    let item = self.item(perms);
                    self.push_ref(RefKind::GuardianObjects, item, with_obj, call_span);
                }
            }
            "add_perm" | "set_perm" => {
                let from_rules = match &*call.func {
                    Expr::Name(n) => self
                        .import_origin(n.id.as_str())
                        .is_some_and(|m| m.starts_with("rules")),
                    Expr::Attribute(a) => {
                        matches!(&*a.value, Expr::Name(n) if n.id.as_str() == "rules" || n.id.as_str() == "permissions")
                    }
                    _ => false,
                };
                if from_rules {
                    if let Some(name) = args.first() {
                        let item = self.item(name);
                        self.mark_sink(&item);
                        self.ex.facts.rules_perms.push(item);
                    }
                }
            }
            "get" | "filter" | "aget" | "exclude" | "get_by_natural_key" | "create"
            | "get_or_create" | "update_or_create" | "acreate" | "aget_or_create"
            | "aupdate_or_create" => {
                // `Permission.objects.filter(...).get()`: the filter's arguments, the get's method.
                let (call, args, receiver) = match receiver {
                    Some(Expr::Call(inner))
                        if matches!(func_name.as_str(), "get" | "aget")
                            && inner.arguments.args.is_empty()
                            && call.arguments.keywords.is_empty() =>
                    {
                        match &*inner.func {
                            Expr::Attribute(f) if f.attr.id.as_str() == "filter" => {
                                self.skip_lookups.insert(self.ex.span(inner.range()));
                                (inner, &inner.arguments.args, Some(&*f.value))
                            }
                            _ => return,
                        }
                    }
                    _ => (call, args, receiver),
                };
                let kw = |name: &str| {
                    call.arguments
                        .keywords
                        .iter()
                        .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
                        .map(|k| &k.value)
                };
                let Some(Expr::Attribute(objects)) = receiver else {
                    return;
                };
                if objects.attr.id.as_str() != "objects" || self.skip_lookups.contains(&call_span) {
                    return;
                }
                let model = dotted(&objects.value).unwrap_or_default();
                if model != "Permission" && !model.ends_with(".Permission") {
                    return;
                }
                if func_name.contains("create") {
                    self.perm_row(call, kw("codename"), kw("content_type"));
                    return;
                }
                let mut lookup = Lookup {
                    method: func_name.clone(),
                    ..Lookup::default()
                };
                if func_name == "get_by_natural_key" {
                    lookup.codename = args.first().map(|a| self.item(a));
                    lookup.app_label = args.get(1).map(|a| self.fold(a));
                    lookup.model = args.get(2).map(|a| self.fold(a));
                    lookup.pinned = lookup.model.is_some();
                } else {
                    for k in call.arguments.keywords.iter() {
                        let Some(arg) = &k.arg else {
                            lookup.pinned = true;
                            continue;
                        };
                        match arg.id.as_str() {
                            "codename" => lookup.codename = Some(self.item(&k.value)),
                            "codename__in" => lookup.codename_in = Some(self.item(&k.value)),
                            "content_type__app_label" => {
                                lookup.app_label = Some(self.fold(&k.value))
                            }
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
                    lookup: Some(lookup),
                    class_bases: Vec::new(),
                    owner: None,
                });
            }
            "Permission" if receiver.is_none() => {
                self.perm_row(call, kw("codename"), kw("content_type"));
            }
            _ => {}
        }
    }

    /// A data-migration (or code) row: `Permission.objects.create(codename=…, content_type=…)`.
    fn perm_row(
        &mut self,
        call: &'a ast::ExprCall,
        codename: Option<&'a Expr>,
        ct: Option<&'a Expr>,
    ) {
        let span = self.ex.span(call.range());
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
            });
        }
    }

    /// Values of a loop variable (or `var[i]`) over a folded sequence in an enclosing `for`.
    fn loop_values(&self, expr: &Expr) -> Option<Vec<Value>> {
        let (name, index) = match expr {
            Expr::Name(n) => (n.id.as_str(), None),
            Expr::Subscript(sub) => match (&*sub.value, &*sub.slice) {
                (Expr::Name(n), Expr::NumberLiteral(num)) => match &num.value {
                    Number::Int(i) => (n.id.as_str(), i.as_usize()),
                    _ => return None,
                },
                _ => return None,
            },
            _ => return None,
        };
        for (targets, items) in self.loops.iter().rev() {
            if let Some(pos) = targets.iter().position(|t| t.as_deref() == Some(name)) {
                let pick = |v: &Value, i: usize| match v {
                    Value::Seq(items) => items
                        .get(i)
                        .map(|x| x.value.clone())
                        .unwrap_or(Value::Unknown),
                    _ => Value::Unknown,
                };
                return Some(
                    items
                        .iter()
                        .map(|item| {
                            let v = if targets.len() == 1 {
                                item.clone()
                            } else {
                                pick(item, pos)
                            };
                            match index {
                                Some(i) => pick(&v, i),
                                None => v,
                            }
                        })
                        .collect(),
                );
            }
        }
        None
    }

    fn content_type(&self, expr: &Expr, depth: u32) -> CtRef {
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
            Expr::Subscript(sub) => self.content_type(&sub.value, depth + 1),
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
                    "get_for_model" | "aget_for_model" => match args.first() {
                        Some(model) => self.model_of(model, depth + 1),
                        None => CtRef::Unknown,
                    },
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

    /// `apps.get_model("a", "M")` (possibly through a local) → (label, model_name).
    fn model_of(&self, expr: &Expr, depth: u32) -> CtRef {
        if depth > 8 {
            return CtRef::Unknown;
        }
        match expr {
            Expr::Name(name) => match self.scope().and_then(|s| s.locals.get(name.id.as_str())) {
                Some(Some((def, None))) => self.model_of(def, depth + 1),
                _ => CtRef::Unknown,
            },
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
                        CtRef::Known(Some(label.clone()), Some(model.to_lowercase()))
                    }
                    [Value::Str(dotted)] => match dotted.split_once('.') {
                        Some((label, model)) => {
                            CtRef::Known(Some(label.to_string()), Some(model.to_lowercase()))
                        }
                        None => CtRef::Unknown,
                    },
                    _ => CtRef::Unknown,
                }
            }
            _ => CtRef::Unknown,
        }
    }

    fn class_refs(&mut self, class: &'a ast::StmtClassDef) {
        let bases: Vec<Value> = class
            .arguments
            .as_ref()
            .map(|a| a.args.iter().map(|b| self.fold(b)).collect())
            .unwrap_or_default();
        let object_mixin = bases.iter().any(|b| match b {
            Value::Ref { module, .. } => {
                module.starts_with("guardian") || module.starts_with("rules")
            }
            _ => false,
        });
        for stmt in &class.body {
            if let Stmt::FunctionDef(func) = stmt {
                if func.name.id.as_str() == "get_permission_required" {
                    let mut returns = Vec::new();
                    collect_returns(&func.body, &mut returns);
                    for value in returns {
                        if value.is_string_literal_expr() {
                            let item = self.ex.item(value, self.ex.fold(value, None, 0));
                            let span = item.span;
                            self.push_ref(
                                RefKind::PermissionRequiredReturn,
                                item,
                                object_mixin,
                                span,
                            );
                        }
                    }
                }
                continue;
            }
            let (target, value) = match stmt {
                Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], &*a.value),
                Stmt::AnnAssign(a) if a.value.is_some() => {
                    (&*a.target, a.value.as_deref().unwrap())
                }
                _ => continue,
            };
            let Expr::Name(name) = target else { continue };
            match name.id.as_str() {
                "permission_required" => {
                    let item = self.item(value);
                    let span = item.span;
                    self.push_ref(RefKind::MixinAttr, item, object_mixin, span);
                    if let Some(r) = self.ex.facts.references.last_mut() {
                        r.class_bases = bases.clone();
                        r.owner = Some(class.name.id.to_string());
                    }
                }
                "perms_map" => {
                    if let Value::Dict(entries) = self.fold(value) {
                        for (_, v) in entries {
                            if let Value::Seq(items) = &v.value {
                                for item in items {
                                    if let Value::Str(s) = &item.value {
                                        if !s.contains("%(") {
                                            self.push_ref(
                                                RefKind::PermsMap,
                                                item.clone(),
                                                false,
                                                item.span,
                                            );
                                        }
                                    }
                                }
                            }
                            self.mark_sink(&v);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'a> Visitor<'a> for Walker<'_, '_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(func) => {
                for d in &func.decorator_list {
                    self.visit_expr(&d.expression);
                }
                self.scopes.push(Self::function_scope(func));
                self.events.push(Vec::new());
                for s in &func.body {
                    self.visit_stmt(s);
                }
                let events = self.events.pop().unwrap_or_default();
                self.ex.facts.stale_checks.extend(stale_checks(events));
                self.scopes.pop();
            }
            Stmt::ClassDef(class) => {
                self.class_refs(class);
                walk_stmt(self, stmt);
            }
            Stmt::Expr(e) if e.value.is_string_literal_expr() => {} // docstring
            Stmt::Assign(assign) => {
                self.visit_expr(&assign.value);
                for t in &assign.targets {
                    self.visit_expr(t);
                    let text = self.ex.text(t.range()).to_string();
                    self.push_event(Event::Rebind(text));
                }
            }
            Stmt::Delete(del) => {
                let mut deleted: FxHashMap<String, FxHashSet<String>> = FxHashMap::default();
                for t in &del.targets {
                    if let Expr::Attribute(a) = t {
                        let owner = self.ex.text(a.value.range()).to_string();
                        deleted
                            .entry(owner)
                            .or_default()
                            .insert(a.attr.id.to_string());
                    }
                }
                for (owner, attrs) in deleted {
                    if PERM_CACHES.iter().all(|c| attrs.contains(*c)) {
                        self.push_event(Event::Rebind(owner));
                    }
                }
            }
            Stmt::For(for_stmt) => {
                self.visit_expr(&for_stmt.iter);
                let targets: Vec<Option<String>> = match &*for_stmt.target {
                    Expr::Name(n) => vec![Some(n.id.to_string())],
                    Expr::Tuple(t) => t
                        .elts
                        .iter()
                        .map(|e| match e {
                            Expr::Name(n) => Some(n.id.to_string()),
                            _ => None,
                        })
                        .collect(),
                    _ => vec![None],
                };
                let items = match self.fold(&for_stmt.iter) {
                    Value::Seq(items) if items.len() <= 1000 => {
                        Some(items.into_iter().map(|i| i.value).collect::<Vec<_>>())
                    }
                    _ => None,
                };
                let pushed = items.is_some();
                if let Some(items) = items {
                    self.loops.push((targets, items));
                }
                for s in &for_stmt.body {
                    self.visit_stmt(s);
                }
                if pushed {
                    self.loops.pop();
                }
                for s in &for_stmt.orelse {
                    self.visit_stmt(s);
                }
            }
            _ => walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.depth > 200 {
            return;
        }
        self.depth += 1;
        match expr {
            Expr::Call(call) => {
                self.handle_call(call);
                walk_expr(self, expr);
            }
            Expr::StringLiteral(s) => {
                let text = s.value.to_str();
                if shaped_like_permission(text) {
                    let item = self.ex.item(expr, Value::Str(text.to_string()));
                    self.shapes.push(item);
                }
            }
            _ => walk_expr(self, expr),
        }
        self.depth -= 1;
    }
}

/// `self.<name> = …` targets anywhere in a method body.
fn collect_self_assigns(body: &[Stmt], out: &mut Vec<String>) {
    fn push(target: &Expr, out: &mut Vec<String>) {
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

/// `return <expr>` values of a function body (not of nested functions).
fn collect_returns<'a>(body: &'a [Stmt], out: &mut Vec<&'a Expr>) {
    for stmt in body {
        match stmt {
            Stmt::Return(r) => out.extend(r.value.as_deref()),
            Stmt::If(i) => {
                collect_returns(&i.body, out);
                for c in &i.elif_else_clauses {
                    collect_returns(&c.body, out);
                }
            }
            Stmt::Try(t) => {
                collect_returns(&t.body, out);
                collect_returns(&t.orelse, out);
                collect_returns(&t.finalbody, out);
            }
            Stmt::With(w) => collect_returns(&w.body, out),
            _ => {}
        }
    }
}

fn collect_locals<'a>(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_settings_sequences() {
        let src = r#"
from .base import *
A = ["a", "b"]
B = ("c",)
INSTALLED_APPS = A + list(B)
INSTALLED_APPS += ["d"]
INSTALLED_APPS.append("e")
X = _("hello")
"#;
        let facts = extract_python(0, src, "proj.settings", false);
        let apps = &facts.constants["INSTALLED_APPS"];
        let names: Vec<_> = apps
            .as_seq()
            .unwrap()
            .iter()
            .map(|i| i.value.as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        assert_eq!(facts.constants["X"], Value::Str("hello".into()));
        assert_eq!(facts.star_imports, ["proj.base"]);
    }

    #[test]
    fn finds_references_and_skips_dynamic() {
        let src = r#"
from guardian.shortcuts import assign_perm
PERM = "blog.can_publish"
def view(request, obj, name):
    request.user.has_perm("blog.add_post")
    request.user.has_perm(PERM)
    request.user.has_perm(f"blog.{name}")
    request.user.has_perm("change_post", obj)
    request.user.has_perms("blog.add_post")
    assign_perm("change_post", request.user, obj)
"#;
        let facts = extract_python(0, src, "blog.views", false);
        let kinds: Vec<_> = facts
            .references
            .iter()
            .map(|r| {
                (
                    r.kind,
                    r.value.value.as_str().map(str::to_string),
                    r.with_obj,
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (RefKind::HasPerm, Some("blog.add_post".into()), false),
                (RefKind::HasPerm, Some("blog.can_publish".into()), false),
                (RefKind::HasPerm, None, false),
                (RefKind::HasPerm, Some("change_post".into()), true),
                (RefKind::HasPerms, Some("blog.add_post".into()), false),
                (RefKind::GuardianAssign, Some("change_post".into()), true),
            ]
        );
    }

    #[test]
    fn stale_cache_sequence() {
        let src = r#"
def test_it(self):
    user = User.objects.create(username="x")
    user.user_permissions.add(p)
    assert user.has_perm("blog.a_b")
    assert user.has_perm("blog.a_b")
    user.user_permissions.add(q)
    assert user.has_perm("blog.c_d")
    user = User.objects.get(pk=user.pk)
    assert user.has_perm("blog.c_d")
"#;
        let facts = extract_python(0, src, "blog.tests", false);
        assert_eq!(facts.stale_checks.len(), 1);
        assert_eq!(facts.stale_checks[0].receiver, "user");
    }

    #[test]
    fn syntax_error_is_one_fact() {
        let facts = extract_python(0, "def f(:\n", "m", false);
        assert!(facts.syntax_error.is_some());
        assert!(facts.references.is_empty());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let src = format!("X = {}1{}\n", "[".repeat(150), "]".repeat(150));
        let facts = extract_python(0, &src, "m", false);
        assert!(facts.syntax_error.is_none());
        // Folding gives up past MAX_DEPTH instead of recursing: the innermost levels are Unknown.
        let mut v = &facts.constants["X"];
        let mut depth = 0;
        while let Value::Seq(items) = v {
            v = &items[0].value;
            depth += 1;
        }
        assert_eq!(*v, Value::Unknown);
        assert!(depth < 150 && depth > 10, "{depth}");
    }
}
