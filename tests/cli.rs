//! The CLI as CI uses it: exit codes, output formats, config errors.

mod common;

use assert_cmd::Command;

fn djperm() -> Command {
    Command::cargo_bin("djperm").unwrap()
}

fn example() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("example")
}

#[test]
fn exit_codes() {
    // Clean project → 0.
    djperm()
        .args(["check"])
        .arg(common::fixtures().join("basic"))
        .assert()
        .code(0);
    // Findings → 1, or 0 with --exit-zero.
    djperm().args(["check"]).arg(example()).assert().code(1);
    djperm()
        .args(["check", "--exit-zero"])
        .arg(example())
        .assert()
        .code(0);
    // Usage errors → 2.
    djperm()
        .args(["check", "--select", "XYZ1"])
        .arg(example())
        .assert()
        .code(2);
    djperm()
        .args(["check", "/definitely/not/here"])
        .assert()
        .code(2);
    djperm()
        .args(["check", "--output-format", "nope"])
        .arg(example())
        .assert()
        .code(2);
}

#[test]
fn config_errors_exit_2_and_list_valid_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("djperm.toml"), "selct = [\"DJP001\"]\n").unwrap();
    let out = djperm()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains("unknown field `selct`"), "{err}");
    assert!(err.contains("valid keys: select"), "{err}");
}

#[test]
fn select_and_ignore() {
    let out = djperm()
        .args(["check", "--output-format", "concise", "--select", "DJP002"])
        .arg(example())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("DJP002"));
    assert!(!text.contains("DJP001"));
    let out = djperm()
        .args(["check", "--output-format", "concise", "--ignore", "DJP002"])
        .arg(example())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("DJP002"));
}

#[test]
fn json_follows_ruff_schema() {
    let out = djperm()
        .args(["check", "--output-format", "json"])
        .arg(example())
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = value.as_array().unwrap();
    assert!(!list.is_empty());
    for d in list {
        let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "cell",
                "code",
                "end_location",
                "filename",
                "fix",
                "location",
                "message",
                "name",
                "noqa_row",
                "severity",
                "url"
            ]
        );
        assert!(d["location"]["row"].as_u64().unwrap() >= 1);
        assert!(d["location"]["column"].as_u64().unwrap() >= 1);
        assert!(std::path::Path::new(d["filename"].as_str().unwrap()).is_absolute());
        if !d["fix"].is_null() {
            let a = d["fix"]["applicability"].as_str().unwrap();
            assert!(["safe", "unsafe", "displayonly"].contains(&a));
        }
    }
}

#[test]
fn example_output_snapshot() {
    let out = djperm()
        .args(["check", "--output-format", "concise"])
        .arg(example())
        .current_dir(example())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    common::insta_settings().bind(|| insta::assert_snapshot!("cli__example_concise", text));
}

#[test]
fn permissions_json_has_the_documented_keys() {
    let out = djperm()
        .args(["permissions", "--output-format", "json"])
        .arg(common::fixtures().join("swapped_user"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let perms: Vec<&str> = rows
        .iter()
        .map(|r| r["permission"].as_str().unwrap())
        .collect();
    assert!(perms.contains(&"acc.add_member"), "{perms:?}");
    assert!(
        !perms.contains(&"auth.add_user"),
        "swapped user has no auth.*_user"
    );
    assert!(perms.contains(&"auth.change_group"));
    for r in &rows {
        for key in [
            "permission",
            "app_label",
            "codename",
            "model",
            "in_database",
            "source",
            "filename",
            "row",
        ] {
            assert!(r.get(key).is_some(), "missing {key} in {r}");
        }
    }
}

#[test]
fn rule_docs_command() {
    let out = djperm().args(["rule", "DJP002"]).output().unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("# unknown-permission (DJP002)"));
    let out = djperm()
        .args(["rule", "--all", "--output-format", "json"])
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), djperm::rules::RULES.len());
    djperm().args(["rule", "DJP999"]).assert().code(2);
}

#[test]
fn unparsable_file_is_one_diagnostic_and_the_run_continues() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("manage.py"),
        "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("proj")).unwrap();
    std::fs::write(root.join("proj/__init__.py"), "").unwrap();
    std::fs::write(
        root.join("proj/settings.py"),
        "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes']\n",
    )
    .unwrap();
    // A broken file that can hold a permission check (the byte pre-filter skips files that
    // cannot, so their syntax errors are not djperm's to report).
    std::fs::write(
        root.join("proj/broken.py"),
        "def f(:\n    return request.user.has_perm('auth.add_group')\n",
    )
    .unwrap();
    std::fs::write(
        root.join("proj/views.py"),
        "def v(request):\n    return request.user.has_perm('auth.add_grup')\n",
    )
    .unwrap();
    let out = djperm()
        .args(["check", "--output-format", "full"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("error[DJP000]").count(), 1, "{text}");
    assert!(text.contains("DJP002"), "{text}");
    assert!(text.contains("Did you mean `auth.add_group`?"), "{text}");
}

#[test]
fn noqa_suppresses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("manage.py"),
        "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("proj/templates")).unwrap();
    std::fs::write(root.join("proj/__init__.py"), "").unwrap();
    std::fs::write(
        root.join("proj/settings.py"),
        "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes']\n",
    )
    .unwrap();
    std::fs::write(
        root.join("proj/views.py"),
        "def v(request):\n    a = request.user.has_perm('auth.add_grup')  # noqa: DJP002\n    b = request.user.has_perm('auth.add_grup')  # noqa\n    c = request.user.has_perm('auth.add_grup')  # noqa: DJP001\n",
    )
    .unwrap();
    std::fs::write(root.join("proj/templates/x.html"), "{% if perms.auth.add_grup %}{# noqa: DJP002 #}{% endif %}\n{% if perms.auth.add_grup %}{% endif %}\n").unwrap();
    let out = djperm()
        .args(["check", "--output-format", "concise"])
        .arg(root)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("DJP002").count(), 2, "{text}");
    assert!(text.contains("views.py:4:"), "{text}");
    assert!(text.contains("x.html:2:"), "{text}");
}
