//! The project's own permission helpers, as one file shows them: which parameters of a function
//! (or `self.<attr>` attributes of a class) reach a permission API or another call, and which
//! calls pass values that may be permission strings. `crate::sinks` joins them across modules.

use ruff_python_ast::{self as ast, Expr};

use super::flow::Event;
use super::{Call, Walker};
use crate::facts::helpers::{
    may_name_permission, ArgPos, AttrFlow, FlowTarget, FnKind, HelperCall, HelperFn, ParamFlow,
    TemplateHook,
};
use crate::facts::RefKind;
use crate::value::Value;
use ruff_text_size::Ranged;

/// The function being walked, as a helper: its entry in `HelperFacts::functions`, and the
/// parameter names nested functions shadow.
pub(super) struct HelperCtx<'a> {
    /// Created on the first flow (most functions forward nothing).
    index: Option<usize>,
    func: &'a ast::StmtFunctionDef,
    kind: FnKind,
    class: Option<String>,
    shadowed: Vec<&'a ast::Parameters>,
}

/// Where a traced value comes from.
enum Source {
    Param(usize, bool),
    Attr(String, bool),
}

fn param_names(params: &ast::Parameters) -> impl Iterator<Item = &str> {
    params
        .posonlyargs
        .iter()
        .chain(&params.args)
        .chain(&params.kwonlyargs)
        .map(|p| p.parameter.name.id.as_str())
}

fn is_self(expr: &Expr) -> bool {
    matches!(expr, Expr::Name(n) if matches!(n.id.as_str(), "self" | "cls"))
}

/// `@register.filter`, `@register.filter("name")`, `@register.simple_tag(takes_context=True)`,
/// `@register.inclusion_tag("t.html")`.
fn template_hook(func: &ast::StmtFunctionDef) -> Option<TemplateHook> {
    for d in &func.decorator_list {
        let (attr, call) = match &d.expression {
            Expr::Attribute(a) => (a, None),
            Expr::Call(c) => match &*c.func {
                Expr::Attribute(a) => (a, Some(c)),
                _ => continue,
            },
            _ => continue,
        };
        let filter = match attr.attr.id.as_str() {
            "filter" => true,
            "simple_tag" | "inclusion_tag" => false,
            _ => continue,
        };
        let kw = |name: &str| {
            call.and_then(|c| {
                c.arguments
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == name))
            })
        };
        let named = kw("name")
            .and_then(|k| k.value.as_string_literal_expr())
            .or_else(|| {
                call.filter(|_| filter)
                    .and_then(|c| c.arguments.args.first())
                    .and_then(Expr::as_string_literal_expr)
            })
            .map(|s| s.value.to_str().to_string());
        let takes_context = kw("takes_context")
            .is_some_and(|k| matches!(&k.value, Expr::BooleanLiteral(b) if b.value));
        return Some(TemplateHook {
            filter,
            name: named.unwrap_or_else(|| func.name.id.to_string()),
            takes_context,
        });
    }
    None
}

/// `super().__init__(..., **kwargs)` (or `super(Class, self).__init__`), handing on the
/// keywords of the `**` parameter `kwargs`.
fn super_init_with(expr: &Expr, kwargs: &str) -> bool {
    let Expr::Call(call) = expr else { return false };
    let Expr::Attribute(a) = &*call.func else {
        return false;
    };
    let is_super = matches!(&*a.value, Expr::Call(c) if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "super"));
    is_super
        && a.attr.id.as_str() == "__init__"
        && call.arguments.keywords.iter().any(|k| {
            k.arg.is_none() && matches!(&k.value, Expr::Name(n) if n.id.as_str() == kwargs)
        })
}

/// `for k, v in kwargs.items(): ... setattr(self, k, v)`: every keyword becomes an attribute.
fn sets_every_keyword(f: &ast::StmtFor, kwargs: &str) -> bool {
    let Expr::Call(iter) = &*f.iter else {
        return false;
    };
    let over_kwargs = matches!(&*iter.func, Expr::Attribute(a)
        if a.attr.id.as_str() == "items" && matches!(&*a.value, Expr::Name(n) if n.id.as_str() == kwargs));
    let Expr::Tuple(t) = &*f.target else {
        return false;
    };
    let [Expr::Name(k), Expr::Name(v)] = &t.elts[..] else {
        return false;
    };
    over_kwargs && sets_attr(&f.body, k.id.as_str(), v.id.as_str(), 0)
}

/// `setattr(self, key, value)` among `body`'s statements (or those of its `if` blocks).
fn sets_attr(body: &[ast::Stmt], key: &str, value: &str, depth: u32) -> bool {
    let name = |e: &Expr, n: &str| matches!(e, Expr::Name(x) if x.id.as_str() == n);
    depth <= 2
        && body.iter().any(|s| match s {
            ast::Stmt::Expr(e) => match &*e.value {
                Expr::Call(c) if name(&c.func, "setattr") => matches!(
                    &c.arguments.args[..],
                    [obj, k, v] if is_self(obj) && name(k, key) && name(v, value)
                ),
                _ => false,
            },
            ast::Stmt::If(i) => {
                sets_attr(&i.body, key, value, depth + 1)
                    || i.elif_else_clauses
                        .iter()
                        .any(|c| sets_attr(&c.body, key, value, depth + 1))
            }
            _ => false,
        })
}

/// Whether an argument may fold to a permission name (checked on the syntax, before folding).
fn may_pass_name(expr: &Expr, depth: u32) -> bool {
    match expr {
        Expr::StringLiteral(s) => crate::facts::helpers::name_like(s.value.to_str()),
        Expr::Name(_) | Expr::Attribute(_) | Expr::BinOp(_) => true,
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            depth < 2 && elts.iter().any(|e| may_pass_name(e, depth + 1))
        }
        _ => false,
    }
}

/// A literal, a name, an attribute, a sum or a short tuple or list of those.
fn simple(expr: &Expr, depth: u32) -> bool {
    match expr {
        Expr::StringLiteral(_) | Expr::Name(_) | Expr::Attribute(_) => true,
        Expr::BinOp(b) => depth < 4 && simple(&b.left, depth + 1) && simple(&b.right, depth + 1),
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            depth < 2 && elts.len() <= 64 && elts.iter().all(|e| simple(e, depth + 1))
        }
        _ => false,
    }
}

impl<'a> Walker<'_, '_, 'a> {
    /// Entering a `def`: a module-level function or a method of a module-level class starts a
    /// helper; a nested function shadows its own parameters. Returns what to undo on leaving.
    pub(super) fn enter_helper(&mut self, func: &'a ast::StmtFunctionDef) -> bool {
        if let Some(ctx) = self.helper.last_mut() {
            ctx.shadowed.push(&func.parameters);
            return true;
        }
        if self.classes.len() > 1 {
            return false;
        }
        let class = self.classes.last().map(|c| c.name.clone());
        let decorated = |name: &str| {
            func.decorator_list
                .iter()
                .any(|d| matches!(&d.expression, Expr::Name(n) if n.id.as_str() == name))
        };
        let kind = match &class {
            None => FnKind::Function,
            Some(_) if decorated("staticmethod") => FnKind::StaticMethod,
            Some(_) if decorated("classmethod") => FnKind::ClassMethod,
            Some(_) => FnKind::Method,
        };
        let init = kind == FnKind::Method && func.name.id.as_str() == "__init__";
        self.helper.push(HelperCtx {
            index: None,
            func,
            kind,
            class,
            shadowed: Vec::new(),
        });
        if init {
            self.init_stores(func, &func.body, 0);
        }
        true
    }

    /// A module-level class whose `__init__` a decorator writes (`@dataclass`, attrs'
    /// `@define`/`@attr.s`) sets each field it is given by keyword as an attribute: a helper
    /// `__init__` that stores every keyword. Judged by where the decorator comes from.
    pub(super) fn generated_init(&mut self, class: &'a ast::StmtClassDef) {
        let own_init = class
            .body
            .iter()
            .any(|s| matches!(s, ast::Stmt::FunctionDef(f) if f.name.id.as_str() == "__init__"));
        if own_init {
            return;
        }
        let writes_init = class.decorator_list.iter().any(|d| {
            let (func, call) = match &d.expression {
                Expr::Call(c) => (&*c.func, Some(c)),
                e => (e, None),
            };
            // `@dataclass(init=False)` writes none.
            let no_init = call.is_some_and(|c| {
                c.arguments.keywords.iter().any(|k| {
                    k.arg.as_ref().is_some_and(|a| a.id.as_str() == "init")
                        && matches!(&k.value, Expr::BooleanLiteral(b) if !b.value)
                })
            });
            let Value::Ref { module, path } = self.fold(func) else {
                return false;
            };
            let name = path.last().map(|p| p.as_str()).unwrap_or_default();
            let writer = match module.as_str() {
                "dataclasses" => name == "dataclass",
                "attr" => matches!(name, "s" | "attrs" | "define" | "frozen" | "mutable"),
                "attrs" => matches!(name, "define" | "frozen" | "mutable"),
                _ => false,
            };
            writer && !no_init
        });
        if !writes_init {
            return;
        }
        self.ex.facts.helpers.functions.push(HelperFn {
            name: format!("{}.__init__", class.name.id),
            span: self.ex.span(class.name.range),
            kind: FnKind::Method,
            params: vec!["self".to_string()],
            flows: Vec::new(),
            mutates: Vec::new(),
            template: None,
            stores_keywords: true,
            forwards_keywords: false,
        });
    }

    /// What an `__init__` keeps of its arguments: a parameter stored as `self.<attr>` (a flow
    /// to [`FlowTarget::Store`]), every keyword set as an attribute by a loop of `setattr`, and
    /// keywords handed on to `super().__init__(**kwargs)`. Statements of its body and of its
    /// `if`, `for`, `with` and `try` blocks; not of nested functions.
    fn init_stores(&mut self, func: &'a ast::StmtFunctionDef, body: &'a [ast::Stmt], depth: u32) {
        use ast::Stmt;
        if depth > 4 {
            return;
        }
        let kwargs = func.parameters.kwarg.as_ref().map(|p| p.name.id.as_str());
        for stmt in body {
            match stmt {
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    for t in targets {
                        self.store(t, value);
                    }
                }
                Stmt::AnnAssign(ast::StmtAnnAssign {
                    target,
                    value: Some(value),
                    ..
                }) => self.store(target, value),
                Stmt::Expr(e) => {
                    let forwarded = kwargs.is_some_and(|k| super_init_with(&e.value, k));
                    if forwarded && param_names(&func.parameters).eq(["self"]) {
                        if let Some(i) = self.helper_index() {
                            self.ex.facts.helpers.functions[i].forwards_keywords = true;
                        }
                    }
                }
                Stmt::For(f) => {
                    if kwargs.is_some_and(|k| sets_every_keyword(f, k)) {
                        if let Some(i) = self.helper_index() {
                            self.ex.facts.helpers.functions[i].stores_keywords = true;
                        }
                    }
                    self.init_stores(func, &f.body, depth + 1);
                }
                Stmt::If(i) => {
                    self.init_stores(func, &i.body, depth + 1);
                    for clause in &i.elif_else_clauses {
                        self.init_stores(func, &clause.body, depth + 1);
                    }
                }
                Stmt::With(w) => self.init_stores(func, &w.body, depth + 1),
                Stmt::Try(t) => {
                    self.init_stores(func, &t.body, depth + 1);
                    self.init_stores(func, &t.orelse, depth + 1);
                }
                _ => {}
            }
        }
    }

    /// `self.<attr> = <value>` in an `__init__`: the parameters `value` is made of are stored.
    fn store(&mut self, target: &Expr, value: &Expr) {
        let Expr::Attribute(a) = target else { return };
        if !is_self(&a.value) {
            return;
        }
        let params: Vec<Source> = self
            .sources(value)
            .into_iter()
            .filter(|s| matches!(s, Source::Param(..)))
            .collect();
        let attr = a.attr.id.to_string();
        self.record_flows(params, FlowTarget::Store { attr });
    }

    /// The current helper's entry in `HelperFacts::functions`, created when first needed.
    fn helper_index(&mut self) -> Option<usize> {
        let ctx = self.helper.last()?;
        if let Some(i) = ctx.index {
            return Some(i);
        }
        let func = ctx.func;
        let name = match &ctx.class {
            Some(c) => format!("{c}.{}", func.name.id),
            None => func.name.id.to_string(),
        };
        let fact = HelperFn {
            name,
            span: self.ex.span(func.name.range),
            kind: ctx.kind,
            params: param_names(&func.parameters).map(str::to_string).collect(),
            flows: Vec::new(),
            mutates: Vec::new(),
            template: if ctx.class.is_none() {
                template_hook(func)
            } else {
                None
            },
            stores_keywords: false,
            forwards_keywords: false,
        };
        let helpers = &mut self.ex.facts.helpers.functions;
        helpers.push(fact);
        let index = helpers.len() - 1;
        if let Some(ctx) = self.helper.last_mut() {
            ctx.index = Some(index);
        }
        Some(index)
    }

    pub(super) fn leave_helper(&mut self, entered: bool) {
        if !entered {
            return;
        }
        let done = self
            .helper
            .last_mut()
            .is_none_or(|ctx| ctx.shadowed.pop().is_none());
        if done {
            self.helper.pop();
        }
    }

    fn trace(&self, expr: &Expr, depth: u32, wrapped: bool, out: &mut Vec<Source>) {
        let Some(ctx) = self.helper.last() else {
            return;
        };
        if depth > 8 {
            return;
        }
        match expr {
            Expr::Name(n) => {
                let name = n.id.as_str();
                if ctx
                    .shadowed
                    .iter()
                    .any(|s| param_names(s).any(|p| p == name))
                {
                    return;
                }
                match self.scope().and_then(|s| s.locals.get(name)) {
                    Some(Some((e, None))) => self.trace(e, depth + 1, wrapped, out),
                    _ => {
                        if let Some(i) = param_names(&ctx.func.parameters).position(|p| p == name) {
                            out.push(Source::Param(i, wrapped));
                        }
                    }
                }
            }
            Expr::Attribute(a) if ctx.class.is_some() && is_self(&a.value) => {
                out.push(Source::Attr(a.attr.id.to_string(), wrapped));
            }
            Expr::Call(c) if ctx.class.is_some() => {
                let getattr = matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "getattr");
                if let (true, [obj, name, ..]) = (getattr, &c.arguments.args[..]) {
                    if let (true, Some(s)) = (is_self(obj), name.as_string_literal_expr()) {
                        out.push(Source::Attr(s.value.to_str().to_string(), wrapped));
                    }
                }
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                for e in elts {
                    self.trace(e, depth + 1, true, out);
                }
            }
            Expr::Starred(s) => self.trace(&s.value, depth + 1, false, out),
            _ => {}
        }
    }

    /// Record where the parameters and attributes that make up `expr` go.
    pub(super) fn forward(&mut self, expr: &Expr, target: FlowTarget) {
        let sources = self.sources(expr);
        self.record_flows(sources, target);
    }

    /// The parameters and attributes that make up `expr`, inside a helper.
    fn sources(&self, expr: &Expr) -> Vec<Source> {
        let mut sources = Vec::new();
        self.trace(expr, 0, false, &mut sources);
        sources
    }

    /// Record that `sources` go to `target`.
    fn record_flows(&mut self, sources: Vec<Source>, target: FlowTarget) {
        if sources.is_empty() {
            return;
        }
        let Some(class) = self.helper.last().map(|c| c.class.clone()) else {
            return;
        };
        let Some(index) = self.helper_index() else {
            return;
        };
        for source in sources {
            let target = target.clone();
            match source {
                Source::Param(param, wrapped) => {
                    self.ex.facts.helpers.functions[index]
                        .flows
                        .push(ParamFlow {
                            param,
                            wrapped,
                            target,
                        })
                }
                Source::Attr(attr, wrapped) => self.ex.facts.helpers.attrs.push(AttrFlow {
                    class: class.clone().unwrap_or_default(),
                    attr,
                    wrapped,
                    target,
                }),
            }
        }
    }

    /// A permission API receives `expr`.
    pub(super) fn forward_api(&mut self, expr: &Expr, kind: RefKind, c: &Call<'a>, with_obj: bool) {
        if self.helper.is_empty() {
            return;
        }
        let api = match self.receiver_text(c) {
            Some(r) if r.len() <= 40 => format!("{r}.{}", c.name),
            _ => c.name.to_string(),
        };
        let target = FlowTarget::Api {
            kind,
            api,
            with_obj,
            span: c.span,
        };
        self.forward(expr, target);
    }

    /// `owner.groups.add(...)` and the like: a parameter's permissions change.
    pub(super) fn mutated(&mut self, owner: &Expr) {
        let mut sources = Vec::new();
        self.trace(owner, 0, false, &mut sources);
        if !sources.iter().any(|s| matches!(s, Source::Param(_, false))) {
            return;
        }
        let Some(index) = self.helper_index() else {
            return;
        };
        for source in sources {
            if let Source::Param(i, false) = source {
                self.ex.facts.helpers.functions[index].mutates.push(i);
            }
        }
    }

    /// What a call names, when it may be a project function: a module function, a class, an
    /// import, or a method on `self`/`cls` (bound).
    fn callee(&self, c: &Call<'a>) -> Option<(Value, bool)> {
        match &*c.call.func {
            Expr::Name(n) => {
                let name = n.id.as_str();
                if self.scope().is_some_and(|s| s.locals.contains_key(name)) {
                    return None;
                }
                if self.module_functions.contains(name) {
                    return Some((
                        Value::Ref {
                            module: self.ex.module.as_str().into(),
                            path: thin_vec::thin_vec![name.into()],
                        },
                        false,
                    ));
                }
            }
            Expr::Attribute(a) if is_self(&a.value) => {
                let class = self.classes.last()?;
                return Some((
                    Value::Ref {
                        module: self.ex.module.as_str().into(),
                        path: thin_vec::thin_vec![
                            class.name.as_str().into(),
                            a.attr.id.as_str().into()
                        ],
                    },
                    true,
                ));
            }
            _ => {}
        }
        match self.fold(&c.call.func) {
            v @ (Value::Ref { .. } | Value::StarRef { .. }) => Some((v, false)),
            _ => None,
        }
    }

    /// Any other call: its arguments may forward parameters, or pass permission strings to a
    /// project helper.
    pub(super) fn helper_call(&mut self, c: &Call<'a>) {
        // Only a call after a check can make a later check stale (DJP005).
        let checked = self.after_check();
        let passes_names = c
            .args()
            .iter()
            .chain(c.call.arguments.keywords.iter().map(|k| &k.value))
            .any(|e| may_pass_name(e, 0));
        if self.helper.is_empty() && !checked && !passes_names {
            return;
        }
        // Nothing is kept of a call whose callee names nothing the project could define (a
        // builtin, a method of a local): its arguments are not folded.
        let Some((callee, bound)) = self.callee(c) else {
            return;
        };
        let args = c.args();
        let positional = args.iter().take_while(|a| !a.is_starred_expr());
        let keywords = c.call.arguments.keywords.iter();
        // Keyword names are borrowed until a fact keeps them.
        let named: Vec<(Result<usize, &'a str>, &'a Expr)> = positional
            .enumerate()
            .map(|(i, a)| (Ok(i), a))
            .chain(keywords.filter_map(|k| k.arg.as_ref().map(|a| (Err(a.id.as_str()), &k.value))))
            .collect();
        let arg_pos = |pos: Result<usize, &str>| match pos {
            Ok(i) => ArgPos::Index(i),
            Err(k) => ArgPos::Keyword(k.to_string()),
        };
        // What the arguments carry, before what is called is resolved: most calls carry
        // neither a helper's parameters nor a permission name, and are done with here.
        let flows: Vec<(usize, Vec<Source>)> = if self.helper.is_empty() {
            Vec::new()
        } else {
            named
                .iter()
                .enumerate()
                .map(|(i, (_, expr))| (i, self.sources(expr)))
                .filter(|(_, sources)| !sources.is_empty())
                .collect()
        };
        // Only what can fold to a permission string is folded (not nested calls and dicts).
        let items: Vec<crate::value::Item> = if passes_names {
            named
                .iter()
                .map(|(_, expr)| {
                    if simple(expr, 0) {
                        self.item(expr)
                    } else {
                        self.ex.item(expr, Value::Unknown)
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let any = items.iter().any(|i| may_name_permission(&i.value));
        if !checked && flows.is_empty() && !any {
            return;
        }
        if checked {
            let texts = named
                .iter()
                .map(|(pos, expr)| (arg_pos(*pos), self.ex.text(expr.range()).to_string()))
                .collect();
            self.push_event(Event::Call(callee.clone(), bound, texts, c.span));
        }
        // Django's own functions are not project helpers: their arguments go nowhere to follow.
        let django = matches!(&callee, Value::Ref { module, .. } if module == "django" || module.starts_with("django."));
        if !django {
            for (i, sources) in flows {
                let target = FlowTarget::Call {
                    callee: callee.clone(),
                    bound,
                    arg: arg_pos(named[i].0),
                    span: c.span,
                };
                self.record_flows(sources, target);
            }
        }
        if !any {
            return;
        }
        let mut call = HelperCall {
            callee,
            bound,
            args: Vec::new(),
            kwargs: Vec::new(),
            span: c.span,
        };
        for ((pos, _), item) in named.into_iter().zip(items) {
            match pos {
                Ok(_) => call.args.push(item),
                Err(k) => call.kwargs.push((k.into(), item)),
            }
        }
        if any {
            self.ex.facts.helpers.calls.push(call);
        }
    }
}
