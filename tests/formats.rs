//! Every `--output-format` on the example project, as snapshots, plus the properties CI systems
//! rely on: GitHub annotation escaping, SARIF 2.1.0 structure, JUnit that parses as XML.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn djperm() -> Command {
    let mut cmd = Command::cargo_bin("djperm").unwrap();
    cmd.env_remove("DJPERM_OUTPUT_FORMAT")
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("example")
}

/// Run `djperm check <args> .` in the example directory; stdout with the absolute path of the
/// example replaced by `[EXAMPLE]`.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = djperm()
        .arg("check")
        .args(args)
        .arg(".")
        .current_dir(example())
        .output()
        .unwrap();
    let root = example().canonicalize().unwrap();
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .replace(root.to_str().unwrap(), "[EXAMPLE]");
    (out.status.code(), text)
}

#[test]
fn every_format_on_the_example() {
    for (name, args) in [
        ("formats__full", &["--output-format", "full"][..]),
        ("formats__concise", &["--output-format", "concise"][..]),
        ("formats__json", &["--output-format", "json"][..]),
        (
            "formats__json_lines",
            &["--output-format", "json-lines"][..],
        ),
        ("formats__github", &["--output-format", "github"][..]),
        ("formats__sarif", &["--output-format", "sarif"][..]),
        ("formats__junit", &["--output-format", "junit"][..]),
        ("formats__statistics", &["--statistics"][..]),
        (
            "formats__statistics_json",
            &["--statistics", "--output-format", "json"][..],
        ),
        (
            "formats__full_show_fixes",
            &["--output-format", "full", "--show-fixes", "--unsafe-fixes"][..],
        ),
    ] {
        let (code, text) = run(args);
        assert_eq!(code, Some(1), "{name}");
        common::insta_settings().bind(|| insta::assert_snapshot!(name, text));
    }
}

#[test]
fn clean_project_in_every_format() {
    let basic = common::fixtures().join("basic");
    for format in [
        "full",
        "concise",
        "json",
        "json-lines",
        "github",
        "sarif",
        "junit",
    ] {
        let out = djperm()
            .args(["check", "--output-format", format])
            .arg(&basic)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        let text = String::from_utf8(out.stdout).unwrap();
        match format {
            "full" | "concise" => assert_eq!(text, "All checks passed!\n"),
            "json" => assert_eq!(text, "[]\n"),
            "json-lines" | "github" => assert_eq!(text, ""),
            "sarif" => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
            }
            "junit" => {
                assert!(text.contains("No errors found"), "{text}");
                assert_xml(&text);
            }
            _ => unreachable!(),
        }
    }
}

#[test]
fn output_format_from_the_environment_and_output_file() {
    let out = djperm()
        .env("DJPERM_OUTPUT_FORMAT", "json-lines")
        .arg("check")
        .arg(example())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 10, "{text}");
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["code"].as_str().unwrap().starts_with("DJP"));
    }
    // -o: the report goes to the file (parents created), nothing to stdout; exit code unchanged.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("reports/djperm.sarif");
    let out = djperm()
        .args(["check", "--output-format", "sarif", "-o"])
        .arg(&file)
        .arg(example())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
}

/// A project whose findings stress the escaping: a call spanning lines and a message with `%`.
fn tricky_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write_tree(
        dir.path(),
        &[
            ("manage.py", common::MANAGE_PY.as_bytes()),
            ("proj/__init__.py", b""),
            (
                "proj/settings.py",
                b"INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes']\n",
            ),
            (
                "proj/views.py",
                b"def v(request):\n    return request.user.has_perms(\n        'auth.add_group'\n    )\n\n\ndef w(request):\n    return request.user.has_perm('auth.add_grup%0A')\n",
            ),
        ],
    );
    dir
}

#[test]
fn github_annotations_escape_and_drop_columns_on_multiline_ranges() {
    let dir = tricky_project();
    let out = djperm()
        .args(["check", "--output-format", "github", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    // The has_perms call spans lines 2-4: no col/endColumn.
    let multi = lines.iter().find(|l| l.contains("DJP006")).unwrap();
    assert!(
        multi.starts_with(
            "::error title=djperm (DJP006),file=proj/views.py,line=2,endLine=4::proj/views.py:2:12: DJP006 "
        ),
        "{multi}"
    );
    // `%` in the message is escaped, so `%0A` in the source does not become a newline.
    let single = lines
        .iter()
        .find(|l| l.contains("DJP00") && !l.contains("DJP006"))
        .unwrap();
    assert!(
        single.contains(",line=8,col=34,endLine=8,endColumn=52::"),
        "{single}"
    );
    assert!(single.contains("auth.add_grup%250A"), "{single}");
    assert!(!single.contains("auth.add_grup%0A"), "{single}");
}

#[test]
fn sarif_is_2_1_0_with_rule_docs_relative_uris_and_fixes() {
    let (_, text) = run(&["--output-format", "sarif"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "djperm");
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), djperm::rules::RULES.len());
    for (rule, r) in rules.iter().zip(djperm::rules::RULES) {
        assert_eq!(rule["id"], r.code);
        assert_eq!(rule["name"], r.name);
        assert_eq!(rule["shortDescription"]["text"], r.summary);
        assert_eq!(rule["fullDescription"]["text"], r.doc);
        assert_eq!(rule["help"]["markdown"], r.doc);
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{}.md", r.code)));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    let mut fixes = 0;
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id);
        assert_eq!(r["level"], "error");
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains("://"), "{uri}");
        assert!(example().join(uri).exists(), "{uri}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(loc["region"][key].as_u64().unwrap() >= 1, "{key}");
        }
        if let Some(f) = r.get("fixes") {
            fixes += 1;
            let change = &f[0]["artifactChanges"][0];
            assert_eq!(change["artifactLocation"]["uri"], uri);
            let rep = &change["replacements"][0];
            assert!(rep["deletedRegion"]["startLine"].as_u64().unwrap() >= 1);
            assert!(rep["insertedContent"]["text"].is_string());
        }
    }
    // One safe (DJP006) and five unsafe fixes; display-only ones are not proposed.
    assert_eq!(fixes, 6);
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        "file://[EXAMPLE]/"
    );
}

/// Parse XML with Python's ElementTree when a Python is at hand (JUnit consumers are strict).
fn assert_xml(text: &str) {
    let python = common::python();
    let python = if python.exists() {
        python
    } else {
        PathBuf::from("python3")
    };
    let Ok(mut child) = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as ET; ET.fromstring(sys.stdin.buffer.read())",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        return;
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "not XML: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn junit_parses_and_counts() {
    let (_, text) = run(&["--output-format", "junit"]);
    assert_xml(&text);
    assert!(text.contains("<testsuites name=\"djperm\" tests=\"10\" failures=\"10\""));
    assert_eq!(text.matches("<testcase ").count(), 10);
    assert_eq!(text.matches("<failure ").count(), 10);
    // Messages with quotes and backticks stay well-formed; the tricky project has `%` too.
    let dir = tricky_project();
    let out = djperm()
        .args(["check", "--output-format", "junit", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_xml(&String::from_utf8(out.stdout).unwrap());
}

#[test]
fn colors_follow_the_color_flag_and_no_color() {
    let has_ansi = |args: &[&str], no_color: bool| {
        let mut cmd = djperm();
        cmd.arg("check").args(args).arg(example());
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().unwrap();
        String::from_utf8(out.stdout).unwrap().contains('\x1b')
    };
    // Not a terminal: no colour by default.
    assert!(!has_ansi(&[], false));
    assert!(has_ansi(&["--color", "always"], false));
    assert!(has_ansi(
        &["--color", "always", "--output-format", "concise"],
        false
    ));
    assert!(
        has_ansi(&["--color", "always"], true),
        "--color always beats NO_COLOR"
    );
    assert!(!has_ansi(&["--color", "never"], false));
    // FORCE_COLOR turns it on in auto mode, NO_COLOR wins over it.
    let out = djperm()
        .env("FORCE_COLOR", "1")
        .arg("check")
        .arg(example())
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains('\x1b'));
    let out = djperm()
        .env("FORCE_COLOR", "1")
        .env("NO_COLOR", "1")
        .arg("check")
        .arg(example())
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\x1b'));
    // Machine formats never carry colour.
    assert!(!has_ansi(
        &["--color", "always", "--output-format", "json"],
        false
    ));
    // No progress indicator when stderr is not a terminal: only the header saying what was
    // analysed.
    let out = djperm().arg("check").arg(example()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().all(|l| l.starts_with("djperm: project ")),
        "{stderr}"
    );
}

#[test]
fn statistics_only_in_text_and_json() {
    djperm()
        .args(["check", "--statistics", "--output-format", "sarif"])
        .arg(example())
        .assert()
        .code(2);
}
