//! Files the pre-filter skipped but that use a project helper found in the files read so far
//! (`crate::sinks`): Python files calling one of its functions by name (`can(`), templates naming
//! one of its filters or tags. Read after the closure settles, until no new helper appears.

use super::words::Needles;
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

/// The names of the helpers found so far: functions whose parameters reach a permission API,
/// directly or through a call of such a function by name, and the template filters and tags
/// among them. Methods count by their name.
///
/// A function that only changes the permissions of what it is given (`user.groups.add(g)`) is
/// not searched for: its call matters only between two checks of the same user (DJP005), and a
/// file holding such a check holds a permission API call the pre-filter keeps; the callee is
/// then followed from the call (`stale_callees`).
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
            let reaches = f.flows.iter().any(|flow| match &flow.target {
                FlowTarget::Api { .. } => true,
                // Stored for a method to read: its constructor calls are named after classes,
                // which this search does not follow.
                FlowTarget::Store { .. } => false,
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

/// Names searched as calls: the set, and the first bytes and lengths (below 64) it holds, to
/// pass over most called names without hashing them.
struct CallNames<'a> {
    names: &'a FxHashSet<String>,
    first: [bool; 256],
    lengths: u64,
}

impl<'a> CallNames<'a> {
    fn new(names: &'a FxHashSet<String>) -> Self {
        let mut first = [false; 256];
        let mut lengths = 0u64;
        for n in names {
            if let Some(&b) = n.as_bytes().first() {
                first[usize::from(b)] = true;
            }
            lengths |= 1u64 << n.len().min(63);
        }
        CallNames {
            names,
            first,
            lengths,
        }
    }

    /// Whether `text` holds `name(` for one of the names, `name` a whole word.
    fn called_in(&self, text: &[u8]) -> bool {
        super::words::called_words(text).any(|(start, end)| {
            self.first[usize::from(text[start])]
                && self.lengths & (1u64 << (end - start).min(63)) != 0
                && std::str::from_utf8(&text[start..end]).is_ok_and(|n| self.names.contains(n))
        })
    }
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
    called: &[std::sync::OnceLock<Box<[u32]>>],
) -> (Vec<FileId>, Vec<FileId>) {
    let automaton = |words: &FxHashSet<String>, suffix: &str| {
        let patterns: Vec<String> = words.iter().map(|w| format!("{w}{suffix}")).collect();
        Needles::new(&patterns)
    };
    // Calls are found from each `(` back to the name before it, whatever the number of names.
    let calls = (!names.is_empty()).then(|| CallNames::new(names));
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
        .filter(|(id, f)| match f.kind {
            // A held text's calls are listed once for every round of the search.
            FileKind::Python if !f.on_disk => {
                let set = called[*id].get_or_init(|| super::words::called_of(f.text.as_bytes()));
                names.iter().any(|n| super::words::may_call(set, n))
            }
            FileKind::Python => f.may_call_any(names.iter().map(String::as_str)),
            _ => f.may_hold_any(hooks.iter().map(String::as_str)),
        })
        .filter_map(|(id, f)| {
            // A lean snapshot holds no text for the files it skipped: read again (one at a time,
            // dropped after the scan) those whose words may hold a name.
            let text = f.text_or_read(root);
            let text = text.as_bytes();
            let hit = |needles: &Option<Needles>, whole: bool| {
                needles
                    .as_ref()
                    .is_some_and(|n| n.any(text, |_, start, end| word_at(text, start, end, whole)))
            };
            match f.kind {
                FileKind::Python
                    if python[id].is_none()
                        && calls.as_ref().is_some_and(|c| c.called_in(text)) =>
                {
                    Some((id, true))
                }
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
