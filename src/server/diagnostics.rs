//! Core diagnostics → LSP diagnostics: ranges in the negotiated encoding, the rule doc as
//! `codeDescription`, and the fix edits in `data` so that code actions need no server state.

use lsp_types::{
    Code, CodeDescription, Diagnostic as LspDiagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, Location, Message, TextEdit,
};
use serde::{Deserialize, Serialize};

use std::path::Path;

use super::text::{path_to_uri, Encoding, LineIndex};
use super::worker::FolderAnalysis;
use crate::diagnostic::{Diagnostic, FileId, Severity};
use crate::output::json::{applicability, url};

/// What a diagnostic carries in `data`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FixData {
    /// What the fix does (the core fix message).
    pub message: String,
    /// `safe`, `unsafe` or `displayonly` (ruff's spelling).
    pub applicability: String,
    pub edits: Vec<TextEdit>,
    /// Files the fix creates (DJP004's migration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub creates: Vec<NewFileData>,
}

/// A file a fix creates: its `file://` URI and its whole text.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NewFileData {
    pub uri: String,
    pub text: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Data {
    pub fix: Option<FixData>,
}

/// `root`: the folder's root, which the paths of created files are relative to.
pub fn convert(index: &LineIndex<'_>, d: &Diagnostic, enc: Encoding, root: &Path) -> LspDiagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    for note in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    let fix = d.fix.as_ref().map(|f| FixData {
        message: f.message.clone(),
        applicability: applicability(f.applicability).to_string(),
        edits: f
            .edits
            .iter()
            // Core fixes edit the file of their diagnostic.
            .filter(|e| e.span.file == d.span.file)
            .map(|e| TextEdit {
                range: index.range(e.span.start as usize, e.span.end as usize, enc),
                new_text: e.content.clone(),
            })
            .collect(),
        creates: f
            .creates
            .iter()
            .map(|c| NewFileData {
                uri: path_to_uri(&root.join(&c.path)),
                text: c.content.clone(),
            })
            .collect(),
    });
    LspDiagnostic {
        range: index.range(d.span.start as usize, d.span.end as usize, enc),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::Error,
            Severity::Warning => DiagnosticSeverity::Warning,
        }),
        code: Some(Code::String(d.code.to_string())),
        code_description: Some(CodeDescription {
            href: url(d.code).into(),
        }),
        source: Some("djperm".to_string()),
        message: Message::String(message),
        data: fix.map(|fix| serde_json::to_value(Data { fix: Some(fix) }).unwrap_or_default()),
        ..LspDiagnostic::default()
    }
}

/// The diagnostics of one file of an analysis; `uri` names the files related information
/// points to.
pub fn for_file(
    fa: &FolderAnalysis,
    file: FileId,
    enc: Encoding,
    uri: &dyn Fn(FileId) -> String,
) -> Vec<LspDiagnostic> {
    let index = LineIndex::new(fa.analysis.ws.text(file));
    fa.analysis
        .diagnostics
        .iter()
        .filter(|d| d.span.file == file)
        .map(|d| {
            let mut lsp = convert(&index, d, enc, &fa.analysis.ws.snapshot.root);
            if !d.related.is_empty() {
                let related = d
                    .related
                    .iter()
                    .map(|(span, message)| {
                        let at = LineIndex::new(fa.analysis.ws.text(span.file));
                        DiagnosticRelatedInformation {
                            location: Location {
                                uri: uri(span.file).into(),
                                range: at.range(span.start as usize, span.end as usize, enc),
                            },
                            message: message.clone(),
                        }
                    })
                    .collect();
                lsp.related_information = Some(related);
            }
            lsp
        })
        .collect()
}

/// The code of one of our diagnostics, if it is one.
pub fn code_of(d: &LspDiagnostic) -> Option<&str> {
    if d.source.as_deref() != Some("djperm") {
        return None;
    }
    match &d.code {
        Some(Code::String(s)) => Some(s),
        _ => None,
    }
}
