//! ruff's `--output-format json`: the same keys, 1-based rows, character columns.

use serde::Serialize;

use crate::diagnostic::{Applicability, Diagnostic, Span};
use crate::workspace::Workspace;

#[derive(Serialize)]
pub struct Location {
    pub column: usize,
    pub row: usize,
}

#[derive(Serialize)]
pub struct JsonNewFile {
    pub content: String,
    pub filename: String,
}

#[derive(Serialize)]
pub struct JsonEdit {
    pub content: String,
    pub end_location: Location,
    pub location: Location,
}

#[derive(Serialize)]
pub struct JsonFix {
    pub applicability: &'static str,
    /// Files the fix creates (absent when it only edits: ruff's shape is kept).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub creates: Vec<JsonNewFile>,
    pub edits: Vec<JsonEdit>,
    pub message: String,
}

/// Keys in ruff's (alphabetical) order.
#[derive(Serialize)]
pub struct JsonDiagnostic {
    pub cell: Option<usize>,
    pub code: &'static str,
    pub end_location: Location,
    pub filename: String,
    pub fix: Option<JsonFix>,
    pub location: Location,
    pub message: String,
    pub name: &'static str,
    pub noqa_row: usize,
    pub severity: &'static str,
    pub url: String,
}

pub fn applicability(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::DisplayOnly => "displayonly",
    }
}

pub fn url(name: &str) -> String {
    format!("https://github.com/djperm/djperm/blob/main/rules/{name}.md")
}

pub fn location(ws: &Workspace, span: Span, offset: u32) -> Location {
    let (row, column) = ws.locator(span.file).row_col(offset as usize);
    Location { column, row }
}

pub fn convert(ws: &Workspace, d: &Diagnostic) -> JsonDiagnostic {
    let start = location(ws, d.span, d.span.start);
    let end = location(ws, d.span, d.span.end);
    JsonDiagnostic {
        cell: None,
        code: d.code,
        noqa_row: start.row,
        end_location: end,
        filename: ws.abs_path(d.span.file).to_string_lossy().into_owned(),
        fix: d.fix.as_ref().map(|f| JsonFix {
            creates: f
                .creates
                .iter()
                .map(|c| JsonNewFile {
                    content: c.content.clone(),
                    filename: ws
                        .snapshot
                        .root
                        .join(&c.path)
                        .to_string_lossy()
                        .into_owned(),
                })
                .collect(),
            applicability: applicability(f.applicability),
            message: f.message.clone(),
            edits: f
                .edits
                .iter()
                .map(|e| JsonEdit {
                    content: e.content.clone(),
                    location: location(ws, e.span, e.span.start),
                    end_location: location(ws, e.span, e.span.end),
                })
                .collect(),
        }),
        location: start,
        message: d.message.clone(),
        name: d.name,
        severity: "error",
        url: url(d.code),
    }
}

pub fn render(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let list: Vec<JsonDiagnostic> = diagnostics.iter().map(|d| convert(ws, d)).collect();
    let mut s = serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

/// `json-lines`: one compact JSON object per diagnostic, the same keys as `json`.
pub fn render_lines(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diagnostics {
        if let Ok(line) = serde_json::to_string(&convert(ws, d)) {
            s.push_str(&line);
            s.push('\n');
        }
    }
    s
}
