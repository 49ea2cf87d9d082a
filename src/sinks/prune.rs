//! Dropping the helper calls no sink can name, once every file is parsed.

use rustc_hash::FxHashSet;

use crate::value::Value;
use crate::workspace::Workspace;

/// Drop the recorded calls (`helpers.calls`) whose callee cannot be a sink: they are read only
/// by `uses::call_sites` and the inference rounds, and only when the callee's last name is that
/// of a sink (or a class, when some `__init__` is a helper: [`super::may_name`]); every sink is
/// a function of some file's `helpers.functions` or a declared `permission-sinks` function.
/// Only a lean workspace (a report-only `check`, never edited or analysed again) drops them,
/// and only facts it holds alone. Returns how many were dropped.
pub fn drop_unread_calls(ws: &mut Workspace, declared: &[String]) -> usize {
    if !ws.snapshot.lean {
        return 0;
    }
    let mut names: FxHashSet<&str> = FxHashSet::default();
    for facts in ws.python.iter().flatten() {
        for f in &facts.helpers.functions {
            names.extend(f.name.rsplit('.').next());
        }
    }
    for d in declared {
        if let Some((path, _)) = d.split_once(':') {
            names.extend(path.rsplit('.').next());
        }
    }
    let names: FxHashSet<String> = names.into_iter().map(str::to_string).collect();
    let named = |v: &Value| match v {
        Value::Ref { path, .. } | Value::StarRef { path, .. } => path
            .last()
            .is_some_and(|p| super::may_name(|n| names.contains(n), p)),
        _ => false,
    };
    let mut dropped = 0;
    for slot in ws.python.iter_mut().flatten() {
        if slot.helpers.calls.iter().all(|c| named(&c.callee)) {
            continue;
        }
        let Some(facts) = std::sync::Arc::get_mut(slot) else {
            continue;
        };
        let before = facts.helpers.calls.len();
        facts.helpers.calls.retain(|c| named(&c.callee));
        facts.helpers.calls.shrink_to_fit();
        dropped += before - facts.helpers.calls.len();
    }
    dropped
}
