//! The edit path of the analysis thread, and the cancelling of stale analyses.
//!
//! An edit that changes no definition (what the index and other files read of the edited file,
//! see `workspace::incremental`) keeps the previous analysis's module map, parsed files and
//! index: the edited file is parsed again and the rules run on the workspace with its new
//! facts. Anything else (a definition changed, a file added or removed, the configuration
//! changed) builds the folder again. Either way the result equals a fresh analysis of the
//! same texts (`tests/server_incremental.rs` checks it on random edit sequences).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use super::settings::ClientSettings;
use super::worker::FolderAnalysis;
use crate::config::Config;
use crate::{analyze_edit_until, Analysis, Selection};

/// The last analysis of a folder and the client settings it was made with.
pub struct Previous {
    pub analysis: Arc<FolderAnalysis>,
    pub settings: ClientSettings,
}

/// The analysis of `files` (relative path → text, in path order: the project's files as the
/// folder's snapshot holds them) from the previous analysis, when only texts of Python files
/// changed and none of them changed a definition; `None` means build the folder again (or,
/// when `cancelled()` says so, that a newer edit made the work useless).
pub fn edit_analysis(
    previous: &Previous,
    settings: &ClientSettings,
    files: &[(&str, &str)],
    config: &Config,
    selection: &Selection,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Arc<Analysis>> {
    if &previous.settings != settings {
        return None;
    }
    let before = &previous.analysis.analysis;
    // Nothing changed (a document opened as it is on disk, a save): the same analysis.
    let changed = before.ws.changed(files)?;
    if changed.is_empty() {
        return Some(before.clone());
    }
    analyze_edit_until(before, files, &changed, config, selection, cancelled).map(Arc::new)
}

/// The newest generation of each folder, shared by the main loop (which raises it on every
/// change) and the analysis thread (which drops an analysis a newer change made stale).
#[derive(Clone, Default)]
pub struct Latest(Arc<Mutex<FxHashMap<usize, Arc<AtomicU64>>>>);

impl Latest {
    fn slot(&self, folder: usize) -> Arc<AtomicU64> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(folder).or_default().clone()
    }

    pub fn set(&self, folder: usize, generation: u64) {
        self.slot(folder).fetch_max(generation, Ordering::SeqCst);
    }

    /// Whether a change newer than `generation` was made to `folder`.
    pub fn stale(&self, folder: usize, generation: u64) -> bool {
        self.slot(folder).load(Ordering::SeqCst) > generation
    }
}
