//! Applying fixes (ruff's `--fix`, `--unsafe-fixes`, `--diff`).
//!
//! The loop works on the in-memory [`Snapshot`]: choose the applicable fixes whose edits overlap
//! no edit already chosen, apply them, re-analyse the whole project (a fix in one file can change
//! what another file means), and repeat until no applicable fix remains. A Python file whose
//! fixed text no longer parses is put back as it was read and reported. Writing to disk is a
//! separate step ([`write_file`], [`create_file`]): atomic, inside the project root only, never
//! over a file that changed since it was read, and never over an existing file for a file a fix
//! creates (DJP004's migration, [`migration`]).

pub mod migration;
mod noqa;
mod write;

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use crate::config::Config;
use crate::diagnostic::{Applicability, Diagnostic, Edit, FileId, Fix, NewFile};
use crate::workspace::{FileKind, Snapshot, Workspace};
use crate::{analyze, Analysis, Selection};

pub use noqa::add_noqa;
pub use write::{create_file, write_file, WriteError};

/// How many rounds of fix → re-analyse before giving up (ruff uses 100 per file; djperm
/// re-analyses the whole project each round, and its fixes do not cascade deeply).
pub const MAX_ITERATIONS: usize = 10;

/// The least applicability a fix needs to be applied.
pub fn required_applicability(unsafe_fixes: bool) -> Applicability {
    if unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    }
}

/// Whether `fix` is applied under `required` (display-only fixes never are).
pub fn applies(fix: &Fix, required: Applicability) -> bool {
    fix.applicability != Applicability::DisplayOnly && fix.applicability >= required
}

/// Fixes applied, per file (relative path) and rule code: `(rule name, count)`.
pub type FixTable = BTreeMap<String, BTreeMap<&'static str, (&'static str, usize)>>;

/// The total number of fixes in a table.
pub fn fixed_count(table: &FixTable) -> usize {
    table
        .values()
        .flat_map(|t| t.values())
        .map(|(_, n)| n)
        .sum()
}

/// The edits chosen in one round: per file, sorted and pairwise disjoint (not even touching).
#[derive(Debug, Default)]
pub struct Plan {
    pub edits: BTreeMap<FileId, Vec<Edit>>,
    /// Files to create: path → content.
    pub creates: BTreeMap<String, String>,
    /// Indices (into the candidates given to [`plan`]) of the fixes applied, including fixes
    /// identical to one already chosen (applying those again is a no-op).
    pub applied: Vec<usize>,
}

fn conflicts(a: &Edit, b: &Edit) -> bool {
    // Closed intervals: touching edits conflict too (an insertion at the end of another edit
    // has no defined order), as in ruff.
    a.span.file == b.span.file && a.span.start <= b.span.end && b.span.start <= a.span.end
}

fn valid_edit(edit: &Edit, text: Option<&str>) -> bool {
    let Some(text) = text else { return false };
    let (s, e) = (edit.span.start as usize, edit.span.end as usize);
    s <= e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e)
}

/// Choose which fixes to apply: candidates in source order (file, first edit, last edit), each
/// taken when every edit is valid for the text and overlaps no edit already taken, and every
/// file it creates is not created with another content by a fix already taken. A fix with
/// conflicting edits of its own is never taken. Whether a created path exists already is the
/// caller's to check.
pub fn plan<'t>(fixes: &[&Fix], text: impl Fn(FileId) -> Option<&'t str>) -> Plan {
    let mut order: Vec<usize> = (0..fixes.len()).filter(|&i| !fixes[i].is_empty()).collect();
    let key = |f: &Fix| {
        let start = f.edits.iter().map(|e| (e.span.file, e.span.start)).min();
        let end = f.edits.iter().map(|e| (e.span.file, e.span.end)).max();
        (start, end)
    };
    order.sort_by_key(|&i| key(fixes[i]));
    let mut chosen: Vec<Edit> = Vec::new();
    let mut out = Plan::default();
    'fixes: for i in order {
        let fix = fixes[i];
        let mut edits: Vec<&Edit> = fix.edits.iter().collect();
        edits.sort_by_key(|e| (e.span.file, e.span.start, e.span.end));
        if edits.iter().any(|e| !valid_edit(e, text(e.span.file))) {
            continue;
        }
        if edits.windows(2).any(|w| conflicts(w[0], w[1])) {
            continue;
        }
        let new_file_clash = |c: &NewFile| {
            out.creates
                .get(&c.path)
                .is_some_and(|content| *content != c.content)
        };
        if fix.creates.iter().any(new_file_clash)
            || fix.creates.windows(2).any(|w| w[0].path == w[1].path)
        {
            continue;
        }
        if edits.iter().all(|e| chosen.contains(e)) {
            out.creates.extend(
                fix.creates
                    .iter()
                    .map(|c| (c.path.clone(), c.content.clone())),
            );
            out.applied.push(i);
            continue;
        }
        for e in &edits {
            if chosen.iter().any(|c| conflicts(c, e)) {
                continue 'fixes;
            }
        }
        chosen.extend(edits.into_iter().cloned());
        out.creates.extend(
            fix.creates
                .iter()
                .map(|c| (c.path.clone(), c.content.clone())),
        );
        out.applied.push(i);
    }
    for e in chosen {
        out.edits.entry(e.span.file).or_default().push(e);
    }
    for edits in out.edits.values_mut() {
        edits.sort_by_key(|e| (e.span.start, e.span.end));
    }
    out
}

/// Apply sorted, disjoint edits to `text`.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0usize;
    for e in edits {
        let (s, end) = (e.span.start as usize, e.span.end as usize);
        out.push_str(&text[last..s]);
        out.push_str(&e.content);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// Whether `text` parses as Python (djperm's own front end decides).
pub fn python_parses(text: &str) -> bool {
    crate::python::extract_python(0, text, "", false)
        .syntax_error
        .is_none()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixProblem {
    /// The fixes for this file would have produced Python that does not parse: the file was
    /// put back as it was read and no fix of it is applied.
    SyntaxError { path: String, error: String },
    /// Applicable fixes remained after [`MAX_ITERATIONS`] rounds (or a round changed nothing).
    NotConverged {
        iterations: usize,
        codes: Vec<String>,
    },
}

impl std::fmt::Display for FixProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FixProblem::SyntaxError { path, error } => write!(
                f,
                "fixes for {path} would introduce a syntax error ({error}); the file is left unchanged. This is a bug in djperm: please report it"
            ),
            FixProblem::NotConverged { iterations, codes } => write!(
                f,
                "fixes did not converge after {iterations} iteration{} (still fixable: {}). This is a bug in djperm: please report it",
                if *iterations == 1 { "" } else { "s" },
                codes.join(", ")
            ),
        }
    }
}

/// The result of [`fix_snapshot`].
pub struct FixOutcome {
    /// The last analysis: its snapshot holds the fixed texts, its diagnostics what remains.
    pub analysis: Analysis,
    /// Every file's text as it was given (as read from disk), by file id.
    pub original: Vec<String>,
    pub fixed: FixTable,
    pub iterations: usize,
    pub problems: Vec<FixProblem>,
}

impl FixOutcome {
    /// Files whose text the fixes changed.
    pub fn changed(&self) -> Vec<FileId> {
        (0..self.original.len())
            .filter(|&id| self.analysis.ws.text(id) != self.original[id])
            .collect()
    }

    /// Files the fixes created (they follow the files given, in the order created).
    pub fn created(&self) -> Vec<FileId> {
        (self.original.len()..self.analysis.ws.snapshot.files.len()).collect()
    }

    pub fn fixed_count(&self) -> usize {
        fixed_count(&self.fixed)
    }
}

/// Analyse `snapshot`, then apply every fix that applies under `required` to the diagnostics
/// `keep` accepts, re-analysing until none remains (at most [`MAX_ITERATIONS`] rounds).
pub fn fix_snapshot(
    snapshot: Snapshot,
    config: &Config,
    selection: &Selection,
    required: Applicability,
    keep: &dyn Fn(&Workspace, &Diagnostic) -> bool,
) -> FixOutcome {
    fix_with(snapshot, required, keep, &mut |s| {
        analyze(s, config, selection)
    })
}

/// [`fix_snapshot`] with the analysis given as a function (tests inject broken fixes with it).
pub fn fix_with(
    snapshot: Snapshot,
    required: Applicability,
    keep: &dyn Fn(&Workspace, &Diagnostic) -> bool,
    analyze: &mut dyn FnMut(Snapshot) -> Analysis,
) -> FixOutcome {
    let original: Vec<String> = snapshot.files.iter().map(|f| f.text.clone()).collect();
    let mut analysis = analyze(snapshot);
    // Files that did not parse to begin with are never edited.
    let mut blocked: FxHashSet<FileId> = analysis
        .ws
        .python
        .iter()
        .enumerate()
        .filter(|(_, f)| f.as_ref().is_some_and(|f| f.syntax_error.is_some()))
        .map(|(id, _)| id)
        .collect();
    let mut fixed = FixTable::new();
    let mut problems = Vec::new();
    let mut iterations = 0;
    // Directories a fix created a file in: at most one new file each per run (a fix whose file
    // did not clear its finding must not write another next round).
    let mut created_in: FxHashSet<String> = FxHashSet::default();
    loop {
        // A fix never creates a file the snapshot has (nor one it created in an earlier round).
        let exists: FxHashSet<&str> = analysis
            .ws
            .snapshot
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        let candidates: Vec<&Diagnostic> = analysis
            .diagnostics
            .iter()
            .filter(|d| {
                d.fix.as_ref().is_some_and(|f| {
                    applies(f, required)
                        && f.edits.iter().all(|e| !blocked.contains(&e.span.file))
                        && f.creates.iter().all(|c| {
                            !exists.contains(c.path.as_str())
                                && !created_in.contains(parent(&c.path))
                        })
                }) && keep(&analysis.ws, d)
            })
            .collect();
        if candidates.is_empty() {
            break;
        }
        let codes = || {
            let mut c: Vec<String> = candidates.iter().map(|d| d.code.to_string()).collect();
            c.sort();
            c.dedup();
            c
        };
        if iterations == MAX_ITERATIONS {
            problems.push(FixProblem::NotConverged {
                iterations,
                codes: codes(),
            });
            break;
        }
        iterations += 1;
        let fixes: Vec<&Fix> = candidates.iter().map(|d| d.fix.as_ref().unwrap()).collect();
        let ws = &analysis.ws;
        let plan = plan(&fixes, |id| {
            (id < ws.snapshot.files.len()).then(|| ws.text(id))
        });
        let mut round: Vec<(String, &'static str, &'static str)> = plan
            .applied
            .iter()
            .map(|&i| {
                let d = candidates[i];
                (ws.path(d.span.file).to_string(), d.code, d.name)
            })
            .collect();
        let no_change = plan.creates.is_empty()
            && plan.edits.iter().all(|(&id, edits)| {
                let text = ws.text(id);
                edits.iter().all(|e| {
                    text.get(e.span.start as usize..e.span.end as usize) == Some(e.content.as_str())
                })
            });
        if no_change {
            problems.push(FixProblem::NotConverged {
                iterations,
                codes: codes(),
            });
            break;
        }
        let Analysis { ws, .. } = analysis;
        let mut snapshot = ws.snapshot;
        for (id, edits) in &plan.edits {
            let file = &mut snapshot.files[*id];
            let new = apply_edits(&file.text, edits);
            if file.kind == FileKind::Python && !python_parses(&new) {
                let error = crate::python::extract_python(0, &new, "", false)
                    .syntax_error
                    .map(|(_, e)| e)
                    .unwrap_or_default();
                problems.push(FixProblem::SyntaxError {
                    path: file.path.clone(),
                    error,
                });
                file.replace_text(original[*id].clone());
                blocked.insert(*id);
                fixed.remove(&file.path);
                let path = file.path.clone();
                round.retain(|(p, _, _)| *p != path);
                continue;
            }
            file.replace_text(new);
        }
        for (path, content) in plan.creates {
            if path.ends_with(".py") && !python_parses(&content) {
                problems.push(FixProblem::SyntaxError {
                    path,
                    error: "in the file a fix creates".to_string(),
                });
                round.clear();
                continue;
            }
            created_in.insert(parent(&path).to_string());
            snapshot.add(path, content);
        }
        for (path, code, name) in round {
            fixed
                .entry(path)
                .or_default()
                .entry(code)
                .or_insert((name, 0))
                .1 += 1;
        }
        analysis = analyze(snapshot);
    }
    FixOutcome {
        analysis,
        original,
        fixed,
        iterations,
        problems,
    }
}

/// The directory part of a relative path (`""` at the root).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// A unified diff of one file (ruff's `--diff`): headers name the path both sides.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    diff_with_headers(path, path, old, new)
}

/// The diff of a file a fix creates: from `/dev/null` (as git shows a new file).
pub fn new_file_diff(path: &str, content: &str) -> String {
    diff_with_headers("/dev/null", path, "", content)
}

fn diff_with_headers(old_path: &str, new_path: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(old_path, new_path)
        .to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Span;

    fn edit(start: u32, end: u32, content: &str) -> Edit {
        Edit {
            span: Span::new(0, start, end),
            content: content.to_string(),
        }
    }

    fn fix(edits: Vec<Edit>) -> Fix {
        Fix {
            creates: Vec::new(),
            applicability: Applicability::Safe,
            message: String::new(),
            edits,
        }
    }

    fn run(text: &str, fixes: &[Fix]) -> (String, Vec<usize>) {
        let refs: Vec<&Fix> = fixes.iter().collect();
        let p = plan(&refs, |id| (id == 0).then_some(text));
        let edits = p.edits.get(&0).cloned().unwrap_or_default();
        (apply_edits(text, &edits), p.applied)
    }

    #[test]
    fn overlapping_fixes_are_skipped_and_the_rest_applied() {
        let text = "abcdefghij";
        let fixes = [
            fix(vec![edit(2, 5, "X")]), // cde
            fix(vec![edit(4, 6, "Y")]), // overlaps the first
            fix(vec![edit(7, 8, "Z")]), // h
            fix(vec![edit(5, 5, "I")]), // touches the first: skipped too
        ];
        let (out, applied) = run(text, &fixes);
        assert_eq!(out, "abXfgZij");
        assert_eq!(applied, vec![0, 2]);
    }

    #[test]
    fn a_fix_with_an_edit_overlapping_a_chosen_one_is_skipped_whole() {
        let text = "0123456789";
        let fixes = [
            fix(vec![edit(1, 2, "a"), edit(8, 9, "b")]),
            fix(vec![edit(4, 5, "c"), edit(8, 8, "d")]),
        ];
        let (out, applied) = run(text, &fixes);
        assert_eq!(out, "0a234567b9");
        assert_eq!(applied, vec![0]);
    }

    #[test]
    fn identical_fixes_apply_once() {
        let text = "has_perms('a.b')";
        let f = fix(vec![edit(10, 15, "('a.b',)")]);
        let (out, applied) = run(text, &[f.clone(), f]);
        assert_eq!(out, "has_perms(('a.b',))");
        assert_eq!(applied.len(), 2);
    }

    #[test]
    fn invalid_edits_are_never_applied() {
        let text = "é";
        let fixes = [
            fix(vec![edit(1, 2, "x")]),  // inside a character
            fix(vec![edit(0, 10, "x")]), // past the end
            fix(vec![edit(2, 1, "x")]),  // reversed
            fix(vec![]),
        ];
        let (out, applied) = run(text, &fixes);
        assert_eq!(out, "é");
        assert!(applied.is_empty());
    }

    #[test]
    fn applicability_levels() {
        let mut f = fix(vec![edit(0, 0, "")]);
        let safe = required_applicability(false);
        let unsafe_ = required_applicability(true);
        assert!(applies(&f, safe) && applies(&f, unsafe_));
        f.applicability = Applicability::Unsafe;
        assert!(!applies(&f, safe) && applies(&f, unsafe_));
        f.applicability = Applicability::DisplayOnly;
        assert!(!applies(&f, safe) && !applies(&f, unsafe_));
    }

    /// `make_fix` builds from the current text.
    fn injected(text: &str, make_fix: impl Fn(&str) -> Option<Fix> + Copy) -> FixOutcome {
        let mut snapshot = Snapshot::new("/nonexistent");
        snapshot.add("app/views.py", text);
        let rule = crate::rules::rule("DJP006").unwrap();
        fix_with(snapshot, Applicability::Safe, &|_, _| true, &mut |s| {
            let mut a = analyze(s, &Config::default(), &Selection::default());
            if let Some(fix) = make_fix(a.ws.text(0)) {
                a.diagnostics.push(
                    Diagnostic::new(rule, crate::diagnostic::Span::new(0, 0, 1), "injected")
                        .with_fix(Some(fix)),
                );
            }
            a
        })
    }

    #[test]
    fn a_fix_that_breaks_python_is_reverted_and_reported() {
        let out = injected("x = 1\n", |t| {
            t.starts_with("x = 1").then(|| fix(vec![edit(4, 5, "(")]))
        });
        assert_eq!(out.analysis.ws.text(0), "x = 1\n");
        assert!(out.changed().is_empty());
        assert_eq!(out.fixed_count(), 0);
        assert!(
            matches!(&out.problems[..], [FixProblem::SyntaxError { path, .. }] if path == "app/views.py"),
            "{:?}",
            out.problems
        );
    }

    #[test]
    fn fixes_loop_until_none_applies() {
        // Each round turns one `a` into `b`: three rounds, then nothing applies.
        let out = injected("x = 'aaa'\n", |t| {
            t.find('a')
                .map(|i| fix(vec![edit(i as u32, i as u32 + 1, "b")]))
        });
        assert_eq!(out.analysis.ws.text(0), "x = 'bbb'\n");
        assert_eq!(out.iterations, 3);
        assert_eq!(out.fixed_count(), 3);
        assert!(out.problems.is_empty());
        assert_eq!(out.changed(), vec![0]);
    }

    #[test]
    fn a_fix_creates_one_file_per_directory_and_run() {
        // A fix that keeps asking for one more file (as if its file never cleared the finding).
        use std::sync::atomic::{AtomicUsize, Ordering};
        static ROUND: AtomicUsize = AtomicUsize::new(2);
        let out = injected("x = 1\n", |_| {
            let n = ROUND.fetch_add(1, Ordering::Relaxed);
            Some(Fix {
                applicability: Applicability::Safe,
                message: String::new(),
                edits: Vec::new(),
                creates: vec![NewFile {
                    path: format!("app/migrations/{n:04}_x.py"),
                    content: "x = 2\n".to_string(),
                }],
            })
        });
        assert_eq!(out.created().len(), 1);
        assert_eq!(
            out.analysis.ws.path(out.created()[0]),
            "app/migrations/0002_x.py"
        );
        assert!(out.problems.is_empty(), "{:?}", out.problems);
    }

    #[test]
    fn non_convergence_is_reported() {
        // A fix that always applies (it keeps inserting).
        let out = injected("x = 1\n", |_| Some(fix(vec![edit(0, 0, "#")])));
        assert_eq!(out.iterations, MAX_ITERATIONS);
        assert!(matches!(
            &out.problems[..],
            [FixProblem::NotConverged { .. }]
        ));
        // A fix that changes nothing stops at once.
        let out = injected("x = 1\n", |_| Some(fix(vec![edit(4, 5, "1")])));
        assert_eq!(out.iterations, 1);
        assert!(matches!(
            &out.problems[..],
            [FixProblem::NotConverged { .. }]
        ));
    }

    #[test]
    fn diff_has_ruff_headers() {
        let d = unified_diff("app/views.py", "a\nb\n", "a\nc\n");
        assert!(d.starts_with("--- app/views.py\n+++ app/views.py\n@@ -1,2 +1,2 @@\n"));
        assert!(d.contains("-b\n+c\n"), "{d}");
        assert_eq!(unified_diff("x", "same\n", "same\n"), "");
    }
}
