//! `djperm check --baseline FILE` / `--write-baseline FILE`: adopt djperm on a project with a
//! backlog without editing its files (the alternative to `--add-noqa`).
//!
//! A finding is keyed by its file (project-relative), its rule code and its source line with the
//! whitespace normalised, so that it survives lines moving up or down. The file records how many
//! findings share a key: a second finding on an identical line is new and is reported.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use djperm::diagnostic::Diagnostic;
use djperm::workspace::Workspace;

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    file: String,
    code: String,
    line: String,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    count: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

type Key = (String, String, String);

/// The line a finding starts on, trimmed, with runs of whitespace made one space.
fn key(ws: &Workspace, d: &Diagnostic) -> Key {
    let text = ws.text(d.span.file);
    let at = (d.span.start as usize).min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (ws.path(d.span.file).to_string(), d.code.to_string(), line)
}

/// The findings a baseline file accepts, by key.
pub struct Baseline {
    path: String,
    counts: BTreeMap<Key, usize>,
}

/// What applying a baseline did.
pub struct Applied {
    pub kept: Vec<Diagnostic>,
    /// Findings the baseline hid.
    pub hidden: usize,
    /// Baseline entries that matched no finding (fixed since, or their line changed).
    pub stale: usize,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("baseline {}: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            format!(
                "baseline {}: not a djperm baseline ({e}); write one with --write-baseline",
                path.display()
            )
        })?;
        if file.version != VERSION {
            return Err(format!(
                "baseline {}: version {} is not supported (expected {VERSION}); write it again with --write-baseline",
                path.display(),
                file.version
            ));
        }
        let mut counts = BTreeMap::new();
        for e in file.findings {
            *counts.entry((e.file, e.code, e.line)).or_insert(0) += e.count;
        }
        Ok(Baseline {
            path: path.display().to_string(),
            counts,
        })
    }

    /// Hide the findings the baseline records, as many per key as it counts.
    pub fn apply(&mut self, ws: &Workspace, diagnostics: Vec<Diagnostic>) -> Applied {
        let mut kept = Vec::new();
        let mut hidden = 0;
        for d in diagnostics {
            match self.counts.get_mut(&key(ws, &d)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    hidden += 1;
                }
                _ => kept.push(d),
            }
        }
        let stale = self.counts.values().sum();
        Applied {
            kept,
            hidden,
            stale,
        }
    }

    /// The note on stderr: never hide findings silently.
    pub fn summary(&self, applied: &Applied) -> Option<String> {
        let mut parts = Vec::new();
        if applied.hidden > 0 {
            parts.push(format!(
                "{} finding{} hidden by the baseline {}",
                applied.hidden,
                plural(applied.hidden),
                self.path
            ));
        }
        if applied.stale > 0 {
            parts.push(format!(
                "{} baseline entr{} matched nothing (fixed, or the line changed): update it with --write-baseline",
                applied.stale,
                if applied.stale == 1 { "y" } else { "ies" }
            ));
        }
        (!parts.is_empty()).then(|| format!("djperm: {}", parts.join("; ")))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The baseline file for these findings, sorted so that it diffs well under version control.
pub fn render(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for d in diagnostics {
        *counts.entry(key(ws, d)).or_insert(0) += 1;
    }
    let file = File {
        version: VERSION,
        findings: counts
            .into_iter()
            .map(|((file, code, line), count)| Entry {
                file,
                code,
                line,
                count,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).expect("a baseline serialises");
    text.push('\n');
    text
}

/// `--write-baseline FILE`: record every finding, say how many.
pub fn write(path: &Path, ws: &Workspace, diagnostics: &[Diagnostic]) -> Result<(), String> {
    super::write_output(Some(path), &render(ws, diagnostics))?;
    eprintln!(
        "djperm: wrote {} finding{} to the baseline {}",
        diagnostics.len(),
        plural(diagnostics.len()),
        path.display()
    );
    Ok(())
}
