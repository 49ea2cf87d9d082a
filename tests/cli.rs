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
    assert!(
        err.contains("djperm.toml:1:1: unknown key `selct`"),
        "{err}"
    );
    // The valid keys are listed once.
    assert_eq!(err.matches("target-django").count(), 1, "{err}");
    assert!(err.contains("valid keys: select"), "{err}");
    // The README's `[tool.djperm]` block copied into a djperm.toml: say what to change.
    std::fs::write(
        dir.path().join("djperm.toml"),
        "[tool.djperm]\nignore = [\"DJP006\"]\n",
    )
    .unwrap();
    let out = djperm().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("remove the `[tool.djperm]` header"), "{err}");
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
    common::write_tree(
        root,
        &[
            ("manage.py", common::MANAGE_PY.as_bytes()),
            ("proj/__init__.py", b""),
            (
                "proj/settings.py",
                b"INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes']\n",
            ),
            // A file djperm reads (it mentions a permission check) that does not parse: one DJP000.
            (
                "proj/broken.py",
                b"def f(:\n    return request.user.has_perm(\"auth.add_group\")\n",
            ),
            (
                "proj/views.py",
                b"def v(request):\n    return request.user.has_perm('auth.add_grup')\n",
            ),
        ],
    );
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

/// A repository whose Django project lives in `backend/`: the pre-commit layout.
fn repo_with_backend() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    common::write_tree(
        root,
        &[
            ("README.md", b"x\n"),
            ("backend/manage.py", common::MANAGE_PY.as_bytes()),
            ("backend/proj/__init__.py", b""),
            (
                "backend/proj/settings.py",
                b"INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n",
            ),
            ("backend/blog/__init__.py", b""),
            // The permission is defined in models.py: a file pre-commit does not pass.
            (
                "backend/blog/models.py",
                b"from django.db import models\n\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [(\"can_publish\", \"Can publish\")]\n",
            ),
            (
                "backend/blog/views.py",
                b"def a(request):\n    return request.user.has_perm('blog.can_publish')\n\n\ndef b(request):\n    return request.user.has_perm('blog.can_pubish')\n",
            ),
            (
                "backend/blog/other.py",
                b"def c(request):\n    return request.user.has_perm('blog.add_pst')\n",
            ),
            (
                "backend/blog/templates/blog/post.html",
                b"{% if perms.blog.can_publsh %}x{% endif %}\n",
            ),
        ],
    );
    dir
}

#[test]
fn pre_commit_file_arguments_index_the_project_and_report_only_those_files() {
    let dir = repo_with_backend();
    // As pre-commit runs it: from the repository root, paths relative to it.
    let out = djperm()
        .args([
            "check",
            "--output-format",
            "concise",
            "backend/blog/views.py",
            "backend/blog/templates/blog/post.html",
            "README.md",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    // `blog.can_publish` is known (from models.py, not passed): no finding for it.
    assert!(!text.contains("`blog.can_publish`"), "{text}");
    assert!(text.contains("backend/blog/views.py:6:"), "{text}");
    assert!(
        text.contains("backend/blog/templates/blog/post.html:1:"),
        "{text}"
    );
    // other.py has a finding but was not passed.
    assert!(!text.contains("other.py"), "{text}");
    assert!(text.contains("Found 2 errors."), "{text}");
    // One clean file → exit 0.
    djperm()
        .args(["check", "backend/blog/models.py"])
        .current_dir(dir.path())
        .assert()
        .code(0);
    // The hook file names what pre-commit needs.
    let hooks = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    for needle in [
        "id: djperm",
        "entry: djperm check",
        "language: python",
        "types_or: [python, html]",
        "require_serial: true",
    ] {
        assert!(hooks.contains(needle), "missing {needle}");
    }
}

#[test]
fn stdin_filename_checks_the_buffer_in_place_of_the_file() {
    let dir = repo_with_backend();
    let b = dir.path().join("backend");
    // The buffer fixes views.py's typo and adds another: only the buffer is reported.
    let out = djperm()
        .args([
            "check",
            "--output-format",
            "concise",
            "--stdin-filename",
            "blog/views.py",
        ])
        .current_dir(&b)
        .write_stdin("def x(request):\n    return request.user.has_perm('blog.can_publis')\n")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "blog/views.py:2:34: DJP002 Unknown permission `blog.can_publis`\nFound 1 error.\nNo fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).\n"
    );
    // A new, unsaved file works too; with --fix the fixed buffer goes to stdout.
    let out = djperm()
        .args([
            "check",
            "--fix",
            "--unsafe-fixes",
            "--stdin-filename",
            "blog/new.py",
        ])
        .current_dir(&b)
        .write_stdin("def x(request):\n    return request.user.has_perms('blog.can_publis')\n")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "def x(request):\n    return request.user.has_perms(('blog.can_publish',))\n"
    );
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("Found 2 errors (2 fixed, 0 remaining)."));
    assert!(!b.join("blog/new.py").exists());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn add_noqa_baselines_a_project() {
    let dir = repo_with_backend();
    let b = dir.path().join("backend");
    std::fs::write(
        b.join("blog/other.py"),
        "def c(request):\n    return request.user.has_perm('blog.add_pst')  # noqa: E501\n",
    )
    .unwrap();
    let out = djperm()
        .args(["check", "--add-noqa", "."])
        .current_dir(&b)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "Added 3 noqa directives.\n"
    );
    assert_eq!(
        std::fs::read_to_string(b.join("blog/other.py")).unwrap(),
        "def c(request):\n    return request.user.has_perm('blog.add_pst')  # noqa: E501, DJP002\n"
    );
    assert_eq!(
        std::fs::read_to_string(b.join("blog/templates/blog/post.html")).unwrap(),
        "{% if perms.blog.can_publsh %}x{% endif %} {# noqa: DJP002 #}\n"
    );
    assert!(std::fs::read_to_string(b.join("blog/views.py"))
        .unwrap()
        .contains("has_perm('blog.can_pubish')  # noqa: DJP002\n"));
    // Now clean, and a second run adds nothing.
    djperm()
        .args(["check", "."])
        .current_dir(&b)
        .assert()
        .code(0);
    let out = djperm()
        .args(["check", "--add-noqa", "."])
        .current_dir(&b)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "Added 0 noqa directives.\n"
    );
}

#[test]
fn missing_settings_module_is_a_usage_error() {
    let out = djperm()
        .args(["check", "--settings", "no.such.settings"])
        .arg(example())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("settings module `no.such.settings` not found"));
}

#[test]
fn preview_rules_run_only_when_asked() {
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
    std::fs::write(
        root.join("proj/views.py"),
        "def v(request):\n    return request.user.has_perms([])\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = djperm()
            .args(["check", "--output-format", "concise"])
            .args(extra)
            .arg(root)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(!run(&[]).contains("DJP012"));
    assert!(run(&["--preview"]).contains("DJP012"));
    assert!(run(&["--select", "DJP012"]).contains("DJP012"));
    assert!(
        !run(&["--select", "DJP01"]).contains("DJP012"),
        "a prefix does not enable preview rules"
    );
}

/// A directory inside a project is part of that project: the whole project is indexed and only
/// that directory reported, from every entry point (a path, the working directory, a templates
/// directory). Taking the directory as the project would miss every definition outside it and
/// print a false "All checks passed!".
#[test]
fn a_directory_inside_a_project_is_checked_within_the_whole_project() {
    let dir = repo_with_backend();
    let run = |cwd: &std::path::Path, args: &[&str]| {
        let out = djperm()
            .args(["check", "--output-format", "concise"])
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
        (out.status.code(), text)
    };
    // As a path, from the repository root.
    let (code, text) = run(dir.path(), &["backend/blog"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("views.py:6:"), "{text}");
    assert!(text.contains("other.py:2:"), "{text}");
    assert!(text.contains("post.html:1:"), "{text}");
    assert!(!text.contains("`blog.can_publish`"), "{text}");
    assert!(text.contains("Found 3 errors."), "{text}");
    // From inside the app directory, with no path.
    let (code, text) = run(&dir.path().join("backend/blog"), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Found 3 errors."), "{text}");
    // A templates directory holds templates: it is checked, and nothing else is reported.
    let (code, text) = run(dir.path(), &["backend/blog/templates"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("no Python files"), "{text}");
    assert!(text.contains("post.html:1:"), "{text}");
    assert!(text.contains("Found 1 error."), "{text}");
    // `djperm permissions` from a sub-directory lists the project's permissions.
    let out = djperm()
        .args(["permissions", "blog"])
        .current_dir(dir.path().join("backend"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("blog.can_publish"), "{text}");
}

/// Import roots as the project sets them: a `manage.py` that extends `sys.path` (apps under
/// `apps/`), and a `manage.py` inside its package whose settings module resolves from the parent.
/// Without them no INSTALLED_APPS entry resolves and every reference goes unchecked.
#[test]
fn apps_resolve_from_the_directories_manage_py_puts_on_sys_path() {
    let models = b"from django.db import models\n\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [(\"can_publish\", \"Can publish\")]\n";
    // `can_publish` is checked correctly in one view and misspelled in the other.
    let views = b"def u(request):\n    return request.user.has_perm('blog.can_publish')\n\n\ndef v(request):\n    return request.user.has_perm('blog.can_pubish')\n";
    let settings =
        b"INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n";
    let sys_path = tempfile::tempdir().unwrap();
    common::write_tree(
        sys_path.path(),
        &[
            (
                "manage.py",
                b"import os, sys\nBASE_DIR = os.path.dirname(os.path.abspath(__file__))\nsys.path.insert(0, os.path.join(BASE_DIR, 'apps'))\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
            ),
            ("proj/__init__.py", b""),
            ("proj/settings.py", settings),
            ("apps/blog/__init__.py", b""),
            ("apps/blog/models.py", models),
            ("apps/blog/views.py", views),
        ],
    );
    let inside = tempfile::tempdir().unwrap();
    common::write_tree(
        inside.path(),
        &[
            (
                "proj/manage.py",
                b"import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
            ),
            ("proj/__init__.py", b""),
            ("proj/settings.py", settings),
            ("blog/__init__.py", b""),
            ("blog/models.py", models),
            ("blog/views.py", views),
        ],
    );
    for dir in [sys_path.path(), inside.path()] {
        let out = djperm()
            .args(["check", "--output-format", "concise", "."])
            .current_dir(dir)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("Unknown permission `blog.can_pubish`"),
            "{text}"
        );
        assert!(
            text.contains("Did you mean `blog.can_publish`") || text.contains("Found 1 error."),
            "{text}"
        );
    }
}
