//! The report-only reading without the disk cache, with the first parse fused into it: the
//! walk lists the paths, the start-up files that decide the import roots are read, and then one
//! parallel pass reads every file, runs the pre-filter and extracts the facts of each file it
//! keeps while the text is at hand. No thread waits for the whole tree to be read before
//! parsing starts, and a parsed text is dropped (or held, within the budget) at once.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use ignore::WalkState;
use rayon::prelude::*;

use super::{candidate, excludes, keep_text, walker, words_of, Unreadable};
use crate::facts::FileFacts;
use crate::python::extract_python;
use crate::workspace::disk_cache::{DiskCache, Stat};
use crate::workspace::prefilter::{Need, Scope};
use crate::workspace::{keeps_text, primary_modules, Preparsed, Snapshot, Timer, Words};

/// What one file gave: its text (unless dropped), the pre-filter's answer, its words (for a
/// dropped text) and its facts (for a file the pre-filter keeps). The answer is `None` for a
/// template read now (its facts are extracted by the build).
type Read = (
    Option<String>,
    Option<Need>,
    Option<Words>,
    Option<Box<Preparsed>>,
);

/// The report-only check's reading without the cache: a lean snapshot for `scope`
/// ([`Snapshot::lean`]) whose texts are held while the bytes read stay within `held_budget`
/// ([`super::held_budget`]; a tree that fits is held whole, and a text dropped leaves its
/// [`Words`]), with the facts of the files the pre-filter keeps extracted as they are read
/// ([`crate::workspace::SourceFile::parsed`]).
pub fn load_parsed(
    root: &Path,
    exclude: &[String],
    scope: Scope,
    held_budget: usize,
) -> (Snapshot, Vec<Unreadable>) {
    load_parsed_with(root, exclude, scope, held_budget, None)
}

/// [`load_parsed`] through the on-disk cache `disk`: a Python file or a template whose size
/// and modification time match its entry is not read at all ([`DiskCache::unchanged`]: its
/// pre-filter answer and words come from the entry, and so do its facts when the pre-filter
/// keeps it); a file read is recorded in the cache ([`DiskCache::seen`], [`DiskCache::facts`]).
/// Start-up files and fixtures are always read; no text is held beyond what a lean reading
/// keeps.
pub fn load_parsed_cached(
    root: &Path,
    exclude: &[String],
    scope: Scope,
    disk: &DiskCache,
) -> (Snapshot, Vec<Unreadable>) {
    load_parsed_with(root, exclude, scope, 0, Some(disk))
}

fn load_parsed_with(
    root: &Path,
    exclude: &[String],
    scope: Scope,
    held_budget: usize,
    disk: Option<&DiskCache>,
) -> (Snapshot, Vec<Unreadable>) {
    let read_before = crate::workspace::files_read();
    let timer = Timer::start();
    let user_excludes = excludes(exclude);
    let found: Mutex<Vec<(String, bool, Option<Stat>)>> = Mutex::new(Vec::new());
    walker(root)
        .require_git(false)
        .hidden(false)
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                let Some((entry, lossy, text_name)) = candidate(entry, root, &user_excludes) else {
                    return WalkState::Continue;
                };
                // Size and time before the bytes: an entry never pairs a newer time with
                // older bytes.
                let stat = disk
                    .and_then(|_| entry.metadata().ok())
                    .as_ref()
                    .and_then(Stat::of);
                found
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((lossy, text_name, stat));
                WalkState::Continue
            })
        });
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    crate::inputs::note_all(found.iter().map(|(rel, _, _)| root.join(rel)));
    let mut unreadable = Vec::new();
    // Python cannot import a file whose name is not text, and paths in reports must be text.
    found.retain(|(rel, text_name, _)| {
        if !text_name {
            unreadable.push(Unreadable {
                path: rel.clone(),
                reason: "file name is not valid UTF-8".to_string(),
            });
        }
        *text_name
    });

    // The start-up files first: with the paths, they decide every file's module name.
    let mut paths = Snapshot::new(root);
    let mut startup: Vec<Option<Result<String, String>>> = Vec::with_capacity(found.len());
    for (rel, _, _) in &found {
        let text = keeps_text(rel).then(|| {
            crate::workspace::read_bytes(&root.join(rel))
                .map_err(|e| e.to_string())
                .and_then(super::decode)
        });
        match &text {
            Some(Ok(text)) => paths.add(rel.clone(), text.clone()),
            _ => paths.add_on_disk(rel.clone()),
        };
        startup.push(text);
    }
    let modules = primary_modules(&paths);
    drop(paths);

    let read_bytes = AtomicUsize::new(0);
    let parsed = AtomicUsize::new(0);
    // Extraction recurses once per nesting level: on the deep-stack pool, as every parse.
    let results: Vec<Result<Read, String>> = crate::with_big_stacks(|| {
        found
            .par_iter()
            .zip(startup.into_par_iter())
            .enumerate()
            .map(|(id, ((rel, _, stat), held))| {
                let python = rel.ends_with(".py");
                // The build parses a file without a module name under the empty one.
                let module = || modules[id].clone().unwrap_or_default();
                let preparsed = |facts: FileFacts, (module, is_package): (String, bool)| {
                    parsed.fetch_add(1, Ordering::Relaxed);
                    Box::new(Preparsed {
                        id,
                        module,
                        is_package,
                        facts,
                    })
                };
                // Unchanged by its stat: not read; its facts, when the analysis reads them,
                // come from the cache.
                let unchanged = disk
                    .zip(*stat)
                    .and_then(|(d, stat)| super::unchanged(d, rel, stat, scope));
                if let (Some((need, words)), Some(disk)) = (unchanged, disk) {
                    let pre = (python && need.is_some_and(|n| n != Need::Skip))
                        .then(|| {
                            let (m, p) = module();
                            let facts = disk.known_facts(id, rel, &m, p)?;
                            Some(preparsed(facts, (m, p)))
                        })
                        .flatten();
                    return Ok((None, need, Some(words), pre));
                }
                let text = match held {
                    Some(text) => text?,
                    None => crate::workspace::read_bytes(&root.join(rel))
                        .map_err(|e| e.to_string())
                        .and_then(super::decode)?,
                };
                let (keep, need, code) = keep_text(rel, &text, scope);
                let pre = need.filter(|n| *n != Need::Skip).map(|_| {
                    let (m, p) = module();
                    let extract = || extract_python(id, &text, &m, p);
                    let facts = match disk {
                        Some(disk) => disk.facts(id, rel, &m, p, &text, extract),
                        None => extract(),
                    };
                    preparsed(facts, (m, p))
                });
                // A parsed text is needed again only for a report or a scan: held within the
                // budget (and the short and start-up ones always), else dropped with its words.
                let so_far = read_bytes.fetch_add(text.len(), Ordering::Relaxed);
                let within = so_far + text.len() <= held_budget;
                let keep = within
                    || keeps_text(rel)
                    || text.len() <= super::SMALL
                    || (!python && keep)
                    || super::names_lists(rel, &text);
                // The cache records every file's words; without it, only a dropped text's.
                let words = (!keep || disk.is_some())
                    .then(|| words_of(rel, &text))
                    .flatten();
                if let Some((disk, stat)) = disk.zip(*stat) {
                    let code = super::seen_code(rel, &text, code);
                    disk.seen(rel, stat, &text, code, words.clone());
                }
                Ok((keep.then_some(text), need, words, pre))
            })
            .collect()
    });
    // A file left unread is not held: with the cache the snapshot is always lean.
    let all_held = disk.is_none() && read_bytes.into_inner() <= held_budget;

    let mut snapshot = Snapshot::new(root);
    snapshot.lean = !all_held;
    snapshot.files.reserve(found.len());
    let mut bytes = 0;
    for ((rel, _, _), result) in found.into_iter().zip(results) {
        match result {
            Ok((text, need, words, pre)) => {
                let id = match text {
                    Some(text) => {
                        bytes += text.len();
                        snapshot.add(rel, text)
                    }
                    None => snapshot.add_on_disk(rel),
                };
                let f = &mut snapshot.files[id];
                f.need = need.map(|n| (scope, n));
                f.words = words;
                f.parsed = pre;
            }
            Err(reason) => unreadable.push(Unreadable { path: rel, reason }),
        }
    }
    unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    let ignored_cpu = super::add_ignored_timed(&mut snapshot, exclude, &timer);
    timer.report(
        "walk+read",
        format_args!(
            "{} files, {} read, {} parsed while reading, {:.1} MB held, the ignored files' walk cpu {ignored_cpu:.1} ms",
            snapshot.files.len(),
            crate::workspace::files_read() - read_before,
            parsed.into_inner(),
            bytes as f64 / 1e6,
        ),
    );
    (snapshot, unreadable)
}
