//! Ignore files never hide a definition: Python files that `.gitignore` (or `.ignore`) matches
//! are read too, for what they define (a settings module, models, migrations, what those
//! import), and marked so that nothing in them is reported. The built-in excludes and the
//! configured `exclude` still apply: they say what djperm never reads.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use ignore::WalkState;

use super::{decode, excludes, walker};
use crate::workspace::Snapshot;

/// Add to `snapshot` the Python files under its root that the ignore files hid from the walk.
pub fn add_ignored(snapshot: &mut Snapshot, exclude: &[String]) {
    let root = snapshot.root.clone();
    let user_excludes = excludes(exclude);
    let seen: HashSet<&str> = snapshot.files.iter().map(|f| f.path.as_str()).collect();
    let found: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    walker(&root)
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
                let Some(rel) = relative(&root, entry.path()) else {
                    return WalkState::Continue;
                };
                if !rel.ends_with(".py")
                    || seen.contains(rel.as_str())
                    || user_excludes.is_match(&rel)
                {
                    return WalkState::Continue;
                }
                // Unreadable ignored files are skipped silently: they were never the project's.
                if let Ok(text) = crate::workspace::read_bytes(entry.path())
                    .map_err(|_| ())
                    .and_then(|b| decode(b).map_err(|_| ()))
                {
                    found
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((rel, text));
                }
                WalkState::Continue
            })
        });
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_unstable();
    for (rel, text) in found {
        let id = snapshot.add(rel, text);
        snapshot.files[id].ignored = true;
    }
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    path.strip_prefix(root)
        .ok()?
        .to_str()
        .map(|s| s.replace('\\', "/"))
}
