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
        if STRONG_MARKERS.iter().any(|n| d.join(n).exists()) {
            return d.to_path_buf();
        }
        if weak.is_none() && WEAK_MARKERS.iter().any(|n| d.join(n).exists()) {
            weak = Some(d.to_path_buf());
        }
    }
    weak.unwrap_or_else(|| dir.to_path_buf())
}

/// The project around a file: [`project_root`] of its directory.
pub fn project_root_of_file(file: &Path) -> PathBuf {
    project_root(file.parent().unwrap_or(file))
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
}
