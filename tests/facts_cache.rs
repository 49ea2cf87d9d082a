//! The facts cache the language server keeps between analyses: reusing facts must give exactly
//! the diagnostics of a fresh analysis, whatever changed (a file's text, a new file shifting
//! every id, a file removed), and must really skip the unchanged files.

use std::path::Path;

use djperm::config::Config;
use djperm::workspace::{FactsCache, Snapshot};
use djperm::{analyze, analyze_cached, Selection};

fn fixture(name: &str) -> Snapshot {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/projects")
        .join(name);
    djperm::discover::load(&root, &[]).0
}

fn with_file(snapshot: &Snapshot, path: &str, text: &str) -> Snapshot {
    let mut out = Snapshot::new(snapshot.root.clone());
    let mut added = false;
    for f in &snapshot.files {
        if f.path == path {
            out.add(path, text);
            added = true;
        } else {
            out.add(&f.path, &f.text);
        }
    }
    if !added {
        out.add(path, text);
    }
    out
}

fn without_file(snapshot: &Snapshot, path: &str) -> Snapshot {
    let mut out = Snapshot::new(snapshot.root.clone());
    for f in snapshot.files.iter().filter(|f| f.path != path) {
        out.add(&f.path, &f.text);
    }
    out
}

/// Diagnostics of a cached analysis and of a fresh one, as the user sees them.
fn both(snapshot: &Snapshot, cache: &FactsCache) -> (Vec<String>, Vec<String>) {
    let config = Config::default();
    let selection = Selection::default();
    let show = |a: djperm::Analysis| -> Vec<String> {
        a.diagnostics
            .iter()
            .map(|d| {
                format!(
                    "{} {} {:?} {}",
                    a.ws.path(d.span.file),
                    d.code,
                    d.span,
                    d.message
                )
            })
            .collect()
    };
    let cached = show(analyze_cached(snapshot.clone(), &config, &selection, cache));
    let fresh = show(analyze(snapshot.clone(), &config, &selection));
    (cached, fresh)
}

#[test]
fn reused_facts_give_the_fresh_answer_and_skip_unchanged_files() {
    let base = fixture("rules_positive");
    let cache = FactsCache::default();

    let (cached, fresh) = both(&base, &cache);
    assert_eq!(cached, fresh);
    assert!(!fresh.is_empty(), "the fixture has findings");
    assert_eq!(cache.hits(), 0, "nothing to reuse on the first build");

    let (cached, fresh) = both(&base, &cache);
    assert_eq!(cached, fresh);
    let all_hits = cache.hits();
    assert!(
        all_hits > 5,
        "an unchanged project re-parses nothing ({all_hits} hits)"
    );

    // Edit one view: a new unknown permission appears; every other file is reused.
    let views = base
        .files
        .iter()
        .find(|f| f.path.ends_with("views.py"))
        .expect("a views.py");
    let edited_text = format!(
        "{}\n\ndef added(request):\n    return request.user.has_perm(\"catalog.cant_exist_here\")\n",
        views.text
    );
    let edited = with_file(&base, &views.path.clone(), &edited_text);
    let (cached, fresh) = both(&edited, &cache);
    assert_eq!(cached, fresh);
    assert!(
        fresh.iter().any(|d| d.contains("cant_exist_here")),
        "{fresh:#?}"
    );
    assert_eq!(
        cache.hits(),
        all_hits - 1,
        "only the edited file is parsed again"
    );

    // A new file that sorts first shifts every id: spans carry ids, so nothing stale is reused.
    let mut shifted = Snapshot::new(edited.root.clone());
    shifted.add("000_first.py", "X = 1\n");
    for f in &edited.files {
        shifted.add(&f.path, &f.text);
    }
    let (cached, fresh) = both(&shifted, &cache);
    assert_eq!(cached, fresh);

    // Back to the original: the edited finding disappears again.
    let back = without_file(&shifted, "000_first.py");
    let back = with_file(&back, &views.path.clone(), &views.text.clone());
    let (cached, fresh) = both(&back, &cache);
    assert_eq!(cached, fresh);
    assert!(!fresh.iter().any(|d| d.contains("cant_exist_here")));
}

#[test]
fn definitions_edited_through_the_cache_reach_the_references() {
    // Removing a Meta.permissions entry in models.py must make the view that uses it unknown,
    // although the view's own facts are reused.
    let mut snapshot = Snapshot::new(std::path::PathBuf::from("/nonexistent"));
    snapshot.add(
        "manage.py",
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_cfg.settings')\n",
    );
    snapshot.add("site_cfg/__init__.py", "");
    snapshot.add(
        "site_cfg/settings.py",
        "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n",
    );
    snapshot.add("blog/__init__.py", "");
    let models = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [(\"publish_post\", \"Can publish\")]\n";
    snapshot.add("blog/models.py", models);
    snapshot.add(
        "blog/views.py",
        "def v(request):\n    return request.user.has_perm(\"blog.publish_post\")\n",
    );
    let cache = FactsCache::default();
    let (cached, fresh) = both(&snapshot, &cache);
    assert_eq!(cached, fresh);
    assert!(fresh.is_empty(), "{fresh:#?}");

    let edited = with_file(
        &snapshot,
        "blog/models.py",
        &models.replace("publish_post", "archive_post"),
    );
    let (cached, fresh) = both(&edited, &cache);
    assert_eq!(cached, fresh);
    assert!(
        fresh
            .iter()
            .any(|d| d.contains("DJP002") && d.contains("publish_post")),
        "{fresh:#?}"
    );
    assert!(cache.hits() >= 2, "views.py and settings were reused");
}
