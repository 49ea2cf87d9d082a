//! The project as Django sees it: the packages of its virtualenv that INSTALLED_APPS names are
//! indexed like project apps (read-only, never reported), and the Django version it runs on
//! decides its permission set.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use djperm::config::Config;
use djperm::{analyze, discover, Analysis, Selection};

const MANAGE: &str =
    "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n";
const MODELS: &str = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n";
const THIRD_PARTY: &str = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'rest_framework', 'rest_framework.authtoken', 'guardian', 'taggit', 'blog']\nAUTHENTICATION_BACKENDS = ['django.contrib.auth.backends.ModelBackend', 'guardian.backends.ObjectPermissionBackend']\n";

/// A project with `files` over a base of manage.py, `proj/settings.py` and an unmigrated `blog`.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base: &[(&str, &str)] = &[
        ("manage.py", MANAGE),
        ("proj/__init__.py", ""),
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n",
        ),
        ("blog/__init__.py", ""),
        ("blog/models.py", MODELS),
        // `can_publish` is checked somewhere, as in a real project (DJP030).
        (
            "blog/templates/blog/base.html",
            "{% if perms.blog.can_publish %}<a href=\"publish/\">Publish</a>{% endif %}\n",
        ),
    ];
    for (path, text) in base.iter().chain(files) {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

/// The oracle's virtualenv (`DJPERM_PYTHON`'s): Django, guardian, taggit, DRF.
fn oracle_env() -> PathBuf {
    common::python()
}

fn analyze_env(dir: &Path, env: Option<&Path>) -> Analysis {
    let config = Config {
        python_env: env.map(Path::to_path_buf),
        ..Config::default()
    };
    let (mut snapshot, _) = discover::load(dir, &[]);
    discover::add_environment(&mut snapshot, &config).unwrap();
    analyze(snapshot, &config, &Selection::default())
}

fn codes(a: &Analysis) -> Vec<String> {
    common::codes(a)
}

fn view(perm: &str) -> String {
    format!("def v(request):\n    return request.user.has_perm('{perm}')\n")
}

/// `djperm permissions --output-format json` rows as (label, model, codename), and their sources.
fn cli_rows(
    dir: &Path,
    extra: &[&str],
    envs: &[(&str, &str)],
) -> (BTreeSet<(String, String, String)>, BTreeSet<String>) {
    let env = oracle_env();
    let mut args = vec!["permissions", "--output-format", "json", "--python-env"];
    args.push(env.to_str().unwrap());
    args.extend(extra);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_djperm"));
    cmd.args(&args).current_dir(dir).env_remove("VIRTUAL_ENV");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut sources = BTreeSet::new();
    let set = rows
        .iter()
        .filter(|r| r["in_database"].as_bool() == Some(true))
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            sources.insert(format!("{} {}", s("app_label"), s("source")));
            (s("app_label"), s("model"), s("codename"))
        })
        .collect();
    (set, sources)
}

/// The oracle: with the environment, `djperm permissions` equals the rows real Django's
/// `migrate` creates (guardian's, taggit's and authtoken's included), with the bundled table
/// and without it.
#[test]
fn permissions_from_the_environment_equal_real_django() {
    let dir = tree(&[("proj/settings.py", THIRD_PARTY)]);
    let django = common::django_rows(dir.path());
    for label in ["guardian", "taggit", "authtoken"] {
        assert!(django.iter().any(|(l, _, _)| l == label), "{label}");
    }
    for envs in [&[][..], &[("DJPERM_NO_BUNDLED", "1")][..]] {
        let (ours, sources) = cli_rows(dir.path(), &[], envs);
        assert_eq!(ours, django, "{envs:?}");
        for label in ["guardian", "taggit", "authtoken"] {
            assert!(
                sources.contains(&format!("{label} environment")),
                "{sources:?}"
            );
        }
    }
}

#[test]
fn permissions_names_the_django_version_and_where_it_was_read() {
    let dir = tree(&[("proj/settings.py", THIRD_PARTY)]);
    let env = oracle_env();
    let run = common::run_djperm(
        dir.path(),
        &["permissions", "--python-env", env.to_str().unwrap()],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("for Django 5.2 (from the environment)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("taggit.add_tag"), "{}", run.stdout);
    let pinned = tree(&[("requirements.txt", "Django==1.11.29\n")]);
    let run = common::run_djperm(pinned.path(), &["permissions"], Duration::from_secs(60));
    assert!(
        run.stdout
            .contains("for Django 1.11 (from requirements.txt)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_typo_under_an_environment_label_is_reported_and_its_code_never() {
    let dir = tree(&[
        ("proj/settings.py", THIRD_PARTY),
        (
            "blog/views.py",
            "def v(request):\n    request.user.has_perm('taggit.add_tagg')\n    request.user.has_perm('tagit.add_tag')\n    return request.user.has_perm('guardian.change_userobjectpermission')\n",
        ),
    ]);
    let env = oracle_env();
    let a = analyze_env(dir.path(), Some(&env));
    let got = codes(&a);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].starts_with("DJP002") && got[0].contains("taggit.add_tagg"),
        "{got:?}"
    );
    assert!(
        got[1].starts_with("DJP003") && got[1].contains("tagit"),
        "{got:?}"
    );
    // The environment's own files were read, and nothing is reported in them.
    assert!(a.ws.snapshot.files.iter().any(|f| f.in_environment()));
    assert!(a
        .diagnostics
        .iter()
        .all(|d| !a.ws.in_environment(d.span.file)));
    // Nothing says the entries are unknown.
    assert!(
        a.index.projects[0].warnings.is_empty(),
        "{:?}",
        a.index.projects[0].warnings
    );
}

#[test]
fn environment_is_found_by_layout_and_pyvenv_cfg() {
    use djperm::env::venv::locate;
    let dir = tree(&[
        (".venv/pyvenv.cfg", "home = /usr/bin\n"),
        (".venv/lib/python3.12/site-packages/shopapp/__init__.py", ""),
    ]);
    let root = dir.path();
    let found = locate(root, None, None).unwrap().unwrap();
    assert_eq!(found.found_by, ".venv");
    assert!(found
        .site_packages
        .ends_with("lib/python3.12/site-packages"));
    // A project directory below finds it too; `$VIRTUAL_ENV` wins over it; the option wins over both.
    std::fs::create_dir_all(root.join("sub")).unwrap();
    assert_eq!(
        locate(&root.join("sub"), None, None).unwrap().unwrap().dir,
        root.join(".venv")
    );
    let other = tree(&[("e/Lib/site-packages/x/__init__.py", "")]);
    let by_var = locate(root, None, Some(&other.path().join("e")))
        .unwrap()
        .unwrap();
    assert_eq!(by_var.found_by, "$VIRTUAL_ENV");
    let by_option = locate(root, Some(&other.path().join("e")), None)
        .unwrap()
        .unwrap();
    assert_eq!(by_option.found_by, "--python-env");
    // A directory without pyvenv.cfg is not an environment; a bad option is an error.
    let bare = tree(&[("venv/lib/python3.11/site-packages/x/__init__.py", "")]);
    assert_eq!(locate(bare.path(), None, None).unwrap(), None);
    assert!(locate(root, Some(Path::new("nowhere")), None).is_err());
}

#[test]
fn an_environment_app_is_indexed_like_a_project_app() {
    // An app with its own AppConfig label, a model, a migration and a data migration.
    let site = ".venv/lib/python3.12/site-packages";
    let dir = tree(&[
        (".venv/pyvenv.cfg", "home = /usr/bin\n"),
        (&format!("{site}/shopkit/__init__.py"), ""),
        (
            &format!("{site}/shopkit/apps.py"),
            "from django.apps import AppConfig\n\nclass ShopConfig(AppConfig):\n    name = 'shopkit'\n    label = 'shop'\n",
        ),
        (
            &format!("{site}/shopkit/models.py"),
            "from django.db import models\n\nclass Order(models.Model):\n    class Meta:\n        permissions = [('refund_order', 'Can refund')]\n",
        ),
        (&format!("{site}/shopkit/migrations/__init__.py"), ""),
        (
            &format!("{site}/shopkit/migrations/0001_initial.py"),
            "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Order', fields=[], options={'permissions': [('refund_order', 'Can refund')]})]\n",
        ),
        (
            &format!("{site}/shopkit/views.py"),
            "def v(request):\n    return request.user.has_perm('shop.no_such_perm')\n",
        ),
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'shopkit', 'blog']\n",
        ),
        (
            "blog/views.py",
            "def v(request):\n    request.user.has_perm('shop.refund_order')\n    return request.user.has_perm('shop.refund_ordr')\n",
        ),
    ]);
    let a = analyze_env(dir.path(), None);
    let project = &a.index.projects[0];
    assert!(project.is_known("shop", "refund_order"));
    assert!(project.is_known("shop", "view_order"));
    assert!(!project.opaque_labels.contains("shop"));
    let got = codes(&a);
    // The typo in the project is reported; the bad string in the package is not.
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("shop.refund_ordr"), "{got:?}");
    // Without the environment, the entry resolves nowhere: it is said, and it gets Django's
    // default label (`shopkit`), so `shop` is unknown.
    std::fs::remove_file(dir.path().join(".venv/pyvenv.cfg")).unwrap();
    let a = analyze_env(dir.path(), None);
    let got = codes(&a);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|c| c.starts_with("DJP003")), "{got:?}");
    assert!(a.index.projects[0]
        .warnings
        .iter()
        .any(|w| w.contains("`shopkit`")));
}

#[test]
fn django_1_11_pin_has_no_view_permissions() {
    for (file, text) in [
        (
            "requirements.txt",
            "Django==1.11.29\ndjango-guardian==1.4\n",
        ),
        (
            "pyproject.toml",
            "[tool.poetry.dependencies]\ndjango = \"~1.11\"\n",
        ),
        (
            "Pipfile.lock",
            "{\"default\": {\"django\": {\"version\": \"==1.11.29\"}}}\n",
        ),
    ] {
        let dir = tree(&[
            (file, text),
            ("blog/views.py", "def v(request):\n    request.user.has_perm('blog.view_post')\n    request.user.has_perm('auth.view_user')\n    return request.user.has_perm('blog.change_post')\n"),
        ]);
        let a = analyze_env(dir.path(), None);
        let project = &a.index.projects[0];
        assert_eq!(project.target_django, (1, 11), "{file}");
        assert_eq!(project.django_from, file);
        let got = codes(&a);
        assert_eq!(got.len(), 2, "{file}: {got:?}");
        assert!(got.iter().all(|c| c.starts_with("DJP002")), "{got:?}");
        assert!(
            got[0].contains("blog.view_post") && got[1].contains("auth.view_user"),
            "{got:?}"
        );
    }
    // `target-django` overrides what the requirements say; 2.1 has `view`.
    let dir = tree(&[
        ("requirements.txt", "Django==1.11.29\n"),
        ("djperm.toml", "target-django = \"2.1\"\n"),
        ("blog/views.py", &view("blog.view_post")),
    ]);
    let a = common::analyze_dir(dir.path());
    assert_eq!(a.index.projects[0].target_django, (2, 1));
    assert!(codes(&a).is_empty(), "{:?}", codes(&a));
}

#[test]
fn south_migrations_mean_an_unmigrated_app() {
    let south = "from south.db import db\nfrom south.v2 import SchemaMigration\n\nclass Migration(SchemaMigration):\n    def forwards(self, orm):\n        db.create_table('blog_post', ())\n";
    let dir = tree(&[
        ("blog/migrations/__init__.py", ""),
        ("blog/migrations/0001_initial.py", south),
        (
            "blog/views.py",
            "def v(request):\n    request.user.has_perm('blog.can_publish')\n    return request.user.has_perm('blog.can_publsh')\n",
        ),
    ]);
    let a = analyze_env(dir.path(), None);
    let project = &a.index.projects[0];
    assert!(project.is_known("blog", "can_publish"));
    assert!(project.is_known("blog", "add_post"));
    assert!(
        project
            .warnings
            .iter()
            .any(|w| w.contains("South migrations")),
        "{:?}",
        project.warnings
    );
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("blog.can_publsh"), "{got:?}");
}

#[test]
fn a_gitignored_settings_module_is_read_and_ignored_files_are_not_reported() {
    let dir = tree(&[
        (".gitignore", "proj/settings.py\nscratch/\n"),
        (
            "proj/settings.py",
            "from .apps_list import *\nINSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes'] + EXTRA\n",
        ),
        ("proj/apps_list.py", "EXTRA = ['blog']\n"),
        (
            "blog/views.py",
            "def v(request):\n    request.user.has_perm('blog.can_publish')\n    return request.user.has_perm('blgo.can_publish')\n",
        ),
        ("scratch/try.py", &view("blgo.add_post")),
    ]);
    let a = analyze_env(dir.path(), None);
    let project = &a.index.projects[0];
    assert_eq!(project.settings.module.as_deref(), Some("proj.settings"));
    assert!(project.labels_known);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP003") && got[0].contains("blgo"),
        "{got:?}"
    );
    assert_eq!(a.ws.path(a.diagnostics[0].span.file), "blog/views.py");
    // The same bug in an ignored file is read but not reported.
    assert!(a
        .ws
        .snapshot
        .files
        .iter()
        .any(|f| f.path == "scratch/try.py" && f.ignored));
}

#[test]
fn default_actions_patched_by_the_project_keep_view_before_2_1() {
    let patch = "from django.db.models.options import Options\n\ndef init(self, meta, app_label=None):\n    Options._old(self, meta, app_label)\n    self.default_permissions = ('add', 'change', 'delete', 'view')\n\nOptions._old = Options.__init__\nOptions.__init__ = init\n";
    let dir = tree(&[
        ("requirements.txt", "Django==2.0.13\n"),
        ("proj/__init__.py", patch),
        (
            "blog/views.py",
            "def v(request):\n    request.user.has_perm('blog.view_post')\n    return request.user.has_perm('blog.view_pots')\n",
        ),
    ]);
    let a = analyze_env(dir.path(), None);
    assert_eq!(a.index.projects[0].target_django, (2, 0));
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("blog.view_pots"), "{got:?}");
    // The command line reads lean (texts of files it does not parse are not held): the patch,
    // in a module too large to be kept and with nothing a permission check would need, still
    // counts.
    let padding = format!("# {}\n", "x".repeat(78)).repeat(20);
    let dir = tree(&[
        ("requirements.txt", "Django==2.0.13\n"),
        ("proj/__init__.py", ""),
        ("proj/monkey.py", &format!("{padding}{patch}")),
        (
            "blog/views.py",
            "def v(request):\n    request.user.has_perm('blog.view_post')\n    return request.user.has_perm('blog.view_pots')\n",
        ),
    ]);
    let run = common::run_djperm(
        dir.path(),
        &["check", "--no-cache", "--output-format", "concise"],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let found: Vec<&str> = run.stdout.lines().filter(|l| l.contains("DJP")).collect();
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert!(found[0].contains("blog.view_pots"), "{}", run.stdout);
}

#[test]
fn a_python_env_that_is_not_one_is_a_usage_error() {
    let dir = tree(&[]);
    let run = common::run_djperm(
        dir.path(),
        &["check", "--python-env", "no/such/env"],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("names no Python environment"),
        "{}",
        run.stderr
    );
    // The configuration key works like the option.
    let site = "elsewhere/lib/python3.12/site-packages";
    let dir = tree(&[
        ("djperm.toml", "python-env = \"elsewhere\"\n"),
        ("elsewhere/pyvenv.cfg", "home = /usr/bin\n"),
        (&format!("{site}/shopkit/__init__.py"), ""),
        (
            &format!("{site}/shopkit/models.py"),
            "from django.db import models\n\nclass Order(models.Model):\n    pass\n",
        ),
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'shopkit', 'blog']\n",
        ),
    ]);
    let run = common::run_djperm(dir.path(), &["permissions"], Duration::from_secs(60));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("shopkit.add_order"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(line.contains("environment"), "{line}");
    assert!(line.contains("site-packages/shopkit/models.py:3"), "{line}");
}

#[test]
fn the_packages_a_long_settings_component_names_are_read_when_its_text_is_not_held() {
    // Settings split into a component whose name does not say so, long enough that a lean
    // reading without a budget would drop its text before the environment is read.
    let pad = format!("# {}\n", "x".repeat(78)).repeat(20);
    let component = format!("{pad}{THIRD_PARTY}");
    let dir = tree(&[
        ("proj/settings.py", "from proj.components.apps import *\n"),
        ("proj/components/__init__.py", ""),
        ("proj/components/apps.py", &component),
        (
            "blog/views.py",
            "def v(request):\n    return request.user.has_perm('taggit.add_tagg')\n",
        ),
    ]);
    let config = Config {
        python_env: Some(oracle_env()),
        ..Config::default()
    };
    let (mut snapshot, _) = discover::load_parsed(
        dir.path(),
        &[],
        djperm::workspace::prefilter::Scope::Stable,
        0,
    );
    assert!(snapshot.lean);
    discover::add_environment(&mut snapshot, &config).unwrap();
    // The packages the component names were read from the environment.
    assert!(snapshot
        .files
        .iter()
        .any(|f| f.in_environment() && f.path.contains("/taggit/")));
    let a = analyze(snapshot, &config, &Selection::default());
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP002") && got[0].contains("taggit.add_tagg"),
        "{got:?}"
    );
}
