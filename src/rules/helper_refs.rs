//! The references the project's own permission helpers bring into view (`crate::sinks`), added
//! to the rules' resolved references.

use rustc_hash::FxHashSet;

use super::Resolved;
use crate::diagnostic::Span;
use crate::facts::RefKind;
use crate::index::resolve::Resolver;
use crate::workspace::Workspace;

/// Add the references helpers bring into view to `refs` (the rules' resolved references), each
/// value resolved across files; a string some reference already passes is not added twice.
pub fn add_references<'a>(
    ws: &'a Workspace,
    resolver: &Resolver<'a>,
    declared: &[String],
    refs: &mut Vec<Resolved<'a>>,
) {
    let timer = crate::workspace::Timer::start();
    let helpers = crate::sinks::infer(ws, resolver, declared);
    if helpers.refs.is_empty() {
        return;
    }
    let seen: FxHashSet<Span> = refs
        .iter()
        .filter(|r| r.reference.kind != RefKind::Shape)
        .map(|r| r.reference.value.span)
        .collect();
    let shapes: FxHashSet<Span> = helpers
        .refs
        .iter()
        .flat_map(|(_, r, _)| item_spans(&r.value))
        .collect();
    // A permission-shaped literal a helper receives is that helper's reference now.
    refs.retain(|r| {
        !(r.reference.kind == RefKind::Shape && shapes.contains(&r.reference.value.span))
    });
    let mut added: FxHashSet<Span> = FxHashSet::default();
    let before = refs.len();
    for (file, reference, chain) in helpers.refs {
        let span = reference.value.span;
        if seen.contains(&span) || !added.insert(span) {
            continue;
        }
        let value = resolver.resolve_item(&reference.value);
        // An empty list is a helper's "nothing required" (a base class default), not a
        // `permission_required = []` that grants everyone.
        if matches!(&value.value, crate::value::Value::Seq(items) if items.is_empty()) {
            continue;
        }
        refs.push(Resolved {
            file,
            value: super::Held::Owned(Box::new(value)),
            reference: super::Held::Owned(Box::new(reference)),
            chain: Some(chain.note()),
        });
    }
    let strings: usize = refs[before..].iter().map(|r| r.strings().len()).sum();
    timer.report(
        "sinks",
        format_args!(
            "{} references, {strings} strings from helpers",
            refs.len() - before
        ),
    );
}

/// The span of an item and of each of its items.
fn item_spans(item: &crate::value::Item) -> Vec<Span> {
    let mut out = vec![item.span];
    if let crate::value::Value::Seq(items) = &item.value {
        out.extend(items.iter().map(|i| i.span));
    }
    out
}

/// A finding on a string a helper brought into view says how the helper reaches the API.
pub fn annotate(ctx: &super::Context<'_>, out: &mut [crate::diagnostic::Diagnostic]) {
    let chains: rustc_hash::FxHashMap<Span, &str> = ctx
        .refs
        .iter()
        .filter_map(|r| Some((r, r.chain.as_deref()?)))
        .flat_map(|(r, chain)| {
            let mut spans = item_spans(&r.reference.value);
            spans.extend(item_spans(&r.value));
            spans.into_iter().map(move |s| (s, chain))
        })
        .collect();
    if chains.is_empty() {
        return;
    }
    for d in out {
        let chain = chains.get(&d.span).copied().or_else(|| {
            chains
                .iter()
                .find(|(s, _)| {
                    s.file == d.span.file && s.start <= d.span.start && d.span.end <= s.end
                })
                .map(|(_, c)| *c)
        });
        if let Some(chain) = chain {
            d.notes.push(chain.to_string());
        }
    }
}
