//! The references helpers bring into view: their call sites, their uses in templates, and the
//! values subclasses give the attributes they read.

use rayon::prelude::*;

use super::{resolve::param_of, Callee, Chain, FnId, Functions, Sinks};
use crate::diagnostic::{FileId, Span};
use crate::facts::helpers::{ArgPos, TemplateUse};
use crate::facts::{ClassFact, Reference};
use crate::index::resolve::{Resolver, Target};
use crate::value::Item;
use crate::workspace::Workspace;

type Found = (FileId, Reference, Chain);

fn reference(chain: &Chain, value: Item, call_span: Span) -> Reference {
    Reference {
        kind: chain.kind,
        value,
        with_obj: chain.with_obj,
        call_span,
        lookup: None,
        class_bases: Default::default(),
        owner: None,
        callee: None,
    }
}

/// The chain of argument `arg` of a call to `callee`, if it is a sink.
pub(super) fn arg_chain(
    fns: &Functions<'_>,
    sinks: &Sinks,
    callee: &Callee,
    arg: &ArgPos,
    bound: bool,
) -> Option<Chain> {
    match callee {
        Callee::Project(id) => {
            let param = param_of(fns.get(*id), arg, bound)?;
            sinks.params.get(&(*id, param)).cloned()
        }
        Callee::Init { init, class } => super::init_chain(fns, sinks, *init, class, arg),
        Callee::Dotted(name) => {
            let ArgPos::Index(i) = arg else { return None };
            let declared = sinks.declared_fns.get(name)?;
            declared
                .iter()
                .find(|(p, _)| p == i)
                .map(|(_, c)| c.clone())
        }
    }
}

fn args_of<'i>(
    args: &'i [Item],
    kwargs: &'i [(crate::value::CompactString, Item)],
) -> impl Iterator<Item = (ArgPos, &'i Item)> {
    args.iter()
        .enumerate()
        .map(|(i, a)| (ArgPos::Index(i), a))
        .chain(
            kwargs
                .iter()
                .map(|(k, a)| (ArgPos::Keyword(k.to_string()), a)),
        )
}

pub fn call_sites(ws: &Workspace, fns: &Functions<'_>, sinks: &Sinks) -> Vec<Found> {
    if sinks.params.is_empty() && sinks.declared_fns.is_empty() && sinks.attrs.is_empty() {
        return Vec::new();
    }
    // Calls are resolved only when named like a sink (or a class, whose constructor may store
    // what it is given in an attribute a method checks).
    let mut names: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    for (id, _) in sinks.params.keys() {
        names.extend(fns.get(*id).name.rsplit('.').next());
    }
    for name in sinks.declared_fns.keys() {
        names.extend(name.rsplit('.').next());
    }
    let init_args = super::InitArgs::new(ws, sinks);
    let named = |call: &crate::facts::helpers::HelperCall| match &call.callee {
        crate::value::Value::Ref { path, .. } | crate::value::Value::StarRef { path, .. } => {
            path.last().is_some_and(|p| {
                names.contains(p.as_str())
                    || (crate::facts::helpers::is_class_name(p)
                        && args_of(&call.args, &call.kwargs).any(|(a, _)| init_args.may_reach(&a)))
            })
        }
        _ => false,
    };
    ws.python
        .par_iter()
        .enumerate()
        .flat_map_iter(|(file, facts)| {
            let mut out = Vec::new();
            let calls = facts.as_ref().map_or(&[][..], |f| &f.helpers.calls[..]);
            for call in calls {
                if !named(call) {
                    continue;
                }
                let Some(callee) = fns.callee(&call.callee) else {
                    continue;
                };
                for (arg, item) in args_of(&call.args, &call.kwargs) {
                    if let Some(chain) = arg_chain(fns, sinks, &callee, &arg, call.bound) {
                        out.push((file, reference(&chain, item.clone(), call.span), chain));
                    }
                }
            }
            out
        })
        .collect()
}

/// Filters and tags registered by project helpers, by name: every definition of a name must
/// agree that a parameter is a sink.
pub fn template_uses(ws: &Workspace, fns: &Functions<'_>, sinks: &Sinks) -> Vec<Found> {
    let mut hooks: rustc_hash::FxHashMap<(bool, &str), Vec<FnId>> = Default::default();
    for (file, facts) in ws.python.iter().enumerate() {
        for (i, f) in facts
            .iter()
            .flat_map(|f| f.helpers.functions.iter().enumerate())
        {
            if let Some(hook) = &f.template {
                hooks
                    .entry((hook.filter, hook.name.as_str()))
                    .or_default()
                    .push((file, i));
            }
        }
    }
    if hooks.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (file, facts) in ws.templates.iter().enumerate() {
        for u in facts.iter().flat_map(|f| f.helper_uses.iter()) {
            let Some(defs) = hooks.get(&(u.filter, u.name.as_str())) else {
                continue;
            };
            for (arg, item) in args_of(&u.args, &u.kwargs) {
                if let Some(chain) = template_chain(fns, sinks, defs, u, &arg) {
                    out.push((file, reference(chain, item.clone(), u.span), chain.clone()));
                }
            }
        }
    }
    out
}

fn template_chain<'s>(
    fns: &Functions<'_>,
    sinks: &'s Sinks,
    defs: &[FnId],
    u: &TemplateUse,
    arg: &ArgPos,
) -> Option<&'s Chain> {
    let mut found = None;
    for &id in defs {
        let f = fns.get(id);
        let context = f
            .template
            .as_ref()
            .is_some_and(|h| h.takes_context && !u.filter);
        let param = match arg {
            ArgPos::Index(i) => i + usize::from(context),
            ArgPos::Keyword(k) => f.params.iter().position(|p| p == k)?,
        };
        found = Some(sinks.params.get(&(id, param))?);
    }
    found
}

/// Whether `class` is `owner` or inherits from it (a project class by file and name, or an
/// outside class by dotted name).
fn inherits(
    resolver: &Resolver<'_>,
    class: (FileId, &ClassFact),
    owner: &Owner<'_>,
    depth: u32,
) -> bool {
    if depth > 16 {
        return false;
    }
    if let Owner::Project(file, name) = owner {
        if class.0 == *file && class.1.name == *name {
            return true;
        }
    }
    class
        .1
        .bases
        .iter()
        .any(|base| match resolver.base_target(base, 0) {
            Target::Class(c) => inherits(resolver, (c.file, c.class), owner, depth + 1),
            Target::External(name) => matches!(owner, Owner::Dotted(d) if *d == name),
            _ => false,
        })
}

enum Owner<'a> {
    Project(FileId, &'a str),
    Dotted(&'a str),
}

/// The value of `attr` (`name` or `Meta.name`) set on the class itself.
fn own_attr<'c>(class: &'c ClassFact, attr: &str) -> Option<&'c Item> {
    match attr.split_once('.') {
        Some(("Meta", name)) => class.meta.as_ref()?.attrs.get(name),
        Some(_) => None,
        None => class.attrs.get(attr),
    }
}

pub fn attributes(ws: &Workspace, resolver: &Resolver<'_>, sinks: &Sinks) -> Vec<Found> {
    let mut owners: Vec<(Owner<'_>, &str, &Chain)> = Vec::new();
    for ((file, class, attr), chain) in &sinks.attrs {
        owners.push((Owner::Project(*file, class), attr, chain));
    }
    for (class, attr, chain) in &sinks.declared_attrs {
        // A declared project class is found by its module and name.
        let owner = match class.rsplit_once('.') {
            Some((module, name)) => match resolver.class(module, name) {
                Some(c) => Owner::Project(c.file, &c.class.name),
                None => Owner::Dotted(class),
            },
            None => Owner::Dotted(class),
        };
        owners.push((owner, attr, chain));
    }
    if owners.is_empty() {
        return Vec::new();
    }
    ws.python
        .par_iter()
        .enumerate()
        .flat_map_iter(|(file, facts)| {
            let mut out = Vec::new();
            for class in facts.iter().flat_map(|f| f.classes.iter()) {
                for (owner, attr, chain) in &owners {
                    let Some(item) = own_attr(class, attr) else {
                        continue;
                    };
                    if inherits(resolver, (file, class), owner, 0) {
                        out.push((
                            file,
                            reference(chain, item.clone(), item.span),
                            (*chain).clone(),
                        ));
                    }
                }
            }
            out
        })
        .collect()
}
