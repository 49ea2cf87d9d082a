//! DJP004's fix against real Django: on projects whose `Meta` options drifted from their
//! migrations, `djperm check --fix --unsafe-fixes --select DJP004` writes the migration
//! `makemigrations` would write (same name, dependencies and loaded operations), after which
//! `makemigrations --check --dry-run` finds nothing and a fresh `migrate` creates exactly the
//! declared permissions. The initial migrations are written by Django itself.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

fn python(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(common::python())
        .args(args)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the oracle's Python (DJPERM_PYTHON)");
    assert!(
        out.status.success(),
        "{args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// What real Django sees of the apps `labels` (`tests/oracle/migration_state.py`).
fn state(dir: &Path, labels: &[&str]) -> Value {
    let script = common::fixtures().join("../../oracle/migration_state.py");
    let mut args = vec![script.to_str().unwrap(), dir.to_str().unwrap()];
    args.extend(labels);
    serde_json::from_slice(&python(dir, &args).stdout).expect("the oracle prints JSON")
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::tree_state(dir)
        .into_iter()
        .filter(|(path, _)| !path.contains("__pycache__"))
        .filter(|(path, (_, bytes, _))| !bytes.is_empty() || path.ends_with(".py"))
        .map(|(path, (_, bytes, _))| (path, bytes))
        .collect()
}

fn alter_ops(ops: &Value) -> Vec<Value> {
    ops.as_array()
        .unwrap()
        .iter()
        .filter(|op| op[0] == "AlterModelOptions")
        .cloned()
        .collect()
}

fn fix(dir: &Path) -> common::Run {
    common::run_djperm(
        dir,
        &[
            "check",
            "--fix",
            "--unsafe-fixes",
            "--select",
            "DJP004",
            ".",
        ],
        Duration::from_secs(60),
    )
}

/// Fix the project in `dir` and compare with Django. `exact`: the apps whose every drift the
/// fix covers (no model missing from the migrations), checked for no remaining change and
/// exactly the declared permissions. Returns the created files.
fn check_fix(dir: &Path, labels: &[&str], exact: &[&str]) -> Vec<String> {
    let before = state(dir, labels);
    let files_before = files(dir);
    // What makemigrations writes, in a copy of the project.
    let copy = tempfile::tempdir().unwrap();
    for (path, bytes) in &files_before {
        common::write_tree(copy.path(), &[(path.as_str(), bytes.as_slice())]);
    }
    let mut args = vec!["manage.py", "makemigrations", "-v", "0"];
    args.extend(labels);
    python(copy.path(), &args);
    let django_wrote = files(copy.path());
    let run = fix(dir);
    let files_after = files(dir);
    let after = state(dir, labels);
    // Nothing but new files: every file read is as it was.
    for (path, bytes) in &files_before {
        assert_eq!(files_after.get(path), Some(bytes), "{path} changed");
    }
    let created: Vec<String> = files_after
        .keys()
        .filter(|p| !files_before.contains_key(*p))
        .cloned()
        .collect();
    for label in labels {
        let expected = before["changes"][label]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let expected_alters: Vec<Value> = expected
            .iter()
            .flat_map(|m| alter_ops(&m["operations"]))
            .collect();
        let ours: Vec<&String> = created
            .iter()
            .filter(|p| p.starts_with(&format!("{label}/")))
            .collect();
        if expected_alters.is_empty() {
            assert!(ours.is_empty(), "{label}: nothing to alter, yet {ours:?}");
            continue;
        }
        assert_eq!(
            ours.len(),
            1,
            "{label}: one migration, got {ours:?}\n{run:?}"
        );
        let name = ours[0].rsplit('/').next().unwrap().trim_end_matches(".py");
        let written = &after["migrations"][label][name];
        assert_eq!(
            alter_ops(&written["operations"]),
            expected_alters,
            "{label}: the operations makemigrations writes"
        );
        assert_eq!(
            written["operations"].as_array().unwrap().len(),
            expected_alters.len(),
            "{label}: only AlterModelOptions"
        );
        assert_eq!(
            written["dependencies"], expected[0]["dependencies"],
            "{label}: depends on the leaf"
        );
        // Where makemigrations writes only these operations, the same name too.
        if expected.len() == 1
            && alter_ops(&expected[0]["operations"]).len()
                == expected[0]["operations"].as_array().unwrap().len()
        {
            assert_eq!(name, expected[0]["name"], "{label}: makemigrations' name");
            // The text too, but for the header line (Django's version and the time).
            let text = |bytes: &[u8]| {
                let text = String::from_utf8(bytes.to_vec()).unwrap();
                text.split_once('\n').unwrap().1.to_string()
            };
            assert_eq!(
                text(&files_after[ours[0].as_str()]),
                text(&django_wrote[ours[0].as_str()]),
                "{label}: the text makemigrations writes"
            );
        }
        let left = after["changes"][label]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            left.iter().all(|m| alter_ops(&m["operations"]).is_empty()),
            "{label}: options still drift after the fix: {left:?}"
        );
    }
    for label in exact {
        assert!(
            after["changes"].get(label).is_none(),
            "{label}: makemigrations still has changes: {}",
            after["changes"][label]
        );
        let of = |key: &str| -> BTreeSet<String> {
            after[key]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r[0] == *label)
                .map(|r| r.to_string())
                .collect()
        };
        assert_eq!(
            of("created"),
            of("declared"),
            "{label}: the rows migrate creates"
        );
    }
    if exact.len() == labels.len() {
        assert_eq!(after["check_exit"], 0, "makemigrations --check --dry-run");
        assert!(
            !run.stdout.contains("DJP004"),
            "no DJP004 left:\n{}",
            run.stdout
        );
    }
    // Idempotent: a second run changes nothing.
    let again = fix(dir);
    assert_eq!(
        files(dir),
        files_after,
        "second run changed files:\n{again:?}"
    );
    created
}

const MANAGE: &str = "import os\nimport sys\n\nif __name__ == '__main__':\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n    from django.core.management import execute_from_command_line\n\n    execute_from_command_line(sys.argv)\n";

/// A project with `apps` (label → models.py before the drift) whose initial migrations
/// Django writes; then `after` (path → text) is laid over it.
fn drifted(apps: &[(&str, &str)], after: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let installed: Vec<String> = apps.iter().map(|(l, _)| format!("'{l}'")).collect();
    let settings = format!(
        "SECRET_KEY = 'x'\nINSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', {}]\nDATABASES = {{'default': {{'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}}}\nDEFAULT_AUTO_FIELD = 'django.db.models.AutoField'\nUSE_TZ = True\n",
        installed.join(", ")
    );
    let mut tree: Vec<(String, String)> = vec![
        ("manage.py".into(), MANAGE.into()),
        ("proj/__init__.py".into(), String::new()),
        ("proj/settings.py".into(), settings),
    ];
    for (label, models) in apps {
        tree.push((format!("{label}/__init__.py"), String::new()));
        tree.push((format!("{label}/models.py"), models.to_string()));
        tree.push((format!("{label}/migrations/__init__.py"), String::new()));
    }
    let bytes: Vec<(&str, &[u8])> = tree
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_bytes()))
        .collect();
    common::write_tree(dir.path(), &bytes);
    python(dir.path(), &["manage.py", "makemigrations", "-v", "0"]);
    let bytes: Vec<(&str, &[u8])> = after.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    common::write_tree(dir.path(), &bytes);
    dir
}

const NEW_ENTRY_V1: &str = "from django.db import models\n\n\nclass Post(models.Model):\n    title = models.CharField(max_length=20)\n\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n";
const NEW_ENTRY_V2: &str = "from django.db import models\n\n\nclass Post(models.Model):\n    title = models.CharField(max_length=20)\n\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('can_archive', \"Can't archive\")]\n";

#[test]
fn each_kind_of_drift_gets_the_migration_makemigrations_writes() {
    let dir = drifted(
        &[
            ("newentry", NEW_ENTRY_V1),
            // An entry renamed: the removed one goes too.
            ("removed", "from django.db import models\n\n\nclass Item(models.Model):\n    class Meta:\n        permissions = (('can_old', 'Old'), ('can_keep', 'Keep'))\n"),
            ("defaults", "from django.db import models\n\n\nclass Report(models.Model):\n    pass\n"),
            ("inherited", "from django.db import models\n\n\nclass Audited(models.Model):\n    class Meta:\n        abstract = True\n\n\nclass Invoice(Audited):\n    pass\n\n\nclass Receipt(Audited):\n    class Meta(Audited.Meta):\n        ordering = ['-id']\n"),
            ("proxied", "from django.db import models\n\n\nclass Thing(models.Model):\n    pass\n\n\nclass SpecialThing(Thing):\n    class Meta:\n        proxy = True\n"),
            ("several", "from django.db import models\n\n\nclass Article(models.Model):\n    pass\n\n\nclass Comment(models.Model):\n    pass\n\n\nclass Post(models.Model):\n    pass\n\n\nclass Tag(models.Model):\n    class Meta:\n        permissions = [('can_tag', 'Can tag')]\n"),
            ("carried", "from django.db import models\nfrom django.utils.translation import gettext_lazy as _\n\n\nclass Entry(models.Model):\n    created = models.DateTimeField()\n\n    class Meta:\n        ordering = ('-created', 'id')\n        verbose_name = _('journal entry')\n        verbose_name_plural = 'journal entries'\n        get_latest_by = 'created'\n        default_permissions = ('add', 'view')\n"),
        ],
        &[
            ("newentry/models.py", NEW_ENTRY_V2),
            ("removed/models.py", "from django.db import models\n\n\nclass Item(models.Model):\n    class Meta:\n        permissions = (('can_new', 'New'), ('can_keep', 'Keep'))\n"),
            ("defaults/models.py", "from django.db import models\n\n\nclass Report(models.Model):\n    class Meta:\n        default_permissions = ('view', 'export')\n"),
            ("inherited/models.py", "from django.db import models\n\n\nclass Audited(models.Model):\n    class Meta:\n        abstract = True\n        permissions = [('can_audit', 'Can audit')]\n\n\nclass Invoice(Audited):\n    pass\n\n\nclass Receipt(Audited):\n    class Meta(Audited.Meta):\n        ordering = ['-id']\n"),
            ("proxied/models.py", "from django.db import models\n\n\nclass Thing(models.Model):\n    pass\n\n\nclass SpecialThing(Thing):\n    class Meta:\n        proxy = True\n        permissions = [('can_special', 'Can special')]\n"),
            ("several/models.py", "from django.db import models\n\n\nclass Article(models.Model):\n    class Meta:\n        permissions = [('can_feature', 'Can feature')]\n\n\nclass Comment(models.Model):\n    class Meta:\n        default_permissions = ['add', 'moderate']\n\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_pin', 'Can pin')]\n\n\nclass Tag(models.Model):\n    class Meta:\n        permissions = [('can_tag', 'Can tag')]\n"),
            ("carried/models.py", "from django.db import models\nfrom django.utils.translation import gettext_lazy as _\n\n\nclass Entry(models.Model):\n    created = models.DateTimeField()\n\n    class Meta:\n        ordering = ('-created', 'id')\n        verbose_name = _('journal entry')\n        verbose_name_plural = 'journal entries'\n        get_latest_by = 'created'\n        default_permissions = ('add', 'view', 'export')\n"),
        ],
    );
    let labels = [
        "newentry",
        "removed",
        "defaults",
        "inherited",
        "proxied",
        "several",
        "carried",
    ];
    let created = check_fix(dir.path(), &labels, &labels);
    assert_eq!(
        created,
        [
            "carried/migrations/0002_alter_entry_options.py",
            "defaults/migrations/0002_alter_report_options.py",
            "inherited/migrations/0002_alter_invoice_options_alter_receipt_options.py",
            "newentry/migrations/0002_alter_post_options.py",
            "proxied/migrations/0002_alter_specialthing_options.py",
            "removed/migrations/0002_alter_item_options.py",
            "several/migrations/0002_alter_article_options_alter_comment_options_and_more.py",
        ]
    );
}

#[test]
fn an_app_whose_last_migration_is_a_squash() {
    let v2 = "from django.db import models\n\n\nclass Ticket(models.Model):\n    class Meta:\n        ordering = ['id']\n";
    let v1 = "from django.db import models\n\n\nclass Ticket(models.Model):\n    pass\n";
    let dir = drifted(&[("squashy", v1)], &[]);
    common::write_tree(dir.path(), &[("squashy/models.py", v2.as_bytes())]);
    python(dir.path(), &["manage.py", "makemigrations", "-v", "0"]);
    python(
        dir.path(),
        &[
            "manage.py",
            "squashmigrations",
            "squashy",
            "0002",
            "--noinput",
            "-v",
            "0",
        ],
    );
    let v3 = "from django.db import models\n\n\nclass Ticket(models.Model):\n    class Meta:\n        ordering = ['id']\n        permissions = [('can_close', 'Can close')]\n";
    common::write_tree(dir.path(), &[("squashy/models.py", v3.as_bytes())]);
    let created = check_fix(dir.path(), &["squashy"], &["squashy"]);
    assert_eq!(created, ["squashy/migrations/0003_alter_ticket_options.py"]);
    // The replaced migrations gone, the squash alone (its `replaces` kept): the same.
    let dir2 = tempfile::tempdir().unwrap();
    for (path, bytes) in files(dir.path()) {
        let name = path.rsplit('/').next().unwrap();
        let replaced = ["0001_initial", "0002_", "0003_"]
            .iter()
            .any(|p| name.starts_with(p));
        if !(path.starts_with("squashy/migrations/") && replaced) {
            common::write_tree(dir2.path(), &[(path.as_str(), bytes.as_slice())]);
        }
    }
    let created = check_fix(dir2.path(), &["squashy"], &["squashy"]);
    assert_eq!(created, ["squashy/migrations/0003_alter_ticket_options.py"]);
}

#[test]
fn fixture_projects_with_unmigrated_permissions() {
    for (name, labels, exact) in [
        (
            "migrations_replay",
            &["blog", "news", "remap"][..],
            &["news", "remap"][..],
        ),
        ("rules_positive", &["blog"][..], &[][..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        for (path, bytes) in files(&common::fixtures().join(name)) {
            common::write_tree(dir.path(), &[(path.as_str(), bytes.as_slice())]);
        }
        check_fix(dir.path(), labels, exact);
    }
}

#[test]
fn no_fix_without_a_single_leaf_or_for_a_model_in_no_migration() {
    // Two leaf migrations: makemigrations refuses (a conflict); so does the fix.
    let dir = drifted(&[("newentry", NEW_ENTRY_V1)], &[]);
    let leaf =
        std::fs::read_to_string(dir.path().join("newentry/migrations/0001_initial.py")).unwrap();
    common::write_tree(
        dir.path(),
        &[
            ("newentry/migrations/0002_a.py", b"from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [('newentry', '0001_initial')]\n    operations = []\n"),
            ("newentry/migrations/0002_b.py", b"from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [('newentry', '0001_initial')]\n    operations = []\n"),
            ("newentry/models.py", NEW_ENTRY_V2.as_bytes()),
        ],
    );
    let before = files(dir.path());
    let run = fix(dir.path());
    assert!(run.stdout.contains("DJP004"), "{run:?}");
    assert_eq!(files(dir.path()), before);
    assert!(leaf.contains("CreateModel"));
    // A model in no migration: DJP004 without a fix, nothing written.
    let (dir, analysis) = common::project(&[(
        "blog/models.py",
        "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Draft(models.Model):\n    pass\n",
    )]);
    let d: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == "DJP004")
        .collect();
    assert_eq!(d.len(), 1, "{:?}", common::codes(&analysis));
    assert!(d[0].fix.is_none());
    let before = files(dir.path());
    fix(dir.path());
    assert_eq!(files(dir.path()), before);
}

/// The code action for a DJP004 finding, from a server initialised with `capabilities`.
fn lsp_actions(capabilities: Value) -> (tempfile::TempDir, Vec<Value>) {
    use serde_json::json;
    let (dir, _) = common::project(&[("blog/models.py", "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('can_archive', 'Can archive')]\n")]);
    let root = dir.path();
    let mut server = common::StdioServer::spawn(root);
    let root_uri = djperm::server::text::path_to_uri(root);
    server.send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "processId": null, "rootUri": root_uri, "capabilities": capabilities,
        "workspaceFolders": [{"uri": root_uri, "name": "p"}]}}),
    );
    server.read_until(|m| m["id"] == 0);
    server.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let uri = server.open(root, "blog/models.py");
    let published = server.read_until(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| !d.is_empty())
    });
    let diagnostics = published["params"]["diagnostics"].clone();
    server.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 5, "character": 0}},
        "context": {"diagnostics": diagnostics, "only": ["quickfix"]}}}),
    );
    let actions = server.read_until(|m| m["id"] == 1)["result"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    server.shutdown();
    (dir, actions)
}

#[test]
fn the_code_action_creates_the_file_when_the_client_can() {
    use serde_json::json;
    let (dir, actions) = lsp_actions(json!({"workspace": {"workspaceEdit": {
        "documentChanges": true, "resourceOperations": ["create", "rename"]}}}));
    let create: Vec<&Value> = actions
        .iter()
        .filter(|a| a["edit"]["documentChanges"].is_array())
        .collect();
    assert_eq!(create.len(), 1, "{actions:#?}");
    let changes = create[0]["edit"]["documentChanges"].as_array().unwrap();
    let path = dir
        .path()
        .join("blog/migrations/0002_alter_post_options.py");
    let uri = djperm::server::text::path_to_uri(&path);
    assert_eq!(changes[0]["kind"], "create");
    assert_eq!(changes[0]["uri"], uri.as_str());
    assert_eq!(changes[0]["options"]["overwrite"], false);
    assert_eq!(changes[1]["textDocument"]["uri"], uri.as_str());
    let text = changes[1]["edits"][0]["newText"].as_str().unwrap();
    assert!(text.contains("('blog', '0001_initial')"), "{text}");
    assert!(text.contains("('can_archive', 'Can archive')"), "{text}");
    assert!(!path.exists(), "the server writes nothing itself");
    // A client that cannot create files is not offered the action (the noqa one remains).
    let (_dir, actions) =
        lsp_actions(json!({"workspace": {"workspaceEdit": {"documentChanges": true}}}));
    assert!(!actions.is_empty());
    assert!(
        actions
            .iter()
            .all(|a| a["edit"]["documentChanges"].is_null()
                && !a["title"].as_str().unwrap().contains("migration")),
        "{actions:#?}"
    );
}

const BLOG_0001: &str = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [\n        migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]}),\n        migrations.CreateModel(name='Page', fields=[]),\n        migrations.CreateModel(name='Note', fields=[]),\n    ]\n";

#[test]
fn a_model_whose_options_do_not_fold_is_left_out_of_the_migration() {
    let (_dir, analysis) = common::project(&[
        (
            "blog/models.py",
            "from django.db import models\nfrom django.db.models.functions import Lower\n\nPERMS = [('can_note', 'Can note')]\n\n\nclass Post(models.Model):\n    class Meta:\n        ordering = [Lower('title')]\n        permissions = [('can_publish', 'Can publish'), ('can_archive', 'Can archive')]\n\n\nclass Page(models.Model):\n    class Meta:\n        permissions = [('can_edit', 'Can edit')]\n\n\nclass Note(models.Model):\n    class Meta:\n        permissions = PERMS\n",
        ),
        ("blog/migrations/0001_initial.py", BLOG_0001),
    ]);
    let found: Vec<(String, Option<Vec<String>>)> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == "DJP004")
        .map(|d| {
            let created = d
                .fix
                .as_ref()
                .map(|f| f.creates.iter().map(|c| c.path.clone()).collect());
            (d.message.clone(), created)
        })
        .collect();
    // An expression in `ordering`, a list held in a constant: no fix for those models; the
    // model whose options fold gets its migration alone.
    assert_eq!(found.len(), 3, "{found:#?}");
    for (message, created) in &found {
        if message.contains("can_edit") {
            assert_eq!(
                created.as_deref(),
                Some(&["blog/migrations/0002_alter_page_options.py".to_string()][..])
            );
        } else {
            assert_eq!(created, &None, "{message}");
        }
    }
}

#[test]
fn the_migration_is_never_written_over_an_existing_file() {
    // The file exists but is not read (excluded): the fix refuses to replace it, exit 2.
    let (dir, _) = common::project(&[
        (
            "blog/models.py",
            "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('can_archive', 'Can archive')]\n",
        ),
        ("djperm.toml", "exclude = [\"blog/migrations/0002_*\"]\n"),
        ("blog/migrations/0002_alter_post_options.py", "# mine\n"),
    ]);
    let run = fix(dir.path());
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("exists already"), "{run:?}");
    assert_eq!(
        std::fs::read_to_string(
            dir.path()
                .join("blog/migrations/0002_alter_post_options.py")
        )
        .unwrap(),
        "# mine\n"
    );
    // `--diff` shows the new file and writes nothing.
    let run = common::run_djperm(
        dir.path(),
        &[
            "check",
            "--diff",
            "--unsafe-fixes",
            "--select",
            "DJP004",
            ".",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.starts_with(
            "--- /dev/null\n+++ blog/migrations/0002_alter_post_options.py\n@@ -0,0 +1,17 @@\n+# Generated by djperm"
        ),
        "{run:?}"
    );
}
