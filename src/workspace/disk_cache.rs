//! The on-disk cache of per-file facts (`.djperm_cache/` in the project root by default, as
//! ruff's): a warm run reuses the facts of every Python file whose bytes, module name and
//! package flag are unchanged, under the same djperm build. Facts depend on nothing else (no
//! option changes them: `extract_python` reads only the text, the module name and the flag), so
//! a hit gives exactly what parsing would.
//!
//! One file, `facts.bin`: a magic line, the build it was written by, an xxh3-128 checksum of the
//! payload, and the payload (postcard: path → text hash, module, flag, facts; and, for the lean
//! reading of the command line, path → size, modification time, text hash and the pre-filter's
//! answer of every file it read; path → text hash and facts of every template it extracted).
//!
//! The stat pre-check (as ruff's and git's): a file whose path, size and modification time
//! (nanoseconds) match its entry is taken as unchanged without reading it, unless its
//! modification time is not older than the cache file's ("racy": it may have changed within
//! the same clock tick as the cache was written), when it is read and hashed again. The size
//! and time are taken before the file is read, so an entry never pairs a newer time with
//! older bytes. A file that is
//! unreadable, truncated, of another build or whose checksum fails is ignored, never trusted;
//! the cache is then rebuilt. Writing is best-effort: a temporary file renamed over the old one,
//! in a directory that holds its own `.gitignore` (`*`) and `CACHEDIR.TAG`. When it cannot be
//! written (a read-only tree), the run still succeeds.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_128;

use crate::diagnostic::{with_facts_file, FileId};
use crate::facts::FileFacts;
use crate::refs::templates::{extract_template, TemplateFacts};

use super::prefilter::{self, Need};
use super::{SourceFile, Words};

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

/// A file as the lean reading last saw it.
#[derive(Serialize, Deserialize, Clone)]
struct Seen {
    path: String,
    size: u64,
    mtime: u64,
    hash: u128,
    /// The pre-filter's answer for the file ([`Seen::need`]).
    need: u8,
    /// Its words, for a Python file or a template.
    words: Option<Words>,
}

/// A template's facts, under the hash of its text.
#[derive(Serialize, Deserialize)]
struct StoredTemplate {
    path: String,
    hash: u128,
    facts: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    build: String,
    entries: Vec<Stored>,
    seen: Vec<Seen>,
    templates: Vec<StoredTemplate>,
}

/// A file's size and modification time (nanoseconds since the epoch), taken before reading it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Stat {
    pub size: u64,
    pub mtime: u64,
}

impl Stat {
    /// The stat of a file's metadata (none when the system gives no modification time).
    pub fn of(meta: &std::fs::Metadata) -> Option<Stat> {
        let mtime = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        Some(Stat {
            size: meta.len(),
            mtime: u64::try_from(mtime).ok().filter(|t| *t > 0)?,
        })
    }
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
    /// The cache file's modification time: entries not older are racy.
    written: u64,
    seen_old: FxHashMap<String, Seen>,
    /// Files found unchanged this run (path → text hash), by their stat or their bytes.
    verified: Mutex<FxHashMap<String, u128>>,
    seen_new: Mutex<Vec<Seen>>,
    /// Whether this run read through the stat pre-check (else the old entries are kept).
    stat_used: AtomicBool,
    templates_old: FxHashMap<String, StoredTemplate>,
    /// Templates whose facts this run took from the cache (kept) or extracted (new).
    templates_hit: Mutex<Vec<String>>,
    templates_new: Mutex<Vec<StoredTemplate>>,
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
        let path = dir.join(FILE);
        let written = std::fs::metadata(&path)
            .ok()
            .as_ref()
            .and_then(Stat::of)
            .map_or(0, |s| s.mtime);
        let (old, seen_old, templates_old) = std::fs::read(&path)
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
            written,
            seen_old,
            verified: Mutex::default(),
            seen_new: Mutex::default(),
            stat_used: AtomicBool::new(false),
            templates_old,
            templates_hit: Mutex::default(),
            templates_new: Mutex::default(),
        }
    }

    /// The facts of template `path` (file `id`): from the cache when its text (`None`: the
    /// file found unchanged by its stat) hashes as the stored one, else extracted from `text`
    /// (read from `root` when not given) and kept for [`DiskCache::save`].
    fn template_facts(
        &self,
        id: FileId,
        path: &str,
        text: Option<&str>,
        root: &Path,
    ) -> TemplateFacts {
        let hash = match text {
            Some(text) => Some(xxh3_128(text.as_bytes())),
            None => lock(&self.verified).get(path).copied(),
        };
        let stored = hash.and_then(|h| self.templates_old.get(path).filter(|s| s.hash == h));
        if let Some(stored) = stored {
            let facts =
                with_facts_file(id, || postcard::from_bytes::<TemplateFacts>(&stored.facts));
            if let Ok(facts) = facts {
                lock(&self.templates_hit).push(path.to_string());
                return facts;
            }
        }
        let owned = text.is_none().then(|| super::read_back(root, path));
        let text = text.or(owned.as_deref()).unwrap_or_default();
        let facts = extract_template(id, text);
        if self.record {
            if let Ok(bytes) = postcard::to_allocvec(&facts) {
                lock(&self.templates_new).push(StoredTemplate {
                    path: path.to_string(),
                    hash: xxh3_128(text.as_bytes()),
                    facts: bytes,
                });
            }
        }
        facts
    }

    /// The pre-filter's answer for `path` when its stat matches its entry and the entry is not
    /// racy: the file is then unchanged and need not be read.
    pub fn unchanged(&self, path: &str, stat: Stat) -> Option<(u8, Words)> {
        self.stat_used.store(true, Ordering::Relaxed);
        let seen = self.seen_old.get(path)?;
        if seen.size != stat.size || seen.mtime != stat.mtime || stat.mtime >= self.written {
            return None;
        }
        let words = seen.words.clone()?;
        lock(&self.verified).insert(path.to_string(), seen.hash);
        Some((seen.need, words))
    }

    /// Record a file read this run (its stat taken before reading), with the pre-filter's
    /// answer `need`.
    pub fn seen(&self, path: &str, stat: Stat, text: &str, need: u8, words: Option<Words>) {
        self.stat_used.store(true, Ordering::Relaxed);
        let hash = xxh3_128(text.as_bytes());
        let same = self.seen_old.get(path).is_some_and(|s| {
            (s.size, s.mtime, s.hash, s.need) == (stat.size, stat.mtime, hash, need)
                && s.words == words
                && s.mtime < self.written
        });
        if same {
            lock(&self.verified).insert(path.to_string(), hash);
        } else {
            lock(&self.seen_new).push(Seen {
                path: path.to_string(),
                size: stat.size,
                mtime: stat.mtime,
                hash,
                need,
                words,
            });
        }
    }

    /// The facts of `path`, found unchanged by its stat ([`DiskCache::unchanged`]), when the
    /// cache holds them for this module and flag: no text needed.
    pub fn known_facts(
        &self,
        id: FileId,
        path: &str,
        module: &str,
        is_package: bool,
    ) -> Option<FileFacts> {
        let hash = *lock(&self.verified).get(path)?;
        let stored = self
            .old
            .get(path)
            .filter(|s| s.hash == hash && s.module == module && s.is_package == is_package)?;
        let facts = with_facts_file(id, || postcard::from_bytes::<FileFacts>(&stored.facts));
        let facts = facts.ok()?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(facts)
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
        let verified = self
            .verified
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let mut seen = self
            .seen_new
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let mut seen_old = self.seen_old;
        let stat_used = self.stat_used.into_inner();
        let mut templates = self
            .templates_new
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let templates_hit = self
            .templates_hit
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let mut templates_old = self.templates_old;
        let changed = !new.is_empty()
            || old.len() != parsed_paths.len()
            || !seen.is_empty()
            || (stat_used && verified.len() != seen_old.len())
            || !templates.is_empty()
            || templates_hit.len() != templates_old.len();
        if !changed {
            return Ok(());
        }
        if stat_used {
            seen.extend(verified.keys().filter_map(|p| seen_old.remove(p)));
        } else {
            seen.extend(seen_old.into_values());
        }
        seen.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        templates.extend(templates_hit.iter().filter_map(|p| templates_old.remove(p)));
        templates.sort_unstable_by(|a, b| a.path.cmp(&b.path));
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
            seen,
            templates,
        };
        write(&self.dir, &payload).map_err(|e| format!("{}: {e}", self.dir.display()))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

type Tables = (
    FxHashMap<String, Stored>,
    FxHashMap<String, Seen>,
    FxHashMap<String, StoredTemplate>,
);

/// The facts of a template for the build of a workspace through the cache `disk`: `None`
/// when the analysis does not read it (`all`: every template is read; else those the
/// pre-filter keeps, which a template found unchanged by its stat carries in `need`).
pub(super) fn template(
    disk: &DiskCache,
    root: &Path,
    id: FileId,
    f: &SourceFile,
    all: bool,
) -> Option<TemplateFacts> {
    if f.on_disk {
        let needed = all || f.need.is_some_and(|(_, n)| n != Need::Skip);
        return needed.then(|| disk.template_facts(id, &f.path, None, root));
    }
    (all || prefilter::template_needed(f.text.as_bytes()))
        .then(|| disk.template_facts(id, &f.path, Some(&f.text), root))
}

fn decode(bytes: &[u8], build: &str) -> Option<Tables> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (sum, payload) = rest.split_at_checked(16)?;
    if u128::from_le_bytes(sum.try_into().ok()?) != xxh3_128(payload) {
        return None;
    }
    let payload: Payload = postcard::from_bytes(payload).ok()?;
    if payload.build != build {
        return None;
    }
    Some((
        payload
            .entries
            .into_iter()
            .map(|s| (s.path.clone(), s))
            .collect(),
        payload
            .seen
            .into_iter()
            .map(|s| (s.path.clone(), s))
            .collect(),
        payload
            .templates
            .into_iter()
            .map(|s| (s.path.clone(), s))
            .collect(),
    ))
}

fn write(dir: &Path, payload: &Payload) -> std::io::Result<()> {
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
    write_payload(tmp.as_file_mut(), payload)?;
    tmp.persist(dir.join(FILE)).map_err(|e| e.error)?;
    Ok(())
}

/// The magic line, the checksum and `payload`, encoded straight into `file`: the payload is
/// never whole in memory (on a large tree it is as large as the facts, and a growing buffer
/// would hold up to three times that at once). The checksum is written last, over its place
/// at the start, so a file cut short never checks out.
fn write_payload(file: &mut std::fs::File, payload: &Payload) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.write_all(MAGIC)?;
    file.write_all(&[0; 16])?;
    let hashing = Hashing {
        inner: &mut *file,
        hash: xxhash_rust::xxh3::Xxh3::new(),
    };
    let buffered = std::io::BufWriter::with_capacity(1 << 16, hashing);
    let buffered = postcard::to_io(payload, buffered).map_err(std::io::Error::other)?;
    let hashing = buffered.into_inner().map_err(|e| e.into_error())?;
    let sum = hashing.hash.digest128();
    file.seek(SeekFrom::Start(MAGIC.len() as u64))?;
    file.write_all(&sum.to_le_bytes())?;
    file.flush()
}

/// A writer that hashes what it passes on.
struct Hashing<W> {
    inner: W,
    hash: xxhash_rust::xxh3::Xxh3,
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed file is byte for byte the magic line, the one-shot checksum of the
    /// payload's encoding and that encoding, and decodes to what was written.
    #[test]
    fn a_streamed_cache_file_is_the_one_shot_encoding() {
        let words = Words::of(b"user.has_perm(\"a.b\")");
        let payload = Payload {
            build: "b1".to_string(),
            entries: (0..3000)
                .map(|i| Stored {
                    path: format!("app{i}/models.py"),
                    hash: i as u128 * 7919,
                    module: format!("app{i}.models"),
                    is_package: i % 2 == 0,
                    facts: vec![i as u8; i % 97],
                })
                .collect(),
            seen: vec![Seen {
                path: "a.py".to_string(),
                size: 3,
                mtime: 4,
                hash: 5,
                need: 1,
                words: Some(words),
            }],
            templates: Vec::new(),
        };
        let mut file = tempfile::tempfile().unwrap();
        write_payload(&mut file, &payload).unwrap();
        let mut written = Vec::new();
        use std::io::{Read, Seek};
        file.rewind().unwrap();
        file.read_to_end(&mut written).unwrap();
        let encoded = postcard::to_allocvec(&payload).unwrap();
        let mut expected = MAGIC.to_vec();
        expected.extend_from_slice(&xxh3_128(&encoded).to_le_bytes());
        expected.extend_from_slice(&encoded);
        assert!(encoded.len() > 1 << 17, "more than the writer's buffer");
        assert!(written == expected, "the streamed file differs");
        let (entries, seen, templates) = decode(&written, "b1").expect("decodes");
        assert_eq!(entries.len(), 3000);
        assert_eq!(entries["app5/models.py"].facts, vec![5u8; 5]);
        assert_eq!(seen["a.py"].mtime, 4);
        assert!(templates.is_empty());
        assert!(
            decode(&written, "b2").is_none(),
            "another build's file is not read"
        );
    }
}
