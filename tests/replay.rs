//! The whole result of a report-only `check` is given again, without analysing, only while
//! nothing it depends on changed: an edit, a new file, a configuration file that appears, other
//! arguments or a corrupt result file all lead to a fresh analysis.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::project;

const GOOD: &str = "def publish(request):\n    return request.user.has_perm('blog.can_publish')\n";
/// [`GOOD`] with a misspelt codename of the same length.
const BAD: &str = "def publish(request):\n    return request.user.has_perm('blog.can_publisx')\n";

/// Every file and directory under `root` (and `root`) modified an hour ago, so that a result
/// computed from now on may be kept.
fn age(root: &Path) {
    let when = SystemTime::now() - Duration::from_secs(3600);
    let mut stack = vec![root.to_path_buf()];
    let mut all = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            all.push(p);
        }
    }
    // Files first, then directories deepest first (setting a time changes no parent's).
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for p in all {
        let f = std::fs::File::open(&p).unwrap();
        f.set_modified(when).unwrap();
    }
}

struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
    replayed: bool,
}

fn run(root: &Path, args: &[&str]) -> Run {
    let out = common::check_with_timings(root, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Run {
        replayed: stderr.contains("result replayed"),
        stderr: stderr
            .lines()
            .filter(|l| !l.contains("timing:"))
            .map(|l| format!("{l}\n"))
            .collect(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        code: out.status.code(),
    }
}

/// A project whose result has been kept: its first run fills the caches, the second (after
/// ageing everything) keeps the result.
fn kept(files: &[(&str, &str)]) -> (tempfile::TempDir, Run) {
    let (dir, _) = project(files);
    let root = dir.path();
    age(root);
    let first = run(root, &[]);
    assert!(!first.replayed);
    age(root);
    let second = run(root, &[]);
    assert!(!second.replayed);
    (dir, second)
}

#[test]
fn an_unchanged_tree_gets_the_same_result_again_and_an_edit_a_fresh_one() {
    let (dir, fresh) = kept(&[("blog/views.py", BAD)]);
    let root = dir.path();
    let again = run(root, &[]);
    assert!(again.replayed, "{}", again.stderr);
    assert_eq!(
        (&again.stdout, &again.stderr, again.code),
        (&fresh.stdout, &fresh.stderr, fresh.code)
    );
    assert!(fresh.stdout.contains("DJP002"), "{}", fresh.stdout);
    assert_eq!(fresh.code, Some(1));
    // The full output's header on stderr is given again too.
    assert!(fresh.stderr.contains("djperm: project"), "{}", fresh.stderr);
    // An edit that keeps the size.
    std::fs::write(root.join("blog/views.py"), GOOD).unwrap();
    let edited = run(root, &[]);
    assert!(!edited.replayed);
    assert!(!edited.stdout.contains("DJP002"), "{}", edited.stdout);
    assert_eq!(edited.code, Some(0));
}

#[test]
fn a_new_file_a_configuration_file_or_other_arguments_lead_to_a_fresh_analysis() {
    let (dir, fresh) = kept(&[("blog/views.py", GOOD)]);
    let root = dir.path();
    assert_eq!(fresh.code, Some(0), "{}", fresh.stdout);
    // Other arguments (the kept result is the last one: the next plain run is fresh).
    let json = run(root, &["--output-format", "json"]);
    assert!(!json.replayed);
    assert!(json.stdout.trim_start().starts_with('['), "{}", json.stdout);
    assert!(run(root, &["--output-format", "json"]).replayed);
    let plain = run(root, &[]);
    assert!(!plain.replayed);
    assert_eq!(plain.stdout, fresh.stdout);
    // A new file in a directory.
    std::fs::write(root.join("blog/other.py"), BAD).unwrap();
    let added = run(root, &[]);
    assert!(!added.replayed);
    assert!(added.stdout.contains("blog/other.py"), "{}", added.stdout);
    // A configuration file that was looked for and did not exist.
    age(root);
    let _ = run(root, &[]);
    age(root);
    let _ = run(root, &[]);
    assert!(run(root, &[]).replayed);
    std::fs::write(root.join("djperm.toml"), "ignore = [\"DJP002\"]\n").unwrap();
    let configured = run(root, &[]);
    assert!(!configured.replayed);
    assert!(
        !configured.stdout.contains("DJP002"),
        "{}",
        configured.stdout
    );
}

#[test]
fn a_corrupt_result_file_is_never_trusted() {
    let (dir, fresh) = kept(&[("blog/views.py", BAD)]);
    let root = dir.path();
    let file = root.join(".djperm_cache/results.bin");
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let after = run(root, &[]);
    assert!(!after.replayed);
    assert_eq!((&after.stdout, after.code), (&fresh.stdout, fresh.code));
}

#[test]
fn no_cache_and_fixes_never_use_a_kept_result() {
    let (dir, _) = kept(&[("blog/views.py", BAD)]);
    let root = dir.path();
    assert!(!run(root, &["--no-cache"]).replayed);
    assert!(!run(root, &["--diff"]).replayed);
}

#[test]
fn an_explicit_configuration_file_is_an_input() {
    let (dir, _) = project(&[
        ("blog/views.py", BAD),
        ("conf/strict.toml", "ignore = [\"DJP001\"]\n"),
    ]);
    let root = dir.path();
    let args = ["--config", "conf/strict.toml"];
    age(root);
    let _ = run(root, &args);
    age(root);
    let kept = run(root, &args);
    assert!(kept.stdout.contains("DJP002"), "{}", kept.stdout);
    assert!(run(root, &args).replayed);
    std::fs::write(root.join("conf/strict.toml"), "ignore = [\"DJP002\"]\n").unwrap();
    let edited = run(root, &args);
    assert!(!edited.replayed);
    assert!(!edited.stdout.contains("DJP002"), "{}", edited.stdout);
}
