//! Which directory is the project: the same answer for `djperm check DIR`, `djperm check FILE`,
//! a check run from inside a sub-directory, and the language server's folders and files.
//!
//! A directory inside a project is not a project of its own: checking `core/` (or running
//! from inside it) must index the whole project around it, or every permission defined
//! elsewhere looks unknown and every reference into the rest of the project goes unseen.

use std::path::{Path, PathBuf};

/// Files that end the upward search: the project's own markers.
const STRONG_MARKERS: [&str; 3] = ["manage.py", "djperm.toml", ".git"];
/// Files a reusable app inside a project also has: a fallback, never an end of the search.
const WEAK_MARKERS: [&str; 3] = ["pyproject.toml", "setup.cfg", "setup.py"];

/// The project around `dir` (a directory): the nearest of `dir` and its ancestors holding a
/// `manage.py`, a `djperm.toml` or `.git`; else the nearest holding a `pyproject.toml`,
/// `setup.cfg` or `setup.py`; else `dir` itself. The search never climbs to the home directory
/// or `/` (reading everything below them is never what was meant).
pub fn project_root(dir: &Path) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut weak = None;
    for d in dir.ancestors() {
        if d != dir && (d.parent().is_none() || home.as_deref() == Some(d)) {
            break;
        }
        let exists = |n: &&str| crate::inputs::exists(&d.join(n));
        if STRONG_MARKERS.iter().any(exists) {
            return d.to_path_buf();
        }
        if weak.is_none() && WEAK_MARKERS.iter().any(exists) {
            weak = Some(d.to_path_buf());
        }
    }
    weak.unwrap_or_else(|| dir.to_path_buf())
}

/// The project around a file: [`project_root`] of its directory.
pub fn project_root_of_file(file: &Path) -> PathBuf {
    project_root(file.parent().unwrap_or(file))
}

/// Files whose `sys.path` edits decide where imports resolve when Django starts: the scripts
/// that start it (`manage.py`, WSGI/ASGI modules), pytest's `conftest.py` and settings modules.
pub fn may_extend_sys_path(file_name: &str) -> bool {
    matches!(
        file_name,
        "manage.py" | "wsgi.py" | "asgi.py" | "conftest.py"
    ) || (file_name.starts_with("settings") && file_name.ends_with(".py"))
}

/// Directories a file adds to `sys.path` (`sys.path.append(...)`, `sys.path.insert(0, ...)`),
/// as candidate paths relative to the file's directory or one of its ancestors, whichever
/// exists: `os.path.join(BASE_DIR, "src")` gives `["src"]` (BASE_DIR is some ancestor);
/// `os.path.dirname(os.path.dirname(os.path.abspath(__file__)))` gives `[".."]`.
/// The caller joins each against the file's directory and its ancestors and keeps the first
/// that is a directory of the project. Anything computed at run time is skipped.
pub fn sys_path_additions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for needle in ["sys.path.append(", "sys.path.insert(", "sys.path.extend("] {
        for (pos, _) in text.match_indices(needle) {
            let args = &text[pos + needle.len()..];
            let Some(end) = closing_paren(args) else {
                continue;
            };
            if let Some(dir) = folded_dir(&args[..end]) {
                if !out.contains(&dir) {
                    out.push(dir);
                }
            }
        }
    }
    out
}

/// Byte offset of the `)` closing a call whose arguments start `args`.
fn closing_paren(args: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in args.bytes().enumerate() {
        match b {
            b'(' | b'[' => depth += 1,
            b')' | b']' if depth == 0 => return Some(i),
            b')' | b']' => depth -= 1,
            b'\n' if depth == 0 && i > 200 => return None,
            _ => {}
        }
    }
    None
}

/// The directory an argument list names, relative to an anchor directory: string literals are
/// path components; `__file__` wrapped in `dirname(...)`/`.parent` climbs one level per
/// wrapper beyond the first (the first gives the file's own directory).
fn folded_dir(args: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = args;
    while let Some(q) = rest.find(['"', '\'']) {
        let quote = rest.as_bytes()[q] as char;
        let body = &rest[q + 1..];
        let end = body.find(quote)?;
        let lit = &body[..end];
        if lit.contains(['{', '%', '\\']) {
            return None;
        }
        parts.extend(
            lit.split('/')
                .filter(|p| !p.is_empty() && *p != ".")
                .map(str::to_string),
        );
        rest = &body[end + 1..];
    }
    let ups = if args.contains("__file__") {
        let wrappers = args.matches("dirname(").count() + args.matches(".parent").count();
        wrappers.saturating_sub(1)
    } else {
        0
    } + args.matches("pardir").count();
    if parts.is_empty() && ups == 0 && !args.contains("__file__") {
        return None;
    }
    let mut dir: Vec<String> = vec!["..".to_string(); ups];
    dir.extend(parts);
    Some(if dir.is_empty() {
        ".".to_string()
    } else {
        dir.join("/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        dir
    }

    #[test]
    fn a_directory_inside_a_project_belongs_to_it() {
        let t = tree(&["manage.py", "core/views.py", "core/templates/core/a.html"]);
        let root = t.path().to_path_buf();
        assert_eq!(project_root(&root.join("core")), root);
        assert_eq!(project_root(&root.join("core/templates")), root);
        assert_eq!(project_root_of_file(&root.join("core/views.py")), root);
    }

    #[test]
    fn a_reusable_app_with_its_own_pyproject_does_not_stop_the_search() {
        let t = tree(&[
            "manage.py",
            "libs/app/pyproject.toml",
            "libs/app/app/models.py",
        ]);
        let root = t.path().to_path_buf();
        assert_eq!(project_root(&root.join("libs/app/app")), root);
    }

    #[test]
    fn without_a_strong_marker_the_nearest_pyproject_wins_then_the_directory() {
        let t = tree(&["pyproject.toml", "pkg/mod.py", "other/x.py"]);
        let root = t.path().to_path_buf();
        // A temporary directory has no marker above it (no `.git`, no `manage.py`).
        assert_eq!(project_root(&root.join("pkg")), root);
        let bare = tree(&["app/models.py"]);
        assert_eq!(project_root(bare.path()), bare.path());
    }

    #[test]
    fn the_nearest_project_wins_in_a_monorepo() {
        let t = tree(&[".git/HEAD", "backend/manage.py", "backend/shop/views.py"]);
        let root = t.path().to_path_buf();
        assert_eq!(
            project_root(&root.join("backend/shop")),
            root.join("backend")
        );
        assert_eq!(project_root(&root.join("docs")), root);
    }

    #[test]
    fn sys_path_additions_fold_the_usual_forms() {
        let text = r#"
import os, sys
from pathlib import Path
BASE_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(BASE_DIR, "src"))
sys.path.insert(0, os.path.join(BASE_DIR, 'apps', "extra"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.append(str(Path(__file__).resolve().parent / "lib"))
sys.path.append(os.path.join(os.path.dirname(__file__), os.pardir))
sys.path.append(f"{BASE_DIR}/x")
sys.path.append(compute())
"#;
        // `append` calls first, then `insert`; the `os.pardir` form repeats `..`; the f-string
        // and the call are skipped.
        assert_eq!(sys_path_additions(text), ["src", "lib", "..", "apps/extra"]);
        assert!(may_extend_sys_path("manage.py"));
        assert!(may_extend_sys_path("settings_local.py"));
        assert!(!may_extend_sys_path("views.py"));
    }
}
