//! Which permission strings a project backend's own `has_perm` can accept, read from its code in
//! a small conservative vocabulary: literal strings (`perm in {...}`, `perm == "..."`), a prefix
//! (`perm.startswith("...")`) or an app label (`perm.split(".")[0] == "..."`). Returning the
//! parent's answer (`super().has_perm(...)`) accepts nothing ModelBackend rejects; anything else
//! (a database lookup, unknown code) may accept any string.

use ruff_python_ast::{self as ast, BoolOp, CmpOp, Expr, Stmt, UnaryOp};

use crate::index::resolve::{ClassRef, Resolver, Target};
use crate::value::Value;

/// A family of strings a backend accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum Accept {
    Exact(String),
    Prefix(String),
    /// `<label>.<anything>`.
    Label(String),
}

impl Accept {
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Accept::Exact(s) => text == s,
            Accept::Prefix(p) => text.starts_with(p.as_str()),
            Accept::Label(l) => text.split_once('.').is_some_and(|(label, _)| label == l),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Accept::Exact(s) => format!("`{s}`"),
            Accept::Prefix(p) => format!("strings starting with `{p}`"),
            Accept::Label(l) => format!("`{l}.<anything>`"),
        }
    }
}

/// What a backend's `has_perm` accepts beyond ModelBackend.
#[derive(Debug, PartialEq)]
pub enum Accepts {
    /// Nothing ModelBackend rejects.
    Nothing,
    /// Only these strings.
    Only(Vec<Accept>),
    /// Any string (or its code could not be read).
    Anything,
}

/// Read `class`'s `has_perm` (or a project base's). `super_nothing`: the parent's `has_perm`
/// accepts nothing ModelBackend rejects (no unknown base, no own `get_*_permissions`).
/// `None` when no project class of the chain defines `has_perm`.
pub fn accepts(
    resolver: &Resolver<'_>,
    class: ClassRef<'_>,
    super_nothing: bool,
) -> Option<Accepts> {
    let owner = defining(resolver, class, 0)?;
    let source = resolver.ws.text(owner.file);
    let parsed = ruff_python_parser::parse_module(source).ok()?;
    let start = owner.class.body.start;
    let Some(func) = find_method(parsed.suite(), start) else {
        return Some(Accepts::Anything);
    };
    let params: Vec<&str> = func
        .parameters
        .posonlyargs
        .iter()
        .chain(func.parameters.args.iter())
        .map(|p| p.parameter.name.id.as_str())
        .collect();
    let Some(perm) = params.get(2) else {
        return Some(Accepts::Anything);
    };
    let mut reader = Reader {
        resolver,
        owner,
        perm,
        locals: Vec::new(),
        label_vars: Vec::new(),
        super_nothing,
        accepted: Vec::new(),
        anything: false,
    };
    reader.bind(&func.body);
    if reader.locals.iter().any(|l| l == perm) {
        return Some(Accepts::Anything); // `perm` is rebound
    }
    reader.walk(&func.body, None);
    Some(if reader.anything {
        Accepts::Anything
    } else if reader.accepted.is_empty() {
        Accepts::Nothing
    } else {
        Accepts::Only(reader.accepted)
    })
}

/// Some project class of the chain defines a method that gathers permissions
/// (`get_all_permissions`, `_get_user_permissions`, …), even one that calls the parent's: what
/// ModelBackend's own `has_perm` answers may then differ.
pub fn gathers_permissions(resolver: &Resolver<'_>, class: ClassRef<'_>, depth: u32) -> bool {
    if depth > 16 {
        return true;
    }
    class
        .class
        .methods
        .iter()
        .any(|m| m.ends_with("permissions"))
        || class
            .class
            .bases
            .iter()
            .any(|b| match resolver.base_target(b, 0) {
                Target::Class(c) => gathers_permissions(resolver, c, depth + 1),
                _ => false,
            })
}

/// The project class of the chain that defines `has_perm`.
fn defining<'w>(resolver: &Resolver<'w>, class: ClassRef<'w>, depth: u32) -> Option<ClassRef<'w>> {
    if depth > 16 {
        return None;
    }
    if class.class.methods.iter().any(|m| m == "has_perm") {
        return Some(class);
    }
    class
        .class
        .bases
        .iter()
        .find_map(|b| match resolver.base_target(b, 0) {
            Target::Class(c) => defining(resolver, c, depth + 1),
            _ => None,
        })
}

/// The `has_perm` of the class whose name starts at `start`.
fn find_method(body: &[Stmt], start: u32) -> Option<&ast::StmtFunctionDef> {
    for stmt in body {
        match stmt {
            Stmt::ClassDef(c) if u32::from(c.name.range.start()) == start => {
                return c.body.iter().rev().find_map(|s| match s {
                    Stmt::FunctionDef(f) if f.name.id.as_str() == "has_perm" => Some(f),
                    _ => None,
                });
            }
            Stmt::ClassDef(c) => {
                if let Some(f) = find_method(&c.body, start) {
                    return Some(f);
                }
            }
            Stmt::If(s) => {
                let found = find_method(&s.body, start).or_else(|| {
                    s.elif_else_clauses
                        .iter()
                        .find_map(|c| find_method(&c.body, start))
                });
                if found.is_some() {
                    return found;
                }
            }
            Stmt::Try(t) => {
                if let Some(f) = find_method(&t.body, start) {
                    return Some(f);
                }
            }
            _ => {}
        }
    }
    None
}

/// What a returned expression grants.
enum Grant {
    Nothing,
    Only(Vec<Accept>),
    Free,
}

struct Reader<'r, 'w> {
    resolver: &'r Resolver<'w>,
    owner: ClassRef<'w>,
    perm: &'r str,
    /// Names assigned in the body.
    locals: Vec<String>,
    /// Names bound to the label part of `perm` (`label, codename = perm.split(".")`).
    label_vars: Vec<String>,
    super_nothing: bool,
    accepted: Vec<Accept>,
    anything: bool,
}

fn first_some(items: impl Iterator<Item = Option<Vec<Accept>>>) -> Option<Vec<Accept>> {
    items.flatten().next()
}

fn all_some(items: impl Iterator<Item = Option<Vec<Accept>>>) -> Option<Vec<Accept>> {
    let mut out = Vec::new();
    for item in items {
        out.extend(item?);
    }
    Some(out)
}

impl Reader<'_, '_> {
    /// Collect assigned names and label variables (in nested blocks too).
    fn bind(&mut self, body: &[Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::Assign(a) => {
                    let label_of_value = self.is_label_expr(&a.value);
                    let splits = self.is_split(&a.value);
                    for target in &a.targets {
                        match target {
                            Expr::Name(n) => {
                                self.locals.push(n.id.to_string());
                                if label_of_value {
                                    self.label_vars.push(n.id.to_string());
                                }
                            }
                            Expr::Tuple(t) => {
                                for (i, e) in t.elts.iter().enumerate() {
                                    if let Expr::Name(n) = e {
                                        self.locals.push(n.id.to_string());
                                        if i == 0 && splits {
                                            self.label_vars.push(n.id.to_string());
                                        }
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Stmt::AugAssign(a) => {
                    if let Expr::Name(n) = &*a.target {
                        self.locals.push(n.id.to_string());
                    }
                }
                Stmt::AnnAssign(a) => {
                    if let Expr::Name(n) = &*a.target {
                        self.locals.push(n.id.to_string());
                    }
                }
                Stmt::For(f) => {
                    if let Expr::Name(n) = &*f.target {
                        self.locals.push(n.id.to_string());
                    }
                    self.bind(&f.body);
                    self.bind(&f.orelse);
                }
                Stmt::While(w) => self.bind(&w.body),
                Stmt::If(s) => {
                    self.bind(&s.body);
                    for c in &s.elif_else_clauses {
                        self.bind(&c.body);
                    }
                }
                Stmt::With(w) => self.bind(&w.body),
                Stmt::Try(t) => {
                    self.bind(&t.body);
                    for h in &t.handlers {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        self.bind(&h.body);
                    }
                    self.bind(&t.orelse);
                    self.bind(&t.finalbody);
                }
                _ => {}
            }
        }
        // A label variable assigned twice may hold anything.
        let locals = &self.locals;
        self.label_vars
            .retain(|v| locals.iter().filter(|l| *l == v).count() == 1);
    }

    fn is_perm(&self, e: &Expr) -> bool {
        matches!(e, Expr::Name(n) if n.id.as_str() == self.perm)
    }

    /// `perm.split(".")`, `perm.split(".", 1)`, `perm.partition(".")`.
    fn is_split(&self, e: &Expr) -> bool {
        let Expr::Call(call) = e else { return false };
        let Expr::Attribute(attr) = &*call.func else {
            return false;
        };
        matches!(attr.attr.id.as_str(), "split" | "partition")
            && self.is_perm(&attr.value)
            && matches!(call.arguments.args.first(), Some(Expr::StringLiteral(s)) if s.value.to_str() == ".")
    }

    /// `perm.split(".")[0]` or a label variable.
    fn is_label_expr(&self, e: &Expr) -> bool {
        match e {
            Expr::Subscript(s) => {
                self.is_split(&s.value)
                    && matches!(&*s.slice, Expr::NumberLiteral(n) if matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0)))
            }
            Expr::Name(n) => self.label_vars.iter().any(|v| v == n.id.as_str()),
            _ => false,
        }
    }

    /// The strings a collection (or a single string) expression holds.
    fn strings(&self, e: &Expr) -> Option<Vec<String>> {
        match e {
            Expr::StringLiteral(s) => Some(vec![s.value.to_str().to_string()]),
            Expr::Set(s) => s.elts.iter().map(|e| self.string(e)).collect(),
            Expr::List(l) => l.elts.iter().map(|e| self.string(e)).collect(),
            Expr::Tuple(t) => t.elts.iter().map(|e| self.string(e)).collect(),
            Expr::Dict(d) => d
                .items
                .iter()
                .map(|i| i.key.as_ref().and_then(|k| self.string(k)))
                .collect(),
            Expr::Call(c) if c.arguments.args.len() == 1 && c.arguments.keywords.is_empty() => {
                // `frozenset({...})`, `set([...])`, `tuple(...)`
                match &*c.func {
                    Expr::Name(n)
                        if matches!(n.id.as_str(), "frozenset" | "set" | "tuple" | "list") =>
                    {
                        self.strings(&c.arguments.args[0])
                    }
                    _ => None,
                }
            }
            Expr::Name(n) if !self.locals.iter().any(|l| l == n.id.as_str()) => {
                let value = Value::Ref {
                    module: self.owner.module.into(),
                    path: thin_vec::thin_vec![n.id.as_str().into()],
                };
                value_strings(&self.resolver.resolve(&value, 0))
            }
            Expr::Attribute(a) => {
                let on_class = match &*a.value {
                    Expr::Name(n) => {
                        n.id.as_str() == "self" || n.id.as_str() == self.owner.class.name
                    }
                    _ => false,
                };
                if !on_class {
                    return None;
                }
                let item = self.owner.class.attrs.get(a.attr.id.as_str())?;
                value_strings(&self.resolver.resolve(&item.value, 0))
            }
            _ => None,
        }
    }

    fn string(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            _ => None,
        }
    }

    /// The strings of `perm` for which `e` has truth value `positive`; `None` when `e` does not
    /// constrain `perm` in the vocabulary.
    fn cond(&self, e: &Expr, positive: bool) -> Option<Vec<Accept>> {
        match e {
            Expr::UnaryOp(u) if u.op == UnaryOp::Not => self.cond(&u.operand, !positive),
            Expr::BoolOp(b) => {
                let parts = b.values.iter().map(|v| self.cond(v, positive));
                match (b.op, positive) {
                    (BoolOp::And, true) | (BoolOp::Or, false) => first_some(parts),
                    (BoolOp::Or, true) | (BoolOp::And, false) => all_some(parts),
                }
            }
            Expr::Compare(c) if c.ops.len() == 1 => {
                let (op, left, right) = (c.ops[0], &*c.left, &c.comparators[0]);
                let (equal, member) = match op {
                    CmpOp::Eq => (true, false),
                    CmpOp::NotEq => (false, false),
                    CmpOp::In => (true, true),
                    CmpOp::NotIn => (false, true),
                    _ => return None,
                };
                if equal != positive {
                    return None; // the complement of a set is not in the vocabulary
                }
                // `"x" == perm` reads like `perm == "x"`.
                let (subject, other) =
                    if !member && (self.is_perm(right) || self.is_label_expr(right)) {
                        (right, left)
                    } else {
                        (left, right)
                    };
                if self.is_perm(subject) {
                    if member {
                        if let Some(found) = self.own_permissions(other) {
                            return Some(found);
                        }
                    }
                    let strings = if member {
                        self.strings(other)?
                    } else {
                        vec![self.string(other)?]
                    };
                    Some(strings.into_iter().map(Accept::Exact).collect())
                } else if self.is_label_expr(subject) {
                    let strings = if member {
                        self.strings(other)?
                    } else {
                        vec![self.string(other)?]
                    };
                    Some(strings.into_iter().map(Accept::Label).collect())
                } else {
                    None
                }
            }
            Expr::Call(call) if positive => {
                let Expr::Attribute(attr) = &*call.func else {
                    return None;
                };
                if attr.attr.id.as_str() != "startswith" || call.arguments.args.len() != 1 {
                    return None;
                }
                let prefixes = self.strings(&call.arguments.args[0])?;
                if self.is_perm(&attr.value) {
                    Some(prefixes.into_iter().map(Accept::Prefix).collect())
                } else if self.is_label_expr(&attr.value) {
                    // `label.startswith("x")`: the label starts with it, so the string does.
                    Some(prefixes.into_iter().map(Accept::Prefix).collect())
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// `perm in user_obj.get_all_permissions()` (or `self.get_*_permissions(user_obj)`): the
    /// strings ModelBackend grants when nothing of the project's own overrides them.
    fn own_permissions(&self, e: &Expr) -> Option<Vec<Accept>> {
        let Expr::Call(call) = e else { return None };
        let Expr::Attribute(attr) = &*call.func else {
            return None;
        };
        let name = attr.attr.id.as_str();
        let ours = matches!(
            name,
            "get_all_permissions" | "get_user_permissions" | "get_group_permissions"
        );
        (ours && self.super_nothing).then(Vec::new)
    }

    fn is_super_call(&self, e: &Expr) -> bool {
        let Expr::Call(call) = e else { return false };
        let Expr::Attribute(attr) = &*call.func else {
            return false;
        };
        attr.attr.id.as_str() == "has_perm"
            && matches!(&*attr.value, Expr::Call(s) if matches!(&*s.func, Expr::Name(n) if n.id.as_str() == "super"))
    }

    fn grant(&self, e: &Expr) -> Grant {
        match e {
            Expr::BooleanLiteral(b) if !b.value => Grant::Nothing,
            Expr::NoneLiteral(_) => Grant::Nothing,
            Expr::NumberLiteral(n) if matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0)) => {
                Grant::Nothing
            }
            _ if self.is_super_call(e) => {
                if self.super_nothing {
                    Grant::Nothing
                } else {
                    Grant::Free
                }
            }
            Expr::BoolOp(b) if b.op == BoolOp::And => {
                let mut only = None;
                for v in &b.values {
                    match self.grant(v) {
                        Grant::Nothing => return Grant::Nothing,
                        Grant::Only(s) if only.is_none() => only = Some(s),
                        _ => {}
                    }
                }
                only.map_or(Grant::Free, Grant::Only)
            }
            Expr::BoolOp(b) => {
                let mut out = Vec::new();
                for v in &b.values {
                    match self.grant(v) {
                        Grant::Nothing => {}
                        Grant::Only(s) => out.extend(s),
                        Grant::Free => return Grant::Free,
                    }
                }
                Grant::Only(out)
            }
            Expr::If(i) => match (self.grant(&i.body), self.grant(&i.orelse)) {
                (Grant::Free, _) | (_, Grant::Free) => Grant::Free,
                (a, b) => {
                    let mut out = Vec::new();
                    for g in [a, b] {
                        if let Grant::Only(s) = g {
                            out.extend(s);
                        }
                    }
                    Grant::Only(out)
                }
            },
            _ => self.cond(e, true).map_or(Grant::Free, Grant::Only),
        }
    }

    fn returned(&mut self, value: Option<&Expr>, path: &Option<Vec<Accept>>) {
        let Some(value) = value else { return };
        match (self.grant(value), path) {
            (Grant::Nothing, _) => {}
            (Grant::Only(s), _) => self.accepted.extend(s),
            (Grant::Free, Some(p)) => self.accepted.extend(p.iter().cloned()),
            (Grant::Free, None) => self.anything = true,
        }
    }

    /// Walk `body` reached only for the strings of `path` (`None`: any). True when it always
    /// leaves the function.
    fn walk(&mut self, body: &[Stmt], path: Option<Vec<Accept>>) -> bool {
        let mut path = path;
        for stmt in body {
            match stmt {
                Stmt::Return(r) => {
                    self.returned(r.value.as_deref(), &path);
                    return true;
                }
                Stmt::Raise(_) => return true,
                Stmt::If(s) => {
                    let mut tests: Vec<&Expr> = vec![&s.test];
                    let mut all_exit = self.walk(&s.body, narrow(&path, self.cond(&s.test, true)));
                    let mut has_else = false;
                    for clause in &s.elif_else_clauses {
                        // Reached when every earlier test is false.
                        let mut p = path.clone();
                        for t in &tests {
                            p = narrow(&p, self.cond(t, false));
                        }
                        match &clause.test {
                            Some(t) => {
                                p = narrow(&p, self.cond(t, true));
                                tests.push(t);
                            }
                            None => has_else = true,
                        }
                        all_exit &= self.walk(&clause.body, p);
                    }
                    if all_exit && has_else {
                        return true;
                    }
                    if all_exit {
                        // What follows runs only when every test is false.
                        for t in &tests {
                            path = narrow(&path, self.cond(t, false));
                        }
                    }
                }
                Stmt::For(f) => {
                    self.walk(&f.body, path.clone());
                    self.walk(&f.orelse, path.clone());
                }
                Stmt::While(w) => {
                    self.walk(&w.body, path.clone());
                    self.walk(&w.orelse, path.clone());
                }
                Stmt::With(w) if self.walk(&w.body, path.clone()) => return true,
                Stmt::Try(t) => {
                    self.walk(&t.body, path.clone());
                    for h in &t.handlers {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        self.walk(&h.body, path.clone());
                    }
                    self.walk(&t.orelse, path.clone());
                    self.walk(&t.finalbody, path.clone());
                }
                Stmt::Match(_) => self.anything = true,
                _ => {}
            }
        }
        false
    }
}

/// A path constraint narrowed by a condition: either one is a superset of both.
fn narrow(path: &Option<Vec<Accept>>, cond: Option<Vec<Accept>>) -> Option<Vec<Accept>> {
    cond.or_else(|| path.clone())
}

fn value_strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Str(s) => Some(vec![s.to_string()]),
        Value::Seq(items) => items
            .iter()
            .map(|i| match &i.value {
                Value::Str(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        Value::Dict(entries) => entries
            .iter()
            .map(|(k, _)| match k {
                Value::Str(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}
