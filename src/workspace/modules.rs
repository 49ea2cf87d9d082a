//! Where each Python file sits in the import system: the directories imports resolve from
//! (the import roots) and the module names of every file under them. Read from the paths and
//! from the few start-up files that name the settings module or extend `sys.path`.

use rustc_hash::{FxHashMap, FxHashSet};

use super::{
    join_dir, normalise, settings_from_manage, split_dir, FileKind, Snapshot, SourceFile, ENV_ROOT,
};
use crate::diagnostic::FileId;

/// Each file's primary module name and whether it is a package's `__init__.py`, as the
/// analysis will name it: the snapshot's texts are needed only for the start-up files
/// ([`super::keeps_text`]).
pub fn primary_modules(snapshot: &Snapshot) -> Vec<Option<(String, bool)>> {
    let roots = import_roots(snapshot);
    snapshot
        .files
        .iter()
        .map(|f| {
            (f.kind == FileKind::Python)
                .then(|| primary(&roots, &f.path))
                .flatten()
        })
        .collect()
}

/// The primary module name of `path`: the shortest under any root (the first such root).
fn primary(roots: &[String], path: &str) -> Option<(String, bool)> {
    roots
        .iter()
        .filter_map(|root| module_name(root, path))
        .fold(None, |best, m| match best {
            Some(b) if b.0.len() <= m.0.len() => Some(b),
            _ => Some(m),
        })
}

/// Directories from which Python imports resolve: the snapshot root, every directory holding a
/// `manage.py`, `src/` layouts, the directories the project's start-up files add to `sys.path`
/// (`crate::root::sys_path_additions`), and the ancestor of a `manage.py` from which its
/// settings module resolves (a `manage.py` inside its package, run with the parent on the path).
pub(super) fn import_roots(snapshot: &Snapshot) -> Vec<String> {
    let mut roots = vec![String::new()];
    let push = |roots: &mut Vec<String>, dir: &str| {
        if !roots.iter().any(|r| r == dir) {
            roots.push(dir.to_string());
        }
    };
    let mut dirs: FxHashSet<&str> = FxHashSet::default();
    let mut files: FxHashSet<&str> = FxHashSet::default();
    for f in &snapshot.files {
        files.insert(f.path.as_str());
        let mut d = split_dir(&f.path).0;
        while !d.is_empty() && dirs.insert(d) {
            d = split_dir(d).0;
        }
    }
    if snapshot.files.iter().any(SourceFile::in_environment) {
        push(&mut roots, ENV_ROOT);
    }
    for f in snapshot.files.iter().filter(|f| !f.in_environment()) {
        let (dir, name) = split_dir(&f.path);
        if name == "manage.py" {
            push(&mut roots, dir);
            if let Some(module) = settings_from_manage(&f.text) {
                let rel = module.replace('.', "/");
                let resolves = |base: &str| {
                    let join = |s: &str| join_dir(base, s);
                    files.contains(join(&format!("{rel}.py")).as_str())
                        || files.contains(join(&format!("{rel}/__init__.py")).as_str())
                };
                if !resolves(dir) {
                    if let Some(base) = ancestors(dir).find(|a| resolves(a)) {
                        push(&mut roots, base);
                    }
                }
            }
        }
        if crate::root::may_extend_sys_path(name) && f.text.contains("sys.path") {
            for added in crate::root::sys_path_additions(&f.text) {
                let found = std::iter::once(dir)
                    .chain(ancestors(dir))
                    .filter_map(|base| normalise(&join_dir(base, &added)))
                    .find(|d| d.is_empty() || dirs.contains(d.as_str()));
                if let Some(d) = found {
                    push(&mut roots, &d);
                }
            }
        }
        for (i, _) in f.path.match_indices("src/") {
            if i == 0 || f.path.as_bytes()[i - 1] == b'/' {
                push(&mut roots, &f.path[..i + 3]);
            }
        }
    }
    roots
}

/// The proper ancestors of a relative directory, nearest first, ending with the root `""`.
fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    let mut next = (!dir.is_empty()).then(|| split_dir(dir).0);
    std::iter::from_fn(move || {
        let d = next?;
        next = (!d.is_empty()).then(|| split_dir(d).0);
        Some(d)
    })
}

fn module_name(root: &str, path: &str) -> Option<(String, bool)> {
    let rel = if root.is_empty() {
        path
    } else {
        path.strip_prefix(root)?.strip_prefix('/')?
    };
    let stem = rel.strip_suffix(".py")?;
    let mut parts: Vec<&str> = stem.split('/').collect();
    let is_package = parts.last() == Some(&"__init__");
    if is_package {
        parts.pop();
    }
    // A module file's own name may hold `-`: `import_module` (how Django loads migrations and
    // INSTALLED_APPS entries) accepts it, though an `import` statement could not name it.
    let leaf = if is_package {
        None
    } else {
        parts.last().copied()
    };
    if parts.is_empty()
        || parts.iter().any(|p| {
            p.is_empty()
                || p.contains('.')
                || p.contains(' ')
                || (p.contains('-') && Some(*p) != leaf)
        })
    {
        return None;
    }
    Some((parts.join("."), is_package))
}

pub(super) struct ModuleMap {
    pub(super) modules: FxHashMap<String, FileId>,
    pub(super) packages: FxHashMap<String, String>,
    pub(super) regular_packages: FxHashMap<String, FileId>,
    /// Primary module name per file (from the deepest root containing it) and whether it is
    /// a package's `__init__.py`.
    pub(super) primary: Vec<Option<(String, bool)>>,
    /// `(file, X)` for every name `X.models` of a file.
    pub(super) models_modules: Vec<(FileId, String)>,
}

impl ModuleMap {
    pub(super) fn build(snapshot: &Snapshot, roots: &[String]) -> ModuleMap {
        let mut modules = FxHashMap::default();
        let mut packages = FxHashMap::default();
        let mut regular_packages = FxHashMap::default();
        let mut models_modules = Vec::new();
        let mut primary: Vec<Option<(String, bool)>> = vec![None; snapshot.files.len()];
        for (id, f) in snapshot.files.iter().enumerate() {
            if f.kind != FileKind::Python {
                continue;
            }
            for root in roots {
                let Some((module, is_package)) = module_name(root, &f.path) else {
                    continue;
                };
                let (dir, _) = split_dir(&f.path);
                if is_package {
                    regular_packages.entry(module.clone()).or_insert(id);
                    packages
                        .entry(module.clone())
                        .or_insert_with(|| dir.to_string());
                }
                // Every parent is a package (maybe a namespace one).
                let mut parent_dir = dir;
                let mut parent = module.as_str();
                if !is_package {
                    if let Some((p, _)) = parent.rsplit_once('.') {
                        parent = p;
                        packages
                            .entry(parent.to_string())
                            .or_insert_with(|| parent_dir.to_string());
                    }
                }
                while let Some((p, _)) = parent.rsplit_once('.') {
                    parent_dir = split_dir(parent_dir).0;
                    parent = p;
                    packages
                        .entry(parent.to_string())
                        .or_insert_with(|| parent_dir.to_string());
                }
                if let Some(app) = module.strip_suffix(".models") {
                    models_modules.push((id, app.to_string()));
                }
                modules.entry(module.clone()).or_insert(id);
                // The shortest name under any root (the first such root), as [`primary`].
                if primary[id]
                    .as_ref()
                    .is_none_or(|(m, _)| module.len() < m.len())
                {
                    primary[id] = Some((module, is_package));
                }
            }
        }
        ModuleMap {
            modules,
            packages,
            regular_packages,
            primary,
            models_modules,
        }
    }
}
