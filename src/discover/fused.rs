//! The report-only reading, with the first parse fused into it. Without the disk cache the
//! walk reads each file as it lists it and runs the pre-filter there, holding the texts to
//! parse and those kept (up to twice the held budget; past it, it only lists): reading overlaps the
//! listing of directories. Then the start-up files decide the import roots, and one parallel
//! pass extracts the facts of each file the pre-filter keeps (and reads the files the walk
//! only listed). A parsed text is dropped (or held, within the budget) at once.

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

/// What reading one file before the parse gave: the text when it is held or still to be
/// parsed, whether it stays held after the parse, the pre-filter's answer (`None` for a
/// template or a fixture) and the words of a text dropped.
struct Early {
    text: Option<String>,
    keep: bool,
    need: Option<Need>,
    words: Option<Words>,
}

/// How a walked file reaches the parallel pass: read by the walk, listed (with its stat for
/// the cache) for the pass to read, or a start-up file the cache's reading read for the
/// module names (with its stat and text).
enum Walked {
    Read(Result<Early, String>),
    Listed(Option<Stat>),
    Startup(Option<Stat>, Result<String, String>),
}

/// The bytes of texts the walk itself holds for the pass (the texts to parse and those kept),
/// for a held budget: twice it. Beyond them the walk only lists, and the pass reads the rest.
/// Reading while the walk lists the directories keeps the threads busy during the walk; the cap
/// bounds the memory a very large tree holds at once.
fn walk_holds(held_budget: usize) -> usize {
    held_budget.saturating_mul(2)
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
    // The files the ignore files hide are listed alongside the reading.
    let ((mut snapshot, unreadable, parsed, bytes), all, ignored_ms) =
        super::ignored::alongside(root, exclude, || {
            read_parsed(root, exclude, scope, held_budget, disk, &timer)
        });
    let reading = super::Reading {
        read_before,
        parsed: Some(parsed),
        bytes,
        ignored_ms,
    };
    super::finish_reading(&mut snapshot, all, &timer, reading);
    (snapshot, unreadable)
}

/// The walk and the parallel pass of [`load_parsed_with`]: the snapshot, the files not read,
/// how many were parsed and the bytes held.
fn read_parsed(
    root: &Path,
    exclude: &[String],
    scope: Scope,
    held_budget: usize,
    disk: Option<&DiskCache>,
    timer: &Timer,
) -> (Snapshot, Vec<Unreadable>, usize, usize) {
    let user_excludes = excludes(exclude);
    let read_bytes = AtomicUsize::new(0);
    let walk_held = AtomicUsize::new(0);
    // A parsed text is needed again only for a report or a scan: held within the budget (and
    // the short and start-up ones always), else dropped with its words. `filter_keeps`: what
    // the pre-filter says of a template or a fixture.
    let stays_held = |rel: &str, text: &str, filter_keeps: bool| {
        let so_far = read_bytes.fetch_add(text.len(), Ordering::Relaxed);
        so_far + text.len() <= held_budget
            || keeps_text(rel)
            || text.len() <= super::SMALL
            || (!rel.ends_with(".py") && filter_keeps)
            || super::names_lists(rel, text)
    };
    // What the pre-filter and the budget decide for a text the walk reads.
    let early = |rel: &str, text: &str| -> Early {
        let (keep, need, _) = keep_text(rel, text, scope);
        let keep = stays_held(rel, text, keep);
        let parse = need.is_some_and(|n| n != Need::Skip);
        Early {
            text: (keep || parse).then(|| text.to_owned()),
            keep,
            need,
            words: (!keep).then(|| words_of(rel, text, false)).flatten(),
        }
    };
    let found: Mutex<Vec<(String, bool, Walked)>> = Mutex::new(Vec::new());
    walker(root)
        .require_git(false)
        .hidden(false)
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                let Some((entry, lossy, text_name)) = candidate(entry, root, &user_excludes) else {
                    return WalkState::Continue;
                };
                let walked = match disk {
                    // Size and time before the bytes: an entry never pairs a newer time with
                    // older bytes.
                    Some(_) => Walked::Listed(entry.metadata().ok().as_ref().and_then(Stat::of)),
                    // The start-up files whatever the cap: they decide the module names.
                    None if text_name
                        && (keeps_text(&lossy)
                            || walk_held.load(Ordering::Relaxed) < walk_holds(held_budget)) =>
                    {
                        let read = crate::workspace::with_text(entry.path(), |t| early(&lossy, t));
                        if let Ok(Early { text: Some(t), .. }) = &read {
                            walk_held.fetch_add(t.len(), Ordering::Relaxed);
                        }
                        Walked::Read(read)
                    }
                    None => Walked::Listed(None),
                };
                found
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((lossy, text_name, walked));
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

    // The start-up files: with the paths, they decide every file's module name (the walk
    // without the cache read them).
    let mut paths = Snapshot::new(root);
    for (rel, _, walked) in &mut found {
        let mut text = None;
        if keeps_text(rel) {
            match walked {
                Walked::Read(Ok(early)) => text = early.text.clone(),
                // The cache's reading gives the text to the pass, as any file's.
                Walked::Listed(stat) => {
                    let read = crate::workspace::with_text(&root.join(&**rel), str::to_owned);
                    text = read.as_ref().ok().cloned();
                    *walked = Walked::Startup(*stat, read);
                }
                Walked::Read(Err(_)) | Walked::Startup(..) => {}
            }
        }
        match text {
            Some(text) => paths.add(rel.clone(), text),
            None => paths.add_on_disk(rel.clone()),
        };
    }
    let modules = primary_modules(&paths);
    drop(paths);
    timer.report("  walk", format_args!("{} paths", found.len()));

    let parsed = AtomicUsize::new(0);
    // One file: its facts when the pre-filter keeps it, its text when held, its words when not.
    let read_one = |id: usize, rel: &str, walked: Walked| -> Result<Read, String> {
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
        let (stat, held) = match walked {
            Walked::Read(early) => {
                // Read by the walk: the facts of a text to parse, then the text kept
                // or dropped.
                let Early {
                    text,
                    keep,
                    need,
                    words,
                } = early?;
                let pre = need.filter(|n| *n != Need::Skip).and_then(|_| {
                    let text = text.as_deref()?;
                    let (m, p) = module();
                    Some(preparsed(extract_python(id, text, &m, p), (m, p)))
                });
                return Ok((text.filter(|_| keep), need, words, pre));
            }
            Walked::Listed(stat) => (stat, None),
            Walked::Startup(stat, text) => (stat, Some(text?)),
        };
        // Unchanged by its stat: not read; its facts, when the analysis reads them,
        // come from the cache.
        let unchanged = disk
            .zip(stat)
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
        let process = |text: &str| {
            let (keep, need, code) = keep_text(rel, text, scope);
            let pre = need.filter(|n| *n != Need::Skip).map(|_| {
                let (m, p) = module();
                let extract = || extract_python(id, text, &m, p);
                let facts = match disk {
                    Some(disk) => disk.facts(id, rel, &m, p, text, extract),
                    None => extract(),
                };
                preparsed(facts, (m, p))
            });
            let keep = stays_held(rel, text, keep);
            // The cache records every file's words; without it, only a dropped text's.
            let words = (!keep || disk.is_some())
                .then(|| words_of(rel, text, disk.is_some()))
                .flatten();
            if let Some((disk, stat)) = disk.zip(stat) {
                let code = super::seen_code(rel, text, code);
                disk.seen(rel, stat, text, code, words.clone());
            }
            (keep, need, words, pre)
        };
        match held {
            Some(text) => {
                let (keep, need, words, pre) = process(&text);
                Ok((keep.then_some(text), need, words, pre))
            }
            // Read into the thread's buffer: only a text held is copied out of it.
            None => crate::workspace::with_text(&root.join(rel), |text| {
                let (keep, need, words, pre) = process(text);
                (keep.then(|| text.to_owned()), need, words, pre)
            }),
        }
    };
    // Extraction recurses once per nesting level: on the deep-stack pool, as every parse.
    let results: Vec<(String, Result<Read, String>)> = crate::with_big_stacks(|| {
        found
            .into_par_iter()
            .enumerate()
            .map(|(id, (rel, _, walked))| {
                let result = read_one(id, &rel, walked);
                (rel, result)
            })
            .collect()
    });
    // A file left unread is not held: with the cache the snapshot is always lean.
    let all_held = disk.is_none() && read_bytes.into_inner() <= held_budget;

    let mut snapshot = Snapshot::new(root);
    snapshot.lean = !all_held;
    snapshot.files.reserve(results.len());
    let mut bytes = 0;
    for (rel, result) in results {
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
    (snapshot, unreadable, parsed.into_inner(), bytes)
}
