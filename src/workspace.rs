//! The snapshot the analysis reads (path → text) and the per-file facts computed from it.
//! No I/O here: the CLI fills a [`Snapshot`] from disk, the server from disk plus open buffers.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::diagnostic::FileId;
use crate::facts::FileFacts;
use crate::python::extract_python;
use crate::refs::templates::{extract_template, TemplateFacts};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    Python,
    Template,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path relative to the snapshot root, with `/` separators.
    pub path: String,
    pub text: String,
    pub kind: FileKind,
}

#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
}

impl Snapshot {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Snapshot {
            root: root.into(),
            files: Vec::new(),
        }
    }

    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        let path: String = path.into();
        let kind = if path.ends_with(".py") || path.ends_with(".pyi") {
            FileKind::Python
        } else {
            FileKind::Template
        };
        self.files.push(SourceFile {
            path,
            text: text.into(),
            kind,
        });
        self.files.len() - 1
    }
}

/// Facts of every file plus the module map used to resolve imports and app packages.
pub struct Workspace {
    pub snapshot: Snapshot,
    pub python: Vec<Option<FileFacts>>,
    pub templates: Vec<Option<TemplateFacts>>,
    /// Dotted module name → file (`blog.models` → `blog/models.py`). A file can have several
    /// names when import roots nest (repo root and `src/`).
    pub modules: FxHashMap<String, FileId>,
    /// Package name → its directory (relative path), including namespace packages.
    pub packages: FxHashMap<String, String>,
    /// Packages that have an `__init__.py` (regular packages).
    pub regular_packages: FxHashMap<String, FileId>,
    pub roots: Vec<String>,
}

/// Directories from which Python imports resolve: the snapshot root, every directory holding a
/// `manage.py`, and `src/` layouts.
fn import_roots(snapshot: &Snapshot) -> Vec<String> {
    let mut roots = vec![String::new()];
    for f in &snapshot.files {
        let (dir, name) = split_dir(&f.path);
        if name == "manage.py" && !roots.iter().any(|r| r == dir) {
            roots.push(dir.to_string());
        }
        for (i, _) in f.path.match_indices("src/") {
            if i == 0 || f.path.as_bytes()[i - 1] == b'/' {
                let dir = &f.path[..i + 3];
                if !roots.iter().any(|r| r == dir) {
                    roots.push(dir.to_string());
                }
            }
        }
    }
    roots
}

pub fn split_dir(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
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
    if parts.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || p.contains('.') || p.contains('-') || p.contains(' '))
    {
        return None;
    }
    Some((parts.join("."), is_package))
}

impl Workspace {
    pub fn build(snapshot: Snapshot) -> Workspace {
        let roots = import_roots(&snapshot);
        let mut modules = FxHashMap::default();
        let mut packages = FxHashMap::default();
        let mut regular_packages = FxHashMap::default();
        // Primary module name per file: from the deepest root containing it.
        let mut primary: Vec<Option<(String, bool)>> = vec![None; snapshot.files.len()];
        for (id, f) in snapshot.files.iter().enumerate() {
            if f.kind != FileKind::Python {
                continue;
            }
            for root in &roots {
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
                modules.entry(module.clone()).or_insert(id);
                let better = match &primary[id] {
                    None => true,
                    Some((m, _)) => module.len() < m.len(),
                };
                if better {
                    primary[id] = Some((module, is_package));
                }
            }
        }
        let python: Vec<Option<FileFacts>> = snapshot
            .files
            .par_iter()
            .enumerate()
            .map(|(id, f)| {
                if f.kind != FileKind::Python {
                    return None;
                }
                let (module, is_package) = primary[id].clone().unwrap_or_default();
                Some(extract_python(id, &f.text, &module, is_package))
            })
            .collect();
        let templates: Vec<Option<TemplateFacts>> = snapshot
            .files
            .par_iter()
            .enumerate()
            .map(|(id, f)| (f.kind == FileKind::Template).then(|| extract_template(id, &f.text)))
            .collect();
        Workspace {
            snapshot,
            python,
            templates,
            modules,
            packages,
            regular_packages,
            roots,
        }
    }

    pub fn facts(&self, module: &str) -> Option<&FileFacts> {
        let id = *self.modules.get(module)?;
        self.python[id].as_ref()
    }

    pub fn module_file(&self, module: &str) -> Option<FileId> {
        self.modules.get(module).copied()
    }

    pub fn path(&self, id: FileId) -> &str {
        &self.snapshot.files[id].path
    }

    pub fn text(&self, id: FileId) -> &str {
        &self.snapshot.files[id].text
    }

    pub fn abs_path(&self, id: FileId) -> PathBuf {
        self.snapshot
            .root
            .join(Path::new(&self.snapshot.files[id].path))
    }
}
