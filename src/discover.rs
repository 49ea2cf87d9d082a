//! Filling a [`Snapshot`] from disk: gitignore-aware walking, a built-in exclude list, and the
//! files djperm reads (Python and templates).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

use crate::workspace::{Snapshot, Timer};

/// Directories never worth reading (as ruff).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".bzr",
    ".direnv",
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

/// JSON fixtures (`loaddata`): `fixtures/` directories.
fn is_fixture(rel: &str) -> bool {
    rel.ends_with(".json") && (rel.starts_with("fixtures/") || rel.contains("/fixtures/"))
}

fn is_template(rel: &str) -> bool {
    (rel.ends_with(".html") || rel.ends_with(".txt") || rel.ends_with(".htm"))
        && (rel.starts_with("templates/") || rel.contains("/templates/"))
}

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

/// Read every Python file and template under `root`. Returns the snapshot and the files that
/// could not be read (not UTF-8, permission denied…). Walking and reading run together on the
/// walker's threads (each file is read once); the snapshot is sorted by path.
pub fn load(root: &Path, exclude: &[String]) -> (Snapshot, Vec<Unreadable>) {
    let timer = Timer::start();
    let root: PathBuf = root.to_path_buf();
    let user_excludes = excludes(exclude);
    let found: Mutex<Vec<(String, Result<String, String>)>> = Mutex::new(Vec::new());
    WalkBuilder::new(&root)
        .require_git(false)
        .follow_links(false)
        .hidden(false)
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_some_and(|t| t.is_dir())
                && DEFAULT_EXCLUDES.contains(&name.as_ref()))
        })
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return WalkState::Continue;
                }
                let path = entry.path();
                let Ok(rel) = path.strip_prefix(&root) else {
                    return WalkState::Continue;
                };
                let item = match rel.to_str().map(|s| s.replace('\\', "/")) {
                    None => (
                        rel.to_string_lossy().into_owned(),
                        Err("file name is not valid UTF-8".to_string()),
                    ),
                    Some(rel) => {
                        if !(rel.ends_with(".py") || is_template(&rel) || is_fixture(&rel))
                            || user_excludes.is_match(&rel)
                        {
                            return WalkState::Continue;
                        }
                        let text = match std::fs::read(path) {
                            Ok(bytes) => {
                                String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())
                            }
                            Err(e) => Err(e.to_string()),
                        };
                        (rel, text)
                    }
                };
                found.lock().unwrap_or_else(|e| e.into_inner()).push(item);
                WalkState::Continue
            })
        });
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
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
    timer.report(
        "walk+read",
        format_args!(
            "{} files, {:.1} MB",
            snapshot.files.len(),
            bytes as f64 / 1e6
        ),
    );
    (snapshot, unreadable)
}
