//! The permission-cache flow for DJP005: per function (and at module level), the sequence of
//! permission checks, grants and rebindings of each receiver; a check after a grant that
//! follows a check on the same receiver is stale.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{Call, Walker};
use crate::diagnostic::Span;
use crate::facts::helpers::{ArgPos, StaleVia};
use crate::facts::StaleCheck;

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

#[derive(Clone, Debug)]
pub(super) enum Event {
    Check(String, Span),
    Mutate(String, Span),
    Rebind(String),
    /// A call that may be a project helper: callee, bound, (argument, its text), call.
    Call(crate::value::Value, bool, Vec<(ArgPos, String)>, Span),
}

/// check → call of a possible helper with the checked object → check: confirmed (or not) by
/// `crate::sinks` once it knows whether the callee changes that parameter's permissions.
pub(super) fn helper_candidates(events: &[Event]) -> Vec<StaleVia> {
    let mut checked: FxHashMap<&str, Span> = FxHashMap::default();
    let mut dirty: FxHashMap<&str, (Span, &Event, ArgPos)> = FxHashMap::default();
    let mut out = Vec::new();
    for event in events {
        match event {
            Event::Check(recv, span) => {
                if let Some((first, Event::Call(callee, bound, _, call_span), arg)) =
                    dirty.remove(recv.as_str())
                {
                    out.push(StaleVia {
                        check: StaleCheck {
                            span: *span,
                            receiver: recv.clone(),
                            first_check: first,
                            mutation: *call_span,
                        },
                        callee: callee.clone(),
                        bound: *bound,
                        arg,
                    });
                }
                checked.entry(recv.as_str()).or_insert(*span);
            }
            Event::Call(_, _, args, _) => {
                for (arg, text) in args {
                    if let Some(first) = checked.get(text.as_str()) {
                        dirty.insert(text.as_str(), (*first, event, arg.clone()));
                    }
                }
            }
            Event::Rebind(recv) => {
                let prefix = format!("{recv}.");
                checked.retain(|k, _| k != recv && !k.starts_with(&prefix));
                dirty.retain(|k, _| k != recv && !k.starts_with(&prefix));
            }
            Event::Mutate(..) => {}
        }
    }
    out
}

/// check → mutate → check on the same receiver, with no rebinding in between.
pub(super) fn stale_checks(events: Vec<Event>) -> Vec<StaleCheck> {
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
            Event::Call(..) => {}
        }
    }
    out
}

impl<'a> Walker<'_, '_, 'a> {
    /// A permission check on a receiver, or a change of its permissions or groups.
    pub(super) fn flow_events(&mut self, c: &Call<'a>) {
        // A check about an object neither fills nor reads the user's permission cache
        // (ModelBackend answers nothing for an object; guardian reads the database each time).
        let obj = match c.name {
            "has_perm" | "has_perms" | "ahas_perm" | "ahas_perms" => c.args().get(1),
            // Its argument is an app label: it always reads the user's cache.
            "has_module_perms" | "ahas_module_perms" => None,
            _ => c.args().first(),
        }
        .or_else(|| c.kw("obj"))
        .is_some_and(|o| !o.is_none_literal_expr());
        if CHECK_METHODS.contains(&c.name) && !obj {
            if let Some(recv) = self.receiver_text(c) {
                if recv != "rules" {
                    self.push_event(Event::Check(recv.to_string(), c.span));
                }
            }
        }
        if let Some(rel) = c.related_manager() {
            if matches!(rel.attr.id.as_str(), "user_permissions" | "groups") {
                self.mutated(&rel.value);
                let owner = self.ex.text(rel.value.range()).to_string();
                self.push_event(Event::Mutate(owner, c.span));
            }
        }
    }

    /// `del x._perm_cache, x._user_perm_cache, x._group_perm_cache` refreshes `x`.
    pub(super) fn deleted_caches(&mut self, del: &ast::StmtDelete) {
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
}

impl<'a> Walker<'_, '_, 'a> {
    /// Django's `permission_required` decorator, and `PermissionRequiredMixin.dispatch` before a
    /// view's handler, check the user's permissions (filling the cache) before the body runs.
    pub(super) fn checked_before_body(&mut self, func: &'a ast::StmtFunctionDef) {
        let params: Vec<&str> = func
            .parameters
            .posonlyargs
            .iter()
            .chain(&func.parameters.args)
            .map(|p| p.parameter.name.id.as_str())
            .collect();
        let in_class = !self.classes.is_empty() && self.scopes.len() == 1;
        let request = match (in_class, params.as_slice()) {
            (true, [_, request, ..]) | (false, [request, ..]) => *request,
            _ => return,
        };
        let decorated = func.decorator_list.iter().find(|d| {
            let Expr::Call(call) = &d.expression else {
                return false;
            };
            match &*call.func {
                Expr::Name(n) if n.id.as_str() == "permission_required" => self
                    .import_origin(n.id.as_str())
                    .is_none_or(|m| m.starts_with("django.contrib.auth")),
                Expr::Attribute(a) => {
                    a.attr.id.as_str() == "permission_required"
                        && matches!(&*a.value, Expr::Name(n) if n.id.as_str() == "decorators")
                }
                _ => false,
            }
        });
        let handler = in_class
            && matches!(
                func.name.id.as_str(),
                "get" | "post" | "put" | "patch" | "delete" | "head" | "options"
            )
            && self.classes.last().is_some_and(|c| {
                c.bases.iter().any(|b| {
                    matches!(b, crate::value::Value::Ref { module, path }
                        if module.starts_with("django.contrib.auth")
                            && path.last().is_some_and(|p| p == "PermissionRequiredMixin"))
                })
            });
        let span = match decorated {
            Some(d) => self.ex.span(d.range()),
            None if handler => self.ex.span(func.name.range()),
            None => return,
        };
        self.push_event(Event::Check(format!("{request}.user"), span));
        if in_class {
            self.push_event(Event::Check("self.request.user".to_string(), span));
        }
    }
}
