//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
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

// ---------------------------------------------------------------------------------------------
// Expectations written in the fixtures themselves: `BUG DJPnnn` (djperm must report DJPnnn on this
// line), `KNOWN FN DJPnnn` (a real bug djperm misses today), `KNOWN FP DJPnnn` (djperm reports a
// non-bug today). Any other finding is unexpected.

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Marker {
    Bug,
    KnownFalseNegative,
    KnownFalsePositive,
}

/// `(file, 1-based line, code) → marker`, from `BUG DJPnnn`, `KNOWN FN DJPnnn`, `KNOWN FP DJPnnn`.
pub fn markers(root: &Path) -> BTreeMap<(String, usize, String), Marker> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("py" | "html" | "json")
            ) {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                for (word, marker) in [
                    ("BUG DJP", Marker::Bug),
                    ("KNOWN FN DJP", Marker::KnownFalseNegative),
                    ("KNOWN FP DJP", Marker::KnownFalsePositive),
                ] {
                    if let Some(pos) = line.find(word) {
                        let code = &line[pos + word.len() - 3..pos + word.len() + 3];
                        out.insert((rel.clone(), i + 1, code.to_string()), marker);
                    }
                }
            }
        }
    }
    out
}

/// `(file, 1-based line, code, message)` of every diagnostic, preview rules on.
pub fn findings(root: &Path) -> Vec<(String, usize, String, String)> {
    let config = djperm::config::Config {
        preview: true,
        ..Default::default()
    };
    let analysis = analyze_with(root, &config);
    analysis
        .diagnostics
        .iter()
        .map(|d| {
            let text = analysis.ws.path(d.span.file).to_string();
            let source = analysis.ws.text(d.span.file);
            let line = source[..d.span.start as usize].matches('\n').count() + 1;
            (text, line, d.code.to_string(), d.message.clone())
        })
        .collect()
}

/// Compare findings with markers; returns the problems.
pub fn check_markers(root: &Path) -> Vec<String> {
    let markers = markers(root);
    let findings = findings(root);
    let mut problems = Vec::new();
    for ((file, line, code), marker) in &markers {
        let here = findings
            .iter()
            .filter(|(f, l, c, _)| f == file && l == line && c == code)
            .count();
        match marker {
            Marker::Bug if here != 1 => problems.push(format!(
                "{file}:{line}: expected one {code}, got {here}"
            )),
            Marker::KnownFalsePositive if here != 1 => problems.push(format!(
                "{file}:{line}: the known false positive {code} is gone: fixed? Remove the `KNOWN FP` marker (and the note in the lead's list)"
            )),
            Marker::KnownFalseNegative if here != 0 => problems.push(format!(
                "{file}:{line}: the known false negative {code} is now reported: fixed? Change `KNOWN FN` to `BUG`"
            )),
            _ => {}
        }
    }
    for (file, line, code, message) in &findings {
        let marker = markers.get(&(file.clone(), *line, code.clone()));
        if !matches!(marker, Some(Marker::Bug | Marker::KnownFalsePositive)) {
            problems.push(format!("{file}:{line}: unexpected {code} {message}"));
        }
    }
    problems
}
