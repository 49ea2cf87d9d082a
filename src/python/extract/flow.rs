//! The permission-cache flow for DJP005: per function (and at module level), the sequence of
//! permission checks, grants and rebindings of each receiver; a check after a grant that
//! follows a check on the same receiver is stale.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::Ranged;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{Call, Walker};
use crate::diagnostic::Span;
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
        }
    }
    out
}

impl<'a> Walker<'_, '_, 'a> {
    /// A permission check on a receiver, or a change of its permissions or groups.
    pub(super) fn flow_events(&mut self, c: &Call<'a>) {
        if CHECK_METHODS.contains(&c.name.as_str()) {
            if let Some(recv) = &c.receiver_text {
                if recv != "rules" {
                    self.push_event(Event::Check(recv.clone(), c.span));
                }
            }
        }
        if let Some(rel) = c.related_manager() {
            if matches!(rel.attr.id.as_str(), "user_permissions" | "groups") {
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
