//! The fuzz corpora on stable: every input in `fuzz/corpus/<target>/` (the minimised corpus) and
//! `fuzz/regressions/<target>/` (each crash the fuzzers found, minimised) goes through the same
//! check as the fuzz target (`djperm::fuzzing`), so CI replays them without cargo-fuzz or nightly.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .filter_map(|dir| std::fs::read_dir(fuzz.join(dir).join(target)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Run `check` on every input of `target`, naming the input that fails.
fn replay(target: &str, check: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no corpus for {target}");
    for path in files {
        let data = std::fs::read(&path).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| check(&data)) {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("");
            panic!("{target}: {} failed: {message}", path.display());
        }
    }
}

#[test]
fn python_facts_corpus() {
    replay("python_facts", djperm::fuzzing::python_facts);
}

#[test]
fn template_refs_corpus() {
    replay("template_refs", djperm::fuzzing::template_refs);
}

#[test]
fn project_diagnostics_corpus() {
    replay("project_diagnostics", djperm::fuzzing::project_diagnostics);
}

#[test]
fn fix_apply_corpus() {
    replay("fix_apply", djperm::fuzzing::fix_apply);
}
