//! SARIF 2.1.0 (GitHub code scanning, VS Code's SARIF viewer, GitLab): every rule with its doc in
//! `tool.driver.rules`, URIs relative to the project root (`uriBaseId` `%SRCROOT%`), columns in
//! Unicode code points, and the applicable fixes.

use serde_json::{json, Value};

use crate::diagnostic::{Applicability, Diagnostic, Severity, Span};
use crate::locator::Locator;
use crate::rules::RULES;
use crate::workspace::Workspace;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFORMATION_URI: &str = "https://github.com/djperm/djperm";

/// Percent-encode a path for a URI reference (keeps `/` and RFC 3986 unreserved characters).
pub fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn region(locator: &Locator<'_>, span: Span) -> Value {
    let (start_line, start_column) = locator.row_col(span.start as usize);
    let (end_line, end_column) = locator.row_col(span.end as usize);
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

fn artifact(ws: &Workspace, file: usize) -> Value {
    json!({
        "uri": encode_uri_path(ws.path(file)),
        "uriBaseId": "%SRCROOT%",
    })
}

fn level(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule_descriptor(rule: &crate::rules::Rule) -> Value {
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.doc, "markdown": rule.doc },
        "help": { "text": rule.summary, "markdown": rule.doc },
        "helpUri": super::json::url(rule.code),
        "defaultConfiguration": { "level": "error" },
        "properties": {
            "tags": ["django", "permissions", "security"],
            "fix": rule.fix.as_str(),
            "preview": rule.preview,
        },
    })
}

fn result(ws: &Workspace, d: &Diagnostic) -> Value {
    let locator = ws.locator(d.span.file);
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(&format!("\n\nhelp: {help}"));
    }
    let mut r = json!({
        "ruleId": d.code,
        "ruleIndex": RULES.iter().position(|r| r.code == d.code),
        "level": level(d),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact(ws, d.span.file),
                "region": region(&locator, d.span),
            }
        }],
    });
    if let Some(fix) = d
        .fix
        .as_ref()
        .filter(|f| f.applicability != Applicability::DisplayOnly && !f.edits.is_empty())
    {
        let mut files: Vec<usize> = fix.edits.iter().map(|e| e.span.file).collect();
        files.sort();
        files.dedup();
        let changes: Vec<Value> = files
            .into_iter()
            .map(|file| {
                let locator = ws.locator(file);
                let replacements: Vec<Value> = fix
                    .edits
                    .iter()
                    .filter(|e| e.span.file == file)
                    .map(|e| {
                        json!({
                            "deletedRegion": region(&locator, e.span),
                            "insertedContent": { "text": e.content },
                        })
                    })
                    .collect();
                json!({
                    "artifactLocation": artifact(ws, file),
                    "replacements": replacements,
                })
            })
            .collect();
        r["fixes"] = json!([{
            "description": {
                "text": format!("{} ({} fix)", fix.message, super::json::applicability(fix.applicability)),
            },
            "artifactChanges": changes,
        }]);
    }
    r
}

pub fn render(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let root = ws.snapshot.root.to_string_lossy().replace('\\', "/");
    let root = if root.ends_with('/') {
        root
    } else {
        format!("{root}/")
    };
    let root_uri = if root.starts_with('/') {
        format!("file://{}", encode_uri_path(&root))
    } else {
        format!("file:///{}", encode_uri_path(&root))
    };
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "djperm",
                    "informationUri": INFORMATION_URI,
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": RULES.iter().map(rule_descriptor).collect::<Vec<_>>(),
                }
            },
            "originalUriBaseIds": {
                "%SRCROOT%": { "uri": root_uri },
            },
            "columnKind": "unicodeCodePoints",
            "results": diagnostics.iter().map(|d| result(ws, d)).collect::<Vec<_>>(),
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn uri_encoding() {
        assert_eq!(
            super::encode_uri_path("a b/c%d/é.py"),
            "a%20b/c%25d/%C3%A9.py"
        );
    }
}
