//! The on-disk cache of per-file facts (`.djperm_cache/` in the project root by default, as
//! ruff's): a warm run reuses the facts of every Python file whose bytes, module name and
//! package flag are unchanged, under the same djperm build. Facts depend on nothing else (no
//! option changes them: `extract_python` reads only the text, the module name and the flag), so
//! a hit gives exactly what parsing would.
//!
//! One file, `facts.bin`: a magic line, the build it was written by, an xxh3-128 checksum of the
//! payload, and the payload (postcard: path → text hash, module, flag, facts). A file that is
//! unreadable, truncated, of another build or whose checksum fails is ignored, never trusted;
//! the cache is then rebuilt. Writing is best-effort: a temporary file renamed over the old one,
//! in a directory that holds its own `.gitignore` (`*`) and `CACHEDIR.TAG`. When it cannot be
//! written (a read-only tree), the run still succeeds.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_128;

use crate::diagnostic::{with_facts_file, FileId};
use crate::facts::FileFacts;

const MAGIC: &[u8] = b"djperm facts cache\n";
const FILE: &str = "facts.bin";

/// The default cache directory, relative to the project root.
pub const DEFAULT_DIR: &str = ".djperm_cache";

/// The build a cache belongs to: djperm's version and, for builds of one version, the
/// executable's size and modification time (a rebuilt binary may extract different facts).
pub fn build_fingerprint() -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}-{mtime}", m.len())
        })
        .unwrap_or_default();
    format!("{} {exe}", env!("CARGO_PKG_VERSION"))
}

#[derive(Serialize, Deserialize)]
struct Stored {
    path: String,
    hash: u128,
    module: String,
    is_package: bool,
    /// The facts, postcard-encoded, decoded only on a hit.
    facts: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    build: String,
    entries: Vec<Stored>,
}

/// Facts read from and written to a cache directory during one run.
pub struct DiskCache {
    dir: PathBuf,
    build: String,
    old: FxHashMap<String, Stored>,
    new: Mutex<Vec<Stored>>,
    hits: AtomicUsize,
    misses: AtomicUsize,
    /// Keep the facts of misses for [`DiskCache::save`] (not for a reader that never saves).
    record: bool,
}

impl DiskCache {
    /// Open the cache in `dir` for `build` ([`build_fingerprint`]). Never fails: a missing,
    /// unreadable, corrupt or foreign cache reads as empty.
    pub fn open(dir: &Path, build: &str) -> DiskCache {
        DiskCache::open_with(dir, build, true)
    }

    /// [`DiskCache::open`] for a reader that never saves (the language server's first build).
    pub fn open_read_only(dir: &Path, build: &str) -> DiskCache {
        DiskCache::open_with(dir, build, false)
    }

    fn open_with(dir: &Path, build: &str, record: bool) -> DiskCache {
        let old = std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|bytes| decode(&bytes, build))
            .unwrap_or_default();
        DiskCache {
            dir: dir.to_path_buf(),
            build: build.to_string(),
            old,
            new: Mutex::new(Vec::new()),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            record,
        }
    }

    /// The facts of `path` (file `id`) for this text, module and flag: from the cache when it
    /// holds them, else from `extract` (and kept for [`DiskCache::save`]).
    pub fn facts(
        &self,
        id: FileId,
        path: &str,
        module: &str,
        is_package: bool,
        text: &str,
        extract: impl FnOnce() -> FileFacts,
    ) -> FileFacts {
        let hash = xxh3_128(text.as_bytes());
        let found = self
            .old
            .get(path)
            .filter(|s| s.hash == hash && s.module == module && s.is_package == is_package);
        if let Some(stored) = found {
            let facts = with_facts_file(id, || postcard::from_bytes::<FileFacts>(&stored.facts));
            if let Ok(facts) = facts {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return facts;
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let facts = extract();
        if !self.record {
            return facts;
        }
        if let Ok(bytes) = postcard::to_allocvec(&facts) {
            self.new
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Stored {
                    path: path.to_string(),
                    hash,
                    module: module.to_string(),
                    is_package,
                    facts: bytes,
                });
        }
        facts
    }

    /// Files whose facts came from the cache.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// Files parsed because the cache did not hold their facts.
    pub fn misses(&self) -> usize {
        self.misses.load(Ordering::Relaxed)
    }

    /// Write the facts of this run (hits and misses; files not parsed this time are dropped)
    /// when anything changed (never for a cache opened read-only). Best-effort: the error says why it could not be written.
    pub fn save(self, parsed_paths: &[&str]) -> Result<(), String> {
        if !self.record {
            return Ok(()); // opened read-only: never written
        }
        let mut new = self.new.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut old = self.old;
        let changed = !new.is_empty() || old.len() != parsed_paths.len();
        if !changed {
            return Ok(());
        }
        let mut fresh: FxHashMap<&str, ()> = FxHashMap::default();
        for s in &new {
            fresh.insert(s.path.as_str(), ());
        }
        let kept: Vec<Stored> = parsed_paths
            .iter()
            .filter(|p| !fresh.contains_key(**p))
            .filter_map(|p| old.remove(*p))
            .collect();
        new.extend(kept);
        new.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        let payload = Payload {
            build: self.build,
            entries: new,
        };
        let bytes = postcard::to_allocvec(&payload).map_err(|e| e.to_string())?;
        write(&self.dir, &bytes).map_err(|e| format!("{}: {e}", self.dir.display()))
    }
}

fn decode(bytes: &[u8], build: &str) -> Option<FxHashMap<String, Stored>> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (sum, payload) = rest.split_at_checked(16)?;
    if u128::from_le_bytes(sum.try_into().ok()?) != xxh3_128(payload) {
        return None;
    }
    let payload: Payload = postcard::from_bytes(payload).ok()?;
    if payload.build != build {
        return None;
    }
    Some(
        payload
            .entries
            .into_iter()
            .map(|s| (s.path.clone(), s))
            .collect(),
    )
}

fn write(dir: &Path, payload: &[u8]) -> std::io::Result<()> {
    if !dir.is_dir() {
        std::fs::create_dir_all(dir)?;
    }
    let gitignore = dir.join(".gitignore");
    if !gitignore.exists() {
        std::fs::write(&gitignore, "# Automatically created by djperm.\n*\n")?;
    }
    let tag = dir.join("CACHEDIR.TAG");
    if !tag.exists() {
        std::fs::write(
            &tag,
            "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by djperm.\n",
        )?;
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    use std::io::Write;
    tmp.write_all(MAGIC)?;
    tmp.write_all(&xxh3_128(payload).to_le_bytes())?;
    tmp.write_all(payload)?;
    tmp.persist(dir.join(FILE)).map_err(|e| e.error)?;
    Ok(())
}
