//! A report-only reading without the disk cache holds a small tree whole (no text is dropped,
//! so none is summarised in word sets), and drops texts past its budget: either way the report
//! is the one a full reading gives, the helper-call and unused-codename scans included, with
//! the first parse fused into the reading.

mod common;

use djperm::config::Config;
use djperm::discover;
use djperm::workspace::prefilter::Scope;
use djperm::{analyze, Analysis, Selection};

fn report(a: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = a
        .diagnostics
        .iter()
        .map(|d| {
            let path = a.ws.path(d.span.file);
            format!(
                "{path}:{}-{} {} {}",
                d.span.start, d.span.end, d.code, d.message
            )
        })
        .collect();
    out.sort();
    out
}

/// A tree whose findings need both word scans: a helper call in a file the pre-filter skips,
/// and a custom permission named only in a file nothing imports.
fn tree() -> (tempfile::TempDir, usize) {
    let pad = format!("# {}\n", "x".repeat(78)).repeat(20);
    let view = format!(
        "{pad}from blog.access import allowed\n\n\ndef v(request):\n    return allowed(request.user, 'blog.publsh')\n"
    );
    let archive = format!("{pad}ACTIONS = {{'archive': 'can_archive'}}\n");
    let files: Vec<(String, String)> = vec![
        (
            "blog/access.py".into(),
            "def allowed(user, name):\n    return user.has_perm(name)\n".into(),
        ),
        ("blog/views.py".into(), view),
        ("blog/archive.py".into(), archive),
        (
            "blog/models.py".into(),
            "from django.db import models\n\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_archive', 'Can archive'), ('can_unused', 'Can unused')]\n".into(),
        ),
        ("blog/migrations/__init__.py".into(), String::new()),
        (
            "blog/migrations/0001_initial.py".into(),
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [\n        migrations.CreateModel(\n            name='Post',\n            fields=[('id', models.AutoField(primary_key=True))],\n            options={'permissions': [('can_archive', 'Can archive'), ('can_unused', 'Can unused')]},\n        ),\n    ]\n".into(),
        ),
    ];
    let (dir, _, bytes) = common::project_padded(&files, 10);
    (dir, bytes)
}

/// The report-only check's reading: texts held within `budget`, each file the pre-filter keeps
/// parsed as it is read.
fn lean(dir: &std::path::Path, budget: usize) -> (djperm::workspace::Snapshot, Vec<String>) {
    let (snapshot, _) = discover::load_parsed(dir, &[], Scope::Stable, budget);
    let kept = snapshot.clone();
    (
        kept,
        report(&analyze(
            snapshot,
            &Config::default(),
            &Selection::default(),
        )),
    )
}

#[test]
fn a_small_tree_is_held_whole_and_reports_as_a_full_reading() {
    let (dir, _) = tree();
    let (full, _) = discover::load(dir.path(), &[]);
    let expected = report(&analyze(full, &Config::default(), &Selection::default()));
    assert!(expected
        .iter()
        .any(|l| l.contains("DJP002") && l.contains("blog/views.py")));
    assert!(expected
        .iter()
        .any(|l| l.contains("DJP030") && l.contains("can_unused")));
    assert!(
        !expected.iter().any(|l| l.contains("can_archive")),
        "{expected:?}"
    );

    let (snapshot, held) = lean(dir.path(), 1 << 20);
    assert!(!snapshot.lean);
    assert!(snapshot
        .files
        .iter()
        .all(|f| !f.on_disk && f.words.is_none()));
    assert_eq!(held, expected);

    // No budget: every skipped text is dropped with its words, and the report is the same.
    let (snapshot, dropped) = lean(dir.path(), 0);
    assert!(snapshot.lean);
    let on_disk: Vec<_> = snapshot.files.iter().filter(|f| f.on_disk).collect();
    assert!(on_disk.len() >= 10, "{}", on_disk.len());
    assert!(on_disk.iter().all(|f| f.words.is_some()));
    assert_eq!(dropped, expected);
}

#[test]
fn a_tree_past_the_budget_holds_part_of_it_and_reports_as_a_full_reading() {
    let (dir, bytes) = tree();
    let (full, _) = discover::load(dir.path(), &[]);
    let expected = report(&analyze(full, &Config::default(), &Selection::default()));
    for budget in [bytes / 4, bytes / 2, bytes - 1] {
        let (snapshot, partial) = lean(dir.path(), budget);
        assert!(snapshot.lean, "{budget}");
        // Each text is held or has its words.
        assert!(snapshot
            .files
            .iter()
            .filter(|f| f.on_disk)
            .all(|f| f.words.is_some()));
        assert!(snapshot
            .files
            .iter()
            .any(|f| !f.on_disk && f.text.len() > 1024));
        assert_eq!(partial, expected, "{budget}");
    }
}

#[test]
fn facts_read_with_the_text_are_taken_only_under_the_same_id_and_module() {
    let (dir, _) = tree();
    // A file the reading cannot decode sorts first: every later file's id moves down by one
    // after the facts were extracted, so the build parses those files again.
    std::fs::write(dir.path().join("blog/aaa.py"), b"\xff\xfe not text\n").unwrap();
    let (full, _) = discover::load(dir.path(), &[]);
    let expected = report(&analyze(full, &Config::default(), &Selection::default()));
    let (snapshot, unreadable) = discover::load_parsed(dir.path(), &[], Scope::Stable, 0);
    assert_eq!(unreadable.len(), 1);
    assert!(snapshot
        .files
        .iter()
        .enumerate()
        .filter_map(|(id, f)| f.parsed.as_ref().map(|p| (id, p)))
        .any(|(id, p)| p.id != id));
    let got = report(&analyze(
        snapshot,
        &Config::default(),
        &Selection::default(),
    ));
    assert_eq!(got, expected);

    // Without it, the facts extracted while reading are the ones a build extracts.
    std::fs::remove_file(dir.path().join("blog/aaa.py")).unwrap();
    let (snapshot, _) = discover::load_parsed(dir.path(), &[], Scope::Stable, 0);
    let pre: Vec<(usize, String)> = snapshot
        .files
        .iter()
        .enumerate()
        .filter_map(|(id, f)| f.parsed.as_ref().map(|p| (id, format!("{:?}", p.facts))))
        .collect();
    assert!(pre.len() >= 5, "{}", pre.len());
    let ws = djperm::workspace::Workspace::build_with(snapshot, &[], Scope::Stable);
    assert!(ws.snapshot.files.iter().all(|f| f.parsed.is_none()));
    for (id, facts) in pre {
        assert_eq!(
            format!("{:?}", ws.python[id].as_deref().unwrap()),
            facts,
            "{id}"
        );
    }
}

#[test]
fn settings_assigned_at_run_time_count_when_the_text_is_not_held() {
    // A long module that assigns the backends at run time: a lean reading drops its text.
    let pad = format!("# {}\n", "x".repeat(78)).repeat(20);
    let config = format!(
        "{pad}from django.conf import settings\n\ndef configure():\n    settings.AUTHENTICATION_BACKENDS = ['site.backends.SiteBackend']\n"
    );
    let files: Vec<(String, String)> = vec![
        ("site/__init__.py".into(), String::new()),
        (
            "site/backends.py".into(),
            "from django.contrib.auth.backends import BaseBackend\n\nclass SiteBackend(BaseBackend):\n    def has_perm(self, user_obj, perm, obj=None):\n        return perm.startswith('site.')\n".into(),
        ),
        (
            "blog/views.py".into(),
            "def v(request):\n    return request.user.has_perm('site.reboot')\n".into(),
        ),
        ("site/config.py".into(), config),
    ];
    let (dir, full, _) = common::project_padded(&files, 0);
    // The full reading counts the backend: `site` is its label, not an unknown one.
    assert_eq!(report(&full), Vec::<String>::new());
    let (_, got) = lean(dir.path(), 0);
    assert_eq!(got, Vec::<String>::new());
}

/// A text the reading drops past its budget is not read again by the analysis: the index's
/// search for run-time assignments to the settings lists knows it holds none (the reading keeps
/// every text that names one), without the words of the whole text.
#[test]
fn a_text_dropped_past_the_budget_is_read_once() {
    let view = "def v(request):\n    return request.user.has_perm('blog.can_publsh')\n";
    let (dir, _, _) = common::project_padded(&[("blog/views.py".into(), view.into())], 12);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_djperm"))
        .args(["check", "--no-cache", "--output-format", "concise"])
        .current_dir(dir.path())
        .env("DJPERM_TIMINGS", "1")
        .env("DJPERM_HELD_BUDGET", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let count = |phase: &str, words: &str| -> usize {
        let line = stderr
            .lines()
            .find(|l| l.contains(phase))
            .unwrap_or_else(|| panic!("{stderr}"));
        line.split(words)
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"))
    };
    let walked = count("walk+read", " files,");
    let all = count("timing: analysis", " files read in all");
    // Read again: the reported file (for its snippet) and the models file its finding is
    // checked against; none of the dropped ones.
    assert!(walked >= 15, "{stderr}");
    assert!(
        all <= walked + 2,
        "{all} reads for {walked} files\n{stderr}"
    );
}
