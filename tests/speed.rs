//! The on-disk facts cache (hit, miss after an edit, another build, corrupt or foreign files,
//! a cache that cannot be written) and the lean snapshot (texts dropped once parsed): each run
//! through them reports exactly what a fresh analysis of the full texts reports.

mod common;

use std::path::Path;

use djperm::config::Config;
use djperm::discover;
use djperm::workspace::disk_cache::DiskCache;
use djperm::workspace::prefilter::Scope;
use djperm::{analyze, analyze_disk_cached, Analysis, Selection};

use common::{project, run_djperm};

const LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

const VIEWS: &str = "def publish(request):\n    return request.user.has_perm('blog.can_publsh')\n";

/// Every diagnostic with its file, byte range, code and message.
fn report(a: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = a
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}:{}-{} {} {}",
                a.ws.path(d.span.file),
                d.span.start,
                d.span.end,
                d.code,
                d.message
            )
        })
        .collect();
    out.sort();
    out
}

fn fresh(root: &Path) -> Vec<String> {
    let (snapshot, _) = discover::load(root, &[]);
    report(&analyze(
        snapshot,
        &Config::default(),
        &Selection::default(),
    ))
}

/// One cached run as the command line reads: (its report, hits, misses), the cache saved
/// afterwards. The facts of the files the pre-filter keeps come from the cache or are extracted
/// as they are read.
fn cached(root: &Path, dir: &Path, build: &str) -> (Vec<String>, usize, usize) {
    let disk = DiskCache::open(dir, build);
    let (snapshot, _) = discover::load_parsed_cached(root, &[], Scope::Stable, &disk);
    let a = analyze_disk_cached(snapshot, &Config::default(), &Selection::default(), &disk);
    let (hits, misses) = (disk.hits(), disk.misses());
    let parsed: Vec<&str> = (0..a.ws.python.len())
        .filter(|&id| a.ws.python[id].is_some())
        .map(|id| a.ws.path(id))
        .collect();
    disk.save(&parsed).unwrap();
    (report(&a), hits, misses)
}

#[test]
fn a_warm_run_parses_nothing_and_reports_the_same() {
    let (dir, _) = project(&[("blog/views.py", VIEWS)]);
    let cache = dir.path().join(".djperm_cache");
    let want = fresh(dir.path());
    assert!(want.iter().any(|d| d.contains("DJP002")), "{want:?}");
    let (cold, hits, misses) = cached(dir.path(), &cache, "v1");
    assert_eq!((cold, hits), (want.clone(), 0));
    assert!(misses >= 5, "{misses}");
    let (warm, hits, again) = cached(dir.path(), &cache, "v1");
    assert_eq!(warm, want);
    assert_eq!((hits, again), (misses, 0));
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore")).unwrap(),
        "# Automatically created by djperm.\n*\n"
    );
}

#[test]
fn an_edited_file_misses_and_the_others_hit() {
    let (dir, _) = project(&[("blog/views.py", VIEWS)]);
    let cache = dir.path().join(".djperm_cache");
    let (_, _, misses) = cached(dir.path(), &cache, "v1");
    // The fix of the typo: the finding goes; a new bug of the same shape elsewhere appears.
    std::fs::write(
        dir.path().join("blog/views.py"),
        VIEWS.replace("can_publsh", "can_publish"),
    )
    .unwrap();
    let (after, hits, missed) = cached(dir.path(), &cache, "v1");
    assert_eq!((hits, missed), (misses - 1, 1));
    assert_eq!(after, fresh(dir.path()));
    assert!(!after.iter().any(|d| d.contains("DJP002")), "{after:?}");
}

#[test]
fn facts_stay_right_when_file_ids_shift() {
    let (dir, _) = project(&[("blog/views.py", VIEWS)]);
    let cache = dir.path().join(".djperm_cache");
    cached(dir.path(), &cache, "v1");
    // A new file sorting first moves every other file's id; spans must follow.
    std::fs::write(
        dir.path().join("aaa.py"),
        "def f(user):\n    return user.has_perm('blog.can_publsh')\n",
    )
    .unwrap();
    let (after, hits, missed) = cached(dir.path(), &cache, "v1");
    assert!(hits > 0 && missed == 1, "{hits} {missed}");
    assert_eq!(after, fresh(dir.path()));
    assert_eq!(after.iter().filter(|d| d.contains("DJP002")).count(), 2);
}

#[test]
fn another_build_ignores_the_cache() {
    let (dir, _) = project(&[("blog/views.py", VIEWS)]);
    let cache = dir.path().join(".djperm_cache");
    let (_, _, misses) = cached(dir.path(), &cache, "v1");
    let (after, hits, missed) = cached(dir.path(), &cache, "v2");
    assert_eq!((hits, missed), (0, misses));
    assert_eq!(after, fresh(dir.path()));
}

#[test]
fn corrupt_truncated_or_foreign_cache_files_are_never_trusted() {
    let (dir, _) = project(&[("blog/views.py", VIEWS)]);
    let cache = dir.path().join(".djperm_cache");
    let want = fresh(dir.path());
    let (_, _, misses) = cached(dir.path(), &cache, "v1");
    let file = cache.join("facts.bin");
    let good = std::fs::read(&file).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x5a;
    let corruptions: Vec<Vec<u8>> = vec![
        flipped,
        good[..good.len() / 2].to_vec(),
        Vec::new(),
        b"not a cache at all".to_vec(),
        vec![0xff; 4096],
    ];
    for bad in corruptions {
        std::fs::write(&file, &bad).unwrap();
        let (after, hits, missed) = cached(dir.path(), &cache, "v1");
        assert_eq!((hits, missed), (0, misses));
        assert_eq!(after, want);
    }
    // A directory where the file should be: unreadable, ignored, and the save says why.
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let (snapshot, _) = discover::load(dir.path(), &[]);
    let disk = DiskCache::open(&cache, "v1");
    let a = analyze_disk_cached(snapshot, &Config::default(), &Selection::default(), &disk);
    assert_eq!((disk.hits(), report(&a)), (0, want));
    assert!(disk.save(&[]).is_err());
}

#[test]
fn the_binary_caches_and_a_cache_it_cannot_write_does_not_fail_the_run() {
    let (dir, _) = project(&[("blog/views.py", VIEWS)]);
    let root = dir.path();
    let first = run_djperm(root, &["check", "--output-format", "concise"], LIMIT);
    assert_eq!(first.code, Some(1), "{first:#?}");
    assert!(root.join(".djperm_cache/facts.bin").is_file());
    let second = run_djperm(root, &["check", "--output-format", "concise"], LIMIT);
    assert_eq!((second.code, &second.stdout), (Some(1), &first.stdout));
    // A cache directory that cannot be created (below a file: refused even to root).
    std::fs::write(root.join("not-a-dir"), "").unwrap();
    let args = [
        "check",
        "--output-format",
        "concise",
        "--cache-dir",
        "not-a-dir/cache",
    ];
    let run = run_djperm(root, &args, LIMIT);
    assert_eq!(
        (run.code, &run.stdout),
        (Some(1), &first.stdout),
        "{run:#?}"
    );
    assert_eq!(
        run.stderr.matches("cache not written").count(),
        1,
        "{}",
        run.stderr
    );
    // `--no-cache` touches nothing, and `cache-dir` in the configuration is honoured.
    std::fs::remove_dir_all(root.join(".djperm_cache")).unwrap();
    let run = run_djperm(root, &["check", "--no-cache"], LIMIT);
    assert_eq!(run.code, Some(1));
    assert!(!root.join(".djperm_cache").exists());
    std::fs::write(root.join("djperm.toml"), "cache-dir = \"var/djperm\"\n").unwrap();
    let run = run_djperm(root, &["check"], LIMIT);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(root.join("var/djperm/facts.bin").is_file());
    assert!(!root.join(".djperm_cache").exists());
}

#[test]
fn a_lean_snapshot_reports_what_the_full_texts_report() {
    // Reached only through an import: its text (long enough not to be kept) is dropped at
    // reading and read again when the import leads to it.
    let helpers = format!(
        "{}PERM = 'blog.' + 'can_publsh'\n",
        "# filler\n".repeat(200)
    );
    let (dir, _) = project(&[
        ("blog/views.py", VIEWS),
        ("blog/helpers.py", &helpers),
        (
            "blog/api.py",
            "from blog.helpers import PERM\n\ndef f(user):\n    return user.has_perm(PERM)\n",
        ),
    ]);
    let (snapshot, _) = discover::load_parsed(dir.path(), &[], Scope::Stable, 0);
    assert!(snapshot
        .files
        .iter()
        .any(|f| f.on_disk && f.path == "blog/helpers.py"));
    let lean = analyze(snapshot, &Config::default(), &Selection::default());
    assert_eq!(report(&lean), fresh(dir.path()));
    // The reported file's text is read again for the report.
    let d = lean
        .diagnostics
        .iter()
        .find(|d| lean.ws.path(d.span.file) == "blog/views.py")
        .unwrap();
    assert_eq!(
        &lean.ws.text(d.span.file)[d.span.start as usize..d.span.end as usize],
        "'blog.can_publsh'"
    );
}

// ---- random edit sequences ---------------------------------------------------------------------

use djperm::workspace::FactsCache;
use proptest::prelude::*;

/// Appends a comment naming a custom permission's codename (a use for DJP030) to the file.
const APPEND: &str = "<append a comment>";
/// Adds a comment line at the top of the file: everything in it moves.
const PREPEND: &str = "<prepend a comment>";

/// Files an edit may write (or delete, with `None`, or append a comment to, with [`APPEND`]):
/// definitions (models, migrations, settings, apps) and references, valid and not; some edits
/// change no definition (the language server's edit path), some do.
fn edit() -> impl Strategy<Value = (&'static str, Option<&'static str>)> {
    let models_a = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n";
    let models_b = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('can_archive', 'Can archive')]\n";
    let settings_b =
        "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'shop']\n";
    let migration_b = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = [migrations.AlterModelOptions(name='post', options={'permissions': [('can_archive', 'Can archive')]})]\n";
    prop_oneof![
        Just(("blog/models.py", Some(models_a))),
        Just(("blog/models.py", Some(models_b))),
        Just(("blog/migrations/0002_archive.py", Some(migration_b))),
        Just(("blog/migrations/0002_archive.py", None)),
        Just(("proj/settings.py", Some(settings_b))),
        Just(("shop/__init__.py", Some(""))),
        Just((
            "shop/models.py",
            Some("from django.db import models\n\nclass Item(models.Model):\n    pass\n")
        )),
        Just(("shop/models.py", None)),
        Just(("blog/views.py", Some(VIEWS))),
        Just((
            "blog/views.py",
            Some("def v(request):\n    return request.user.has_perm('blog.can_archive')\n")
        )),
        Just((
            "blog/views.py",
            Some("def v(request):\n    return request.user.has_perm('shop.view_item')\n")
        )),
        Just(("blog/views.py", None)),
        Just((
            "aaa/api.py",
            Some("def f(user):\n    return user.has_perms('blog.can_publish')\n")
        )),
        Just(("aaa/api.py", None)),
        // The same spans as the `can_archive` view: only a reference changes.
        Just((
            "blog/views.py",
            Some("def v(request):\n    return request.user.has_perm('blog.can_publish')\n")
        )),
        // A constant defined in a views file: a definition.
        Just((
            "blog/views.py",
            Some("PERM = 'blog.can_archive'\n\ndef v(request):\n    return request.user.has_perm(PERM)\n")
        )),
        Just((
            "blog/apps.py",
            Some("from django.apps import AppConfig\n\nclass BlogConfig(AppConfig):\n    name = 'blog'\n")
        )),
        Just(("blog/apps.py", None)),
        Just(("blog/models.py", Some(APPEND))),
        Just(("blog/migrations/0001_initial.py", Some(APPEND))),
        Just(("blog/migrations/0002_archive.py", Some(APPEND))),
        Just(("proj/settings.py", Some(APPEND))),
        Just(("blog/apps.py", Some(APPEND))),
        Just(("blog/views.py", Some(APPEND))),
        Just(("aaa/api.py", Some(APPEND))),
        Just(("blog/views.py", Some(PREPEND))),
        Just(("aaa/api.py", Some(PREPEND))),
        Just(("blog/models.py", Some(PREPEND))),
        Just(("proj/settings.py", Some(PREPEND))),
        Just(("blog/migrations/0002_archive.py", Some(PREPEND))),
    ]
}

fn apply(root: &Path, (path, text): (&str, Option<&str>)) {
    let full = root.join(path);
    match text {
        Some(APPEND) => {
            if let Ok(mut t) = std::fs::read_to_string(&full) {
                t.push_str("# can_archive\n");
                std::fs::write(full, t).unwrap();
            }
        }
        Some(PREPEND) => {
            if let Ok(t) = std::fs::read_to_string(&full) {
                std::fs::write(full, format!("# note\n{t}")).unwrap();
            }
        }
        Some(t) => {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, t).unwrap();
        }
        None => {
            let _ = std::fs::remove_file(full);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// After any sequence of edits, the language server's paths (facts reused in memory; the
    /// edit path keeping the index when no definition changed), the command line's cached path
    /// (facts reused from disk, lean snapshot) and a fresh analysis of the full texts report
    /// the same diagnostics, at the same places (the edit path: the same diagnostics, with
    /// their notes, related places and fixes).
    #[test]
    fn incremental_paths_equal_a_fresh_analysis(edits in prop::collection::vec(edit(), 1..9)) {
        let (dir, _) = project(&[("blog/views.py", VIEWS)]);
        let root = dir.path();
        let cache_dir = root.join(".djperm_cache");
        let memory = FactsCache::default();
        let config = Config::default();
        let selection = Selection::default();
        let mut previous: Option<Analysis> = None;
        for e in edits {
            apply(root, e);
            let want = fresh(root);
            let (snapshot, _) = discover::load(root, &[]);
            let texts: Vec<(&str, &str)> =
                snapshot.files.iter().map(|f| (f.path.as_str(), f.text.as_str())).collect();
            let edited = previous
                .as_ref()
                .and_then(|p| djperm::analyze_edit(p, &texts, &config, &selection));
            if let Some(edited) = &edited {
                let whole = analyze(snapshot.clone(), &config, &selection);
                prop_assert_eq!(
                    format!("{:?}", edited.diagnostics),
                    format!("{:?}", whole.diagnostics),
                    "edit path after {:?}", e
                );
            }
            let analysis = djperm::analyze_cached(snapshot, &config, &selection, &memory);
            let served = report(&analysis);
            previous = Some(edited.unwrap_or(analysis));
            prop_assert_eq!(&served, &want, "in-memory facts cache after {:?}", e);
            let (from_disk, _, _) = cached(root, &cache_dir, "v1");
            prop_assert_eq!(&from_disk, &want, "disk cache after {:?}", e);
        }
    }
}

#[test]
fn a_buffer_on_standard_input_is_judged_by_its_own_text_not_the_file_on_disk() {
    // On disk the file holds nothing the pre-filter keeps (and is too long to be kept anyway);
    // the buffer checks a wrong permission.
    let on_disk = format!(
        "{}def v(request):\n    return None\n",
        "# filler\n".repeat(200)
    );
    let (dir, _) = project(&[("blog/views.py", &on_disk)]);
    let out = assert_cmd::Command::cargo_bin("djperm")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "check",
            "--output-format",
            "concise",
            "--stdin-filename",
            "blog/views.py",
        ])
        .write_stdin(VIEWS)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("DJP002"), "{stdout}");
    // And the file on disk alone is clean.
    let run = run_djperm(dir.path(), &["check", "--output-format", "concise"], LIMIT);
    assert_eq!(run.code, Some(0), "{run:#?}");
}

#[test]
fn a_buffer_on_standard_input_replaces_the_facts_read_with_the_file() {
    // On disk the file checks a wrong permission, and is parsed as it is read (no cache); the
    // buffer has it right.
    let (dir, _) = project(&[("blog/views.py", VIEWS)]);
    let fixed = VIEWS.replace("can_publsh", "can_publish");
    for cache in [&["--no-cache"][..], &[]] {
        let out = assert_cmd::Command::cargo_bin("djperm")
            .unwrap()
            .current_dir(dir.path())
            .args(["check", "--output-format", "concise"])
            .args(cache)
            .args(["--stdin-filename", "blog/views.py"])
            .write_stdin(fixed.as_str())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{cache:?} {stdout}");
    }
    let run = run_djperm(
        dir.path(),
        &["check", "--output-format", "concise", "--no-cache"],
        LIMIT,
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
}

#[test]
fn the_servers_first_build_starts_from_the_check_cache_and_keeps_those_facts() {
    let (dir, _) = project(&[("blog/views.py", VIEWS)]);
    let cache = dir.path().join(".djperm_cache");
    let (_, _, parsed) = cached(dir.path(), &cache, "v1");
    let before = std::fs::read(cache.join("facts.bin")).unwrap();
    let memory = FactsCache::default();
    let disk = DiskCache::open_read_only(&cache, "v1");
    let (snapshot, _) = discover::load(dir.path(), &[]);
    let (config, selection) = (Config::default(), Selection::default());
    let first =
        djperm::analyze_cached_with_disk(snapshot.clone(), &config, &selection, &memory, &disk);
    assert_eq!((disk.hits(), disk.misses()), (parsed, 0));
    assert_eq!(report(&first), fresh(dir.path()));
    // The next build reuses them from memory; the cache file was only read.
    let next = djperm::analyze_cached(snapshot, &config, &selection, &memory);
    assert_eq!(memory.hits(), parsed);
    assert_eq!(report(&next), fresh(dir.path()));
    assert!(disk.save(&[]).is_ok());
    assert_eq!(std::fs::read(cache.join("facts.bin")).unwrap(), before);
}
