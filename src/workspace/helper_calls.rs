//! Files the pre-filter skipped but that use a project helper found in the files read so far
//! (`crate::sinks`): Python files calling one of its functions by name (`can(`), templates naming
//! one of its filters or tags. Read after the closure settles, until no new helper appears.

use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::{FileKind, SourceFile};
use crate::diagnostic::FileId;
use crate::facts::helpers::{FlowTarget, FnKind, HelperFn};
use crate::facts::FileFacts;
use crate::refs::templates::TemplateFacts;
use crate::value::Value;

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The names of the helpers found so far: functions whose parameters reach a permission API
/// (or change permissions), directly or through a call of such a function by name, and the
/// template filters and tags among them. Methods count by their name.
pub fn helper_names(python: &[Option<Box<FileFacts>>]) -> (FxHashSet<String>, FxHashSet<String>) {
    let short = |f: &HelperFn| match f.kind {
        FnKind::Function => f.name.clone(),
        _ => f.name.rsplit('.').next().unwrap_or_default().to_string(),
    };
    let callee_name = |v: &Value| match v {
        Value::Ref { path, .. } | Value::StarRef { path, .. } => path.last().map(|p| p.to_string()),
        _ => None,
    };
    let functions: Vec<&HelperFn> = python
        .iter()
        .flatten()
        .flat_map(|f| &f.helpers.functions)
        .collect();
    let mut calls: FxHashSet<String> = FxHashSet::default();
    let mut sinks = vec![false; functions.len()];
    for _ in 0..4 {
        let mut added = false;
        for (i, f) in functions.iter().enumerate() {
            if sinks[i] {
                continue;
            }
            let reaches = !f.mutates.is_empty()
                || f.flows.iter().any(|flow| match &flow.target {
                    FlowTarget::Api { .. } => true,
                    FlowTarget::Call { callee, .. } => {
                        callee_name(callee).is_some_and(|n| calls.contains(&n))
                    }
                });
            if reaches {
                sinks[i] = true;
                added |= calls.insert(short(f));
            }
        }
        if !added {
            break;
        }
    }
    let hooks = functions
        .iter()
        .zip(&sinks)
        .filter(|(_, s)| **s)
        .filter_map(|(f, _)| f.template.as_ref().map(|h| h.name.clone()))
        .collect();
    (calls, hooks)
}

/// Unread Python files holding `name(` for one of `names`, and unread templates holding one of
/// `hooks` as a word.
pub fn files_using(
    root: &std::path::Path,
    files: &[SourceFile],
    python: &[Option<Box<FileFacts>>],
    templates: &[Option<Box<TemplateFacts>>],
    names: &FxHashSet<String>,
    hooks: &FxHashSet<String>,
) -> (Vec<FileId>, Vec<FileId>) {
    let automaton = |words: &FxHashSet<String>, suffix: &str| {
        let patterns: Vec<String> = words.iter().map(|w| format!("{w}{suffix}")).collect();
        (!patterns.is_empty())
            .then(|| AhoCorasick::new(&patterns).ok())
            .flatten()
    };
    let calls = automaton(names, "(");
    let uses = automaton(hooks, "");
    let word_at = |text: &[u8], start: usize, end: usize, whole: bool| {
        (start == 0 || !is_ident(text[start - 1]))
            && (!whole || text.get(end).is_none_or(|b| !is_ident(*b)))
    };
    if calls.is_none() && uses.is_none() {
        return (Vec::new(), Vec::new());
    }
    let found: Vec<(FileId, bool)> = files
        .par_iter()
        .enumerate()
        .filter(|(id, f)| match f.kind {
            FileKind::Python => calls.is_some() && python[*id].is_none(),
            FileKind::Template => uses.is_some() && templates[*id].is_none(),
            FileKind::Fixture => false,
        })
        .filter(|(_, f)| match f.kind {
            FileKind::Python => f.may_call_any(names.iter().map(String::as_str)),
            _ => f.may_hold_any(hooks.iter().map(String::as_str)),
        })
        .filter_map(|(id, f)| {
            // A lean snapshot holds no text for the files it skipped: read again (one at a time,
            // dropped after the scan) those whose words may hold a name.
            let text = f.text_or_read(root);
            let text = text.as_bytes();
            let hit = |ac: &Option<AhoCorasick>, whole: bool| {
                ac.as_ref().is_some_and(|ac| {
                    ac.find_overlapping_iter(text)
                        .any(|m| word_at(text, m.start(), m.end(), whole))
                })
            };
            match f.kind {
                FileKind::Python if python[id].is_none() && hit(&calls, false) => Some((id, true)),
                FileKind::Template if templates[id].is_none() && hit(&uses, true) => {
                    Some((id, false))
                }
                _ => None,
            }
        })
        .collect();
    let py = found
        .iter()
        .filter(|(_, p)| *p)
        .map(|(id, _)| *id)
        .collect();
    let tpl = found
        .iter()
        .filter(|(_, p)| !*p)
        .map(|(id, _)| *id)
        .collect();
    (py, tpl)
}

/// Unread modules a DJP005 candidate calls into: whether the callee changes permissions is
/// read from its code.
pub fn stale_callees(
    python: &[Option<Box<FileFacts>>],
    modules: &rustc_hash::FxHashMap<String, FileId>,
) -> Vec<FileId> {
    let mut out = Vec::new();
    for via in python.iter().flatten().flat_map(|f| &f.helpers.stale_via) {
        if let Value::Ref { module, path } = &via.callee {
            let sub = path.first().map(|p| format!("{module}.{p}"));
            for m in std::iter::once(module.as_str()).chain(sub.as_deref()) {
                if let Some(&id) = modules.get(m) {
                    if python[id].is_none() {
                        out.push(id);
                    }
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}
