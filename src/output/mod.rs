//! Rendering diagnostics for people and machines. Only this module (and the server) converts
//! byte ranges into rows and columns.

pub mod json;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config as TermConfig};

use crate::diagnostic::{Applicability, Diagnostic};
use crate::locator::Locator;
use crate::workspace::Workspace;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Full,
    Concise,
    Json,
}

pub fn render(ws: &Workspace, diagnostics: &[Diagnostic], format: OutputFormat) -> String {
    match format {
        OutputFormat::Full => full(ws, diagnostics),
        OutputFormat::Concise => concise(ws, diagnostics),
        OutputFormat::Json => json::render(ws, diagnostics),
    }
}

fn fix_marker(d: &Diagnostic) -> &'static str {
    match &d.fix {
        Some(f) if f.applicability == Applicability::Safe => "[*] ",
        _ => "",
    }
}

pub fn concise(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let (row, col) = Locator::new(ws.text(d.span.file)).row_col(d.span.start as usize);
        out.push_str(&format!(
            "{}:{row}:{col}: {} {}{}\n",
            ws.path(d.span.file),
            d.code,
            fix_marker(d),
            d.message
        ));
    }
    out.push_str(&summary(diagnostics));
    out
}

pub fn full(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let mut files = SimpleFiles::new();
    let mut ids = rustc_hash::FxHashMap::default();
    let config = TermConfig::default();
    let mut out = String::new();
    for d in diagnostics {
        let id = *ids.entry(d.span.file).or_insert_with(|| {
            files.add(
                ws.path(d.span.file).to_string(),
                ws.text(d.span.file).to_string(),
            )
        });
        let mut notes = Vec::new();
        if let Some(help) = &d.help {
            notes.push(format!("help: {help}"));
        }
        for n in &d.notes {
            notes.push(format!("note: {n}"));
        }
        if let Some(fix) = &d.fix {
            let kind = match fix.applicability {
                Applicability::Safe => "safe fix",
                Applicability::Unsafe => "unsafe fix",
                Applicability::DisplayOnly => "suggestion",
            };
            notes.push(format!("{kind}: {}", fix.message));
        }
        let cs = CsDiagnostic::error()
            .with_code(d.code)
            .with_message(format!("{}{}", fix_marker(d), d.message))
            .with_labels(vec![Label::primary(
                id,
                d.span.start as usize..d.span.end as usize,
            )])
            .with_notes(notes);
        match term::emit_into_string(&config, &files, &cs) {
            Ok(s) => out.push_str(&s),
            Err(_) => out.push_str(&format!(
                "{}: {} {}\n",
                ws.path(d.span.file),
                d.code,
                d.message
            )),
        }
    }
    out.push_str(&summary(diagnostics));
    out
}

/// ruff's closing lines: `Found N errors.` and the fixable count.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    if diagnostics.is_empty() {
        return "All checks passed!\n".to_string();
    }
    let n = diagnostics.len();
    let mut out = format!("Found {n} error{}.\n", if n == 1 { "" } else { "s" });
    let safe = diagnostics
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Safe)
        })
        .count();
    let unsafe_ = diagnostics
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == Applicability::Unsafe)
        })
        .count();
    if safe > 0 {
        out.push_str(&format!("[*] {safe} fixable with the `--fix` option"));
        if unsafe_ > 0 {
            out.push_str(&format!(
                " ({unsafe_} hidden fix{} can be enabled with the `--unsafe-fixes` option)",
                if unsafe_ == 1 { "" } else { "es" }
            ));
        }
        out.push_str(".\n");
    } else if unsafe_ > 0 {
        out.push_str(&format!("No fixes available ({unsafe_} hidden fix{} can be enabled with the `--unsafe-fixes` option).\n", if unsafe_ == 1 { "" } else { "es" }));
    }
    out
}
