//! One Python file's new text in a built workspace, without building it again (the language
//! server's edit path).
//!
//! Facts split in two. What other files and the index read of a file: its definitions
//! (constants, imports, classes, functions, helpers, rows, migration and settings facts, the
//! syntax error…) and the modules its references name (the closure opens them). And what
//! stays inside the file: its references' values and spans, its stale checks, its noqa
//! comments. The index reads only the first part (`index/` never reads references), the
//! closure reads the first part and the modules of the second, and every other file's
//! resolved references read only the first part. So when an edit leaves the first part of a
//! file's facts byte-identical, the module map, the parsed files and the index of a fresh
//! build are those of the previous build, and only the file's own facts change.

use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use rustc_hash::FxHashMap;

use super::prefilter::{self, Need, Scope};
use super::{import_roots, split_dir, FileKind, Workspace};
use crate::diagnostic::FileId;
use crate::facts::FileFacts;
use crate::python::extract_python;
use crate::value::{CompactString, Value};

/// At most this many changed files go the edit path (each is checked on its own).
const MAX_EDITED: usize = 8;

impl Workspace {
    /// This workspace for the snapshot whose files are `files` (relative path → text, in the
    /// order of this snapshot's files; the environment's files after them are kept), when only
    /// texts of Python files changed and no change reaches what the index or other files read:
    /// then the module map, the parsed files and the index are those of a fresh build.
    ///
    /// Also `Some` when the definitions of a changed file only moved (a line added above
    /// them): the second value lists those files, and the index is a fresh build's only if it
    /// holds no span of them (the caller checks, [`crate::index_mentions`]).
    pub fn edited(&self, files: &[(&str, &str)], scope: Scope) -> Option<(Workspace, Vec<FileId>)> {
        self.edited_files(files, &self.changed(files)?, scope)
    }

    /// [`Workspace::edited`] when the caller already knows the changed files
    /// ([`Workspace::changed`]).
    pub fn edited_files(
        &self,
        files: &[(&str, &str)],
        changed: &[FileId],
        scope: Scope,
    ) -> Option<(Workspace, Vec<FileId>)> {
        // Copying the workspace and parsing the changed files go side by side.
        let (ws, facts) = rayon::join(
            || self.share(),
            || {
                changed
                    .par_iter()
                    .map(|&id| self.reparsed(id, files[id].1, scope))
                    .collect::<Option<Vec<(FileFacts, bool)>>>()
            },
        );
        let mut ws = ws;
        let mut moved = Vec::new();
        for (&id, (facts, shifted)) in changed.iter().zip(facts?) {
            if shifted {
                moved.push(id);
            }
            let file = &mut ws.snapshot.files[id];
            file.replace_text(files[id].1.to_string());
            ws.python[id] = Some(Arc::new(facts));
            ws.scans.forget(id);
        }
        (import_roots(&ws.snapshot) == ws.roots).then_some((ws, moved))
    }

    /// The files whose text differs in `files` (as for [`Workspace::edited`]), when the files
    /// are the same (at most a few changed); `None` otherwise.
    pub fn changed(&self, files: &[(&str, &str)]) -> Option<Vec<FileId>> {
        let old = &self.snapshot.files;
        // The environment's files come after the project's and only change with a reload.
        if old.len() < files.len() || old[files.len()..].iter().any(|f| !f.in_environment()) {
            return None;
        }
        let mut changed = Vec::new();
        for (id, ((path, text), f)) in files.iter().zip(old).enumerate() {
            if *path != f.path || f.in_environment() {
                return None;
            }
            if *text != f.text {
                changed.push(id);
                if changed.len() > MAX_EDITED {
                    return None;
                }
            }
        }
        Some(changed)
    }

    /// The facts of the Python file `id` with the text `text`, when replacing its text gives
    /// exactly what a fresh build of the new snapshot gives (with the import roots unchanged,
    /// which the caller checks) and leaves the index's inputs as they were: the file was parsed
    /// before, the pre-filter (for `scope`) answers the same for both texts, and the part of
    /// its facts other files and the index read ([`outside_view`]) is unchanged, or only its
    /// spans moved (then `true`).
    fn reparsed(&self, id: FileId, text: &str, scope: Scope) -> Option<(FileFacts, bool)> {
        let file = self.snapshot.files.get(id)?;
        let old = self.python.get(id)?.as_deref()?;
        if file.kind != FileKind::Python || file.on_disk || self.snapshot.lean {
            return None;
        }
        if let Some(scope) = super::prefilter(scope) {
            let before = prefilter::python_need(&file.path, file.text.as_bytes(), scope);
            let after = prefilter::python_need(&file.path, text.as_bytes(), scope);
            if before != after || after == Need::Skip {
                return None;
            }
        }
        let is_package = split_dir(&file.path).1 == "__init__.py";
        let (facts, before) = rayon::join(
            || extract_python(id, text, &old.module, is_package),
            || outside_view(old),
        );
        if outside_view(&facts) == before {
            return Some((facts, false));
        }
        let (now, then) =
            crate::diagnostic::without_spans(|| (outside_view(&facts), outside_view(old)));
        (now == then).then_some((facts, true))
    }

    /// A copy of this workspace sharing its facts (texts are copied; lines are indexed again
    /// on use).
    pub fn share(&self) -> Workspace {
        let n = self.snapshot.files.len();
        Workspace {
            snapshot: self.snapshot.clone(),
            python: self.python.clone(),
            templates: self.templates.clone(),
            modules: self.modules.clone(),
            packages: self.packages.clone(),
            regular_packages: self.regular_packages.clone(),
            roots: self.roots.clone(),
            line_index: (0..n).map(|_| std::sync::OnceLock::new()).collect(),
            disk_text: (0..n).map(|_| std::sync::OnceLock::new()).collect(),
            scans: self.scans.copy(),
        }
    }
}

/// What other files, the closure and the index read of a file's facts, serialised: the facts
/// without their references, stale checks and noqa comments, plus the modules (and names in
/// them) the references name. The pattern names every field, so a field added to the facts
/// must be placed on one side or the other.
pub fn outside_view(facts: &FileFacts) -> Option<Vec<u8>> {
    let FileFacts {
        module,
        syntax_error,
        constants,
        star_imports,
        imports,
        imported_modules,
        classes,
        perm_rows,
        rules_perms,
        references,
        stale_checks: _,
        has_run_python,
        calls_create_permissions,
        create_permissions_labels,
        run_python,
        granted_queries,
        nested_functions,
        as_view_classes,
        functions,
        module_calls,
        conditional,
        type_checking,
        migrate_time,
        migrate_hooks,
        noqa: _,
        helpers,
    } = facts;
    let mut demands: Vec<(&[CompactString], &[CompactString])> = Vec::new();
    for r in references {
        let mut values: Vec<&Value> = vec![&r.value.value];
        values.extend(r.class_bases.iter().chain(r.callee.as_deref()));
        if let Some(l) = &r.lookup {
            values.extend(l.codename.iter().chain(&l.codename_in).map(|i| &i.value));
            values.extend(l.app_label.iter().chain(&l.model));
        }
        for v in values {
            named_modules(v, &mut demands);
        }
    }
    demands.sort_unstable();
    demands.dedup();
    let definitions = (
        (module, syntax_error, constants, star_imports, imports),
        (imported_modules, classes, perm_rows, rules_perms),
        (
            has_run_python,
            calls_create_permissions,
            create_permissions_labels,
        ),
        (
            run_python,
            granted_queries,
            nested_functions,
            as_view_classes,
        ),
        (functions, module_calls, conditional, type_checking),
        (migrate_time, migrate_hooks, helpers),
    );
    postcard::to_allocvec(&(definitions, demands)).ok()
}

/// Every `Ref`/`StarRef` inside a value: (modules, path).
fn named_modules<'a>(value: &'a Value, out: &mut Vec<(&'a [CompactString], &'a [CompactString])>) {
    match value {
        Value::Ref { module, path } => out.push((std::slice::from_ref(module), path)),
        Value::StarRef { modules, path } => out.push((modules, path)),
        Value::Concat(parts) => parts.iter().for_each(|p| named_modules(p, out)),
        Value::Seq(items) => items.iter().for_each(|i| named_modules(&i.value, out)),
        Value::Dict(items) => items.iter().for_each(|(k, v)| {
            named_modules(k, out);
            named_modules(&v.value, out);
        }),
        Value::Call(call) => {
            call.on.iter().for_each(|o| named_modules(o, out));
            call.args.iter().for_each(|i| named_modules(&i.value, out));
            call.kwargs
                .iter()
                .for_each(|(_, i)| named_modules(&i.value, out));
        }
        _ => {}
    }
}

/// Results of scanning one file's text, keyed by the file and a hash of everything else the
/// result depends on (what was searched for, and where in the file not to look): a rule that
/// scans every text (DJP030) scans again after an edit only the edited file.
#[derive(Default)]
pub struct ScanMemo(Mutex<Scans>);

/// (file, key) → the scan's result.
type Scans = FxHashMap<(FileId, u64), Arc<Vec<usize>>>;

impl ScanMemo {
    fn lock(&self) -> std::sync::MutexGuard<'_, Scans> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The result for `file` and `key`, computed by `scan` the first time.
    pub fn get_or(
        &self,
        file: FileId,
        key: u64,
        scan: impl FnOnce() -> Vec<usize>,
    ) -> Arc<Vec<usize>> {
        if let Some(found) = self.lock().get(&(file, key)) {
            return found.clone();
        }
        let found = Arc::new(scan());
        self.lock().insert((file, key), found.clone());
        found
    }

    fn copy(&self) -> ScanMemo {
        ScanMemo(Mutex::new(self.lock().clone()))
    }

    fn forget(&self, file: FileId) {
        self.lock().retain(|(f, _), _| *f != file);
    }
}
