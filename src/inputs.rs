//! The files and directories a run's result depends on, noted as they are read (or looked
//! for) when a caller asks: the command line's check keeps its whole result under their stats
//! ([`record`], [`take`]). A directory stands for its list of entries (its modification time
//! changes when one is added, removed or renamed); a file looked for and not found is an input
//! too (creating it changes the result).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static ON: AtomicBool = AtomicBool::new(false);
static NOTED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Paths whose presence alone matters (a project marker such as `.git`).
static PRESENT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Start noting inputs (for the rest of the process).
pub fn record() {
    ON.store(true, Ordering::Relaxed);
}

/// Note a file or directory the result depends on.
pub fn note(path: &Path) {
    if ON.load(Ordering::Relaxed) {
        NOTED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_path_buf());
    }
}

/// Note many at once (one lock).
pub fn note_all(paths: impl IntoIterator<Item = PathBuf>) {
    if ON.load(Ordering::Relaxed) {
        NOTED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(paths);
    }
}

/// The inputs noted so far, sorted and distinct: those whose content matters, and those whose
/// presence alone does.
pub fn take() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let take = |list: &Mutex<Vec<PathBuf>>| {
        let mut all = std::mem::take(&mut *list.lock().unwrap_or_else(|e| e.into_inner()));
        all.sort_unstable();
        all.dedup();
        all
    };
    (take(&NOTED), take(&PRESENT))
}

/// [`std::fs::read_to_string`], noted.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    note(path);
    std::fs::read_to_string(path)
}

/// [`std::fs::read_dir`], noted.
pub fn read_dir(path: &Path) -> std::io::Result<std::fs::ReadDir> {
    note(path);
    std::fs::read_dir(path)
}

/// [`Path::exists`], noted as an input whose presence alone matters.
pub fn exists(path: &Path) -> bool {
    if ON.load(Ordering::Relaxed) {
        PRESENT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_path_buf());
    }
    path.exists()
}

/// [`Path::is_file`], noted.
pub fn is_file(path: &Path) -> bool {
    note(path);
    path.is_file()
}
