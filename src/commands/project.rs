//! The project a command works on: its root directory, its configuration and its settings
//! module.

use std::path::{Path, PathBuf};

use djperm::config::{self, Config};

/// The directory to analyse for the given paths: a directory itself; for files (what
/// pre-commit passes, relative to the repository root), the project around them: from their
/// common directory up to the nearest one holding a `manage.py`, a `djperm.toml` or `.git`
/// (else the nearest with a `pyproject.toml`, else the working directory).
pub fn project_root(paths: &[PathBuf]) -> Result<PathBuf, String> {
    let mut canonical = Vec::new();
    for p in paths {
        canonical.push(
            p.canonicalize()
                .map_err(|e| format!("{}: {e}", p.display()))?,
        );
    }
    if canonical.is_empty() {
        canonical.push(
            PathBuf::from(".")
                .canonicalize()
                .map_err(|e| format!(".: {e}"))?,
        );
    }
    if canonical.len() == 1 && canonical[0].is_dir() {
        return Ok(canonical.remove(0));
    }
    let dir_of = |p: &PathBuf| {
        if p.is_dir() {
            p.clone()
        } else {
            p.parent().map(Path::to_path_buf).unwrap_or(p.clone())
        }
    };
    let mut common = dir_of(&canonical[0]);
    for p in &canonical[1..] {
        let d = dir_of(p);
        while !d.starts_with(&common) {
            match common.parent() {
                Some(parent) => common = parent.to_path_buf(),
                None => break,
            }
        }
    }
    match marked_ancestor(&common) {
        Some(root) => Ok(root),
        None => std::env::current_dir().map_err(|e| e.to_string()),
    }
}

pub fn load_config(root: &Path, explicit: Option<&Path>) -> Result<Config, String> {
    match explicit {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(config::parse(path, &text)
                .map_err(|e| e.to_string())?
                .unwrap_or_default())
        }
        None => Ok(config::discover(root)
            .map_err(|e| e.to_string())?
            .map(|(_, c)| c)
            .unwrap_or_default()),
    }
}

/// The nearest ancestor of `start` (a directory) holding a `manage.py`, a `djperm.toml` or `.git`
/// (a repository boundary); else the nearest one holding a `pyproject.toml` (a reusable app
/// inside a project has one of its own, so it does not stop the search).
pub fn marked_ancestor(start: &Path) -> Option<PathBuf> {
    let mut pyproject = None;
    for d in start.ancestors() {
        if ["manage.py", "djperm.toml", ".git"]
            .iter()
            .any(|n| d.join(n).exists())
        {
            return Some(d.to_path_buf());
        }
        if pyproject.is_none() && d.join("pyproject.toml").exists() {
            pyproject = Some(d.to_path_buf());
        }
    }
    pyproject
}

/// `path` made absolute and canonical, for a file that may not exist (`--stdin-filename`): its
/// nearest existing ancestor is canonicalised and the rest appended.
pub fn absolute_lenient(path: &Path) -> Result<PathBuf, String> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| e.to_string())?
            .join(path)
    };
    let mut existing = abs.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                existing = parent;
            }
            _ => return Err(format!("{}: no such directory", path.display())),
        }
    }
}

/// `--settings` / `settings =` must name a module that is in the tree (else exit 2).
pub fn check_settings_exists(
    snapshot: &djperm::workspace::Snapshot,
    module: Option<&str>,
) -> Result<(), String> {
    let Some(module) = module else { return Ok(()) };
    let rel = module.replace('.', "/");
    let found = snapshot.files.iter().any(|f| {
        let p = f.path.as_str();
        [format!("{rel}.py"), format!("{rel}/__init__.py")]
            .iter()
            .any(|want| p == want || p.ends_with(&format!("/{want}")))
    });
    if found {
        Ok(())
    } else {
        Err(format!(
            "settings module `{module}` not found in the project"
        ))
    }
}
