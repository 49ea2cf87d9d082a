//! The in-memory facts cache the language server keeps between builds of a folder.

use std::sync::Mutex;

use rustc_hash::FxHashMap;

use crate::diagnostic::FileId;
use crate::facts::FileFacts;

/// Facts of Python files from a previous build, reused when nothing they depend on changed: the
/// file's id (spans carry it), path, module name, package flag and text (length and a 64-bit
/// xxh3 hash). Facts are pure functions of these, so a hit gives exactly what parsing would. The
/// language server keeps one per folder, so an edit re-parses only the edited files. Entries
/// of files not parsed by the latest build are dropped.
#[derive(Default)]
pub struct FactsCache {
    entries: Mutex<FactsEntries>,
}

#[derive(Default)]
struct FactsEntries {
    previous: FxHashMap<String, CachedFacts>,
    current: FxHashMap<String, CachedFacts>,
    hits: usize,
}

struct CachedFacts {
    key: FactsKey,
    facts: FileFacts,
}

#[derive(PartialEq, Eq)]
pub(super) struct FactsKey {
    id: FileId,
    module: String,
    is_package: bool,
    len: usize,
    hash: u64,
}

impl FactsKey {
    pub(super) fn new(id: FileId, module: &str, is_package: bool, text: &str) -> FactsKey {
        FactsKey {
            id,
            module: module.to_string(),
            is_package,
            len: text.len(),
            // xxh3: every build of the server hashes every parsed file; it is many times
            // faster than std's SipHash.
            hash: xxhash_rust::xxh3::xxh3_64(text.as_bytes()),
        }
    }
}

impl FactsCache {
    /// The facts of `path` for `key`: reused when the last build stored them for the same key,
    /// else computed by `extract`. Either way they are kept for the next build.
    pub(super) fn facts(
        &self,
        path: &str,
        key: FactsKey,
        extract: impl FnOnce() -> FileFacts,
    ) -> FileFacts {
        let lock = || self.entries.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut entries = lock();
            if let Some(cached) = entries.previous.remove(path).filter(|c| c.key == key) {
                let facts = cached.facts.clone();
                entries.current.insert(path.to_string(), cached);
                entries.hits += 1;
                return facts;
            }
        }
        let facts = extract();
        let cached = CachedFacts {
            key,
            facts: facts.clone(),
        };
        lock().current.insert(path.to_string(), cached);
        facts
    }

    /// Start a build: what the last build stored becomes what this one may reuse.
    pub(super) fn begin(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.previous = std::mem::take(&mut entries.current);
        entries.hits = 0;
    }

    /// Files whose facts the last build reused instead of parsing.
    pub fn hits(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).hits
    }
}
