//! Filling a [`Snapshot`] from disk: gitignore-aware walking, a built-in exclude list, and the
//! files djperm reads (Python and templates).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

mod env;
mod fused;
mod ignored;
pub mod version;

pub use env::{add_environment, add_packages};
pub use fused::{load_parsed, load_parsed_cached};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

use crate::workspace::disk_cache::{DiskCache, Stat};
use crate::workspace::prefilter::{self, Need, Scope};
use crate::workspace::{keeps_text, Snapshot, Timer, Words};

/// Directories never worth reading (as ruff).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".bzr",
    ".direnv",
    ".djperm_cache",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
    "__pycache__",
    ".pytest_cache",
];

#[derive(Debug)]
pub struct Unreadable {
    pub path: String,
    pub reason: String,
}

/// JSON and YAML fixtures (`loaddata`): `fixtures/` directories.
/// Extensions of fixtures and of templates (the directory decides, [`is_fixture`] and
/// [`is_template`]).
const FIXTURE_EXTENSIONS: &[&str] = &[".json", ".yaml"];
const TEMPLATE_EXTENSIONS: &[&str] = &[".html", ".txt", ".htm"];

fn has_extension(name: &[u8], extensions: &[&str]) -> bool {
    extensions.iter().any(|e| name.ends_with(e.as_bytes()))
}

fn is_fixture(rel: &str) -> bool {
    has_extension(rel.as_bytes(), FIXTURE_EXTENSIONS)
        && (rel.starts_with("fixtures/") || rel.contains("/fixtures/"))
}

fn is_template(rel: &str) -> bool {
    has_extension(rel.as_bytes(), TEMPLATE_EXTENSIONS)
        && (rel.starts_with("templates/") || rel.contains("/templates/"))
}

pub use crate::workspace::{decode, BOM};

pub fn excludes(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        if let Ok(g) = Glob::new(p) {
            b.add(g);
        }
        if let Ok(g) = Glob::new(&format!("**/{p}")) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// A walk of `root` that never follows links nor enters the built-in excludes.
fn walker(root: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    builder.follow_links(false).filter_entry(|e| {
        let name = e.file_name().to_string_lossy();
        !(e.file_type().is_some_and(|t| t.is_dir()) && DEFAULT_EXCLUDES.contains(&name.as_ref()))
    });
    builder
}

/// A walked entry djperm reads: a Python file, a template or a fixture outside the configured
/// excludes, with its path relative to `root` (`/`-separated, lossy) and whether that path is
/// text.
fn candidate(
    entry: Result<ignore::DirEntry, ignore::Error>,
    root: &Path,
    user_excludes: &GlobSet,
) -> Option<(ignore::DirEntry, String, bool)> {
    let entry = entry.ok()?;
    if !entry.file_type().is_some_and(|t| t.is_file()) {
        return None;
    }
    // Most entries of a tree are none of these: no path is built for them.
    let name = entry.file_name().as_encoded_bytes();
    if !(name.ends_with(b".py")
        || has_extension(name, TEMPLATE_EXTENSIONS)
        || has_extension(name, FIXTURE_EXTENSIONS))
    {
        return None;
    }
    let rel = entry.path().strip_prefix(root).ok()?;
    let lossy = rel.to_string_lossy().replace('\\', "/");
    if !(lossy.ends_with(".py") || is_template(&lossy) || is_fixture(&lossy))
        || user_excludes.is_match(&lossy)
    {
        return None;
    }
    let text_name = rel.to_str().is_some();
    Some((entry, lossy, text_name))
}

/// Read every Python file and template under `root`. Returns the snapshot and the files that
/// could not be read (not UTF-8, permission denied…). Walking and reading run together on the
/// walker's threads (each file is read once); the snapshot is sorted by path.
pub fn load(root: &Path, exclude: &[String]) -> (Snapshot, Vec<Unreadable>) {
    load_with(root, exclude)
}

/// How many bytes a lean reading holds before it starts dropping texts:
/// `DJPERM_HELD_BUDGET` (bytes) when set, else 16 MB. Reading a small tree again, or
/// summarising its texts in [`Words`] for the word scans, costs more than holding it.
pub fn held_budget() -> usize {
    std::env::var("DJPERM_HELD_BUDGET")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(16 << 20)
}

/// A pre-filter answer for `scope` as the cache stores it (templates: 1 when needed).
fn need_code(scope: Scope, need: Option<Need>, needed_template: bool) -> u8 {
    let code = match need {
        Some(Need::Skip) => 0,
        Some(Need::References) => 1,
        Some(Need::Definitions) => 2,
        None => u8::from(needed_template),
    };
    code + 4 * u8::from(scope == Scope::Everything)
}

/// Set in a cache entry's code for a Python file naming settings lists (`INSTALLED_APPS`,
/// `AUTHENTICATION_BACKENDS`…): what reads those before parsing (the environment's packages)
/// needs its text, so it is read whatever its stat says.
const ALWAYS_READ: u8 = 8;

/// The code the cache stores for a file read now (see [`need_code`], [`ALWAYS_READ`]).
fn seen_code(rel: &str, text: &str, code: u8) -> u8 {
    code | if names_lists(rel, text) {
        ALWAYS_READ
    } else {
        0
    }
}

/// A Python file naming settings lists (`INSTALLED_APPS`, `AUTHENTICATION_BACKENDS`…): what
/// reads those before parsing (the environment's packages) needs its text.
fn names_lists(rel: &str, text: &str) -> bool {
    use memchr::memmem::find;
    rel.ends_with(".py")
        && (find(text.as_bytes(), b"_APPS").is_some()
            || find(text.as_bytes(), b"BACKENDS").is_some())
}

/// The stat pre-check for `rel`: `Some(need)` when the file is unchanged and need not be read
/// (for a template: whether the pre-filter keeps it).
fn unchanged(
    disk: &DiskCache,
    rel: &str,
    stat: Stat,
    scope: Scope,
) -> Option<(Option<Need>, Words)> {
    if keeps_text(rel) || !(rel.ends_with(".py") || is_template(rel)) {
        return None;
    }
    let (code, words) = disk.unchanged(rel, stat)?;
    if code & ALWAYS_READ != 0 || code & 4 != need_code(scope, None, false) {
        return None;
    }
    let code = code & 3;
    let need = if rel.ends_with(".py") {
        match code {
            0 => Need::Skip,
            1 => Need::References,
            _ => Need::Definitions,
        }
    } else if code == 0 {
        // A template's answer rides as `References` (kept) or `Skip`: its facts are cached.
        Need::Skip
    } else {
        Need::References
    };
    Some((Some(need), words))
}

/// The words of a Python file or a template, for when its text is not held. `all`: every word
/// (the cache's entries, and templates, which the hook scan searches for words); else, for a
/// Python file, the words called alone ([`Words::calls_of`]): the helper-call scans, run
/// several times, read those, and the rarer scans for any word read the text again.
fn words_of(rel: &str, text: &str, all: bool) -> Option<Words> {
    if rel.ends_with(".py") {
        Some(if all {
            Words::of(text.as_bytes())
        } else {
            Words::calls_of(text.as_bytes())
        })
    } else {
        is_template(rel).then(|| Words::of(text.as_bytes()))
    }
}

/// Texts this short are kept whatever the pre-filter says: holding them costs less than opening
/// the file again when an import leads to it (package `__init__.py`, small constant modules).
const SMALL: usize = 1024;

/// Whether a lean snapshot for `scope` keeps the text of `rel` after reading it, and, for a
/// Python file, the pre-filter's answer (computed once, here, while the bytes are at hand).
fn keep_text(rel: &str, text: &str, scope: Scope) -> (bool, Option<Need>, u8) {
    if rel.ends_with(".py") {
        let need = prefilter::python_need(rel, text.as_bytes(), scope);
        let keep = text.len() <= SMALL || keeps_text(rel) || need != Need::Skip;
        (keep, Some(need), need_code(scope, Some(need), false))
    } else if is_template(rel) {
        let needed = prefilter::template_needed(text.as_bytes());
        (
            text.len() <= SMALL || needed,
            None,
            need_code(scope, None, needed),
        )
    } else {
        (true, None, 0)
    }
}

fn load_with(root: &Path, exclude: &[String]) -> (Snapshot, Vec<Unreadable>) {
    let read_before = crate::workspace::files_read();
    let timer = Timer::start();
    let root: PathBuf = root.to_path_buf();
    let user_excludes = excludes(exclude);
    let found: Mutex<Vec<(String, Result<String, String>)>> = Mutex::new(Vec::new());
    let ((), all, ignored_ms) = ignored::alongside(&root, exclude, || {
        walker(&root)
            .require_git(false)
            .hidden(false)
            .build_parallel()
            .run(|| {
                Box::new(|entry| {
                    let Some((entry, lossy, text_name)) = candidate(entry, &root, &user_excludes)
                    else {
                        return WalkState::Continue;
                    };
                    let path = entry.path();
                    let item = if !text_name {
                        // Python cannot import it, and paths in reports must be text: say so.
                        (lossy, Err("file name is not valid UTF-8".to_string()))
                    } else {
                        let text = crate::workspace::read_bytes(path)
                            .map_err(|e| e.to_string())
                            .and_then(decode);
                        (lossy, text)
                    };
                    found.lock().unwrap_or_else(|e| e.into_inner()).push(item);
                    WalkState::Continue
                })
            });
    });
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // Every file walked is an input (one lock for all).
    crate::inputs::note_all(found.iter().map(|(rel, _)| root.join(rel)));
    let mut snapshot = Snapshot::new(root);
    let mut unreadable = Vec::new();
    snapshot.files.reserve(found.len());
    let mut bytes = 0;
    for (rel, text) in found {
        match text {
            Ok(text) => {
                bytes += text.len();
                snapshot.add(rel, text);
            }
            Err(reason) => unreadable.push(Unreadable { path: rel, reason }),
        }
    }
    let reading = Reading {
        read_before,
        parsed: None,
        bytes,
        ignored_ms,
    };
    finish_reading(&mut snapshot, all, &timer, reading);
    (snapshot, unreadable)
}

/// What a reading reports in its timing line.
struct Reading {
    /// The count of files read before it started.
    read_before: usize,
    /// The files parsed while reading (a reading that parses).
    parsed: Option<usize>,
    /// The bytes of text held.
    bytes: usize,
    /// How long the listing of the files ignore files hide took, alongside.
    ignored_ms: f64,
}

/// The end of a reading: the files the ignore files hid from its walk (`all`, listed
/// alongside) are added, and the timing line is reported.
fn finish_reading(snapshot: &mut Snapshot, all: Vec<String>, timer: &Timer, reading: Reading) {
    ignored::add_hidden(snapshot, all);
    let parsed = reading
        .parsed
        .map(|n| format!(" {n} parsed while reading,"))
        .unwrap_or_default();
    timer.report(
        "walk+read",
        format_args!(
            "{} files, {} read,{parsed} {:.1} MB held, the ignored files' walk {:.1} ms alongside",
            snapshot.files.len(),
            crate::workspace::files_read() - reading.read_before,
            reading.bytes as f64 / 1e6,
            reading.ignored_ms,
        ),
    );
}
