//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use djperm::config::Config;
use djperm::{analyze, discover, Analysis, Selection};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects")
}

pub fn project_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

pub fn analyze_dir(dir: &Path) -> Analysis {
    let config = djperm::config::discover(dir)
        .ok()
        .flatten()
        .map(|(_, c)| c)
        .unwrap_or_default();
    analyze_with(dir, &config)
}

pub fn analyze_with(dir: &Path, config: &Config) -> Analysis {
    let (snapshot, _) = discover::load(dir, &config.exclude);
    analyze(snapshot, config, &Selection::from_config(config))
}

/// The Python with Django installed: `DJPERM_PYTHON`, else the repo's `.venv`.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("DJPERM_PYTHON") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python")
}

pub fn insta_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}
