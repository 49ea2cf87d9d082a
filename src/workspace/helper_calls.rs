//! Files the pre-filter skipped but that use a project helper found in the files read so far
//! (`crate::sinks`): Python files calling one of its functions by name (`can(`), templates naming
//! one of its filters or tags. Read after the closure settles, until no new helper appears.

use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::{FileKind, SourceFile};
use crate::diagnostic::FileId;
use crate::facts::helpers::FnKind;
use crate::facts::FileFacts;
use crate::refs::templates::TemplateFacts;

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The names of the helpers found so far: functions (called by name or through their class)
/// and template filters and tags.
pub fn helper_names(python: &[Option<FileFacts>]) -> (FxHashSet<String>, FxHashSet<String>) {
    let mut calls = FxHashSet::default();
    let mut hooks = FxHashSet::default();
    for f in python.iter().flatten().flat_map(|f| &f.helpers.functions) {
        if let Some(hook) = &f.template {
            hooks.insert(hook.name.clone());
        }
        let name = match f.kind {
            FnKind::Function => f.name.as_str(),
            // `Class.method(...)` or an instance's method elsewhere: found by the method name.
            _ => f.name.rsplit('.').next().unwrap_or_default(),
        };
        calls.insert(name.to_string());
    }
    (calls, hooks)
}

/// Unread Python files holding `name(` for one of `names`, and unread templates holding one of
/// `hooks` as a word.
pub fn files_using(
    files: &[SourceFile],
    python: &[Option<FileFacts>],
    templates: &[Option<TemplateFacts>],
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
    let found: Vec<(FileId, bool)> = files
        .par_iter()
        .enumerate()
        .filter_map(|(id, f)| {
            let text = f.text.as_bytes();
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
    python: &[Option<FileFacts>],
    modules: &rustc_hash::FxHashMap<String, FileId>,
) -> Vec<FileId> {
    let mut out = Vec::new();
    for via in python.iter().flatten().flat_map(|f| &f.helpers.stale_via) {
        if let crate::value::Value::Ref { module, path } = &via.callee {
            let sub = path.first().map(|p| format!("{module}.{p}"));
            for m in std::iter::once(module).chain(sub.as_ref()) {
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
