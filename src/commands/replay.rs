//! The whole result of the last report-only `check`, kept in the cache directory
//! (`results.bin`) and given again when nothing it depends on changed: same djperm build, command line, working
//! directory, environment variables that matter and terminals; every input file and directory
//! (as `djperm::inputs` noted them: the files read or looked for, the directories
//! walked, the ignore files) with the same size and modification time, or still absent. A run
//! whose inputs changed within two seconds before it started is not kept (a coarse clock could
//! hide a later edit), nor is one with an input whose time cannot be read. A corrupt, foreign or unreadable file
//! is ignored, never trusted; writing is best-effort, like the facts cache.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

use djperm::inputs;
use djperm::workspace::disk_cache::{build_fingerprint, Stat};

const MAGIC: &[u8] = b"djperm results cache\n";
const FILE: &str = "results.bin";

/// Inputs modified this recently before a run make its result not worth keeping.
const RACY: Duration = Duration::from_secs(2);

#[derive(Serialize, Deserialize)]
struct Stored {
    key: u128,
    /// Every input with its size and modification time (none: it did not exist).
    inputs: Vec<(String, Option<(u64, u64)>)>,
    /// Inputs whose presence alone matters, and whether they existed.
    present: Vec<(String, bool)>,
    stdout: String,
    stderr: String,
    code: u8,
}

/// What the result was computed under, besides its input files.
pub fn key() -> u128 {
    let mut h = Xxh3::new();
    let mut add = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    add(build_fingerprint().as_bytes());
    for arg in std::env::args_os().skip(1) {
        add(arg.as_encoded_bytes());
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    add(cwd.as_os_str().as_encoded_bytes());
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())))
        .filter(|(k, _)| {
            k.starts_with("DJPERM_")
                || matches!(
                    k.as_str(),
                    "NO_COLOR"
                        | "FORCE_COLOR"
                        | "CLICOLOR"
                        | "CLICOLOR_FORCE"
                        | "TERM"
                        | "VIRTUAL_ENV"
                        | "HOME"
                        | "XDG_CONFIG_HOME"
                        | "GIT_DIR"
                )
        })
        .filter(|(k, _)| k != "DJPERM_TIMINGS")
        .collect();
    vars.sort();
    for (k, v) in vars {
        add(k.as_bytes());
        add(v.as_bytes());
    }
    add(&[
        u8::from(std::io::stdout().is_terminal()),
        u8::from(std::io::stderr().is_terminal()),
    ]);
    h.digest128()
}

/// A path's size and modification time: `Some(None)` when it does not exist, `None` when it
/// exists without a usable time (nothing can then be kept or given again).
fn stat(path: &Path) -> Option<Option<(u64, u64)>> {
    let Ok(meta) = std::fs::metadata(path) else {
        return std::fs::symlink_metadata(path).is_err().then_some(None);
    };
    let s = Stat::of(&meta)?;
    // A directory's size says nothing; its time says whether its entries changed.
    Some(Some((if meta.is_dir() { 0 } else { s.size }, s.mtime)))
}

/// The inputs of the ignore rules that live outside the tree: ignore files of the root's
/// ancestors, the repository's exclude file and the user's global ignore file.
fn outside_inputs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in root.ancestors() {
        for name in [".gitignore", ".ignore", ".git/info/exclude"] {
            out.push(dir.join(name));
        }
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(config) = config {
        out.push(config.join("git/ignore"));
        out.push(config.join("git/config"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        out.push(PathBuf::from(home).join(".gitconfig"));
    }
    out
}

fn decode(bytes: &[u8], key: u128) -> Option<Stored> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (sum, payload) = rest.split_at_checked(16)?;
    if u128::from_le_bytes(sum.try_into().ok()?) != xxh3_128(payload) {
        return None;
    }
    let stored: Stored = postcard::from_bytes(payload).ok()?;
    (stored.key == key).then_some(stored)
}

/// The kept result, when every input is as it was: its standard output, standard error and
/// exit code.
pub fn lookup(dir: &Path, key: u128) -> Option<(String, String, u8)> {
    let bytes = std::fs::read(dir.join(FILE)).ok()?;
    let stored = decode(&bytes, key)?;
    let same = stored
        .inputs
        .par_iter()
        .all(|(path, was)| stat(Path::new(path)) == Some(*was))
        && stored
            .present
            .iter()
            .all(|(path, was)| Path::new(path).exists() == *was);
    same.then_some((stored.stdout, stored.stderr, stored.code))
}

/// Keep this run's result (best-effort: a result that cannot be kept is simply not kept).
pub fn save(dir: &Path, root: &Path, key: u128, started: SystemTime, out: (&str, &str, u8)) {
    let (mut paths, present) = inputs::take();
    // The cache directory changes with every run: never an input.
    paths.retain(|p| !p.starts_with(dir));
    paths.extend(outside_inputs(root));
    paths.sort_unstable();
    paths.dedup();
    let Some(limit) = started
        .checked_sub(RACY)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
    else {
        return;
    };
    let Some(inputs) = paths
        .par_iter()
        .map(|p| {
            let text = p.to_str()?.to_string();
            let stat = stat(p)?;
            // Changed too recently to be told apart from a later edit: keep nothing.
            if stat.is_some_and(|(_, mtime)| mtime >= limit) {
                return None;
            }
            Some((text, stat))
        })
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let Some(present) = present
        .iter()
        .map(|p| Some((p.to_str()?.to_string(), p.exists())))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let stored = Stored {
        key,
        inputs,
        present,
        stdout: out.0.to_string(),
        stderr: out.1.to_string(),
        code: out.2,
    };
    let Ok(payload) = postcard::to_allocvec(&stored) else {
        return;
    };
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&xxh3_128(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) {
        use std::io::Write;
        if tmp.write_all(&bytes).is_ok() {
            let _ = tmp.persist(dir.join(FILE));
        }
    }
}
