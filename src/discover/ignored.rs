//! Ignore files never hide a definition: Python files that `.gitignore` (or `.ignore`) matches
//! are read too, for what they define (a settings module, models, migrations, what those
//! import), and marked so that nothing in them is reported. The built-in excludes and the
//! configured `exclude` still apply: they say what djperm never reads. The second walk that
//! finds them lists every Python file on its own thread while the main walk reads; the files
//! it lists that the main walk did not see are read at the end.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use ignore::WalkState;
use rayon::prelude::*;

use super::{decode, excludes, walker};
use crate::workspace::Snapshot;

/// The Python files under `root` a walk that ignores no ignore file finds, outside the
/// built-in and configured excludes: relative paths, sorted. It needs nothing of the main walk,
/// so it runs alongside it ([`alongside`]).
pub fn list_all(root: &Path, exclude: &[String]) -> Vec<String> {
    let user_excludes = excludes(exclude);
    let found: Mutex<Vec<String>> = Mutex::new(Vec::new());
    walker(root)
        .standard_filters(false)
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                let Ok(entry) = entry else {
                    return WalkState::Continue;
                };
                // Every directory (its entries) and ignore file decides what the walks see.
                let name = entry.file_name();
                if entry.file_type().is_some_and(|t| t.is_dir())
                    || name == ".gitignore"
                    || name == ".ignore"
                {
                    crate::inputs::note(entry.path());
                }
                if !entry.file_type().is_some_and(|t| t.is_file())
                    || !name.as_encoded_bytes().ends_with(b".py")
                {
                    return WalkState::Continue;
                }
                let Some(rel) = relative(root, entry.path()) else {
                    return WalkState::Continue;
                };
                if !user_excludes.is_match(&rel) {
                    found.lock().unwrap_or_else(|e| e.into_inner()).push(rel);
                }
                WalkState::Continue
            })
        });
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_unstable();
    found
}

/// Run `main` while [`list_all`] walks on another thread; returns what `main` gave, the listing
/// and how long the listing took (ms).
pub fn alongside<T>(
    root: &Path,
    exclude: &[String],
    main: impl FnOnce() -> T,
) -> (T, Vec<String>, f64) {
    std::thread::scope(|scope| {
        let listing = scope.spawn(|| {
            let start = std::time::Instant::now();
            let all = list_all(root, exclude);
            (all, start.elapsed().as_secs_f64() * 1000.0)
        });
        let out = main();
        // A panic in the listing is a bug: the run goes on as if no file were hidden.
        let (all, ms) = listing.join().unwrap_or_default();
        (out, all, ms)
    })
}

/// Add to `snapshot` the Python files of `all` ([`list_all`]) that the ignore files hid from
/// its walk, read now.
pub fn add_hidden(snapshot: &mut Snapshot, all: Vec<String>) {
    let seen: HashSet<&str> = snapshot.files.iter().map(|f| f.path.as_str()).collect();
    let hidden: Vec<String> = all
        .into_iter()
        .filter(|rel| !seen.contains(rel.as_str()))
        .collect();
    drop(seen);
    let root = &snapshot.root;
    // Unreadable ignored files are skipped silently: they were never the project's.
    let read: Vec<(String, Option<String>)> = hidden
        .into_par_iter()
        .map(|rel| {
            let text = crate::workspace::read_bytes(&root.join(&rel))
                .ok()
                .and_then(|b| decode(b).ok());
            (rel, text)
        })
        .collect();
    for (rel, text) in read {
        if let Some(text) = text {
            let id = snapshot.add(rel, text);
            snapshot.files[id].ignored = true;
        }
    }
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    path.strip_prefix(root)
        .ok()?
        .to_str()
        .map(|s| s.replace('\\', "/"))
}
