//! Migration state replay for one app: dependency order, squashes, and the option
//! semantics of CreateModel / AlterModelOptions / RenameModel / DeleteModel /
//! SeparateDatabaseAndState.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnostic::{FileId, Span};
use crate::facts::REPLAYED_OPTIONS;
use crate::index::models::{
    parse_default_permissions, parse_permissions, PermOptions, ALTER_OPTION_KEYS, DEFAULT_ACTIONS,
};
use crate::index::resolve::Resolver;
use crate::value::{Item, Value};

#[derive(Clone, Debug)]
pub struct StateModel {
    pub name: String,
    pub model_name: String,
    pub options: FxHashMap<String, Item>,
    /// Options that did not fold.
    pub opaque: bool,
    /// The operation that last defined or altered the model.
    pub span: Span,
}

impl StateModel {
    pub fn perm_options(&self) -> PermOptions {
        let mut out = PermOptions::default();
        if self.opaque {
            return out;
        }
        match self.options.get("permissions") {
            Some(item) => {
                let (entries, malformed) = parse_permissions(&item.value);
                out.permissions = entries;
                out.malformed = malformed;
                out.permissions_span = Some(item.span);
            }
            None => out.permissions = Some(Vec::new()),
        }
        match self.options.get("default_permissions") {
            Some(item) => {
                out.default_permissions = parse_default_permissions(&item.value);
                out.default_permissions_span = Some(item.span);
            }
            None => {
                out.default_permissions =
                    Some(DEFAULT_ACTIONS.iter().map(|s| s.to_string()).collect())
            }
        }
        out
    }

    pub fn option_str(&self, key: &str) -> Option<&str> {
        self.options.get(key).and_then(|i| i.value.as_str())
    }

    pub fn option_bool(&self, key: &str) -> Option<bool> {
        self.options.get(key).and_then(|i| i.value.as_bool())
    }
}

#[derive(Clone, Debug, Default)]
pub struct Replay {
    /// Final state, by lowercased model name.
    pub models: FxHashMap<String, StateModel>,
    /// `(old model_name, new model_name)` in order.
    pub renames: Vec<(String, String)>,
    /// Migration files applied on a fresh DB, in order.
    pub plan: Vec<FileId>,
    /// Something could not be read (an operations list that did not fold, a syntax error).
    pub opaque: bool,
    /// Migrations that depend on each other in a cycle (`migrate` fails on them).
    pub cycle: Vec<String>,
    /// The app's leaf migrations (no migration of the app depends on them; a squash stands
    /// for the migrations it replaces), by name: more than one is a conflict `migrate` refuses.
    pub leaves: Vec<(String, FileId)>,
}

struct Node {
    name: String,
    file: FileId,
    deps: Vec<String>,
    replaces: Vec<String>,
    operations: Option<Vec<Item>>,
}

/// Replay the migrations package `module` of the app labelled `label`.
pub fn replay(
    resolver: &Resolver<'_>,
    label: &str,
    module: &str,
    children: &[(String, FileId)],
) -> Replay {
    let ws = resolver.ws;
    let mut out = Replay::default();
    let mut nodes: Vec<Node> = Vec::new();
    for (name, file) in children {
        if name.starts_with('_') || name.starts_with('~') {
            continue;
        }
        let Some(facts) = ws.python[*file].as_ref() else {
            continue;
        };
        if facts.syntax_error.is_some() {
            out.opaque = true;
            continue;
        }
        let Some(class) = facts.classes.iter().rev().find(|c| c.name == "Migration") else {
            continue;
        };
        let attr = |key: &str| class.attrs.get(key).map(|i| resolver.resolve(&i.value, 0));
        let same_app = |v: Option<Value>| -> Vec<String> {
            let mut names = Vec::new();
            if let Some(Value::Seq(items)) = v {
                for item in items {
                    if let Value::Seq(pair) = &item.value {
                        if let [a, b] = pair.as_slice() {
                            if let (Some(l), Some(n)) = (a.value.as_str(), b.value.as_str()) {
                                if l == label {
                                    names.push(n.to_string());
                                }
                            }
                        }
                    }
                }
            }
            names
        };
        let operations = match attr("operations") {
            Some(Value::Seq(items)) => Some(items),
            None => Some(Vec::new()),
            Some(_) => None,
        };
        nodes.push(Node {
            name: name.clone(),
            file: *file,
            deps: same_app(attr("dependencies")),
            replaces: same_app(attr("replaces")),
            operations,
        });
    }
    let _ = module;
    // Squashes: on a fresh DB the squash is used and the replaced nodes are dropped.
    let mut replaced_by: FxHashMap<String, String> = FxHashMap::default();
    for n in &nodes {
        for r in &n.replaces {
            replaced_by.insert(r.clone(), n.name.clone());
        }
    }
    nodes.retain(|n| !replaced_by.contains_key(&n.name));
    let names: FxHashSet<String> = nodes.iter().map(|n| n.name.clone()).collect();
    for n in nodes.iter_mut() {
        for d in n.deps.iter_mut() {
            if let Some(s) = replaced_by.get(d) {
                *d = s.clone();
            }
        }
        let own = n.name.clone();
        n.deps.retain(|d| names.contains(d) && *d != own);
    }
    let depended: FxHashSet<&str> = nodes
        .iter()
        .flat_map(|n| n.deps.iter().map(String::as_str))
        .collect();
    out.leaves = nodes
        .iter()
        .filter(|n| !depended.contains(n.name.as_str()))
        .map(|n| (n.name.clone(), n.file))
        .collect();
    out.leaves.sort();
    let order = apply_order(&nodes, &mut out);
    for i in order {
        let node = &nodes[i];
        out.plan.push(node.file);
        match &node.operations {
            Some(ops) => {
                for op in ops {
                    apply(&mut out, &op.value, op.span);
                }
            }
            None => out.opaque = true,
        }
    }
    out
}

/// The order a fresh `migrate` applies the nodes in: Kahn's algorithm, ties by name; a cycle is
/// broken by name order (the replay is then opaque and `out.cycle` names what was left).
fn apply_order(nodes: &[Node], out: &mut Replay) -> Vec<usize> {
    // Distinct dependencies still to apply, per node; nodes waiting on each name.
    let mut waiting: Vec<usize> = Vec::with_capacity(nodes.len());
    let mut dependents: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    let mut by_name: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, n) in nodes.iter().enumerate() {
        let mut deps: Vec<&str> = n.deps.iter().map(String::as_str).collect();
        deps.sort_unstable();
        deps.dedup();
        waiting.push(deps.len());
        for d in deps {
            dependents.entry(d).or_default().push(i);
        }
        by_name.entry(n.name.as_str()).or_default().push(i);
    }
    let mut pending: BTreeSet<(&str, usize)> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    let mut ready: BTreeSet<(&str, usize)> = pending
        .iter()
        .filter(|&&(_, i)| waiting[i] == 0)
        .copied()
        .collect();
    let mut done: FxHashSet<&str> = FxHashSet::default();
    let mut order: Vec<usize> = Vec::new();
    while order.len() < nodes.len() {
        let next = match ready.first() {
            Some(&(_, i)) => i,
            None => {
                out.opaque = true;
                if out.cycle.is_empty() {
                    out.cycle = pending.iter().map(|(n, _)| n.to_string()).collect();
                    out.cycle.sort();
                }
                match pending.first() {
                    Some(&(_, i)) => i,
                    None => break,
                }
            }
        };
        let name = nodes[next].name.as_str();
        order.push(next);
        if !done.insert(name) {
            continue;
        }
        // Every node of that name is done now (a second one is never applied).
        for &i in &by_name[name] {
            pending.remove(&(name, i));
            ready.remove(&(name, i));
        }
        for &j in dependents.get(name).map(Vec::as_slice).unwrap_or_default() {
            waiting[j] -= 1;
            let other = nodes[j].name.as_str();
            if waiting[j] == 0 && !done.contains(other) {
                ready.insert((other, j));
            }
        }
    }
    order
}

fn options_of(value: Option<&Item>) -> (FxHashMap<String, Item>, bool) {
    let mut map = FxHashMap::default();
    let mut opaque = false;
    match value.map(|i| &i.value) {
        None | Some(Value::None) => {}
        Some(Value::Dict(items)) => {
            for (k, v) in items {
                match k.as_str() {
                    Some(key) => {
                        if REPLAYED_OPTIONS.contains(&key) && v.value.has_unknown() {
                            opaque = true;
                        }
                        map.insert(key.to_string(), v.clone());
                    }
                    None => opaque = true,
                }
            }
        }
        Some(_) => opaque = true,
    }
    (map, opaque)
}

fn apply(out: &mut Replay, op: &Value, span: Span) {
    let Value::Call(call) = op else {
        if matches!(op, Value::Unknown) {
            out.opaque = true;
        }
        return;
    };
    let name_arg = |i: usize, k: &str| {
        op.arg(i, k)
            .and_then(|v| v.value.as_str())
            .map(str::to_string)
    };
    // The facts keep the arguments of these operations only: `facts::REPLAYED_OPERATIONS`.
    match call.func.as_str() {
        "CreateModel" => {
            let Some(name) = name_arg(0, "name") else {
                out.opaque = true;
                return;
            };
            let (options, opaque) = options_of(op.arg(2, "options"));
            out.models.insert(
                name.to_lowercase(),
                StateModel {
                    model_name: name.to_lowercase(),
                    name,
                    options,
                    opaque,
                    span,
                },
            );
        }
        "AlterModelOptions" => {
            let Some(name) = name_arg(0, "name") else {
                out.opaque = true;
                return;
            };
            let (new, opaque) = options_of(op.arg(1, "options"));
            if let Some(model) = out.models.get_mut(&name.to_lowercase()) {
                for key in ALTER_OPTION_KEYS {
                    if !new.contains_key(*key) {
                        model.options.remove(*key);
                    }
                }
                model.options.extend(new);
                model.opaque |= opaque;
                model.span = span;
            }
        }
        "RenameModel" => {
            let (Some(old), Some(new)) = (name_arg(0, "old_name"), name_arg(1, "new_name")) else {
                out.opaque = true;
                return;
            };
            if let Some(mut model) = out.models.remove(&old.to_lowercase()) {
                model.model_name = new.to_lowercase();
                model.name = new.clone();
                model.span = span;
                out.models.insert(new.to_lowercase(), model);
                out.renames.push((old.to_lowercase(), new.to_lowercase()));
            }
        }
        "DeleteModel" => {
            if let Some(name) = name_arg(0, "name") {
                out.models.remove(&name.to_lowercase());
            }
        }
        "SeparateDatabaseAndState" => match op.arg(1, "state_operations").map(|i| &i.value) {
            Some(Value::Seq(items)) => {
                for item in items {
                    apply(out, &item.value, item.span);
                }
            }
            None | Some(Value::None) => {}
            Some(_) => out.opaque = true,
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(spec: &[(&str, &[&str])]) -> Vec<Node> {
        spec.iter()
            .enumerate()
            .map(|(file, (name, deps))| Node {
                name: name.to_string(),
                file,
                deps: deps.iter().map(|d| d.to_string()).collect(),
                replaces: Vec::new(),
                operations: Some(Vec::new()),
            })
            .collect()
    }

    fn names(nodes: &[Node], order: &[usize]) -> Vec<String> {
        order.iter().map(|&i| nodes[i].name.clone()).collect()
    }

    #[test]
    fn dependencies_first_then_names() {
        let n = nodes(&[
            ("0003_c", &["0002_b"]),
            ("0002_b", &["0001_a", "0001_a"]),
            ("0002_a", &["0001_a"]),
            ("0001_a", &[]),
        ]);
        let mut out = Replay::default();
        let order = apply_order(&n, &mut out);
        assert_eq!(names(&n, &order), ["0001_a", "0002_a", "0002_b", "0003_c"]);
        assert!(!out.opaque && out.cycle.is_empty());
    }

    #[test]
    fn a_long_chain_in_reverse_order() {
        let spec: Vec<(String, Vec<String>)> = (0..2000)
            .rev()
            .map(|i| {
                let deps = if i == 0 {
                    vec![]
                } else {
                    vec![format!("{:04}", i - 1)]
                };
                (format!("{i:04}"), deps)
            })
            .collect();
        let refs: Vec<Vec<&str>> = spec
            .iter()
            .map(|(_, d)| d.iter().map(String::as_str).collect())
            .collect();
        let spec: Vec<(&str, &[&str])> = spec
            .iter()
            .zip(&refs)
            .map(|((n, _), d)| (n.as_str(), d.as_slice()))
            .collect();
        let n = nodes(&spec);
        let order = apply_order(&n, &mut Replay::default());
        let got = names(&n, &order);
        let mut want = got.clone();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn a_cycle_is_broken_by_name_and_named() {
        let n = nodes(&[
            ("0003_c", &["0002_b"]),
            ("0002_b", &["0003_c"]),
            ("0001_a", &[]),
        ]);
        let mut out = Replay::default();
        let order = apply_order(&n, &mut out);
        assert_eq!(names(&n, &order), ["0001_a", "0002_b", "0003_c"]);
        assert!(out.opaque);
        assert_eq!(out.cycle, ["0002_b", "0003_c"]);
    }

    #[test]
    fn a_second_node_of_the_same_name_is_not_applied() {
        let n = nodes(&[("0001_a", &[]), ("0001_a", &[]), ("0002_b", &["0001_a"])]);
        let mut out = Replay::default();
        let order = apply_order(&n, &mut out);
        assert_eq!(order, [0, 2]);
        assert!(out.opaque && out.cycle.is_empty());
    }
}
