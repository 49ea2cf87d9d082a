//! "djperm never crashes, never loses an edit, never trusts input": one test per bad
//! input, each running the real binary on a temporary project and checking the exit code, the
//! message, and that the rest of the project is still checked; then one test per safety promise
//! of the README (`safety_promise_*`).
//!
//! The base project has two apps with one known bug each: `blog` (migrated) and `shop`
//! (unmigrated). A bad input in one app must not hide the other app's bug.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{run_djperm, tree_state, write_tree, Run};

const LIMIT: Duration = Duration::from_secs(60);

const BLOG_BUG: &str = "blog/views.py:2:34: DJP002 Unknown permission `blog.can_publsh`";
const SHOP_BUG: &str = "shop/views.py:2:34: DJP002 Unknown permission `shop.can_sel`";

const SETTINGS: &str =
    "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'shop']\n";
const BLOG_MIGRATION: &str = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]})]\n";

fn base() -> Vec<(&'static str, &'static [u8])> {
    vec![
        ("manage.py", b"import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n"),
        ("proj/__init__.py", b""),
        ("proj/settings.py", SETTINGS.as_bytes()),
        ("blog/__init__.py", b""),
        ("blog/models.py", b"from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n"),
        ("blog/migrations/__init__.py", b""),
        ("blog/migrations/0001_initial.py", BLOG_MIGRATION.as_bytes()),
        ("blog/views.py", b"def publish(request):\n    return request.user.has_perm('blog.can_publsh')\n"),
        ("shop/__init__.py", b""),
        ("shop/models.py", b"from django.db import models\n\nclass Item(models.Model):\n    class Meta:\n        permissions = [('can_sell', 'Can sell')]\n"),
        ("shop/views.py", b"def sell(request):\n    return request.user.has_perm('shop.can_sel')\n"),
        // Each custom permission is checked where it matters, as in a real project (DJP030).
        ("blog/templates/blog/base.html", b"{% if perms.blog.can_publish %}<a href=\"publish/\">Publish</a>{% endif %}\n"),
        ("shop/templates/shop/base.html", b"{% if perms.shop.can_sell %}<a href=\"sell/\">Sell</a>{% endif %}\n"),
    ]
}

/// The base project with `files` written over it (same path: replaced).
fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &base());
    write_tree(dir.path(), files);
    dir
}

fn check(dir: &Path) -> Run {
    run_djperm(dir, &["check", "--output-format", "concise"], LIMIT)
}

/// The `path:row:col: CODE message` lines of a concise report.
fn findings(run: &Run) -> Vec<&str> {
    run.stdout.lines().filter(|l| l.contains(": DJP")).collect()
}

/// Exit 1 and exactly these findings (in any order).
fn assert_findings(run: &Run, want: &[&str]) {
    let mut want = want.to_vec();
    want.sort();
    let mut got = findings(run);
    got.sort();
    assert_eq!(got, want, "{run:#?}");
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
}

/// Exit 1, both base bugs reported (plus `extra`), nothing else.
fn assert_base_bugs(run: &Run, extra: &[&str]) {
    assert_findings(run, &[&[BLOG_BUG, SHOP_BUG][..], extra].concat());
}

/// Django would refuse the project because of `blog`: djperm warns, says nothing about `blog`,
/// and still checks `shop`.
fn assert_blog_silenced(run: &Run, warning: &str) {
    assert_findings(run, &[SHOP_BUG]);
    assert_eq!(run.stderr.trim_end(), warning, "{run:#?}");
}

/// The `full` report of one rule's findings.
fn full(dir: &Path, code: &str) -> Run {
    run_djperm(dir, &["check", "--select", code], LIMIT)
}

#[test]
fn base_project_reports_both_bugs() {
    let dir = project(&[]);
    assert_base_bugs(&check(dir.path()), &[]);
}

// ---- bytes and text -----------------------------------------------------------------------------

#[test]
fn invalid_utf8_file_is_skipped_with_a_warning() {
    let dir = project(&[("blog/latin1.py", b"# caf\xe9\nx = 'blog.can_nope'\n")]);
    let run = check(dir.path());
    assert_base_bugs(&run, &[]);
    assert!(
        run.stderr
            .contains("djperm: warning: skipped blog/latin1.py: not valid UTF-8 (byte 5)"),
        "{run:#?}"
    );
}

#[test]
fn utf8_bom_is_not_a_column_and_survives_a_fix() {
    let body = "def w(request):\n    return request.user.has_perm('shop.can_sel')\n";
    let with_bom = [b"\xef\xbb\xbf".as_slice(), body.as_bytes()].concat();
    let dir = project(&[("shop/views.py", &with_bom)]);
    // Columns as without the mark (an editor does not show it).
    assert_base_bugs(&check(dir.path()), &[]);
    let run = run_djperm(
        dir.path(),
        &[
            "check",
            "--fix",
            "--unsafe-fixes",
            "--output-format",
            "concise",
        ],
        LIMIT,
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    let fixed = std::fs::read(dir.path().join("shop/views.py")).unwrap();
    let want = [
        b"\xef\xbb\xbf".as_slice(),
        body.replace("can_sel'", "can_sell'").as_bytes(),
    ]
    .concat();
    assert_eq!(
        String::from_utf8_lossy(&fixed),
        String::from_utf8_lossy(&want)
    );
}

#[test]
fn crlf_and_lone_cr_line_endings() {
    let dir = project(&[
        (
            "blog/views.py",
            b"def publish(request):\r\n    return request.user.has_perm('blog.can_publsh')\r\n",
        ),
        // Python ends a line at a lone `\r` too: the bug is on row 3.
        (
            "shop/views.py",
            b"# old Mac\rdef sell(request):\r    return request.user.has_perm('shop.can_sel')\r",
        ),
        (
            "shop/more.py",
            b"x = 1\r\ny = 2\rz = 3\ndef f(r):\r    return r.user.has_perm('shop.can_sel')  # noqa: DJP002\r",
        ),
    ]);
    let run = check(dir.path());
    assert_findings(
        &run,
        &[
            BLOG_BUG,
            "shop/views.py:3:34: DJP002 Unknown permission `shop.can_sel`",
        ],
    );
    // `full` shows the same row, and only that line.
    let full = run_djperm(
        dir.path(),
        &["check", "--select", "DJP002", "shop/views.py"],
        LIMIT,
    );
    assert!(full.stdout.contains("┌─ shop/views.py:3:34"), "{full:#?}");
    assert!(
        full.stdout
            .contains("3 │     return request.user.has_perm('shop.can_sel')\n"),
        "{full:#?}"
    );
}

#[test]
fn tabs_and_form_feeds() {
    // A tab is one column (as ruff counts); a form feed starts a logical line in Python.
    let dir = project(&[(
        "shop/views.py",
        b"\x0c\ndef sell(request):\n\tif True:\n\t\treturn request.user.has_perm('shop.can_sel')\n",
    )]);
    let run = check(dir.path());
    assert_findings(
        &run,
        &[
            BLOG_BUG,
            "shop/views.py:4:32: DJP002 Unknown permission `shop.can_sel`",
        ],
    );
}

#[test]
fn empty_files() {
    let dir = project(&[
        ("blog/empty.py", b""),
        ("blog/migrations/0002_empty.py", b""),
        ("shop/templates/shop/empty.html", b""),
    ]);
    assert_base_bugs(&check(dir.path()), &[]);
}

#[test]
fn ten_megabyte_generated_file() {
    let mut text = String::from("DATA = [\n");
    let mut i = 0;
    while text.len() < 10_000_000 {
        text.push_str(&format!(
            "    (\"row{i}\", {i}, [1, 2, 3], {{\"key\": \"value {i}\"}}),\n"
        ));
        if i % 1000 == 0 {
            text.push_str("    check(request.user.has_perm('blog.can_publish')),\n");
        }
        i += 1;
    }
    text.push_str("]\n");
    let dir = project(&[("blog/generated.py", text.as_bytes())]);
    let run = check(dir.path());
    assert_base_bugs(&run, &[]);
    // Parsing is the cost: an unoptimised build took 9.8 s on a busy 2-core VM (3× margin).
    let bound = Duration::from_secs(if cfg!(debug_assertions) { 30 } else { 10 });
    eprintln!("10 MB file: {:?}", run.elapsed);
    assert!(run.elapsed < bound, "{:?}", run.elapsed);
}

#[test]
fn deeply_nested_expressions() {
    // Also in tests/regressions.rs through the library; here through the binary (main thread).
    let deep = format!(
        "X = {}1{}\nY = 1{}\nZ = {}\n",
        "(".repeat(20_000),
        ")".repeat(20_000),
        " + 1".repeat(50_000),
        "[".repeat(5_000) + &"]".repeat(5_000)
    );
    let dir = project(&[("blog/generated.py", deep.as_bytes())]);
    assert_base_bugs(&check(dir.path()), &[]);
    // A file the pre-filter keeps is parsed as it is read when there is no cache: on the same
    // deep stacks.
    let kept = format!("{deep}def f(user):\n    return user.has_perm('blog.can_publish')\n");
    let dir = project(&[("blog/generated.py", kept.as_bytes())]);
    let run = run_djperm(
        dir.path(),
        &["check", "--output-format", "concise", "--no-cache"],
        LIMIT,
    );
    assert_base_bugs(&run, &[]);
}

// ---- syntax errors: the definitions that could not be read ----------------------------------

#[test]
fn syntax_error_in_models() {
    let dir = project(&[(
        "blog/models.py",
        b"from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')\n",
    )]);
    let run = check(dir.path());
    // blog's permissions are unknown: its bug is not guessed at; shop is still checked.
    assert_eq!(
        findings(&run),
        [
            "blog/models.py:6:1: DJP000 Syntax error: unexpected EOF while parsing",
            SHOP_BUG
        ],
        "{run:#?}"
    );
    assert_eq!(run.code, Some(1));
    let full = full(dir.path(), "DJP000");
    assert!(
        full.stdout.contains(
            "note: djperm could not read the models of `blog`: it says nothing about `blog` permissions"
        ),
        "{full:#?}"
    );
}

#[test]
fn syntax_error_in_a_migration() {
    let dir = project(&[(
        "blog/migrations/0002_more.py",
        b"from django.db import migrations\n\nclass Migration(migrations.Migration:\n    dependencies = [('blog', '0001_initial')]\n",
    )]);
    let run = check(dir.path());
    assert_eq!(
        findings(&run),
        [
            "blog/migrations/0002_more.py:3:37: DJP000 Syntax error: Expected `,`, found `:`",
            SHOP_BUG
        ],
        "{run:#?}"
    );
    let full = full(dir.path(), "DJP000");
    assert!(
        full.stdout.contains(
            "note: djperm could not read the migrations of `blog`: it says nothing about `blog` permissions"
        ),
        "{full:#?}"
    );
}

/// A migration that only adds a field, written as `makemigrations` writes it, with a comma
/// missing deep inside its operations: nothing in it matters to permissions, and the file still
/// says it does not parse.
#[test]
fn syntax_error_deep_in_the_operations_of_a_migration() {
    let dir = project(&[(
        "blog/migrations/0002_more.py",
        b"from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n\n    dependencies = [\n        ('blog', '0001_initial'),\n    ]\n\n    operations = [\n        migrations.AddField(\n            model_name='post',\n            name='note',\n            field=models.TextField(blank=True default=''),\n        ),\n    ]\n",
    )]);
    assert_findings(
        &check(dir.path()),
        &[
            "blog/migrations/0002_more.py:14:47: DJP000 Syntax error: Expected `,`, found name",
            SHOP_BUG,
        ],
    );
}

#[test]
fn syntax_error_in_settings() {
    let object_check =
        "def archive(request, item):\n    return request.user.has_perm('shop.can_sell', item)\n";
    // With readable settings (no AUTHENTICATION_BACKENDS: ModelBackend only), the object check
    // is reported by DJP013…
    let dir = project(&[("shop/archive.py", object_check.as_bytes())]);
    let run = run_djperm(
        dir.path(),
        &["check", "--output-format", "concise", "--select", "DJP013"],
        LIMIT,
    );
    assert_eq!(findings(&run).len(), 1, "{run:#?}");
    // …but not when the settings do not parse: the backends are unknown.
    let broken = SETTINGS.replace("]\n", "\n");
    let dir = project(&[
        ("shop/archive.py", object_check.as_bytes()),
        ("proj/settings.py", broken.as_bytes()),
    ]);
    let run = run_djperm(
        dir.path(),
        &[
            "check",
            "--output-format",
            "concise",
            "--extend-select",
            "DJP013",
        ],
        LIMIT,
    );
    // The apps found in the tree are still checked.
    assert_base_bugs(
        &run,
        &["proj/settings.py:2:1: DJP000 Syntax error: unexpected EOF while parsing"],
    );
    let full = full(dir.path(), "DJP000");
    assert!(
        full.stdout.contains("note: djperm could not read the settings: it reads this project as if it had none (apps found in the tree, any authentication backend, any user model)"),
        "{full:#?}"
    );
}

// ---- the file system ------------------------------------------------------------------------

#[test]
fn symlink_loop() {
    let dir = project(&[]);
    let root = dir.path();
    std::os::unix::fs::symlink(root.join("blog"), root.join("blog/again")).unwrap();
    std::os::unix::fs::symlink(root.join("b.py"), root.join("a.py")).unwrap();
    std::os::unix::fs::symlink(root.join("a.py"), root.join("b.py")).unwrap();
    assert_base_bugs(&check(root), &[]);
}

#[test]
fn directory_named_like_a_python_file() {
    let dir = project(&[("blog/x.py/inner.py", b"y = 1\n")]);
    std::fs::create_dir_all(dir.path().join("shop/empty.py")).unwrap();
    let run = check(dir.path());
    assert_base_bugs(&run, &[]);
    assert!(run.stderr.is_empty(), "{run:#?}");
}

#[test]
fn fifo_does_not_hang() {
    let dir = project(&[]);
    let fifo = dir.path().join("blog/pipe.py");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Nobody ever writes to it: reading it would block forever (`check` kills after LIMIT).
    let run = run_djperm(
        dir.path(),
        &["check", "--output-format", "concise"],
        Duration::from_secs(30),
    );
    assert_base_bugs(&run, &[]);
}

#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[(
        "blog/secret.py",
        b"def s(request):\n    return request.user.has_perm('shop.can_sel')\n",
    )]);
    let secret = dir.path().join("blog/secret.py");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    // root (CAP_DAC_OVERRIDE) reads it anyway: then djperm must read it too.
    let privileged = std::fs::read(&secret).is_ok();
    let run = check(dir.path());
    if privileged {
        eprintln!("unreadable_file: running with privileges, checked that the file is read");
        assert_base_bugs(
            &run,
            &["blog/secret.py:2:34: DJP002 Unknown permission `shop.can_sel`"],
        );
    } else {
        eprintln!("unreadable_file: checked that the file is skipped with a warning");
        assert_base_bugs(&run, &[]);
        assert!(
            run.stderr
                .contains("djperm: warning: skipped blog/secret.py: Permission denied"),
            "{run:#?}"
        );
    }
}

#[test]
fn non_utf8_file_name() {
    use std::os::unix::ffi::OsStrExt;
    let dir = project(&[]);
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
    std::fs::write(
        dir.path().join("blog").join(name),
        "x = request.user.has_perm('shop.can_sel')\n",
    )
    .unwrap();
    // Not a Python file djperm reads: a data file with such a name is not worth a warning.
    std::fs::write(
        dir.path()
            .join("blog")
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9.png")),
        "",
    )
    .unwrap();
    let run = check(dir.path());
    assert_base_bugs(&run, &[]);
    assert_eq!(
        run.stderr.trim_end(),
        "djperm: warning: skipped blog/caf\u{fffd}.py: file name is not valid UTF-8",
        "{run:#?}"
    );
}

#[test]
fn empty_repository() {
    // Nothing to check is not a failure (CI on a repository without Python), as with ruff,
    // but it is said: a wrong path is the likely cause.
    let dir = tempfile::tempdir().unwrap();
    let run = check(dir.path());
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(findings(&run).is_empty());
    assert!(
        run.stderr
            .starts_with("djperm: warning: no Python files, templates or fixtures found under "),
        "{run:#?}"
    );
}

// ---- settings and migrations Django would refuse ------------------------------------------------

#[test]
fn installed_apps_built_dynamically() {
    let dir = project(&[
        (
            "proj/settings.py",
            b"import os\n\ndef plugins():\n    return os.environ.get('PLUGINS', '').split(',')\n\nBASE = ['django.contrib.auth', 'django.contrib.contenttypes']\nINSTALLED_APPS = [a for a in BASE] + ['blog', 'shop'] + plugins()\n",
        ),
        // `extras` may well be a plugin: no DJP002 or DJP003 about it.
        (
            "shop/plugins.py",
            b"def f(request):\n    return request.user.has_perm('extras.run_script')\n",
        ),
    ]);
    assert_base_bugs(&check(dir.path()), &[]);
}

#[test]
fn circular_migration_dependencies() {
    let dir = project(&[
        (
            "blog/migrations/0001_initial.py",
            BLOG_MIGRATION
                .replace("    operations", "    dependencies = [('blog', '0002_more')]\n    operations")
                .as_bytes(),
        ),
        (
            "blog/migrations/0002_more.py",
            b"from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = []\n",
        ),
    ]);
    assert_blog_silenced(&check(dir.path()), "djperm: warning: the migrations of `blog` depend on each other in a cycle (0001_initial, 0002_more): `migrate` fails (CircularDependencyError); djperm says nothing about `blog` permissions");
}

#[test]
fn migration_depending_on_a_missing_app() {
    // `ghost` may be a third-party app installed from PyPI: not an error djperm can see.
    let dir = project(&[(
        "blog/migrations/0002_more.py",
        b"from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial'), ('ghost', '0001_initial')]\n    operations = []\n",
    )]);
    let run = check(dir.path());
    assert_base_bugs(&run, &[]);
    assert!(run.stderr.is_empty(), "{run:#?}");
}

#[test]
fn two_apps_with_the_same_label() {
    let dir = project(&[
        (
            "proj/settings.py",
            SETTINGS
                .replace("'shop']", "'shop', 'legacy.blog']")
                .as_bytes(),
        ),
        ("legacy/__init__.py", b""),
        ("legacy/blog/__init__.py", b""),
        (
            "legacy/blog/models.py",
            b"from django.db import models\n\nclass Old(models.Model):\n    pass\n",
        ),
    ]);
    assert_blog_silenced(&check(dir.path()), "djperm: warning: proj/settings.py: INSTALLED_APPS has two apps labelled `blog` (`blog` and `legacy.blog`): Django refuses to start (ImproperlyConfigured: Application labels aren't unique); djperm says nothing about `blog` permissions");
}

#[test]
fn config_errors_point_at_line_and_column() {
    for (file, text, want) in [
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.djperm]\nselct = [\"DJP002\"]\n",
            "pyproject.toml:5:1: unknown key `selct`",
        ),
        (
            "pyproject.toml",
            "[tool.djperm]\nignore = \"DJP005\"\n",
            "pyproject.toml:2:10: invalid type: string \"DJP005\", expected a sequence",
        ),
        (
            "djperm.toml",
            "preview = \"yes\"\n",
            "djperm.toml:1:11: invalid type: string \"yes\", expected a boolean",
        ),
        ("djperm.toml", "select = [\"DJP002\"\n", "djperm.toml:2:1: "),
    ] {
        let dir = project(&[(file, text.as_bytes())]);
        let run = check(dir.path());
        assert_eq!(run.code, Some(2), "{file}: {text}\n{run:#?}");
        assert!(run.stdout.is_empty(), "{run:#?}");
        let root = dir.path().canonicalize().unwrap();
        let want = format!("djperm: error: {}/{want}", root.display());
        assert!(run.stderr.starts_with(&want), "want {want}\n{run:#?}");
    }
}

// ---- README "Safety promises" ---------------------------------------------------------------------

#[test]
fn safety_promise_never_imports_or_executes_project_code() {
    let scratch = tempfile::tempdir().unwrap();
    let marker = |name: &str| scratch.path().join(name);
    // Every file Django would import, each trying to leave a mark in three ways.
    let payload = |name: &str| {
        format!(
            "import os, subprocess\nopen({:?}, 'w').write('x')\nos.system('touch {}')\nsubprocess.run(['touch', {:?}])\n",
            marker(&format!("{name}-open")),
            marker(&format!("{name}-system")).display(),
            marker(&format!("{name}-subprocess")),
        )
    };
    let settings = format!("{}{SETTINGS}", payload("settings"));
    let models = format!(
        "{}from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n",
        payload("models")
    );
    let manage = format!(
        "{}os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
        payload("manage")
    );
    let urls = format!(
        "{}from django.urls import path\nfrom blog.views import publish\nurlpatterns = [path('p/', publish)]\n",
        payload("urls")
    );
    let dir = project(&[
        ("manage.py", manage.as_bytes()),
        ("proj/settings.py", settings.as_bytes()),
        ("proj/urls.py", urls.as_bytes()),
        ("blog/__init__.py", payload("init").as_bytes()),
        ("blog/apps.py", payload("apps").as_bytes()),
        ("blog/models.py", models.as_bytes()),
        ("conftest.py", payload("conftest").as_bytes()),
        ("setup.py", payload("setup").as_bytes()),
    ]);
    let root = dir.path();
    assert_base_bugs(&check(root), &[]);
    for args in [
        &["check", "--fix", "--unsafe-fixes"][..],
        &["audit"],
        &["permissions"],
    ] {
        let run = run_djperm(root, args, LIMIT);
        assert!(run.code.is_some_and(|c| c < 2), "{args:?}: {run:#?}");
    }
    // The server analyses the project too.
    let mut server = common::StdioServer::spawn(root);
    server.initialize(root);
    server.open(root, "shop/views.py");
    server.read_until(|m| m["method"] == "textDocument/publishDiagnostics");
    assert!(server.shutdown().success());
    let marks: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
    assert!(marks.is_empty(), "project code ran: {marks:?}");
}

#[test]
fn safety_promise_never_follows_a_symlink_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    write_tree(
        outside.path(),
        &[
            (
                "views.py",
                b"def o(request):\n    return request.user.has_perm('shop.can_sel_outside')\n",
            ),
            (
                "app/views.py",
                b"def o(request):\n    return request.user.has_perm('blog.can_publsh_outside')\n",
            ),
        ],
    );
    let dir = project(&[]);
    let root = dir.path();
    std::os::unix::fs::symlink(outside.path().join("views.py"), root.join("shop/linked.py"))
        .unwrap();
    std::os::unix::fs::symlink(outside.path().join("app"), root.join("blog/linked")).unwrap();
    let run = check(root);
    assert_base_bugs(&run, &[]);
    assert!(!run.stdout.contains("outside"), "{run:#?}");
    // Named on the command line, a link out is still not read.
    let run = run_djperm(
        root,
        &[
            "check",
            "--output-format",
            "concise",
            "blog/linked/views.py",
        ],
        LIMIT,
    );
    assert!(!run.stdout.contains("outside"), "{run:#?}");
    // And --fix never writes through one.
    let before = std::fs::read(outside.path().join("views.py")).unwrap();
    run_djperm(root, &["check", "--fix", "--unsafe-fixes"], LIMIT);
    assert_eq!(
        std::fs::read(outside.path().join("views.py")).unwrap(),
        before
    );
}

#[test]
fn safety_promise_writes_only_the_files_it_fixes_atomically() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[]);
    let root = dir.path();
    let shop = root.join("shop/views.py");
    std::fs::set_permissions(&shop, std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = tree_state(root);
    // Only the safe fixes: there are none here (both bugs have unsafe fixes), so nothing moves.
    let run = run_djperm(root, &["check", "--fix"], LIMIT);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(tree_state(root), before);
    std::thread::sleep(Duration::from_millis(20));
    let run = run_djperm(root, &["check", "--fix", "--unsafe-fixes"], LIMIT);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let after = tree_state(root);
    // The same entries (no temporary file left behind, nothing created)…
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    // …and only the two fixed files differ, with their permissions kept (their directories'
    // times change too: the rename of the temporary file replaces the entry).
    let changed: Vec<&String> = before
        .iter()
        .filter(|(k, v)| after[*k] != **v)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(changed, ["blog", "blog/views.py", "shop", "shop/views.py"]);
    assert!(after["blog"].1.is_empty() && after["shop"].1.is_empty());
    assert_eq!(after["shop/views.py"].2 & 0o777, 0o640);
    assert_eq!(
        String::from_utf8_lossy(&after["shop/views.py"].1),
        "def sell(request):\n    return request.user.has_perm('shop.can_sell')\n"
    );
    // The one file a fix creates: DJP004's migration, under `--unsafe-fixes` only, next to the
    // app's migrations, with no other entry changed or left behind.
    // (`can_archive` is checked in a template, as in a real project: DJP030 has nothing to say.)
    write_tree(
        root,
        &[
            ("blog/models.py", b"from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('can_archive', 'Can archive')]\n"),
            ("blog/templates/blog/archive.html", b"{% if perms.blog.can_archive %}<a href=\"archive/\">Archive</a>{% endif %}\n"),
        ],
    );
    let before = tree_state(root);
    assert_eq!(run_djperm(root, &["check", "--fix"], LIMIT).code, Some(1));
    assert_eq!(tree_state(root), before);
    let run = run_djperm(root, &["check", "--fix", "--unsafe-fixes"], LIMIT);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let after = tree_state(root);
    let new = "blog/migrations/0002_alter_post_options.py";
    let changed: Vec<&String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(changed, ["blog/migrations", new]);
    assert_eq!(
        after[new].2 & 0o777,
        before["blog/migrations/__init__.py"].2 & 0o777
    );
}

#[test]
fn safety_promise_never_writes_without_fix() {
    let dir = project(&[]);
    let root = dir.path();
    let before = tree_state(root);
    for args in [
        &["check", "--no-cache"][..],
        &["check", "--diff", "--unsafe-fixes"],
        &["check", "--statistics", "--no-cache"],
        &[
            "check",
            "--show-fixes",
            "--unsafe-fixes",
            "--output-format",
            "json",
            "--no-cache",
        ],
        &["audit"],
        &["audit", "--output-format", "html"],
        &["permissions", "--output-format", "json"],
    ] {
        let run = run_djperm(root, args, LIMIT);
        assert!(run.code.is_some_and(|c| c < 2), "{args:?}: {run:#?}");
        assert_eq!(tree_state(root), before, "{args:?} wrote to the tree");
    }
    // The cache directory is the one thing a report writes: `.djperm_cache/`, which tells git
    // to ignore it; everything else stays byte-identical.
    let run = run_djperm(root, &["check"], LIMIT);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let mut after = tree_state(root);
    let cache: Vec<String> = after
        .keys()
        .filter(|k| k.starts_with(".djperm_cache"))
        .cloned()
        .collect();
    assert!(
        cache.contains(&".djperm_cache/facts.bin".to_string()),
        "{cache:?}"
    );
    assert_eq!(
        after[".djperm_cache/.gitignore"].1,
        b"# Automatically created by djperm.\n*\n"
    );
    for k in cache {
        after.remove(&k);
    }
    assert_eq!(after, before, "`check` wrote outside its cache directory");
}

#[test]
fn safety_promise_reads_only_the_project_and_uses_no_network() {
    // No HTTP, TLS or socket crate is linked.
    let lock =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock")).unwrap();
    for name in [
        "reqwest",
        "hyper",
        "ureq",
        "curl",
        "isahc",
        "surf",
        "attohttpc",
        "openssl",
        "rustls",
        "native-tls",
        "tokio",
        "mio",
        "socket2",
    ] {
        assert!(
            !lock.contains(&format!("name = \"{name}\"")),
            "Cargo.lock links `{name}`"
        );
    }
    // And, where strace is installed (it is on this machine), what the binary opens and whether
    // it makes any network call.
    let strace = std::process::Command::new("strace").arg("-V").output();
    if strace.is_err() {
        eprintln!("strace is not installed: only Cargo.lock was checked");
        return;
    }
    // The project names one package of its virtualenv (`$VIRTUAL_ENV`, outside the project):
    // that package is read, no other.
    let settings = format!("{SETTINGS}INSTALLED_APPS += ['namedapp']\n");
    let dir = project(&[("proj/settings.py", settings.as_bytes())]);
    let root = dir.path().canonicalize().unwrap();
    let venv = tempfile::tempdir().unwrap();
    let site = venv
        .path()
        .canonicalize()
        .unwrap()
        .join("lib/python3.12/site-packages");
    write_tree(
        venv.path(),
        &[
            ("pyvenv.cfg", b"home = /usr/bin\n"),
            ("lib/python3.12/site-packages/namedapp/__init__.py", b""),
            (
                "lib/python3.12/site-packages/namedapp/models.py",
                b"from django.db import models\n",
            ),
            ("lib/python3.12/site-packages/otherpkg/__init__.py", b""),
        ],
    );
    let log = root.parent().unwrap().join(format!(
        "djperm-strace-{}.log",
        root.file_name().unwrap().to_string_lossy()
    ));
    let status = std::process::Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=network,open,openat,openat2,creat",
            "-o",
        ])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_djperm"))
        .args(["check", "--output-format", "concise"])
        .env_remove("LD_LIBRARY_PATH")
        .env("VIRTUAL_ENV", venv.path())
        .arg(&root)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let trace = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    assert!(trace.contains(root.to_str().unwrap()), "{trace}");
    // Above the root: the closest config file, and ignore files (as git: `.gitignore` of the
    // parents, the user's git config naming a global excludes file, and that file).
    let above = |p: &str| {
        ["/djperm.toml", "/pyproject.toml", "/.gitignore", "/.ignore"]
            .iter()
            .any(|n| p.ends_with(n) && root.starts_with(&p[..p.len() - n.len()]))
    };
    let git = |p: &str| {
        p.ends_with("/.gitconfig")
            || p.ends_with("/git/config")
            || p.ends_with("/git/ignore")
            || p == "/etc/gitconfig"
    };
    for line in trace.lines() {
        assert!(
            !["socket(", "connect(", "sendto(", "bind("]
                .iter()
                .any(|c| line.contains(c)),
            "network call: {line}"
        );
        // A failed open reads nothing (the loader probes paths).
        let Some(path) = line.split('"').nth(1).filter(|_| !line.contains(" = -1 ")) else {
            continue;
        };
        let system = ["/lib", "/usr/lib", "/etc/ld.so", "/proc/", "/sys/", "/dev/"]
            .iter()
            .any(|p| path.starts_with(p));
        // The environment: its `lib` and site-packages directories are listed, the named
        // package read.
        let env = Path::new(path).starts_with(site.join("namedapp"))
            || Path::new(path) == site
            || Path::new(path) == site.parent().unwrap().parent().unwrap();
        assert!(
            system || path.starts_with(root.to_str().unwrap()) || above(path) || git(path) || env,
            "opened outside the project: {line}"
        );
    }
    assert!(trace.contains("namedapp/models.py"), "{trace}");
    assert!(!trace.contains("otherpkg"), "{trace}");
}
