//! The language server's edit path (`Workspace::edited`, `analyze_edit`): an edit that changes
//! no definition keeps the index and equals a fresh analysis; an edit that changes one is
//! analysed anew.

mod common;
#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::sync::Arc;

use djperm::config::Config;
use djperm::{analyze, analyze_edit, discover, Analysis, Selection};

use common::project;
use lsp_client::{Client, Setup, PROJECT};
use serde_json::json;

const MODELS: &str = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('can_archive', 'Can archive')]\n";
const MIGRATION: &str = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = [migrations.AlterModelOptions(name='post', options={'permissions': [('can_publish', 'Can publish'), ('can_archive', 'Can archive')]})]\n";
const VIEWS: &str = "def v(request):\n    return request.user.has_perm('blog.can_publisx')\n";

/// The analysis of the tree after writing `path`, by the edit path from `previous` (`None`
/// when it does not apply), and a fresh one.
fn after(
    root: &std::path::Path,
    previous: &Analysis,
    path: &str,
    text: &str,
) -> (Option<Analysis>, Analysis) {
    std::fs::write(root.join(path), text).unwrap();
    let (snapshot, _) = discover::load(root, &[]);
    let texts: Vec<(&str, &str)> = snapshot
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    let (config, selection) = (Config::default(), Selection::default());
    let edited = analyze_edit(previous, &texts, &config, &selection);
    (edited, analyze(snapshot.clone(), &config, &selection))
}

fn codes(a: &Analysis) -> Vec<String> {
    a.diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}:{} {} {}",
                a.ws.path(d.span.file),
                d.span.start,
                d.code,
                d.message
            )
        })
        .collect()
}

fn start() -> (tempfile::TempDir, Analysis) {
    let (dir, _) = project(&[
        ("blog/models.py", MODELS),
        ("blog/migrations/0002_archive.py", MIGRATION),
        ("blog/views.py", VIEWS),
    ]);
    let (snapshot, _) = discover::load(dir.path(), &[]);
    let a = analyze(snapshot, &Config::default(), &Selection::default());
    (dir, a)
}

#[test]
fn a_reference_edit_keeps_the_index_and_reports_what_a_fresh_analysis_reports() {
    let (dir, a) = start();
    let before = codes(&a);
    assert!(before.iter().any(|c| c.contains("DJP002")), "{before:?}");
    assert!(
        before
            .iter()
            .any(|c| c.contains("DJP030") && c.contains("can_archive")),
        "{before:?}"
    );
    // The typo fixed (same length: nothing moves), then `can_archive` checked.
    let fixed = VIEWS.replace("can_publisx", "can_publish");
    let (edited, fresh) = after(dir.path(), &a, "blog/views.py", &fixed);
    let edited = edited.expect("a reference edit takes the edit path");
    assert!(Arc::ptr_eq(&edited.index, &a.index));
    assert_eq!(
        format!("{:?}", edited.diagnostics),
        format!("{:?}", fresh.diagnostics)
    );
    assert!(!codes(&edited).iter().any(|c| c.contains("DJP002")));
    let archive = VIEWS.replace("can_publisx", "can_archive");
    let (again, fresh) = after(dir.path(), &edited, "blog/views.py", &archive);
    let again = again.expect("a reference edit takes the edit path");
    assert_eq!(
        format!("{:?}", again.diagnostics),
        format!("{:?}", fresh.diagnostics)
    );
    assert!(
        !codes(&again).iter().any(|c| c.contains("DJP030")),
        "{:?}",
        codes(&again)
    );
}

#[test]
fn a_comment_in_a_models_file_keeps_the_index_and_its_words_count_for_unused_permissions() {
    let (dir, a) = start();
    // A whole-word mention anywhere counts as a use of a custom permission (DJP030).
    let (edited, fresh) = after(
        dir.path(),
        &a,
        "blog/views.py",
        &format!("{VIEWS}# can_archive\n"),
    );
    let edited = edited.expect("a comment takes the edit path");
    assert_eq!(
        format!("{:?}", edited.diagnostics),
        format!("{:?}", fresh.diagnostics)
    );
    assert!(!codes(&edited).iter().any(|c| c.contains("DJP030")));
    let (again, fresh) = after(
        dir.path(),
        &edited,
        "blog/models.py",
        &format!("{MODELS}# note\n"),
    );
    let again = again.expect("a comment after the definitions takes the edit path");
    assert!(Arc::ptr_eq(&again.index, &a.index));
    assert_eq!(
        format!("{:?}", again.diagnostics),
        format!("{:?}", fresh.diagnostics)
    );
    // The mention removed again: reported again.
    let (third, fresh) = after(dir.path(), &again, "blog/views.py", VIEWS);
    let third = third.expect("a comment takes the edit path");
    assert_eq!(
        format!("{:?}", third.diagnostics),
        format!("{:?}", fresh.diagnostics)
    );
    assert!(codes(&third).iter().any(|c| c.contains("DJP030")));
}

#[test]
fn definitions_that_only_move_keep_an_index_that_holds_none_of_their_spans() {
    let (dir, a) = start();
    // A views file: its functions move, the index holds nothing of it.
    let (edited, fresh) = after(dir.path(), &a, "blog/views.py", &format!("# note\n{VIEWS}"));
    let edited = edited.expect("moved definitions the index does not hold");
    assert!(Arc::ptr_eq(&edited.index, &a.index));
    assert_eq!(
        format!("{:?}", edited.diagnostics),
        format!("{:?}", fresh.diagnostics)
    );
    assert!(codes(&edited)
        .iter()
        .any(|c| c.starts_with("blog/views.py:") && c.contains("DJP002")));
    // A models file: the index holds its Meta spans, so it is built again.
    let (moved, _) = after(
        dir.path(),
        &edited,
        "blog/models.py",
        &format!("# note\n{MODELS}"),
    );
    assert!(moved.is_none());
}

#[test]
fn an_edit_that_changes_a_definition_is_analysed_anew() {
    let (dir, a) = start();
    let models = MODELS.replace("('can_archive', 'Can archive')", "('can_hide', 'Can hide')");
    let (edited, _) = after(dir.path(), &a, "blog/models.py", &models);
    assert!(edited.is_none(), "a Meta permission changed");
    let (_, a) = after(dir.path(), &a, "blog/models.py", MODELS);
    for (path, text) in [
        ("blog/views.py", "PERM = 'blog.can_publish'\n\ndef v(request):\n    return request.user.has_perm(PERM)\n".to_string()),
        ("blog/views.py", format!("from blog.models import Post\n{VIEWS}")),
        ("blog/migrations/0002_archive.py", MIGRATION.replace("can_archive", "can_hide")),
        ("proj/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'blog']\n".to_string()),
        // Spans of what other files read move: analysed anew, not shifted.
        ("blog/models.py", format!("# note\n{MODELS}")),
    ] {
        let (edited, _) = after(dir.path(), &a, path, &text);
        assert!(edited.is_none(), "{path}: {text}");
    }
}

#[test]
fn a_burst_of_edits_ends_with_what_a_fresh_server_reports() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    let views = "blog/views.py";
    client.open(views);
    client.diagnostics(views);
    // Sent without waiting: permission strings swapped (nothing moves, the edit path), a
    // comment added at the end, a constant defined (a definition: built again).
    let mut current = "can_archive";
    for i in 0..7 {
        let next = if current == "can_archive" {
            "can_publish"
        } else {
            "can_archive"
        };
        let needle = format!("\"blog.{current}\"");
        let (start, end) = (
            client.pos(views, &needle, 6),
            client.pos(views, &needle, 17),
        );
        let mut edits = vec![json!({"range": {"start": start, "end": end}, "newText": next})];
        let tail = client.pos(views, "    return label", 0);
        if i == 3 {
            edits.push(
                json!({"range": {"start": tail, "end": tail}, "newText": "    # can_archive\n"}),
            );
        }
        if i == 5 {
            let top = client.pos(views, "from django", 0);
            edits.push(json!({"range": {"start": top, "end": top}, "newText": "PERM = 1\n"}));
        }
        client.edit(views, &edits);
        current = next;
    }
    let version = 8;
    let uri = client.uri(views);
    let last = client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && p["version"] == version
    });
    let text = client.text(views).to_string();
    assert!(
        text.contains("PERM = 1")
            && text.contains("# can_archive")
            && text.contains("\"blog.can_publish\"")
    );
    client.shutdown();
    let files: Vec<(&str, &str)> = PROJECT
        .iter()
        .map(|&(p, t)| {
            if p == views {
                (p, text.as_str())
            } else {
                (p, t)
            }
        })
        .collect();
    let (mut fresh, _) = Client::start(&files, Setup::default());
    fresh.open(views);
    let want = fresh.diagnostics(views);
    fresh.shutdown();
    assert_eq!(last["diagnostics"], want["diagnostics"]);
}
