//! `--baseline` / `--write-baseline`: adopting djperm on a backlog without editing files.

mod common;

use assert_cmd::Command;

fn djperm() -> Command {
    Command::cargo_bin("djperm").unwrap()
}

const VIEWS: &str = "def v(request):\n    request.user.has_perm('blog.can_publsh')\n    request.user.has_perm('blog.can_publish')\n";

/// `djperm ARGS` in the project directory.
fn run(root: &std::path::Path, args: &[&str]) -> std::process::Output {
    djperm().current_dir(root).args(args).output().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_written_baseline_hides_its_findings_across_line_shifts_and_reports_new_ones() {
    let (dir, _) = common::project(&[("blog/views.py", VIEWS)]);
    let root = dir.path();
    let file = root.join("djperm-baseline.json");
    let out = run(root, &["check", "--write-baseline", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrote 1 finding to the baseline"));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("\"code\": \"DJP002\""), "{written}");
    assert!(
        written.contains("request.user.has_perm('blog.can_publsh')"),
        "{written}"
    );

    // The finding moves two lines down and its indentation changes: still the baseline's.
    let shifted = "import os\n\n\ndef v(request):\n    if request:\n        request.user.has_perm('blog.can_publsh')\n    request.user.has_perm('blog.can_publish')\n".to_string();
    std::fs::write(root.join("blog/views.py"), &shifted).unwrap();
    let out = run(
        root,
        &[
            "check",
            "--output-format",
            "concise",
            "--baseline",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("1 finding hidden by the baseline"));

    // A new finding, even of the same code on an identical line, is reported.
    std::fs::write(
        root.join("blog/views.py"),
        format!("{shifted}    request.user.has_perm('blog.can_publsh')\n    request.user.has_perm('blog.can_pubish')\n"),
    )
    .unwrap();
    let out = run(
        root,
        &[
            "check",
            "--output-format",
            "concise",
            "--baseline",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert_eq!(report.matches("DJP002").count(), 2, "{report}");
    assert!(report.contains(":8:") && report.contains(":9:"), "{report}");
}

#[test]
fn a_fixed_finding_leaves_a_stale_entry_that_is_reported() {
    let (dir, _) = common::project(&[("blog/views.py", VIEWS)]);
    let root = dir.path();
    let file = root.join("b.json");
    assert_eq!(
        run(root, &["check", "--write-baseline", file.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(
        root.join("blog/views.py"),
        VIEWS.replace("publsh", "publish"),
    )
    .unwrap();
    let out = run(root, &["check", "--baseline", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("1 baseline entry matched nothing"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_or_foreign_baseline_is_a_usage_error() {
    let (dir, _) = common::project(&[("blog/views.py", VIEWS)]);
    let root = dir.path();
    assert_eq!(
        run(root, &["check", "--baseline", "nope.json"])
            .status
            .code(),
        Some(2)
    );
    std::fs::write(root.join("x.json"), "[1, 2]").unwrap();
    let out = run(root, &["check", "--baseline", "x.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a djperm baseline"),
        "{}",
        stderr(&out)
    );
    std::fs::write(root.join("v.json"), r#"{"version": 9, "findings": []}"#).unwrap();
    assert_eq!(
        run(root, &["check", "--baseline", "v.json"]).status.code(),
        Some(2)
    );
    // Writing a baseline and fixing at once makes no sense.
    assert_eq!(
        run(root, &["check", "--fix", "--write-baseline", "w.json"])
            .status
            .code(),
        Some(2)
    );
}
