//! The synthetic monorepo of `examples/gen_project/`: djperm reports exactly the injected
//! bugs, the generator is deterministic, and the fresh-database permission set equals the rows
//! real Django creates for it.

mod common;

#[path = "../examples/gen_project/main.rs"]
#[allow(dead_code)]
mod gen_project;

use std::collections::BTreeSet;
use std::path::Path;

use djperm::locator::Locator;

type Finding = (String, String, usize);

fn expected(dir: &Path) -> BTreeSet<Finding> {
    let text = std::fs::read_to_string(dir.join("EXPECTED.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["bugs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["code"].as_str().unwrap().to_string(),
                b["file"].as_str().unwrap().to_string(),
                b["line"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

fn found(dir: &Path) -> BTreeSet<Finding> {
    let analysis = common::analyze_dir(dir);
    let ws = &analysis.ws;
    analysis
        .diagnostics
        .iter()
        .map(|d| {
            let row = Locator::new(ws.text(d.span.file))
                .row_col(d.span.start as usize)
                .0;
            (d.code.to_string(), ws.path(d.span.file).to_string(), row)
        })
        .collect()
}

#[test]
fn djperm_finds_exactly_the_injected_bugs() {
    let dir = tempfile::tempdir().unwrap();
    for (apps, models, seed, bugs) in [(20, 4, 1, None), (12, 3, 42, Some(12))] {
        let out = dir.path().join(format!("gen-{apps}-{seed}"));
        gen_project::generate(&out, apps, models, seed, bugs);
        let expected = expected(&out);
        let codes: BTreeSet<&str> = expected.iter().map(|(c, _, _)| c.as_str()).collect();
        assert_eq!(
            codes,
            BTreeSet::from(["DJP001", "DJP002", "DJP004", "DJP006"]),
            "every kind of bug is injected"
        );
        assert_eq!(expected.len(), bugs.unwrap_or(4), "{expected:?}");
        let found = found(&out);
        let missed: Vec<_> = expected.difference(&found).collect();
        let extra: Vec<_> = found.difference(&expected).collect();
        assert!(
            missed.is_empty() && extra.is_empty(),
            "{}: missed {missed:?}, unexpected {extra:?}",
            out.display()
        );
    }
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn generator_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    gen_project::generate(&a, 8, 3, 7, None);
    gen_project::generate(&b, 8, 3, 7, None);
    gen_project::generate(&c, 8, 3, 8, None);
    assert!(tree(&a) == tree(&b), "same seed, same tree");
    assert!(tree(&a) != tree(&c), "the seed matters");
}

#[test]
fn generated_project_matches_real_django() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen");
    gen_project::generate(&out, 6, 3, 3, None);
    let django = common::django_rows(&out);
    let analysis = common::analyze_dir(&out);
    let project = &analysis.index.projects[0];
    assert!(
        project.opaque_labels.is_empty(),
        "{:?}",
        project.opaque_labels
    );
    let ours: BTreeSet<(String, String, String)> = project
        .perms
        .iter()
        .filter(|p| p.in_database)
        .map(|p| {
            (
                p.label.to_string(),
                p.model.as_deref().unwrap_or_default().to_string(),
                p.codename.to_string(),
            )
        })
        .collect();
    assert_eq!(ours, django);
}
