//! The tree-wide word scans (calls of the project's permission helpers in files the pre-filter
//! skipped, uses of a custom permission's codename for DJP030) read again only the files whose
//! words may hold what they look for, and still find every use.

mod common;
#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::io::Write;

use common::project;
use lsp_client::{Client, Setup, PROJECT};
use serde_json::json;

/// Padding that makes a file too large to be held by a lean reading.
fn padding() -> String {
    format!("# {}\n", "x".repeat(78)).repeat(20)
}

#[test]
fn helper_calls_and_codename_uses_are_found_without_reading_every_file_twice() {
    let pad = padding();
    let helper = "def allowed(user, name):\n    return user.has_perm(name)\n";
    // Nothing in the view looks like a permission check to the pre-filter: only the helper
    // scan finds it. `blog.publsh` is no permission.
    let view = format!(
        "{pad}from blog.access import allowed\n\n\ndef v(request):\n    return allowed(request.user, 'blog.publsh')\n"
    );
    // `can_archive` is used only by this file's text (a custom permission DJP030 must not call
    // unused); `can_unused` by none.
    let archive = format!("{pad}ACTIONS = {{'archive': 'can_archive'}}\n");
    let models = "from django.db import models\n\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_archive', 'Can archive'), ('can_unused', 'Can unused')]\n";
    let migration = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [\n        migrations.CreateModel(\n            name='Post',\n            fields=[('id', models.AutoField(primary_key=True))],\n            options={'permissions': [('can_archive', 'Can archive'), ('can_unused', 'Can unused')]},\n        ),\n    ]\n";
    let files: Vec<(String, String)> = vec![
        ("blog/access.py".into(), helper.into()),
        ("blog/views.py".into(), view),
        ("blog/archive.py".into(), archive),
        ("blog/models.py".into(), models.into()),
        ("blog/migrations/__init__.py".into(), String::new()),
        ("blog/migrations/0001_initial.py".into(), migration.into()),
    ];
    // Large files that neither call the helper nor name a codename (one names the helper
    // without calling it).
    let (dir, _, _) = common::project_padded(&files, 40);
    let (out, read) = common::check_counting_reads(dir.path());
    let total = files.len() + 40 + 2; // and manage.py and the settings of `project`
                                      // The helper's call site is found and checked...
    assert!(
        out.lines()
            .any(|l| l.starts_with("blog/views.py:25:") && l.contains("DJP002")),
        "{out}"
    );
    // ... DJP030 reports the unused permission and not the one a file names...
    let unused: Vec<&str> = out.lines().filter(|l| l.contains("DJP030")).collect();
    assert_eq!(unused.len(), 1, "{out}");
    assert!(unused[0].contains("can_unused"), "{out}");
    // ... and the 40 large files were read once, not again for each scan (three scans read
    // them all again before: 182 reads). The few files parsed and reported are read again.
    assert!(
        read < total + 20,
        "{read} reads for {total} files: the scans read skipped files again"
    );
}

const HELPER: &str = "def allowed(user, name):\n    return user.has_perm(name)\n";

/// A large file that does not call the helper on disk, and the same file calling it.
fn quiet_and_calling() -> (String, String) {
    let pad = padding();
    let quiet = format!("{pad}def v(request):\n    return None\n");
    let calling = format!(
        "{pad}from blog.access import allowed\n\n\ndef v(request):\n    return allowed(request.user, 'blog.publsh')\n"
    );
    (quiet, calling)
}

#[test]
fn a_buffer_on_standard_input_is_scanned_by_its_own_words_not_the_files() {
    let (quiet, calling) = quiet_and_calling();
    let (dir, _) = project(&[("blog/access.py", HELPER), ("blog/other.py", &quiet)]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_djperm"))
        .args([
            "check",
            "--output-format",
            "concise",
            "--stdin-filename",
            "blog/other.py",
            "-",
        ])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("DJPERM_OUTPUT_FORMAT")
        .env_remove("DJPERM_NO_CACHE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(calling.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("blog/other.py:") && stdout.contains("DJP002"),
        "{stdout}"
    );
}

#[test]
fn an_editor_buffer_is_scanned_by_its_own_words_not_the_files() {
    let (quiet, calling) = quiet_and_calling();
    let mut files: Vec<(&str, &str)> = PROJECT.to_vec();
    files.push(("blog/access.py", HELPER));
    files.push(("blog/other.py", &quiet));
    let (mut client, _) = Client::start(&files, Setup::default());
    let rel = "blog/other.py";
    client.open(rel);
    let before = client.diagnostics(rel);
    assert!(!before.to_string().contains("DJP002"), "{before}");
    let end = client.pos(rel, "    return None", 15);
    let start = client.pos(rel, "def v(request)", 0);
    let replacement = &calling[calling.find("from blog").unwrap()..];
    client.edit(
        rel,
        &[json!({"range": {"start": start, "end": end}, "newText": replacement.trim_end()})],
    );
    let after = client.diagnostics(rel);
    client.shutdown();
    assert!(after.to_string().contains("DJP002"), "{after}");
}
