//! References: every place a permission string (or an app label, a rules name, a DRF
//! `perms_map` entry) reaches a permission API — calls, decorators, mixin attributes,
//! `get_permission_required` returns — and string literals shaped like a permission.

use ruff_python_ast::{self as ast, Expr, Stmt};
use rustc_hash::FxHashSet;

use super::{dotted, Call, Walker};
use crate::diagnostic::Span;
use crate::facts::{FileFacts, RefKind, Reference};
use crate::value::{Item, Value};

use super::flow::Event;
use ruff_text_size::Ranged;

impl<'a> Walker<'_, '_, 'a> {
    /// Permission strings given to `x.user_permissions.add(...)` (and the other related-manager
    /// methods) instead of `Permission` objects.
    pub(super) fn m2m_strings(&mut self, c: &Call<'a>) {
        let (func_name, args, call_span) = (&c.name, c.args(), c.span);
        if let Some(rel) = c.related_manager() {
            if matches!(rel.attr.id.as_str(), "user_permissions" | "permissions")
                && !func_name.ends_with("clear")
            {
                for arg in args.iter() {
                    let item = self.item(arg);
                    let strings = match &item.value {
                        Value::Str(_) => true,
                        Value::Seq(items) => items.iter().any(|i| matches!(i.value, Value::Str(_))),
                        _ => false,
                    };
                    if strings {
                        let model = self.instance_model(&rel.value);
                        self.push_ref(RefKind::M2mString, item, false, call_span);
                        if let Some(r) = self.ex.facts.references.last_mut() {
                            r.owner = Some(rel.attr.id.to_string());
                            r.class_bases = model.into_iter().collect();
                        }
                    }
                }
            }
        }
    }

    /// The model class of an instance, when the code says it: a parameter annotated with it
    /// (`group: Group`), or a local bound once to `Model(...)`, `Model.objects.get(...)` /
    /// `create(...)`, or the first item of `Model.objects.get_or_create(...)`.
    fn instance_model(&self, expr: &Expr) -> Option<Value> {
        let Expr::Name(n) = expr else { return None };
        let scope = self.scope()?;
        if let Some(annotation) = scope.annotations.get(n.id.as_str()) {
            return Some(self.fold(annotation));
        }
        let Some(Some((Expr::Call(call), index))) = scope.locals.get(n.id.as_str()) else {
            return None;
        };
        let class = match &*call.func {
            Expr::Attribute(method) => {
                let Expr::Attribute(objects) = &*method.value else {
                    return None;
                };
                let fits = matches!(
                    (method.attr.id.as_str(), index),
                    ("get" | "create" | "aget" | "acreate", None)
                        | ("get_or_create" | "update_or_create", Some(0))
                );
                if objects.attr.id.as_str() != "objects" || !fits {
                    return None;
                }
                &*objects.value
            }
            Expr::Name(_) if index.is_none() => &*call.func,
            _ => return None,
        };
        match self.fold(class) {
            v @ (Value::Ref { .. } | Value::StarRef { .. }) => Some(v),
            _ => None,
        }
    }

    /// A call that checks or grants a permission by name: user methods, decorators, guardian
    /// shortcuts, django-rules names.
    pub(super) fn permission_call(&mut self, c: &Call<'a>) {
        let (call, call_span, receiver) = (c.call, c.span, c.receiver);
        let (func_name, receiver_text, args) = (c.name, self.receiver_text(c), c.args());
        let kw = |name: &str| c.kw(name);
        let first = |name: &str| args.first().or_else(|| kw(name));
        match func_name {
            "has_perm" | "ahas_perm" | "has_perms" | "ahas_perms" => {
                // `rules.has_perm(name, user)` and bare `has_perm(...)` helpers are not user methods.
                if receiver.is_none() || receiver_text == Some("rules") {
                    return self.helper_call(c);
                }
                let plural = func_name.ends_with('s');
                let perm_param = if plural { "perm_list" } else { "perm" };
                // `obj.has_perm(user_obj=…, perm=…)`: some other object's method.
                if !fits(call, &[perm_param, "obj"], 1) {
                    return;
                }
                // `self.has_perm(…)`: Django's only in a user model (judged with the bases).
                let on_self = matches!(receiver, Some(Expr::Name(n)) if matches!(n.id.as_str(), "self" | "cls"));
                let class = match self.classes.last() {
                    Some(class) if on_self && !class.own_has_perm => Some(class.clone()),
                    _ if on_self => return,
                    _ => None,
                };
                let Some(perm) = first(perm_param) else {
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
                if class.is_none() {
                    self.forward_api(perm, kind, c, with_obj);
                }
                self.push_ref(kind, item, with_obj, call_span);
                if let (Some(class), Some(r)) = (class, self.ex.facts.references.last_mut()) {
                    r.owner = Some(class.name);
                    r.class_bases = class.bases.into_iter().collect();
                }
            }
            "has_module_perms" | "ahas_module_perms" => {
                if receiver.is_none() || receiver_text == Some("rules") {
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
                    self.forward_api(perm, RefKind::WithPerm, c, kw("obj").is_some());
                    self.push_ref(RefKind::WithPerm, item, kw("obj").is_some(), call_span);
                }
            }
            "permission_required" => {
                let Some(perm) = first("perm") else { return };
                let origin = match &*call.func {
                    Expr::Name(n) => self.import_origin(n.id.as_str()).map(str::to_string),
                    other => dotted(other),
                };
                let guardian = origin.as_deref().is_some_and(is_guardian);
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
                self.forward_api(perm, kind, c, with_obj);
                self.push_ref(kind, item, with_obj, call_span);
            }
            "permission_required_or_403" | "permission_required_or_404" => {
                if let Some(perm) = first("perm") {
                    let with_obj = args.len() > 1 || kw("lookup_variables").is_some();
                    let item = self.item(perm);
                    if self.push_guardian(c, RefKind::GuardianPermissionRequired, item, with_obj) {
                        self.forward_api(perm, RefKind::GuardianPermissionRequired, c, with_obj);
                    }
                }
            }
            "assign_perm" | "remove_perm" => {
                // guardian's signature; `push_guardian` judges the origin (a method of some
                // other object, or a project function of that name, is not guardian's).
                let required = if func_name == "assign_perm" { 2 } else { 1 };
                if !fits(call, &["perm", "user_or_group", "obj"], required) {
                    return;
                }
                if let Some(perm) = first("perm") {
                    let with_obj = args.len() > 2 || kw("obj").is_some();
                    let item = self.item(perm);
                    let pushed = self.push_guardian(c, RefKind::GuardianAssign, item, with_obj);
                    if pushed {
                        self.forward_api(perm, RefKind::GuardianAssign, c, with_obj);
                    }
                    if pushed && !with_obj {
                        if let Some(target) = args.get(1) {
                            let owner = self.ex.text(target.range()).to_string();
                            self.push_event(Event::Mutate(owner, call_span));
                        }
                    }
                }
            }
            "get_users_with_perms" | "get_groups_with_perms" => {
                if let Some(perms) = kw("only_with_perms_in") {
                    let item = self.item(perms);
                    self.push_guardian(c, RefKind::GuardianOnlyWithPerms, item, true);
                }
            }
            "get_objects_for_user" | "get_objects_for_group" => {
                if let Some(perms) = args.get(1).or_else(|| kw("perms")) {
                    let klass = args
                        .get(2)
                        .or_else(|| kw("klass"))
                        .filter(|k| !k.is_none_literal_expr());
                    let item = self.item(perms);
                    let klass = klass.map(|k| self.fold(k));
                    let with_obj = klass.is_some();
                    if self.push_guardian(c, RefKind::GuardianObjects, item, with_obj) {
                        // The model `klass` names (a model, a manager or a queryset), for DJP020.
                        if let (Some(klass), Some(r)) = (klass, self.ex.facts.references.last_mut())
                        {
                            r.lookup = Some(Box::new(crate::facts::Lookup {
                                model: Some(klass),
                                ..Default::default()
                            }));
                        }
                        self.forward_api(perms, RefKind::GuardianObjects, c, with_obj);
                    }
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
            _ => self.helper_call(c),
        }
    }

    /// drf-access-policy conditions naming permissions: `"has_model_perms:app.change_x"`,
    /// `has_obj_perms:`, `has_model_or_obj_perms:`, also inside a `condition_expression`.
    pub(super) fn access_policy(&mut self, expr: &'a Expr, text: &str) {
        let source = self.ex.text(expr.range());
        // The permission's place in the file, when the literal spells it as is.
        let content = source.find(['"', '\'']).map(|q| q + 1);
        let base = self.ex.span(expr.range()).start;
        for (prefix, with_obj) in [
            ("has_model_perms:", false),
            ("has_obj_perms:", true),
            ("has_model_or_obj_perms:", true),
        ] {
            let mut from = 0;
            while let Some(rel) = text[from..].find(prefix) {
                let at = from + rel;
                from = at + prefix.len();
                if text[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let perm: String = text[from..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
                    .collect();
                if perm.is_empty() {
                    continue;
                }
                let spelled = content
                    .filter(|c| source.get(c + from..c + from + perm.len()) == Some(perm.as_str()));
                let span = match spelled {
                    Some(c) => crate::diagnostic::Span::new(
                        self.ex.file,
                        base + (c + from) as u32,
                        base + (c + from + perm.len()) as u32,
                    ),
                    None => self.ex.span(expr.range()),
                };
                let item = Item {
                    value: Value::Str(perm.into()),
                    span,
                    literal: false,
                };
                let call_span = self.ex.span(expr.range());
                self.push_ref(RefKind::HasPerm, item, with_obj, call_span);
                self.sink_literals.insert(call_span);
            }
        }
    }

    /// A call named like one of guardian's functions is guardian's only when it comes from
    /// guardian: imported from it here (pushed as is), or imported from another module of the
    /// project (pushed with its callee, confirmed when references are resolved). A function of
    /// this file, a method or a parameter of the same name is not guardian's: nothing is pushed.
    /// Whether a reference was pushed.
    fn push_guardian(&mut self, c: &Call<'a>, kind: RefKind, item: Item, with_obj: bool) -> bool {
        let callee = match self.fold(&c.call.func) {
            Value::Ref { module, .. } if is_guardian(&module) => None,
            v @ (Value::Ref { .. } | Value::StarRef { .. }) => Some(v),
            _ => {
                self.helper_call(c);
                return false;
            }
        };
        match callee {
            None => self.push_ref(kind, item, with_obj, c.span),
            // Not a sink yet: its literals stay permission-shaped strings until it is confirmed
            // (as guardian's, or as a project helper).
            Some(callee) => {
                self.helper_call(c);
                self.ex.facts.references.push(Reference {
                    kind,
                    value: item,
                    with_obj,
                    call_span: c.span,
                    lookup: None,
                    class_bases: Default::default(),
                    owner: None,
                    callee: Some(Box::new(callee)),
                })
            }
        }
        true
    }

    pub(super) fn class_refs(&mut self, class: &'a ast::StmtClassDef, bases: &[Value]) {
        let object_mixin = bases.iter().any(|b| match b {
            Value::Ref { module, .. } => is_guardian(module) || module.starts_with("rules"),
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
                        r.class_bases = bases.iter().cloned().collect();
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

/// Whether the call's arguments bind to a function of these parameters (the first `required`
/// without default), as Python binds them; a call with `*args` or `**kwargs` may.
fn fits(call: &ast::ExprCall, params: &[&str], required: usize) -> bool {
    let args = &call.arguments.args;
    let keywords = &call.arguments.keywords;
    if args.iter().any(Expr::is_starred_expr) || keywords.iter().any(|k| k.arg.is_none()) {
        return true;
    }
    if args.len() > params.len() {
        return false;
    }
    let bound = |i: usize| {
        i < args.len()
            || keywords
                .iter()
                .any(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == params[i]))
    };
    keywords.iter().all(|k| {
        k.arg.as_ref().is_some_and(|a| {
            params
                .iter()
                .position(|p| *p == a.id.as_str())
                .is_some_and(|i| i >= args.len())
        })
    }) && (0..required).all(bound)
}

/// A module of django-guardian.
pub fn is_guardian(module: &str) -> bool {
    module == "guardian" || module.starts_with("guardian.")
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

pub(super) fn shaped_like_permission(s: &str) -> bool {
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

/// Literals shaped like a permission (`"app.do_thing"`) that no permission API receives: a
/// constant defined here and used by a sink here is reported once, at the use.
pub(super) fn shape_references(
    facts: &mut FileFacts,
    shapes: Vec<Item>,
    sink_literals: &FxHashSet<Span>,
) {
    let mut used: FxHashSet<String> = FxHashSet::default();
    // A reference still to confirm (`callee`) leaves its strings to the shapes.
    for r in facts.references.iter().filter(|r| r.callee.is_none()) {
        match &r.value.value {
            Value::Str(s) => {
                used.insert(s.to_string());
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
            facts.references.push(Reference {
                kind: RefKind::Shape,
                call_span: item.span,
                value: item,
                with_obj: false,
                lookup: None,
                class_bases: Default::default(),
                callee: None,
                owner: None,
            });
        }
    }
}
