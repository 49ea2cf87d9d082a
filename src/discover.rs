//! Filling a [`Snapshot`] from disk: gitignore-aware walking, a built-in exclude list, and the
//! files djperm reads (Python and templates).

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;

use crate::workspace::Snapshot;

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
/// could not be read (not UTF-8, permission denied…).
pub fn load(root: &Path, exclude: &[String]) -> (Snapshot, Vec<Unreadable>) {
    let root: PathBuf = root.to_path_buf();
    let mut snapshot = Snapshot::new(root.clone());
    let mut unreadable = Vec::new();
    let user_excludes = excludes(exclude);
    let walker = WalkBuilder::new(&root)
        .require_git(false)
        .follow_links(false)
        .hidden(false)
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.file_type().is_some_and(|t| t.is_dir())
                && DEFAULT_EXCLUDES.contains(&name.as_ref()))
        })
        .build();
    let mut paths: Vec<(String, PathBuf)> = Vec::new();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(&root) else {
            continue;
        };
        let Some(rel) = rel.to_str().map(|s| s.replace('\\', "/")) else {
            unreadable.push(Unreadable {
                path: rel.to_string_lossy().into_owned(),
                reason: "file name is not valid UTF-8".into(),
            });
            continue;
        };
        if !(rel.ends_with(".py") || is_template(&rel)) || user_excludes.is_match(&rel) {
            continue;
        }
        paths.push((rel, path.to_path_buf()));
    }
    paths.sort();
    for (rel, path) in paths {
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    snapshot.add(rel, text);
                }
                Err(_) => unreadable.push(Unreadable {
                    path: rel,
                    reason: "not valid UTF-8".into(),
                }),
            },
            Err(e) => unreadable.push(Unreadable {
                path: rel,
                reason: e.to_string(),
            }),
        }
    }
    (snapshot, unreadable)
}
