//! Rule docs: the section template, examples that run, and a README table that cannot
//! go stale.

mod common;

// The rule docs' examples are laid over the same base project as the fuzzers' inputs.
use djperm::fuzzing::BASE;
use djperm::rules::RULES;

struct Example {
    lang: String,
    valid: bool,
    body: String,
}

fn examples(doc: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let words: Vec<&str> = info.split_whitespace().collect();
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        if words.len() == 2 && (words[1] == "invalid" || words[1] == "valid") {
            out.push(Example {
                lang: words[0].to_string(),
                valid: words[1] == "valid",
                body,
            });
        }
    }
    out
}

/// Split a block into files on `# file: path` lines (default: blog/views.py).
fn files_of(example: &Example) -> Vec<(String, String)> {
    if example.lang == "json" || example.lang == "yaml" {
        return vec![(
            format!("blog/fixtures/example.{}", example.lang),
            example.body.clone(),
        )];
    }
    if example.lang == "htmldjango" {
        return vec![(
            "blog/templates/blog/example.html".to_string(),
            example.body.clone(),
        )];
    }
    let mut files: Vec<(String, String)> = Vec::new();
    for line in example.body.lines() {
        if let Some(path) = line.trim().strip_prefix("# file:") {
            files.push((path.trim().to_string(), String::new()));
            continue;
        }
        if files.is_empty() {
            files.push(("blog/views.py".to_string(), String::new()));
        }
        let last = files.last_mut().unwrap();
        last.1.push_str(line);
        last.1.push('\n');
    }
    files
}

#[test]
fn every_rule_has_a_doc_in_the_template() {
    let sections = [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Fix safety",
        "## Options",
        "## References",
    ];
    let mut codes = std::collections::HashSet::new();
    for rule in RULES {
        assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
        assert!(
            rule.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && rule.name.starts_with(|c: char| c.is_ascii_lowercase())
                && !rule.name.ends_with('-')
                && !rule.name.contains("--"),
            "{} is not kebab-case",
            rule.name
        );
        let first = rule.doc.lines().next().unwrap_or_default();
        assert_eq!(first, format!("# {} ({})", rule.name, rule.code));
        let mut at = 0;
        for s in sections {
            let pos = rule.doc[at..]
                .find(s)
                .unwrap_or_else(|| panic!("{}: missing or misplaced `{s}`", rule.code));
            at += pos + s.len();
        }
        assert!(
            rule.doc.contains("docs.djangoproject.com"),
            "{}: cite the Django docs",
            rule.code
        );
    }
}

#[test]
fn doc_examples_run() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for rule in RULES {
        let list = examples(rule.doc);
        assert!(
            list.iter().any(|e| !e.valid),
            "{}: no invalid example",
            rule.code
        );
        assert!(
            list.iter().any(|e| e.valid),
            "{}: no valid example",
            rule.code
        );
        for (i, example) in list.iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            for (path, text) in BASE
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .chain(files_of(example))
            {
                let full = dir.path().join(&path);
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(full, text).unwrap();
            }
            // The stable rules plus the rule itself (other preview rules stay out of its examples).
            let config = djperm::config::Config {
                extend_select: vec![rule.code.to_string()],
                ..Default::default()
            };
            let analysis = common::analyze_with(dir.path(), &config);
            let got: Vec<String> = analysis
                .diagnostics
                .iter()
                .map(|d| {
                    format!(
                        "{} {}:{} {}",
                        d.code,
                        analysis.ws.path(d.span.file),
                        d.span.start,
                        d.message
                    )
                })
                .collect();
            let ok = if example.valid {
                got.is_empty()
            } else {
                got.len() == 1 && analysis.diagnostics[0].code == rule.code
            };
            if !ok {
                failures.push(format!(
                    "{} example #{} ({}): got {:?}",
                    rule.code,
                    i + 1,
                    if example.valid { "valid" } else { "invalid" },
                    got
                ));
            }
            ran += 1;
        }
    }
    assert!(ran >= 2 * RULES.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn readme_rules_table_matches_the_registry() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let mut expected =
        String::from("| code | name | what | fix | status |\n|---|---|---|---|---|\n");
    for r in RULES {
        let status = if r.preview { "preview" } else { "stable" };
        expected.push_str(&format!(
            "| {} | {} | {} | {} | {status} |\n",
            r.code,
            r.name,
            r.summary,
            r.fix.as_str()
        ));
    }
    assert!(
        readme.contains(&expected),
        "README rules table is stale; it should be:\n{expected}"
    );
}
