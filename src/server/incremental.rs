//! Rebuilding a [`Workspace`] after an edit without re-parsing the files that did not change.
//!
//! Per-file facts are a pure function of (file id, text, module name, is-package), so the facts
//! of a file whose id, path, module and text are the same as in the previous analysis are
//! reused. The module maps depend on paths only: they come from `Workspace::build` on a copy of
//! the snapshot without texts (empty files parse in no time), which keeps the one definition of
//! import roots and module names in `workspace.rs`. A test checks that the result equals
//! `Workspace::build` on every fixture project.

use rayon::prelude::*;

use crate::facts::FileFacts;
use crate::python::extract_python;
use crate::refs::templates::{extract_template, TemplateFacts};
use crate::workspace::{split_dir, FileKind, Snapshot, SourceFile, Workspace};

/// The workspace of `snapshot`, reusing the facts of `previous` where nothing changed. Also
/// returns how many files were (re)parsed.
pub fn build(snapshot: Snapshot, previous: Option<&Workspace>) -> (Workspace, usize) {
    let skeleton = Snapshot {
        root: snapshot.root.clone(),
        files: snapshot
            .files
            .iter()
            .map(|f| SourceFile {
                path: f.path.clone(),
                text: String::new(),
                kind: f.kind.clone(),
            })
            .collect(),
    };
    let mut ws = Workspace::build(skeleton);
    let unchanged = |id: usize, f: &SourceFile| {
        previous.is_some_and(|p| {
            p.snapshot
                .files
                .get(id)
                .is_some_and(|old| old.path == f.path && old.kind == f.kind && old.text == f.text)
        })
    };
    // Deep stacks: generated code nests thousands deep (see `with_big_stacks`).
    let python: Vec<(Option<FileFacts>, bool)> = crate::with_big_stacks(|| {
        snapshot
            .files
            .par_iter()
            .enumerate()
            .map(|(id, f)| {
                if f.kind != FileKind::Python {
                    return (None, false);
                }
                let module = ws.python[id]
                    .as_ref()
                    .map(|facts| facts.module.as_str())
                    .unwrap_or_default();
                if unchanged(id, f) {
                    if let Some(Some(old)) = previous.map(|p| &p.python[id]) {
                        if old.module == module {
                            return (Some(old.clone()), false);
                        }
                    }
                }
                let is_package = !module.is_empty() && split_dir(&f.path).1 == "__init__.py";
                (Some(extract_python(id, &f.text, module, is_package)), true)
            })
            .collect()
    });
    let templates: Vec<(Option<TemplateFacts>, bool)> = snapshot
        .files
        .par_iter()
        .enumerate()
        .map(|(id, f)| {
            if f.kind != FileKind::Template {
                return (None, false);
            }
            if unchanged(id, f) {
                if let Some(Some(old)) = previous.map(|p| &p.templates[id]) {
                    return (Some(old.clone()), false);
                }
            }
            (Some(extract_template(id, &f.text)), true)
        })
        .collect();
    let parsed =
        python.iter().filter(|(_, p)| *p).count() + templates.iter().filter(|(_, p)| *p).count();
    ws.python = python.into_iter().map(|(f, _)| f).collect();
    ws.templates = templates.into_iter().map(|(f, _)| f).collect();
    ws.snapshot = snapshot;
    (ws, parsed)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::build;
    use crate::config::Config;
    use crate::workspace::{FileKind, Snapshot};
    use crate::{analyze, analyze_workspace, discover, Selection};

    fn fixtures() -> Vec<std::path::PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects");
        let mut dirs: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("example"));
        dirs.sort();
        dirs
    }

    fn diagnostics(a: &crate::Analysis) -> Vec<String> {
        a.diagnostics
            .iter()
            .map(|d| format!("{:?} {} {}", d.span, d.code, d.message))
            .collect()
    }

    /// Cold, warm (nothing changed) and after an edit, the incremental workspace gives the
    /// diagnostics and permission index that a full build gives.
    #[test]
    fn same_as_a_full_build() {
        let config = Config::default();
        let selection = Selection::default();
        let mut edits_that_mattered = 0;
        for dir in fixtures() {
            let (snapshot, _) = discover::load(&dir, &[]);
            let full = analyze(snapshot.clone(), &config, &selection);
            let (cold, parsed) = build(snapshot.clone(), None);
            let readable = snapshot
                .files
                .iter()
                .filter(|f| f.kind != FileKind::Fixture)
                .count();
            assert_eq!(parsed, readable, "{}", dir.display());
            let cold = analyze_workspace(cold, &config, &selection);
            assert_eq!(diagnostics(&cold), diagnostics(&full), "{}", dir.display());
            let (warm, parsed) = build(snapshot.clone(), Some(&cold.ws));
            assert_eq!(parsed, 0);
            let warm = analyze_workspace(warm, &config, &selection);
            assert_eq!(diagnostics(&warm), diagnostics(&full), "{}", dir.display());

            // Edit one models.py: only it is parsed again.
            let mut edited: Snapshot = snapshot.clone();
            let Some(models) = edited
                .files
                .iter_mut()
                .find(|f| f.path.ends_with("models.py"))
            else {
                continue;
            };
            models.text = models.text.replace(
                "class Meta:",
                "class Meta:\n        permissions = [(\"can_zap\", \"Zap\")]",
            );
            let (inc, parsed) = build(edited.clone(), Some(&warm.ws));
            assert!(parsed <= 1);
            let inc = analyze_workspace(inc, &config, &selection);
            let full = analyze(edited, &config, &selection);
            assert_eq!(diagnostics(&inc), diagnostics(&full), "{}", dir.display());
            let perms = |a: &crate::Analysis| -> Vec<String> {
                let mut v: Vec<String> = a.index.projects[0]
                    .perms
                    .iter()
                    .map(|p| format!("{} {:?} {:?}", p.perm(), p.source, p.span))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(perms(&inc), perms(&full), "{}", dir.display());
            edits_that_mattered += usize::from(perms(&inc).iter().any(|p| p.contains(".can_zap ")));
        }
        assert!(edits_that_mattered > 0);
    }
}
