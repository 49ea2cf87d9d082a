//! The oracle: for every fixture project, the permissions djperm says a fresh `migrate`
//! creates equal the rows real Django creates (Django is pip-installed by `.ci/run`).

mod common;

use std::collections::BTreeSet;

type Triple = (String, String, String);

#[test]
fn fresh_database_matches_real_django() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in common::project_dirs() {
        if !dir.join(".oracle.json").exists() {
            continue; // projects Django refuses to migrate (system check errors)
        }
        let django = common::django_rows(&dir);
        let analysis = common::analyze_dir(&dir);
        assert_eq!(
            analysis.index.projects.len(),
            1,
            "{}: one project",
            dir.display()
        );
        let project = &analysis.index.projects[0];
        // Labels djperm cannot know (third-party apps not in the tree) are excluded on both
        // sides, and must be exactly the unscanned apps.
        for label in &project.opaque_labels {
            let app = project.app(label);
            assert!(
                app.is_some_and(|a| !a.scanned() && !a.contrib),
                "{}: label `{label}` is opaque but is a scanned app",
                dir.display()
            );
        }
        let ours: BTreeSet<Triple> = project
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
        let theirs: BTreeSet<Triple> = django
            .into_iter()
            .filter(|(l, _, _)| !project.opaque_labels.contains(l))
            .collect();
        let missing: Vec<_> = theirs.difference(&ours).collect();
        let extra: Vec<_> = ours.difference(&theirs).collect();
        if !missing.is_empty() || !extra.is_empty() {
            failures.push(format!("{}:\n  Django has, djperm lacks: {missing:?}\n  djperm has, Django lacks: {extra:?}", dir.display()));
        }
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} oracle projects were checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
