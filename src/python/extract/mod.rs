//! One Python file → [`FileFacts`]. Two passes over the module: the first binds module-level
//! names in order (so `INSTALLED_APPS += [...]` folds like Python runs it), the second walks
//! every expression once and hands each call to the fact families:
//!
//! - `definitions`: imports, module constants, classes with their `Meta`, functions (first pass);
//! - `fold`: expressions folded to values (constants, function locals, `+`, gettext);
//! - `references`: permission strings reaching permission APIs, and permission-shaped literals;
//! - `rows`: `Permission.objects` lookups and the rows data migrations create;
//! - `flow`: the check → grant → check sequences of DJP005.
//!
//! (`# noqa` comments are read by [`crate::facts::python_noqa`], on the text.)

use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnostic::{FileId, Span};
use crate::facts::{python_noqa, FileFacts, RefKind, Reference, HAS_PERM_METHODS};
use crate::value::{CompactString, Item, ThinVec, Value};

mod definitions;
mod fields;
mod flow;
mod fold;
mod helpers;
mod migrate_time;
mod migration_code;
mod model_loops;
mod not_perms;
mod operations;
mod references;
mod rows;
#[cfg(test)]
mod tests;

pub use fold::add_values;
pub use references::is_guardian;

use flow::{helper_candidates, stale_checks, Event};
use references::{shape_references, shaped_like_permission};

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
        gets_models: memchr::memmem::find(source.as_bytes(), b"get_model").is_some(),
    };
    ex.bind_module(body);
    let module_functions = ex.facts.functions.iter().map(|f| f.name.clone()).collect();
    let mut walker = Walker {
        ex: &mut ex,
        scopes: Vec::new(),
        loops: Vec::new(),
        model_loops: Vec::new(),
        classes: Vec::new(),
        events: vec![Vec::new()],
        sink_literals: FxHashSet::default(),
        skip_lookups: FxHashSet::default(),
        shapes: Vec::new(),
        depth: 0,
        helper: Vec::new(),
        module_functions,
    };
    for stmt in body {
        walker.visit_stmt(stmt);
    }
    let events = walker.events.pop().unwrap_or_default();
    let via = helper_candidates(&events);
    walker.ex.facts.helpers.stale_via.extend(via);
    let stale = stale_checks(events);
    let shapes = std::mem::take(&mut walker.shapes);
    let sink_literals = std::mem::take(&mut walker.sink_literals);
    ex.facts.stale_checks.extend(stale);
    ex.facts.imports = std::mem::take(&mut ex.imports).into();
    shape_references(&mut ex.facts, shapes, &sink_literals);
    ex.facts.helpers.functions.retain(|f| {
        !f.flows.is_empty() || !f.mutates.is_empty() || f.stores_keywords || f.forwards_keywords
    });
    operations::prune(&mut ex.facts);
    fields::prune(&mut ex.facts);
    // The facts outlive the parse by the whole run: no spare capacity.
    crate::facts::shrink::Shrink::shrink(&mut ex.facts);
    ex.facts
}

struct Extractor<'s> {
    file: FileId,
    source: &'s str,
    module: String,
    package: String,
    /// Local name → (module, attribute path).
    imports: FxHashMap<CompactString, (CompactString, ThinVec<CompactString>)>,
    local_classes: FxHashSet<String>,
    facts: FileFacts,
    /// The text holds `get_model`: a local may then be bound to a model by name.
    gets_models: bool,
}

/// A function's simple local bindings: a name assigned exactly once (possibly by tuple unpacking).
#[derive(Default)]
struct Scope<'a> {
    locals: FxHashMap<String, Option<(&'a Expr, Option<usize>)>>,
    /// Names the function imports itself, bound once: (relative level, module, imported name;
    /// `None` for `import a.b`, which binds a module).
    imports: FxHashMap<String, (u32, Option<&'a str>, Option<&'a str>)>,
    /// Parameters' annotations (`group: Group`).
    annotations: FxHashMap<String, &'a Expr>,
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

    fn item(&self, expr: &Expr, value: Value) -> Item {
        let literal = matches!(expr, Expr::StringLiteral(s) if !s.value.is_implicit_concatenated());
        Item {
            value,
            span: self.span(expr.range()),
            literal,
        }
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

/// An enclosing function's [`Scope`], computed on its first lookup: most functions fold no
/// name.
struct LazyScope<'a> {
    func: &'a ast::StmtFunctionDef,
    scope: std::cell::OnceCell<Scope<'a>>,
}

struct Walker<'e, 's, 'a> {
    ex: &'e mut Extractor<'s>,
    scopes: Vec<LazyScope<'a>>,
    /// Enclosing `for` loops over folded sequences: (target names by tuple index, items).
    loops: Vec<(Vec<Option<String>>, Vec<Value>)>,
    /// Enclosing `for` loops over models, their fields or their default actions.
    model_loops: Vec<(String, model_loops::LoopVar)>,
    /// Enclosing classes, innermost last (what `self` and `cls` are).
    classes: Vec<EnclosingClass>,
    events: Vec<Vec<Event>>,
    sink_literals: FxHashSet<Span>,
    /// Inner `.filter(...)` calls already read as part of `.filter(...).get()`.
    skip_lookups: FxHashSet<Span>,
    shapes: Vec<Item>,
    depth: u32,
    /// The helper function being walked (`helpers`).
    helper: Vec<helpers::HelperCtx<'a>>,
    /// Names of this module's functions.
    module_functions: FxHashSet<String>,
}

/// A class around the code being walked.
#[derive(Clone)]
struct EnclosingClass {
    name: String,
    bases: Vec<Value>,
    /// The class defines `has_perm`/`has_perms` (or their async forms) itself.
    own_has_perm: bool,
}

/// A call as the fact families read it.
struct Call<'a> {
    call: &'a ast::ExprCall,
    span: Span,
    /// The called name: `f` in `f(...)` and in `x.f(...)`.
    name: &'a str,
    /// `x` in `x.f(...)`.
    receiver: Option<&'a Expr>,
}

impl<'a> Call<'a> {
    fn args(&self) -> &'a [Expr] {
        &self.call.arguments.args
    }

    fn kw(&self, name: &str) -> Option<&'a Expr> {
        keyword(self.call, name)
    }

    /// `x.<relation>` in `x.<relation>.add(...)` and the other related-manager methods.
    fn related_manager(&self) -> Option<&'a ast::ExprAttribute> {
        if !matches!(
            self.name,
            "add" | "remove" | "set" | "clear" | "aadd" | "aremove" | "aset" | "aclear"
        ) {
            return None;
        }
        match self.receiver {
            Some(Expr::Attribute(rel)) => Some(rel),
            _ => None,
        }
    }
}

/// The value of keyword argument `name`.
fn keyword<'a>(call: &'a ast::ExprCall, name: &str) -> Option<&'a Expr> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
        .map(|k| &k.value)
}

impl<'s, 'a> Walker<'_, 's, 'a> {
    fn scope(&self) -> Option<&Scope<'a>> {
        let lazy = self.scopes.last()?;
        Some(lazy.scope.get_or_init(|| Self::function_scope(lazy.func)))
    }

    fn fold(&self, expr: &Expr) -> Value {
        self.ex.fold(expr, self.scope(), 0)
    }

    fn item(&self, expr: &Expr) -> Item {
        self.ex.item(expr, self.fold(expr))
    }

    /// Record `event` in the enclosing function's list. Before the function's first check no
    /// other event can matter to the scans of the list (`flow::stale_checks`,
    /// `flow::helper_candidates`), so the list starts with a check or stays empty.
    fn push_event(&mut self, event: Event) {
        if let Some(events) = self.events.last_mut() {
            if !events.is_empty() || matches!(event, Event::Check(..)) {
                events.push(event);
            }
        }
    }

    /// Whether the enclosing function has made a check (see [`Walker::push_event`]).
    fn after_check(&self) -> bool {
        self.events.last().is_some_and(|e| !e.is_empty())
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
            class_bases: Default::default(),
            callee: None,
            owner: None,
        });
    }

    /// `x` in `x.f(...)`, as written.
    fn receiver_text(&self, c: &Call<'a>) -> Option<&'s str> {
        c.receiver.map(|r| self.ex.text(r.range()))
    }

    fn import_origin(&self, name: &str) -> Option<&str> {
        self.ex.imports.get(name).map(|(m, _)| m.as_str())
    }

    /// Every call, once: file-level flags here, then each fact family reads what it needs.
    fn handle_call(&mut self, call: &'a ast::ExprCall) {
        let span = self.ex.span(call.range());
        let name = match &*call.func {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.id.as_str(),
            _ => return,
        };
        let receiver = match &*call.func {
            Expr::Attribute(a) => Some(&*a.value),
            _ => None,
        };
        let c = Call {
            call,
            span,
            name,
            receiver,
        };
        if c.name == "RunPython" {
            self.ex.facts.has_run_python = true;
            self.run_python(&c);
        }
        if c.name == "create_permissions" {
            self.ex.facts.calls_create_permissions = true;
            self.create_permissions(&c);
        }
        self.migrate_hook(&c);
        if c.name == "as_view" && c.kw("permission_required").is_none() {
            if let Some(r) = receiver {
                let value = self.fold(r);
                self.ex
                    .facts
                    .as_view_classes
                    .push((value, self.ex.span(r.range())));
            }
        }
        self.flow_events(&c);
        self.m2m_strings(&c);
        self.granted_queries(&c);
        self.not_permissions_in_call(&c);
        match c.name {
            "get" | "filter" | "aget" | "exclude" | "get_by_natural_key" | "create"
            | "get_or_create" | "update_or_create" | "acreate" | "aget_or_create"
            | "aupdate_or_create" => self.permission_query(&c),
            _ if receiver.is_none() && self.is_permission_model(&call.func) => {
                self.perm_row(call, c.kw("codename"), c.kw("content_type"));
            }
            _ => self.permission_call(&c),
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
                if !self.scopes.is_empty() {
                    let span = self.ex.span(func.range());
                    self.ex.facts.nested_functions.push(span);
                }
                self.migrate_time_function(func);
                self.scopes.push(LazyScope {
                    func,
                    scope: std::cell::OnceCell::new(),
                });
                self.events.push(Vec::new());
                self.checked_before_body(func);
                let entered = self.enter_helper(func);
                for s in &func.body {
                    self.visit_stmt(s);
                }
                self.leave_helper(entered);
                let events = self.events.pop().unwrap_or_default();
                let via = helper_candidates(&events);
                self.ex.facts.helpers.stale_via.extend(via);
                self.ex.facts.stale_checks.extend(stale_checks(events));
                self.scopes.pop();
            }
            Stmt::ClassDef(class) => {
                let bases: Vec<Value> = class
                    .arguments
                    .as_ref()
                    .map(|a| a.args.iter().map(|b| self.fold(b)).collect())
                    .unwrap_or_default();
                self.class_refs(class, &bases);
                let own_has_perm = class.body.iter().any(|s| {
                    matches!(s, Stmt::FunctionDef(f) if HAS_PERM_METHODS.contains(&f.name.id.as_str()))
                });
                if self.classes.is_empty() {
                    self.generated_init(class);
                }
                self.classes.push(EnclosingClass {
                    name: class.name.id.to_string(),
                    bases,
                    own_has_perm,
                });
                walk_stmt(self, stmt);
                self.classes.pop();
            }
            Stmt::Expr(e) if e.value.is_string_literal_expr() => {} // docstring
            Stmt::Assign(assign) => {
                self.setting_keys(stmt);
                self.visit_expr(&assign.value);
                for t in &assign.targets {
                    self.visit_expr(t);
                    if self.after_check() {
                        let text = self.ex.text(t.range()).to_string();
                        self.push_event(Event::Rebind(text));
                    }
                }
            }
            Stmt::Delete(del) => self.deleted_caches(del),
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
                let over_models = self.model_loop(&for_stmt.target, &for_stmt.iter);
                let pushed_models = over_models.is_some();
                self.model_loops.extend(over_models);
                for s in &for_stmt.body {
                    self.visit_stmt(s);
                }
                if pushed_models {
                    self.model_loops.pop();
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
                if text.contains("_perms:") {
                    self.access_policy(expr, text);
                }
                if shaped_like_permission(text) {
                    let item = self.ex.item(expr, Value::Str(text.into()));
                    self.shapes.push(item);
                }
            }
            _ => walk_expr(self, expr),
        }
        self.depth -= 1;
    }
}
