//! Fix invariants (ruff's): on every fixture project, applying all fixes (unsafe included)
//! converges, introduces no syntax error, and applying them again changes nothing. Plus the CLI
//! surface: `--fix`, `--unsafe-fixes`, `--diff`, `--show-fixes`, `--exit-non-zero-on-fix`.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use djperm::diagnostic::Applicability;
use djperm::{discover, fix, Selection};

fn djperm() -> Command {
    Command::cargo_bin("djperm").unwrap()
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("example")
}

/// A copy of `src` in a fresh temporary directory (returned with the copy's path).
fn copy_project(src: &Path) -> (tempfile::TempDir, PathBuf) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() == "__pycache__" {
                    continue;
                }
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(src.file_name().unwrap());
    copy(src, &root);
    (dir, root.canonicalize().unwrap())
}

fn read_all(root: &Path) -> std::collections::BTreeMap<String, String> {
    let (snapshot, _) = discover::load(root, &[]);
    snapshot
        .files
        .into_iter()
        .map(|f| (f.path, f.text))
        .collect()
}

/// Apply every fix to `root` on disk (through the library, as the CLI does). Returns the number
/// of fixes applied and the files changed.
fn fix_on_disk(root: &Path) -> (usize, Vec<String>) {
    let config = djperm::config::discover(root)
        .ok()
        .flatten()
        .map(|(_, c)| c)
        .unwrap_or_default();
    let (snapshot, _) = discover::load(root, &config.exclude);
    let outcome = fix::fix_snapshot(
        snapshot,
        &config,
        &Selection::from_config(&config),
        Applicability::Unsafe,
        &|_, _| true,
    );
    assert!(
        outcome.problems.is_empty(),
        "{}: {:?}",
        root.display(),
        outcome.problems
    );
    // Converged: nothing applicable remains.
    let left: Vec<_> = outcome
        .analysis
        .diagnostics
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| fix::applies(f, Applicability::Unsafe))
        })
        .map(|d| d.to_string())
        .collect();
    assert!(
        left.is_empty(),
        "{}: fixes remain after fixing: {left:?}",
        root.display()
    );
    let ws = &outcome.analysis.ws;
    let mut changed = Vec::new();
    for id in outcome.changed() {
        let path = ws.path(id).to_string();
        if path.ends_with(".py") {
            assert!(
                fix::python_parses(ws.text(id)),
                "{}: fixing {path} introduced a syntax error:\n{}",
                root.display(),
                ws.text(id)
            );
        }
        fix::write_file(root, &path, &outcome.original[id], ws.text(id)).unwrap();
        changed.push(path);
    }
    for id in outcome.created() {
        let path = ws.path(id).to_string();
        assert!(fix::python_parses(ws.text(id)), "{path}");
        fix::create_file(root, &path, ws.text(id)).unwrap();
        changed.push(path);
    }
    (outcome.fixed_count(), changed)
}

#[test]
fn all_fixes_converge_on_every_fixture_project_and_reapplying_changes_nothing() {
    let mut total = 0;
    let python = Some(common::python())
        .filter(|p| p.exists())
        .or_else(|| which("python3"));
    for dir in common::project_dirs().into_iter().chain([example()]) {
        let (_tmp, root) = copy_project(&dir);
        let before = read_all(&root);
        let (fixed, changed) = fix_on_disk(&root);
        total += fixed;
        // Fixed counts and changed files agree.
        assert_eq!(fixed > 0, !changed.is_empty(), "{}", dir.display());
        // Idempotence: a second run finds nothing to fix and changes no byte.
        let after = read_all(&root);
        let (again, changed_again) = fix_on_disk(&root);
        assert_eq!(
            (again, changed_again.len()),
            (0, 0),
            "{}: second run fixed {changed_again:?}",
            dir.display()
        );
        assert_eq!(after, read_all(&root));
        // Only the files reported as changed (or created) differ from the copy.
        for (path, new) in &after {
            assert_eq!(
                before.get(path) != Some(new),
                changed.contains(path),
                "{}: {path}",
                dir.display()
            );
        }
        // The real Python parser agrees that every fixed file parses.
        let fixed_py: Vec<PathBuf> = changed
            .iter()
            .filter(|p| p.ends_with(".py"))
            .map(|p| root.join(p))
            .collect();
        if let (Some(python), false) = (&python, fixed_py.is_empty()) {
            let out = std::process::Command::new(python)
                .arg("-c")
                .arg("import ast, sys\nfor f in sys.argv[1:]:\n    ast.parse(open(f, encoding='utf-8').read(), f)\n")
                .args(&fixed_py)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    assert!(total > 0, "no fixture exercised a fix");
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

#[test]
fn diff_of_the_example_writes_nothing_and_exits_1() {
    let before = read_all(&example());
    for (name, extra) in [
        ("fix__example_diff", &[][..]),
        ("fix__example_diff_unsafe", &["--unsafe-fixes"][..]),
    ] {
        let out = djperm()
            .args(["check", "--diff", "."])
            .args(extra)
            .current_dir(example())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let text = format!("{stdout}----- stderr -----\n{stderr}");
        common::insta_settings().bind(|| insta::assert_snapshot!(name, text));
    }
    assert_eq!(before, read_all(&example()), "--diff wrote to the example");
    // Nothing to fix → no diff, exit 0.
    djperm()
        .args(["check", "--diff", "--select", "DJP004"])
        .arg(example())
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn fix_writes_safe_fixes_and_reports_what_remains() {
    let (_tmp, root) = copy_project(&example());
    let out = djperm()
        .args(["check", "--fix", "--output-format", "concise", "."])
        .current_dir(&root)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Found 10 errors (1 fixed, 9 remaining).\n"),
        "{text}"
    );
    assert!(
        text.ends_with("No fixes available (6 hidden fixes can be enabled with the `--unsafe-fixes` option).\n"),
        "{text}"
    );
    let views = std::fs::read_to_string(root.join("catalog/views.py")).unwrap();
    assert!(views.contains("has_perms((\"orders.can_refund\",))"));
    // Unsafe fixes were not applied.
    assert!(views.contains("\"catalog.can_pubish\""));
    // Now with the unsafe ones, listing what was fixed.
    let out = djperm()
        .args([
            "check",
            "--fix",
            "--unsafe-fixes",
            "--show-fixes",
            "--output-format",
            "concise",
            ".",
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    common::insta_settings()
        .bind(|| insta::assert_snapshot!("fix__example_fix_unsafe_show_fixes", text));
    let views = std::fs::read_to_string(root.join("catalog/views.py")).unwrap();
    assert!(views.contains("\"catalog.can_publish\""), "{views}");
    let template =
        std::fs::read_to_string(root.join("catalog/templates/catalog/product.html")).unwrap();
    assert!(template.contains("{% if perms.catalog %}"), "{template}");
    // A third run: nothing left to fix, the same findings remain.
    let out = djperm()
        .args([
            "check",
            "--fix",
            "--unsafe-fixes",
            "--output-format",
            "concise",
            ".",
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Found 3 errors.\n"), "{text}");
}

#[test]
fn exit_non_zero_on_fix_and_fix_only() {
    let (_tmp, root) = copy_project(&example());
    // Only DJP006 selected: the one finding is fixed, nothing remains → 0 …
    let (_tmp2, root2) = copy_project(&example());
    djperm()
        .args(["check", "--fix", "--select", "DJP006"])
        .arg(&root2)
        .assert()
        .code(0)
        .stdout("Found 1 error (1 fixed, 0 remaining).\n");
    // … unless --exit-non-zero-on-fix.
    djperm()
        .args([
            "check",
            "--fix",
            "--select",
            "DJP006",
            "--exit-non-zero-on-fix",
        ])
        .arg(&root)
        .assert()
        .code(1);
    // --fix-only reports the fixes only, and exits 0 although findings remain.
    let (_tmp3, root3) = copy_project(&example());
    djperm()
        .args(["check", "--fix-only"])
        .arg(&root3)
        .assert()
        .code(0)
        .stdout("Fixed 1 error (6 additional fixes available with `--unsafe-fixes`).\n");
}

#[test]
fn fix_reports_only_and_fixes_only_the_named_files() {
    let (_tmp, root) = copy_project(&example());
    let template = "catalog/templates/catalog/product.html";
    let before_views = std::fs::read_to_string(root.join("catalog/views.py")).unwrap();
    let out = djperm()
        .args([
            "check",
            "--fix",
            "--unsafe-fixes",
            "--output-format",
            "concise",
            template,
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Found 2 errors (1 fixed, 1 remaining)."),
        "{text}"
    );
    assert_eq!(
        before_views,
        std::fs::read_to_string(root.join("catalog/views.py")).unwrap(),
        "a file that was not named was fixed"
    );
}

#[test]
fn a_file_changed_since_it_was_read_is_not_overwritten() {
    // The library refuses; the CLI path is the same function. Simulate the race: read, change,
    // then write.
    let (_tmp, root) = copy_project(&example());
    let config = djperm::config::Config::default();
    let (snapshot, _) = discover::load(&root, &[]);
    let outcome = fix::fix_snapshot(
        snapshot,
        &config,
        &Selection::default(),
        Applicability::Safe,
        &|_, _| true,
    );
    let id = outcome.changed()[0];
    let ws = &outcome.analysis.ws;
    let path = root.join(ws.path(id));
    std::fs::write(&path, "# edited by someone else\n").unwrap();
    let err = fix::write_file(&root, ws.path(id), &outcome.original[id], ws.text(id)).unwrap_err();
    assert!(matches!(err, fix::WriteError::Changed(_)), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# edited by someone else\n"
    );
}
