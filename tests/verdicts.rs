//! One root cause, one diagnostic, the right code, and fixes that never change what a check is
//! about: the verdicts on permission strings and on the declarations they name.

mod common;
#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};

use common::{codes, project};
use serde_json::json;

fn scenario() -> PathBuf {
    common::fixtures().join("one_root_cause")
}

/// `(file, line, code)` of every finding, and the fix applicability of each.
fn located(a: &djperm::Analysis) -> Vec<(String, usize, String, Option<&'static str>)> {
    a.diagnostics
        .iter()
        .map(|d| {
            let text = a.ws.text(d.span.file);
            let line = text[..d.span.start as usize].matches('\n').count() + 1;
            (
                a.ws.path(d.span.file).to_string(),
                line,
                d.code.to_string(),
                d.fix.as_ref().map(|f| f.applicability.as_str()),
            )
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

// ---- the scenario -----------------------------------------------------------------------------

#[test]
fn a_declared_but_unmigrated_permission_is_reported_once_and_its_label_fix_is_offered() {
    let a = common::analyze_dir(&scenario());
    let got = located(&a);
    assert_eq!(
        got,
        [
            // DJP004's own fix writes the missing migration (unsafe: it changes what `migrate`
            // does on deploy).
            (
                "reports/models.py".into(),
                9,
                "DJP004".into(),
                Some("unsafe")
            ),
            (
                "reports/tests.py".into(),
                11,
                "DJP005".into(),
                Some("display-only")
            ),
            (
                "reports/views.py".into(),
                6,
                "DJP001".into(),
                Some("unsafe")
            ),
        ],
        "{:?}",
        codes(&a)
    );
    let djp001 = &a.diagnostics[2];
    let fix = djp001.fix.as_ref().unwrap();
    assert_eq!(fix.edits[0].content, "reports.can_export");
    // DJP004 says how many places check the permission and names them.
    let djp004 = &a.diagnostics[0];
    assert!(
        djp004.message.ends_with("; 4 places check it"),
        "{}",
        djp004.message
    );
    let related: Vec<(String, usize)> = djp004
        .related
        .iter()
        .map(|(span, _)| {
            let text = a.ws.text(span.file);
            (
                a.ws.path(span.file).to_string(),
                text[..span.start as usize].matches('\n').count() + 1,
            )
        })
        .collect();
    assert_eq!(
        related,
        [
            ("reports/tests.py".to_string(), 8),
            ("reports/tests.py".to_string(), 9),
            ("reports/tests.py".to_string(), 11),
            ("reports/views.py".to_string(), 6),
        ]
    );
}

/// `djperm check --fix --unsafe-fixes ARGS` on a copy of the scenario, then the codes a plain
/// check still reports.
fn fix_scenario(extra: &[&str]) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("one_root_cause");
    copy_dir(&scenario(), &root);
    let mut args = vec!["check", ".", "--fix", "--unsafe-fixes"];
    args.extend_from_slice(extra);
    let run = common::run_djperm(&root, &args, std::time::Duration::from_secs(60));
    assert!(matches!(run.code, Some(0 | 1)), "{run:?}");
    let after = common::run_djperm(
        &root,
        &["check", ".", "--output-format", "concise"],
        std::time::Duration::from_secs(60),
    );
    let codes: Vec<String> = after
        .stdout
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .filter_map(|rest| rest.split(' ').next())
        .map(str::to_string)
        .collect();
    (dir, root, codes)
}

#[test]
fn fixing_the_scenario_leaves_the_migration_and_the_stale_cache() {
    // The label fix alone (the migration's fix left out): DJP004 and DJP005 remain.
    let (_dir, root, codes) = fix_scenario(&["--ignore", "DJP004"]);
    let views = std::fs::read_to_string(root.join("reports/views.py")).unwrap();
    assert!(
        views.contains("has_perm(\"reports.can_export\")"),
        "{views}"
    );
    assert_eq!(codes, ["DJP004", "DJP005"]);
    // Every unsafe fix: the label, and the migration DJP004's fix writes; only the stale cache,
    // which needs a person, remains.
    let (_dir, root, codes) = fix_scenario(&[]);
    let views = std::fs::read_to_string(root.join("reports/views.py")).unwrap();
    assert!(views.contains("has_perm(\"reports.can_export\")"));
    assert!(root
        .join("reports/migrations/0002_alter_report_options.py")
        .exists());
    assert_eq!(codes, ["DJP005"]);
}

#[test]
fn the_same_permission_with_its_migration_is_silent_and_a_typo_of_it_is_still_reported() {
    let migrated = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish'), ('can_export', 'Can export')]})]\n";
    let model = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('can_export', 'Can export')]\n";
    let views = "def v(request):\n    a = request.user.has_perm('blog.can_export')\n    return request.user.has_perm('blog.can_exprt')\n";
    let (_d, a) = project(&[
        ("blog/models.py", model),
        ("blog/migrations/0001_initial.py", migrated),
        ("blog/views.py", views),
    ]);
    assert_eq!(
        codes(&a),
        ["DJP002 Unknown permission `blog.can_exprt`"],
        "{:?}",
        codes(&a)
    );
    // Unmigrated: the check of it is silent (DJP004 speaks), the typo is still reported, and
    // its suggestion names the declared permission.
    let (_d, a) = project(&[("blog/models.py", model), ("blog/views.py", views)]);
    let got = codes(&a);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("DJP004 Permission `blog.can_export`"));
    assert!(got[0].ends_with("; 1 place checks it"), "{got:?}");
    assert_eq!(got[1], "DJP002 Unknown permission `blog.can_exprt`");
    assert_eq!(
        a.diagnostics[1].help.as_deref(),
        Some("Did you mean `blog.can_export`?")
    );
}

#[test]
fn lookups_of_an_unmigrated_permission_are_not_reported_again() {
    let model = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('can_export', 'Can export')]\n";
    let lookups = "from django.contrib.auth.models import Permission\n\ndef f():\n    a = Permission.objects.get(codename='can_export')\n    b = Permission.objects.get(codename='can_export', content_type__app_label='blog')\n    return Permission.objects.get(codename='can_exprot', content_type__app_label='blog')\n";
    let (_d, a) = project(&[("blog/models.py", model), ("blog/services.py", lookups)]);
    let got = codes(&a);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("DJP004"), "{got:?}");
    assert!(got[0].ends_with("; 2 places check it"), "{got:?}");
    assert!(got[1].contains("can_exprot"), "{got:?}");
}

#[test]
fn a_model_in_no_migration_is_reported_once_with_the_checks_of_its_permissions() {
    let model = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Draft(models.Model):\n    pass\n";
    let views = "def v(request):\n    a = request.user.has_perm('blog.view_draft')\n    return request.user.has_perm('blog.view_drafts')\n";
    let (_d, a) = project(&[("blog/models.py", model), ("blog/views.py", views)]);
    let got = codes(&a);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("DJP004 Model `Draft`"), "{got:?}");
    assert!(got[0].ends_with("; 1 place checks it"), "{got:?}");
    assert!(got[1].starts_with("DJP002 Unknown permission `blog.view_drafts`"));
}

#[test]
fn default_permissions_and_inherited_entries_keep_their_djp004() {
    let model = "from django.db import models\n\nclass Base(models.Model):\n    class Meta:\n        abstract = True\n        permissions = [('can_archive', 'Can archive')]\n\nclass Post(Base):\n    class Meta(Base.Meta):\n        default_permissions = ('add', 'change', 'delete', 'view', 'export')\n        permissions = [('can_publish', 'Can publish'), ('can_archive', 'Can archive')]\n";
    let views = "def v(request):\n    a = request.user.has_perm('blog.export_post')\n    return request.user.has_perm('blog.can_archive')\n";
    let (_d, a) = project(&[("blog/models.py", model), ("blog/views.py", views)]);
    let got = codes(&a);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.iter()
            .any(|c| c.starts_with("DJP004 `default_permissions` of `Post`")
                && c.contains("`blog.export_post`")
                && c.ends_with("; 1 place checks it")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|c| c.starts_with("DJP004 Permission `blog.can_archive`")),
        "{got:?}"
    );
}

#[test]
fn permissions_lists_what_the_code_declares_and_the_database_lacks() {
    let run = common::run_djperm(
        &scenario(),
        &["permissions", "--output-format", "json"],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let export = rows
        .iter()
        .find(|r| r["permission"] == "reports.can_export")
        .expect("the declared permission is listed");
    assert_eq!(export["in_database"], json!(false));
    assert_eq!(export["source"], json!("meta"));
    assert_eq!(export["filename"], json!("reports/models.py"));
    assert_eq!(export["row"], json!(9));
    let view = rows
        .iter()
        .find(|r| r["permission"] == "reports.view_report")
        .unwrap();
    assert_eq!(view["in_database"], json!(true));
}

#[test]
fn the_editor_shows_the_checks_as_related_information_and_hover_explains() {
    let files: Vec<(String, String)> = walk(&scenario());
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let (mut client, _) = lsp_client::Client::start(&files, lsp_client::Setup::default());
    client.open("reports/models.py");
    let diags = client.diagnostics("reports/models.py");
    let djp004 = &diags["diagnostics"][0];
    assert_eq!(djp004["code"], "DJP004");
    let related = djp004["relatedInformation"].as_array().unwrap();
    assert_eq!(related.len(), 4, "{related:?}");
    assert!(related[0]["location"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("reports/tests.py"));
    assert_eq!(related[0]["message"], "checks `reports.can_export`");
    client.open("reports/tests.py");
    let hover = client.request(
        "textDocument/hover",
        client.at("reports/tests.py", "reports.can_export", 2),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("In a fresh database: **no**"), "{text}");
    assert!(text.contains("no migration does"), "{text}");
    client.shutdown();
}

fn walk(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_readme_shows_the_end_of_the_example_output() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let start = readme
        .find("```text\nerror[")
        .expect("the README shows example output")
        + "```text\n".len();
    let block = &readme[start..start + readme[start..].find("```\n").unwrap()];
    let run = common::run_djperm(
        repo,
        &["check", "example"],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.ends_with(block),
        "the README's example output is stale; the run printed:\n{}",
        run.stdout
    );
    for code in [
        "error[DJP004]",
        "error[DJP005]",
        "error[DJP001]",
        "unsafe fix: Add the app label: `reports.can_export`",
    ] {
        assert!(block.contains(code), "{block}");
    }
}

// ---- fix safety -------------------------------------------------------------------------------

/// `(message, help, fix applicability)` of each finding.
fn fixes(a: &djperm::Analysis) -> Vec<(String, Option<String>, Option<&'static str>)> {
    a.diagnostics
        .iter()
        .map(|d| {
            (
                format!("{} {}", d.code, d.message),
                d.help.clone(),
                d.fix.as_ref().map(|f| f.applicability.as_str()),
            )
        })
        .collect()
}

const SHOP_MODELS: &str = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Order(models.Model):\n    tags = models.ManyToManyField('Tag')\n\nclass Tag(models.Model):\n    pass\n";
const SHOP_MIGRATION: &str = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]}), migrations.CreateModel(name='Order', fields=[]), migrations.CreateModel(name='Tag', fields=[])]\n";

#[test]
fn a_near_miss_on_another_model_is_help_never_a_fix() {
    let views = "def v(request):\n    return request.user.has_perm('blog.delete_ordertag')\n";
    let (_d, a) = project(&[
        ("blog/models.py", SHOP_MODELS),
        ("blog/migrations/0001_initial.py", SHOP_MIGRATION),
        ("blog/views.py", views),
    ]);
    let got = fixes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "DJP002 Unknown permission `blog.delete_ordertag`");
    assert_eq!(
        got[0].1.as_deref(),
        Some("Did you mean `blog.delete_order`?")
    );
    assert_eq!(got[0].2, None, "{got:?}");
    assert!(a.diagnostics[0]
        .notes
        .iter()
        .any(|n| n.starts_with("No fix is offered")));
}

#[test]
fn typos_inside_the_same_models_action_and_case_differences_keep_their_unsafe_fix() {
    let views = "def v(request):\n    a = request.user.has_perm('blog.chnage_post')\n    b = request.user.has_perm('blog.view_postt')\n    c = request.user.has_perm('blog.CAN_PUBLISH')\n    d = request.user.has_perm('blog.can_publsh')\n    return request.user.has_perm('blog.change_orderr')\n";
    let (_d, a) = project(&[
        ("blog/models.py", SHOP_MODELS),
        ("blog/migrations/0001_initial.py", SHOP_MIGRATION),
        ("blog/views.py", views),
    ]);
    let got = fixes(&a);
    let expected = [
        ("blog.chnage_post", "blog.change_post"),
        ("blog.view_postt", "blog.view_post"),
        ("blog.CAN_PUBLISH", "blog.can_publish"),
        ("blog.can_publsh", "blog.can_publish"),
        ("blog.change_orderr", "blog.change_order"),
    ];
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for ((message, help, fix), (written, meant)) in got.iter().zip(expected) {
        assert_eq!(message, &format!("DJP002 Unknown permission `{written}`"));
        assert_eq!(
            help.as_deref(),
            Some(format!("Did you mean `{meant}`?").as_str())
        );
        assert_eq!(*fix, Some("unsafe"), "{written}");
    }
}

#[test]
fn the_new_model_name_after_rename_model_is_an_unsafe_fix() {
    let model = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Entry(models.Model):\n    pass\n";
    let m1 = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]}), migrations.CreateModel(name='Article', fields=[])]\n";
    let m2 = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = [migrations.RenameModel('Article', 'Entry')]\n";
    let views = "def v(request):\n    return request.user.has_perm('blog.change_article')\n";
    let (_d, a) = project(&[
        ("blog/models.py", model),
        ("blog/migrations/0001_initial.py", m1),
        ("blog/migrations/0002_rename.py", m2),
        ("blog/views.py", views),
    ]);
    let got = fixes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].1.as_deref(),
        Some("Did you mean `blog.change_entry`?")
    );
    assert_eq!(got[0].2, Some("unsafe"));
}

#[test]
fn a_wrong_label_is_fixed_only_towards_the_one_label_that_defines_the_codename() {
    let views = "def v(request):\n    a = request.user.has_perm('blogs.can_publish')\n    return request.user.has_perm('blogs.can_archive')\n";
    let (_d, a) = project(&[("blog/views.py", views)]);
    let got = fixes(&a);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].0.starts_with("DJP003 Unknown app label `blogs`"));
    assert_eq!(got[0].2, Some("unsafe"), "{got:?}");
    // `blog.can_archive` does not exist either: help, no fix.
    assert!(got[1].0.starts_with("DJP003 Unknown app label `blogs`"));
    assert!(got[1]
        .1
        .as_deref()
        .unwrap()
        .starts_with("Did you mean `blog.can_archive`?"));
    assert_eq!(got[1].2, None, "{got:?}");
}

// ---- what is a model --------------------------------------------------------------------------

#[test]
fn classes_under_type_checking_and_anonymous_user_subclasses_are_not_models() {
    let model = "from typing import TYPE_CHECKING\nimport typing\n\nfrom django.contrib.auth.models import AnonymousUser\nfrom django.db import models\n\nif TYPE_CHECKING:\n    class Stub(models.Model):\n        pass\n\nif typing.TYPE_CHECKING:\n    class Stub2(models.Model):\n        pass\n    from django.db.models import Model as Base\nelse:\n    Base = object\n\nclass Typed(Base):\n    pass\n\nclass Guest(AnonymousUser):\n    def has_perm(self, perm, obj=None):\n        return perm == 'blog.view_post'\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Draft(models.Model):\n    pass\n";
    let (_d, a) = project(&[("blog/models.py", model)]);
    let got = codes(&a);
    // The real model in no migration is still reported.
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("DJP004 Model `Draft`"), "{got:?}");
    let names: Vec<&str> = a.index.projects[0]
        .code_models
        .iter()
        .map(|m| m.object_name.as_str())
        .collect();
    assert_eq!(names, ["Post", "Draft"]);
}

// ---- the right code for lookups ---------------------------------------------------------------

const TWO_APPS_SETTINGS: &str = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'apps.shop']\n";
const SHOP_FILES: &[(&str, &str)] = &[
    ("apps/__init__.py", ""),
    ("apps/shop/__init__.py", ""),
    (
        "apps/shop/models.py",
        "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n",
    ),
    ("apps/shop/migrations/__init__.py", ""),
    (
        "apps/shop/migrations/0001_initial.py",
        "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]})]\n",
    ),
];

fn with_shop(extra: &[(&'static str, &'static str)]) -> (tempfile::TempDir, djperm::Analysis) {
    let mut files: Vec<(&str, &str)> = vec![("proj/settings.py", TWO_APPS_SETTINGS)];
    files.extend_from_slice(SHOP_FILES);
    files.extend_from_slice(extra);
    project(&files)
}

#[test]
fn a_lookup_of_a_missing_row_is_djp002_and_of_an_unknown_label_djp003() {
    let services = "from django.contrib.auth.models import Permission\n\ndef f():\n    a = Permission.objects.get(codename='can_publsh', content_type__app_label='blog')\n    b = Permission.objects.get(codename='can_publish', content_type__app_label='apps.shop')\n    c = Permission.objects.get(codename='can_publish', content_type__app_label='blogg')\n    d = Permission.objects.get(codename='can_publish', content_type__app_label='blog', content_type__model='post')\n    return Permission.objects.get(codename='can_nothing')\n";
    let (_d, a) = with_shop(&[("blog/services.py", services)]);
    let got = fixes(&a);
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(
        got[0].0,
        "DJP002 `Permission.objects.get` looks up `blog.can_publsh`, which no fresh database has"
    );
    assert_eq!(
        got[0].1.as_deref(),
        Some("Did you mean `blog.can_publish`?")
    );
    assert_eq!(
        got[1].0,
        "DJP003 Unknown app label `apps.shop` in `content_type__app_label`"
    );
    assert!(
        got[1]
            .1
            .as_deref()
            .unwrap()
            .starts_with("Did you mean `content_type__app_label=\"shop\"`?"),
        "{got:?}"
    );
    assert_eq!(
        got[2].0,
        "DJP003 Unknown app label `blogg` in `content_type__app_label`"
    );
    assert_eq!(
        got[3].0,
        "DJP002 `Permission.objects.get` looks up codename `can_nothing`, which no fresh database has"
    );
}

#[test]
fn ambiguity_stays_djp008_also_by_model_name_alone() {
    let services = "from django.contrib.auth.models import Permission\n\ndef f():\n    a = Permission.objects.get(codename='can_publish')\n    b = Permission.objects.get(codename='can_publish', content_type__model='post')\n    c = Permission.objects.get(codename='blog.can_publish')\n    d = Permission.objects.get(codename='can_publish', content_type__app_label='shop')\n    return Permission.objects.get(codename='can_publish', content_type__app_label='blog', content_type__model='post')\n\ndef g():\n    return Permission.objects.filter(codename__in=['blog.can_publish'])\n";
    let (_d, a) = with_shop(&[("blog/services.py", services)]);
    let got = fixes(&a);
    // Two ambiguous lookups, and the label inside the codename (`c`), once, with its split fix.
    assert_eq!(got.len(), 3, "{got:?}");
    for (message, _, _) in &got[..2] {
        assert_eq!(
            message,
            "DJP008 `Permission.objects.get(codename=\"can_publish\")` matches 2 rows"
        );
    }
    assert_eq!(
        got[2].0,
        "DJP008 `Permission.objects.get(codename=\"blog.can_publish\")` matches no row: a codename never contains the app label"
    );
    assert_eq!(got[2].2, Some("unsafe"), "{got:?}");
    // With preview rules, DJP015 leaves the `get` lookup to DJP008: one diagnostic for it.
    let selection = djperm::Selection {
        preview: true,
        ..Default::default()
    };
    let snapshot = djperm::discover::load(_d.path(), &[]).0;
    let all = djperm::analyze(snapshot, &djperm::config::Config::default(), &selection);
    let on_c: Vec<&str> = all
        .diagnostics
        .iter()
        .filter(|d| all.ws.locator(d.span.file).row_col(d.span.start as usize).0 == 6)
        .map(|d| d.code)
        .collect();
    assert_eq!(on_c, ["DJP008"]);
    // … while the same mistake in a `filter` stays DJP015's.
    assert!(all.diagnostics.iter().any(|d| d.code == "DJP015"
        && all.ws.locator(d.span.file).row_col(d.span.start as usize).0 == 11));
}

// ---- template module checks -------------------------------------------------------------------

#[test]
fn a_label_in_perms_is_a_module_check() {
    let template = "{% if \"blog\" in perms %}a{% endif %}\n{% if \"blgo\" in perms %}b{% endif %}\n{% if \"can_publish\" in perms %}c{% endif %}\n{% if \"nothing\" in perms %}d{% endif %}\n{% if \"auth\" in perms %}e{% endif %}\n";
    let (_d, a) = project(&[("blog/templates/blog/menu.html", template)]);
    let got = fixes(&a);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        got[0].0,
        "DJP003 Unknown app label `blgo` in `\"blgo\" in perms`"
    );
    assert!(
        got[0]
            .1
            .as_deref()
            .unwrap()
            .starts_with("Did you mean `blog`?"),
        "{got:?}"
    );
    assert_eq!(got[0].2, Some("unsafe"));
    assert_eq!(got[1].0, "DJP001 Permission `can_publish` has no app label");
    assert_eq!(
        got[2].0,
        "DJP003 Unknown app label `nothing` in `\"nothing\" in perms`"
    );
    assert_eq!(got[2].2, None);
}

// ---- DJP009: more than one dot ----------------------------------------------------------------

#[test]
fn a_string_with_more_than_one_dot_is_malformed_unless_a_dotted_codename_is_declared() {
    let model = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('post.archive', 'Can archive')]\n";
    let migration = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish'), ('post.archive', 'Can archive')]})]\n";
    let views = "def v(request):\n    a = request.user.has_perm('blog.post.can_publish')\n    b = request.user.has_perm('blog.post.archive')\n    c = request.user.has_perm('proj.blog.can_publish')\n    return request.user.has_perm('blogg.post.archive')\n";
    let (_d, a) = project(&[
        ("blog/models.py", model),
        ("blog/migrations/0001_initial.py", migration),
        ("blog/views.py", views),
    ]);
    let got = codes(&a);
    assert_eq!(
        got,
        [
            "DJP009 Permission string `blog.post.can_publish` has more than one dot",
            "DJP009 Permission string `proj.blog.can_publish` has more than one dot",
            "DJP003 Unknown app label `blogg` in `blogg.post.archive`",
        ],
        "{got:?}"
    );
}

// ---- models defined outside their app's package -----------------------------------------------

#[test]
fn a_model_outside_its_apps_package_belongs_to_its_meta_app_label() {
    let settings = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'records']\n";
    let labs = "from django.db import models\n\nclass Lab(models.Model):\n    class Meta:\n        app_label = 'records'\n        permissions = [('can_run', 'Can run'), ('can_audit', 'Can audit')]\n\nclass Helper:\n    pass\n";
    let records_models = "from shared.labs import Lab  # noqa: F401\n";
    let migration = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name='Lab', fields=[], options={'permissions': [('can_run', 'Can run')]})]\n";
    let views = "def v(request):\n    a = request.user.has_perm('records.can_run')\n    b = request.user.has_perm('records.view_lab')\n    c = request.user.has_perm('records.can_audit')\n    return request.user.has_perm('records.can_runn')\n";
    let (_d, a) = project(&[
        ("proj/settings.py", settings),
        ("shared/__init__.py", ""),
        ("shared/labs.py", labs),
        ("records/__init__.py", ""),
        ("records/models.py", records_models),
        ("records/migrations/__init__.py", ""),
        ("records/migrations/0001_initial.py", migration),
        ("blog/views.py", views),
    ]);
    let got = located(&a);
    let codes_at: Vec<(String, String)> = got
        .iter()
        .map(|(f, _, c, _)| (f.clone(), c.clone()))
        .collect();
    assert_eq!(
        codes_at,
        [
            ("blog/views.py".to_string(), "DJP002".to_string()),
            ("shared/labs.py".to_string(), "DJP004".to_string()),
        ],
        "{:?}",
        codes(&a)
    );
    assert!(codes(&a)[0].contains("`records.can_runn`"));
    assert_eq!(
        a.diagnostics[0].help.as_deref(),
        Some("Did you mean `records.can_run`?")
    );
    assert!(
        codes(&a)[1].contains("`records.can_audit`"),
        "{:?}",
        codes(&a)
    );
}

// ---- rows created at migrate time -------------------------------------------------------------

#[test]
fn rows_created_by_post_migrate_receivers_and_ready_are_on_a_fresh_database() {
    let settings = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog.apps.BlogConfig']\n";
    let apps = "from django.apps import AppConfig\nfrom django.db.models.signals import post_migrate\n\nfrom .handlers import make_review\n\nclass BlogConfig(AppConfig):\n    name = 'blog'\n\n    def ready(self):\n        post_migrate.connect(make_review, sender=self)\n";
    let handlers = "from django.contrib.auth.models import Permission\nfrom django.contrib.contenttypes.models import ContentType\n\nfrom .models import Post\n\nEXTRA = [('can_review', 'Can review'), ('can_feature', 'Can feature')]\n\ndef make_review(sender, apps, **kwargs):\n    ct = ContentType.objects.get(app_label='blog', model='post')\n    for codename, name in EXTRA:\n        Permission.objects.get_or_create(codename=codename, name=name, content_type=ct)\n";
    let signals = "from django.contrib.auth.models import Permission\nfrom django.contrib.contenttypes.models import ContentType\nfrom django.db.models.signals import post_migrate\nfrom django.dispatch import receiver\n\nfrom .models import Post\n\n@receiver(post_migrate)\ndef make_pin(sender, apps, **kwargs):\n    ct = ContentType.objects.get_for_model(apps.get_model('blog', 'Post'))\n    Permission.objects.get_or_create(codename='can_pin', name='Can pin', content_type=ct)\n\ndef later():\n    ct = ContentType.objects.get(app_label='blog', model='post')\n    Permission.objects.get_or_create(codename='can_hide', name='Can hide', content_type=ct)\n";
    let (_d, a) = project(&[
        ("proj/settings.py", settings),
        ("blog/apps.py", apps),
        ("blog/handlers.py", handlers),
        ("blog/signals.py", signals),
    ]);
    let p = &a.index.projects[0];
    let row = |codename: &str| {
        p.lookup("blog", codename)
            .map(|d| (d.in_database, d.source.as_str()))
            .collect::<Vec<_>>()
    };
    assert_eq!(row("can_review"), [(true, "post-migrate")]);
    assert_eq!(row("can_feature"), [(true, "post-migrate")]);
    assert_eq!(row("can_pin"), [(true, "post-migrate")]);
    // Code that runs at some other time: not on a fresh database.
    assert_eq!(row("can_hide"), [(false, "code")]);
}

#[test]
fn a_models_module_imported_under_its_app_name_stays_the_apps_in_a_package_layout() {
    // manage.py inside a package: files have a longer primary module name than the one
    // INSTALLED_APPS and the imports use.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let files: &[(&str, &str)] = &[
        ("manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\n"),
        ("site/__init__.py", ""),
        ("site/manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'settings')\n"),
        ("site/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'events', 'options']\n"),
        ("site/events/__init__.py", ""),
        ("site/events/models.py", "from django.db import models\n\nclass Event(models.Model):\n    class Meta:\n        permissions = [('can_run', 'Can run')]\n"),
        ("site/options/__init__.py", ""),
        ("site/options/models.py", "from django.db import models\n\nfrom .perms import Event\n\nclass Option(models.Model):\n    event = models.ForeignKey(Event, on_delete=models.CASCADE)\n"),
        ("site/options/perms.py", "from events.models import Event  # noqa: F401\n"),
        ("site/options/views.py", "def v(request):\n    a = request.user.has_perm('events.can_run')\n    return request.user.has_perm('events.can_runn')\n"),
    ];
    for (path, text) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let a = common::analyze_dir(&root);
    let got = codes(&a);
    assert_eq!(
        got,
        ["DJP002 Unknown permission `events.can_runn`"],
        "{got:?}"
    );
    let event = a.index.projects[0]
        .code_models
        .iter()
        .find(|m| m.object_name == "Event")
        .expect("Event is a code model");
    assert_eq!(event.label.as_deref(), Some("events"));
}

#[test]
fn a_display_only_fix_lists_only_candidates_about_the_same_object() {
    let model = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Poll(models.Model):\n    pass\n";
    let migration = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]}), migrations.CreateModel(name='Poll', fields=[])]\n";
    let views = "def v(request):\n    return request.user.has_perm('blog.view_pots')\n";
    let (_d, a) = project(&[
        ("blog/models.py", model),
        ("blog/migrations/0001_initial.py", migration),
        ("blog/views.py", views),
    ]);
    let got = fixes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].1.as_deref(),
        Some("Did you mean one of `blog.view_poll`, `blog.view_post`?")
    );
    let fix = a.diagnostics[0].fix.as_ref().unwrap();
    assert_eq!(fix.applicability.as_str(), "display-only");
    assert_eq!(fix.message, "Replace with one of `blog.view_post`");
}
