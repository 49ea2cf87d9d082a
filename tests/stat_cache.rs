//! The stat pre-check of the on-disk cache: a warm run takes a file whose size and
//! modification time match its entry as unchanged without reading it, and still sees every
//! edit: one that keeps the size, one within the clock tick the cache was written in ("racy"),
//! and a touch that changes nothing.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use djperm::config::Config;
use djperm::discover;
use djperm::workspace::disk_cache::DiskCache;
use djperm::workspace::prefilter::Scope;
use djperm::{analyze, analyze_disk_cached, Analysis, Selection};

use common::project;

const GOOD: &str = "def publish(request):\n    return request.user.has_perm('blog.can_publish')\n";
/// [`GOOD`] with a misspelt codename of the same length.
const BAD: &str = "def publish(request):\n    return request.user.has_perm('blog.can_publisx')\n";

fn report(a: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = a
        .diagnostics
        .iter()
        .map(|d| format!("{} {} {}", a.ws.path(d.span.file), d.code, d.message))
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

/// One run as the command line's check does it (stat pre-check, then the cached analysis,
/// then the save): its report and its cache hits.
fn run(root: &Path) -> (Vec<String>, usize) {
    let disk = DiskCache::open(&root.join(".djperm_cache"), "test");
    let (snapshot, _) = discover::load_parsed_cached(root, &[], Scope::Stable, &disk);
    let a = analyze_disk_cached(snapshot, &Config::default(), &Selection::default(), &disk);
    let hits = disk.hits();
    let parsed: Vec<&str> = (0..a.ws.python.len())
        .filter(|&id| a.ws.python[id].is_some())
        .map(|id| a.ws.path(id))
        .collect();
    disk.save(&parsed).unwrap();
    (report(&a), hits)
}

fn set_mtime(path: &Path, time: SystemTime) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(time).unwrap();
}

/// Every project file modified `ago` before now (older than any cache written from now on).
fn age(root: &Path, ago: Duration) {
    let when = SystemTime::now() - ago;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                set_mtime(&p, when);
            }
        }
    }
}

fn has_djp002(report: &[String]) -> bool {
    report.iter().any(|d| d.contains("DJP002"))
}

#[test]
fn an_edit_that_keeps_the_size_but_changes_the_time_is_seen() {
    let (dir, _) = project(&[("blog/views.py", GOOD)]);
    let root = dir.path();
    age(root, Duration::from_secs(3600));
    let (cold, _) = run(root);
    assert!(!has_djp002(&cold), "{cold:?}");
    let (warm, hits) = run(root);
    assert_eq!(warm, cold);
    assert!(hits > 0);
    let views = root.join("blog/views.py");
    std::fs::write(&views, BAD).unwrap();
    set_mtime(&views, SystemTime::now() - Duration::from_secs(1800));
    let (edited, _) = run(root);
    assert!(has_djp002(&edited), "{edited:?}");
    assert_eq!(edited, fresh(root));
}

#[test]
fn an_edit_within_the_racy_window_is_seen() {
    // The file's time is not older than the cache's: it may have changed in the same tick the
    // cache was written, and its stat alone is not trusted.
    let (dir, _) = project(&[("blog/views.py", GOOD)]);
    let root = dir.path();
    let views = root.join("blog/views.py");
    let tick = SystemTime::now() + Duration::from_secs(3600);
    set_mtime(&views, tick);
    let (cold, _) = run(root);
    assert!(!has_djp002(&cold), "{cold:?}");
    std::fs::write(&views, BAD).unwrap();
    set_mtime(&views, tick); // same size, same time: only the bytes tell
    let (edited, _) = run(root);
    assert!(has_djp002(&edited), "{edited:?}");
    assert_eq!(edited, fresh(root));
    // And back, still within the window.
    std::fs::write(&views, GOOD).unwrap();
    set_mtime(&views, tick);
    let (back, _) = run(root);
    assert_eq!(back, cold);
}

#[test]
fn a_touch_without_change_stays_right_and_hits() {
    let (dir, _) = project(&[("blog/views.py", BAD)]);
    let root = dir.path();
    age(root, Duration::from_secs(3600));
    let (cold, _) = run(root);
    assert!(has_djp002(&cold), "{cold:?}");
    let (_, all) = run(root);
    age(root, Duration::from_secs(1800)); // touched: new times, same bytes
    let (touched, hits) = run(root);
    assert_eq!(touched, cold);
    assert_eq!(
        hits, all,
        "the bytes are unchanged: every parsed file still hits"
    );
    let (again, hits) = run(root);
    assert_eq!((again, hits), (cold, all));
}

/// The files a run read, and its standard output.
fn binary_run(root: &Path) -> (usize, String) {
    let (out, read) = common::check_counting_reads(root);
    (read, out)
}

#[test]
fn a_warm_run_reads_no_bytes_of_unchanged_files() {
    let mut files: Vec<(String, String)> = vec![("blog/views.py".into(), BAD.into())];
    for i in 0..30 {
        files.push((format!("blog/checks{i}.py"), GOOD.into()));
        files.push((format!("blog/util{i}.py"), format!("X = {i}\n")));
        files.push((
            format!("blog/templates/blog/page{i}.html"),
            "<p>{{ post.title }}</p>\n".into(),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let (dir, _) = project(&refs);
    let root = dir.path();
    age(root, Duration::from_secs(3600));
    let (cold, first) = binary_run(root);
    assert!(cold >= 90, "{cold}");
    assert!(first.contains("DJP002"), "{first}");
    let (warm, second) = binary_run(root);
    assert_eq!(second, first);
    // Read on a warm run: the start-up files (manage.py, the settings), the file reported and
    // the models file its finding is checked against; none of the 90 unchanged others.
    assert!(warm <= 4, "{warm} files read on a warm run");
    // An edit is still read (and only it, besides those).
    std::fs::write(root.join("blog/util3.py"), "X = 33\n").unwrap();
    let (edited, _) = binary_run(root);
    assert!(edited > warm && edited <= warm + 1, "{edited} vs {warm}");
}

#[test]
fn a_template_found_unchanged_by_its_stat_keeps_its_findings_and_an_edit_is_seen() {
    let page = "blog/templates/blog/page.html";
    let good = "{% if perms.blog.can_publish %}<a>publish</a>{% endif %}\n";
    let bad = "{% if perms.blog.can_publisx %}<a>publish</a>{% endif %}\n";
    let (dir, _) = project(&[(page, bad)]);
    let root = dir.path();
    age(root, Duration::from_secs(3600));
    let (cold, _) = run(root);
    assert!(
        cold.iter()
            .any(|d| d.contains("page.html") && d.contains("DJP002")),
        "{cold:?}"
    );
    assert_eq!(cold, fresh(root));
    let (warm, _) = run(root);
    assert_eq!(warm, cold);
    let path = root.join(page);
    std::fs::write(&path, good).unwrap();
    set_mtime(&path, SystemTime::now() - Duration::from_secs(1800));
    let (edited, _) = run(root);
    assert!(
        !edited.iter().any(|d| d.contains("page.html")),
        "{edited:?}"
    );
    assert_eq!(edited, fresh(root));
    let (again, _) = run(root);
    assert_eq!(again, edited);
}
