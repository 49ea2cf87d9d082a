//! Sink inference: the project's own permission helpers. A function, method, decorator factory,
//! template filter or tag whose parameter reaches a permission API (directly or a few calls
//! deep, across modules), and a class attribute its methods hand to one, become sinks; their
//! call sites, template uses and subclass attribute values are then references like Django's
//! own. Declared sinks (`permission-sinks`) add what inference cannot see. Reads the per-file
//! facts of `python/extract/helpers.rs` and `refs/helper_uses.rs`; joined here, across modules.

mod prune;
mod resolve;
mod uses;

use rustc_hash::FxHashMap;

use crate::diagnostic::{FileId, Span};
use crate::facts::helpers::{is_class_name, FlowTarget};
use crate::facts::{RefKind, Reference};
use crate::index::resolve::Resolver;
use crate::workspace::Workspace;

pub use prune::drop_unread_calls;
pub use resolve::{Callee, FnId, Functions};

/// How many calls deep a permission is followed.
const MAX_HOPS: usize = 4;

/// How a helper's parameter (or attribute) reaches a permission API.
#[derive(Clone, Debug)]
pub struct Chain {
    pub kind: RefKind,
    pub with_obj: bool,
    /// `` `f()` (app/perms.py:3) ``, outermost first.
    pub hops: Vec<String>,
    /// `` `user.has_perm` ``, or what declared the sink.
    pub api: String,
}

impl Chain {
    /// `` `f()` (a.py:3) passes it to `g()` (b.py:5), which passes it to `user.has_perm` ``.
    pub fn note(&self) -> String {
        let mut out = String::new();
        for (i, hop) in self.hops.iter().enumerate() {
            out.push_str(hop);
            out.push_str(if i == 0 {
                " passes it to "
            } else {
                ", which passes it to "
            });
        }
        out.push_str(&self.api);
        out
    }

    /// The chain seen from one hop out; `wrapped`: the value is one item of what is passed.
    fn through(&self, hop: String, wrapped: bool) -> Chain {
        let mut hops = vec![hop];
        hops.extend(self.hops.iter().cloned());
        let kind = match self.kind {
            RefKind::HasPerms if wrapped => RefKind::HasPerm,
            kind => kind,
        };
        Chain {
            hops,
            kind,
            ..self.clone()
        }
    }
}

/// References the project's helpers bring into view, each with its chain.
#[derive(Default)]
pub struct Helpers {
    pub refs: Vec<(FileId, Reference, Chain)>,
}

/// Where a span is, as `path:line`.
pub(crate) fn location(ws: &Workspace, span: Span) -> String {
    let text = ws.text(span.file);
    let line = crate::locator::count_breaks(&text[..(span.start as usize).min(text.len())]) + 1;
    format!("{}:{line}", ws.path(span.file))
}

/// Sinks found so far: function parameters, and class attributes by (file, class, attr path).
#[derive(Default)]
pub(crate) struct Sinks {
    pub params: FxHashMap<(FnId, usize), Chain>,
    pub attrs: FxHashMap<(FileId, String, String), Chain>,
    /// Declared functions by dotted name: argument position → chain.
    pub declared_fns: FxHashMap<String, Vec<(usize, Chain)>>,
    /// Declared class attributes: (dotted class, attribute path such as `Meta.permissions`).
    pub declared_attrs: Vec<(String, String, Chain)>,
}

pub fn infer(ws: &Workspace, resolver: &Resolver<'_>, declared: &[String]) -> Helpers {
    let fns = Functions { resolver };
    let mut sinks = Sinks::default();
    for d in declared {
        declare(&mut sinks, d);
    }
    let timer = crate::workspace::Timer::start();
    let count = |f: fn(&crate::facts::FileFacts) -> usize| -> usize {
        ws.python.iter().flatten().map(|x| f(x)).sum()
    };
    timer.report(
        "helpers",
        format_args!(
            "{} functions, {} attributes, {} calls, {} stale candidates",
            count(|f| f.helpers.functions.len()),
            count(|f| f.helpers.attrs.len()),
            count(|f| f.helpers.calls.len()),
            count(|f| f.helpers.stale_via.len())
        ),
    );
    let any_helper = ws
        .python
        .iter()
        .flatten()
        .any(|f| !f.helpers.functions.is_empty() || !f.helpers.attrs.is_empty());
    if !any_helper && declared.is_empty() {
        return Helpers::default();
    }
    // Direct flows to a permission API, then a few rounds of flows into calls of known sinks.
    for round in 0..=MAX_HOPS {
        let mut added = false;
        // Calls are resolved only when named like a sink found so far.
        let mut names: rustc_hash::FxHashSet<String> = sinks
            .params
            .keys()
            .filter_map(|(id, _)| fns.get(*id).name.rsplit('.').next().map(str::to_string))
            .collect();
        names.extend(
            sinks
                .declared_fns
                .keys()
                .filter_map(|n| n.rsplit('.').next().map(str::to_string)),
        );
        let init_args = InitArgs::new(ws, &sinks);
        let fns = Named {
            fns: &fns,
            init_args: &init_args,
            names: &names,
        };
        for (file, facts) in ws.python.iter().enumerate() {
            let Some(facts) = facts else { continue };
            for (i, f) in facts.helpers.functions.iter().enumerate() {
                for flow in &f.flows {
                    let key = ((file, i), flow.param);
                    if sinks.params.contains_key(&key) {
                        continue;
                    }
                    if let Some(chain) = reach(&fns, &sinks, &flow.target, round, ws) {
                        let hop = format!("`{}()` ({})", f.name, location(ws, f.span));
                        sinks.params.insert(key, chain.through(hop, flow.wrapped));
                        added = true;
                    }
                }
            }
            for flow in &facts.helpers.attrs {
                let key = (file, flow.class.clone(), flow.attr.clone());
                if sinks.attrs.contains_key(&key) {
                    continue;
                }
                if let Some(chain) = reach(&fns, &sinks, &flow.target, round, ws) {
                    let hop = format!("`{}.{}`", flow.class, flow.attr);
                    sinks.attrs.insert(key, chain.through(hop, flow.wrapped));
                    added = true;
                }
            }
        }
        if round > 0 && !added {
            break;
        }
    }
    let mut refs = uses::call_sites(ws, &fns, &sinks);
    refs.extend(uses::template_uses(ws, &fns, &sinks));
    refs.extend(uses::attributes(ws, resolver, &sinks));
    Helpers { refs }
}

/// The chain a flow target completes: an API (round 0) or a call of a known sink (later rounds).
/// The functions, with the names of the sinks found so far.
struct Named<'a, 'w> {
    fns: &'a Functions<'w>,
    init_args: &'a InitArgs,
    names: &'a rustc_hash::FxHashSet<String>,
}

fn reach(
    named: &Named<'_, '_>,
    sinks: &Sinks,
    target: &FlowTarget,
    round: usize,
    ws: &Workspace,
) -> Option<Chain> {
    match target {
        FlowTarget::Api {
            kind,
            api,
            with_obj,
            span,
        } if round == 0 => Some(Chain {
            kind: *kind,
            with_obj: *with_obj,
            hops: Vec::new(),
            api: format!("`{api}` ({})", location(ws, *span)),
        }),
        FlowTarget::Call {
            callee, bound, arg, ..
        } if round > 0 => {
            let callee = named.callee(callee, arg)?;
            uses::arg_chain(named.fns, sinks, &callee, arg, *bound)
        }
        _ => None,
    }
}

impl Named<'_, '_> {
    fn callee(
        &self,
        value: &crate::value::Value,
        arg: &crate::facts::helpers::ArgPos,
    ) -> Option<Callee> {
        let last = match value {
            crate::value::Value::Ref { path, .. } | crate::value::Value::StarRef { path, .. } => {
                path.last()?
            }
            _ => return None,
        };
        let named = self.names.contains(last.as_str())
            || (is_class_name(last) && self.init_args.may_reach(arg));
        named.then(|| self.fns.callee(value)).flatten()
    }
}

/// Which arguments of a constructor call can reach a sink through what an `__init__` stores:
/// a keyword named like an attribute that is a sink (an `__init__` that sets every keyword)
/// or like a parameter an `__init__` stores in one, and any positional argument when some
/// `__init__` stores a parameter in one. Calls of classes that pass none of them are not
/// resolved.
pub(crate) struct InitArgs {
    keywords: rustc_hash::FxHashSet<String>,
    positional: bool,
}

impl InitArgs {
    pub(crate) fn new(ws: &Workspace, sinks: &Sinks) -> InitArgs {
        let attrs: rustc_hash::FxHashSet<&str> =
            sinks.attrs.keys().map(|(_, _, a)| a.as_str()).collect();
        let mut keywords: rustc_hash::FxHashSet<String> =
            attrs.iter().map(|a| a.to_string()).collect();
        let mut positional = false;
        for (file, facts) in ws.python.iter().enumerate() {
            let Some(facts) = facts else { continue };
            for (i, f) in facts.helpers.functions.iter().enumerate() {
                if !f.name.ends_with(".__init__") {
                    continue;
                }
                for flow in &f.flows {
                    let stored = matches!(&flow.target, FlowTarget::Store { attr } if attrs.contains(attr.as_str()));
                    if stored || sinks.params.contains_key(&((file, i), flow.param)) {
                        keywords.extend(f.params.get(flow.param).cloned());
                        positional = true;
                    }
                }
            }
        }
        InitArgs {
            keywords,
            positional,
        }
    }

    pub(crate) fn may_reach(&self, arg: &crate::facts::helpers::ArgPos) -> bool {
        match arg {
            crate::facts::helpers::ArgPos::Index(_) => self.positional,
            crate::facts::helpers::ArgPos::Keyword(k) => self.keywords.contains(k),
        }
    }
}

/// Whether a call whose callee's last name is `last` may name a sink, `known` telling the names
/// of the functions that may be sinks (by their last name): a sink's own name, or a class's
/// when constructors may be sinks (`__init__` among them).
pub(crate) fn may_name(known: impl Fn(&str) -> bool, last: &str) -> bool {
    known(last) || (is_class_name(last) && known("__init__"))
}

/// The chain of argument `arg` of a call making `class` (its file and name), which runs `init`:
/// a parameter that is a sink itself, one the `__init__` stores in an attribute a method of
/// the class (or of a base) hands to a check, or, for an `__init__` that sets every keyword
/// as an attribute, the keyword's own attribute.
pub(crate) fn init_chain(
    fns: &Functions<'_>,
    sinks: &Sinks,
    init: FnId,
    class: &(FileId, String),
    arg: &crate::facts::helpers::ArgPos,
) -> Option<Chain> {
    let f = fns.get(init);
    let param = resolve::param_of(f, arg, true);
    if let Some(chain) = param.and_then(|p| sinks.params.get(&(init, p))) {
        return Some(chain.clone());
    }
    let hop = || format!("`{}()` ({})", f.name, location(fns.resolver.ws, f.span));
    let stored = |attr: &str| stored_chain(fns.resolver, sinks, class.0, &class.1, attr, 0);
    if let Some(p) = param {
        for flow in f.flows.iter().filter(|flow| flow.param == p) {
            if let FlowTarget::Store { attr } = &flow.target {
                if let Some(chain) = stored(attr) {
                    return Some(chain.through(hop(), flow.wrapped));
                }
            }
        }
        return None;
    }
    match arg {
        // A keyword no parameter takes lands in `**kwargs`.
        crate::facts::helpers::ArgPos::Keyword(k) if f.stores_keywords => {
            stored(k).map(|chain| chain.through(hop(), false))
        }
        _ => None,
    }
}

/// The chain of attribute `attr` of the class `name` of `file`: read by one of its methods, or
/// by a method of one of its bases.
fn stored_chain<'s>(
    resolver: &Resolver<'_>,
    sinks: &'s Sinks,
    file: FileId,
    name: &str,
    attr: &str,
    depth: u32,
) -> Option<&'s Chain> {
    if depth > 16 {
        return None;
    }
    if let Some(chain) = sinks.attrs.get(&(file, name.to_string(), attr.to_string())) {
        return Some(chain);
    }
    let facts = resolver.ws.python[file].as_ref()?;
    let class = facts.classes.iter().rev().find(|c| c.name == name)?;
    class
        .bases
        .iter()
        .find_map(|b| match resolver.base_target(b, 0) {
            crate::index::resolve::Target::Class(c) => {
                stored_chain(resolver, sinks, c.file, &c.class.name, attr, depth + 1)
            }
            _ => None,
        })
}

/// `pkg.mod.check:1` (argument 1 of `check`) or `pkg.mod.Base:Meta.permissions`.
fn declare(sinks: &mut Sinks, declared: &str) {
    let Some((path, what)) = declared.split_once(':') else {
        return;
    };
    let chain = Chain {
        kind: RefKind::PermissionRequired,
        with_obj: false,
        hops: Vec::new(),
        api: format!("a permission check (declared in `permission-sinks` as `{declared}`)"),
    };
    match what.parse::<usize>() {
        Ok(i) => sinks
            .declared_fns
            .entry(path.to_string())
            .or_default()
            .push((i, chain)),
        Err(_) => sinks
            .declared_attrs
            .push((path.to_string(), what.to_string(), chain)),
    }
}

/// DJP005 across helpers: a check, then a call of a project function that changes the
/// permissions or groups of the object passed, then a check on that object.
pub fn stale_checks(
    ws: &Workspace,
    resolver: &Resolver<'_>,
) -> Vec<(FileId, crate::facts::StaleCheck)> {
    let fns = Functions { resolver };
    let mut out = Vec::new();
    for (file, facts) in ws.python.iter().enumerate() {
        for via in facts.iter().flat_map(|f| f.helpers.stale_via.iter()) {
            let Some(Callee::Project(id)) = fns.callee(&via.callee) else {
                continue;
            };
            let f = fns.get(id);
            if resolve::param_of(f, &via.arg, via.bound).is_some_and(|p| f.mutates.contains(&p)) {
                out.push((file, via.check.clone()));
            }
        }
    }
    out
}
