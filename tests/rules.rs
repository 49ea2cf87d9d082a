//! Every fixture project's findings, as users see them (`full` output), in insta snapshots.

mod common;

use djperm::output;

#[test]
fn fixture_projects_full_output() {
    for dir in common::project_dirs() {
        let analysis = common::analyze_dir(&dir);
        let text = output::full(&analysis.ws, &analysis.diagnostics);
        let name = format!("rules__{}", dir.file_name().unwrap().to_string_lossy());
        common::insta_settings().bind(|| insta::assert_snapshot!(name, text));
    }
}

#[test]
fn precision_project_has_no_findings() {
    let dir = common::fixtures().join("rules_negative");
    if !dir.exists() {
        panic!("tests/fixtures/projects/rules_negative is missing");
    }
    let analysis = common::analyze_dir(&dir);
    let text = output::concise(&analysis.ws, &analysis.diagnostics);
    assert!(analysis.diagnostics.is_empty(), "false positives:\n{text}");
}
