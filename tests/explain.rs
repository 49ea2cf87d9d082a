//! Never silently silent: `djperm explain` gives the verdict on a permission string and the
//! facts behind it; `check` says which project, settings and Django version it used and which
//! labels it leaves unanalysed (`--verbose`: why); the editor's hover says why a string is not
//! judged.

mod common;
#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::path::Path;
use std::time::Duration;

use lsp_client::{Client, Setup};

const LIMIT: Duration = Duration::from_secs(60);

const MANAGE: &str =
    "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n";
const SETTINGS: &str =
    "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'someapp']\n";
const MODELS: &str = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n";
const VIEWS: &str = "def v(request):\n    request.user.has_perm('someapp.add_thing')\n    return request.user.has_perm('blog.can_publsh')\n";

fn files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("manage.py", MANAGE),
        ("proj/__init__.py", ""),
        ("proj/settings.py", SETTINGS),
        ("blog/__init__.py", ""),
        ("blog/models.py", MODELS),
        ("blog/views.py", VIEWS),
        ("requirements.txt", "Django==4.2.11\n"),
    ]
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    lsp_client::write_project(dir.path(), &files());
    dir
}

fn run(dir: &Path, args: &[&str]) -> common::Run {
    common::run_djperm(dir, args, LIMIT)
}

#[test]
fn explain_a_reported_string() {
    let dir = tree();
    let out = run(dir.path(), &["explain", "blog.can_publsh"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = &out.stdout;
    assert!(
        text.starts_with("blog.can_publsh: reported (DJP002)"),
        "{text}"
    );
    assert!(text.contains("did you mean `blog.can_publish`?"), "{text}");
    assert!(
        text.contains(
            "settings `proj.settings` (proj/settings.py); Django 4.2 (from requirements.txt)"
        ),
        "{text}"
    );
    assert!(
        text.contains("label `blog`: an installed app, read from blog/"),
        "{text}"
    );
    assert!(
        text.contains("no label defines the codename `can_publsh`"),
        "{text}"
    );
}

#[test]
fn explain_a_defined_and_an_undecidable_string() {
    let dir = tree();
    let out = run(dir.path(), &["explain", "blog.can_publish"]);
    assert!(
        out.stdout
            .starts_with("blog.can_publish: `blog.can_publish` exists"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("defined: a `Meta.permissions` entry (model `post`) at blog/models.py:5"),
        "{}",
        out.stdout
    );
    let out = run(dir.path(), &["explain", "someapp.add_thing"]);
    let text = &out.stdout;
    assert!(
        text.starts_with("someapp.add_thing: djperm cannot decide"),
        "{text}"
    );
    assert!(
        text.contains("label `someapp` is not analysed: its INSTALLED_APPS entry `someapp` is in neither the project"),
        "{text}"
    );
}

#[test]
fn check_says_what_it_decided() {
    let dir = tree();
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let header = format!(
        "djperm: project {name}/ · settings proj.settings · Django 4.2 (from requirements.txt) · 1 label not analysed (see --verbose)"
    );
    assert!(out.stderr.lines().any(|l| l == header), "{}", out.stderr);
    assert!(
        !out.stderr.contains("not analysed: `someapp`"),
        "{}",
        out.stderr
    );
    let out = run(dir.path(), &["check", "--verbose"]);
    assert!(
        out.stderr.contains(
            "djperm: not analysed: `someapp`: its INSTALLED_APPS entry `someapp` is in neither"
        ),
        "{}",
        out.stderr
    );
    // Machine formats keep stderr for warnings only.
    let out = run(dir.path(), &["check", "--output-format", "json"]);
    assert!(!out.stderr.contains("djperm: project"), "{}", out.stderr);
}

#[test]
fn hover_says_why_a_string_is_not_judged() {
    let (mut client, _) = Client::start(&files(), Setup::default());
    client.open("blog/views.py");
    let hover = client.request(
        "textDocument/hover",
        client.at("blog/views.py", "someapp.add_thing", 2),
    );
    let text = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(text.contains("cannot tell statically"), "{text}");
    assert!(
        text.contains("label `someapp` is not analysed: its INSTALLED_APPS entry `someapp`"),
        "{text}"
    );
    client.shutdown();
}

#[test]
fn permissions_lists_labels_not_analysed_with_their_reason() {
    let dir = tree();
    let out = run(dir.path(), &["permissions"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("djperm: not analysed: `someapp`: its INSTALLED_APPS entry `someapp`"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("blog.can_publish"), "{}", out.stdout);
}
