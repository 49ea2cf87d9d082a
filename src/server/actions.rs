//! Code actions: one quick fix per candidate fix of a diagnostic (a display-only fix with
//! several candidates becomes one unsafe quick fix each), "Disable DJP00N for this line", and
//! `source.fixAll.djperm` (safe fixes only).

use std::borrow::Cow;
use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionDisabled, CodeActionKind, CodeActionParams, CreateFile,
    CreateFileOptions, Diagnostic as LspDiagnostic, DocumentChange, Edit,
    OptionalVersionedTextDocumentIdentifier, Position, Range, TextDocumentEdit,
    TextDocumentIdentifier, TextEdit, Uri, WorkspaceEdit,
};

use super::diagnostics::{code_of, convert, Data, FixData, NewFileData};
use super::text::{Encoding, LineIndex};
use super::worker::FolderAnalysis;
use crate::diagnostic::{Applicability, FileId};
use crate::rules::verdict::Verdict;

pub const FIX_ALL: &str = "source.fixAll.djperm";

/// What the request is about: the document as the editor has it now, and (when the analysis
/// matches that text) the analysis.
pub struct Target<'a> {
    pub uri: &'a str,
    pub text: &'a str,
    pub is_template: bool,
    /// The file takes noqa comments (JSON fixtures do not).
    pub noqa: bool,
    pub enc: Encoding,
    pub disabled_support: bool,
    /// The client applies workspace edits that create files (`documentChanges` with the
    /// `create` resource operation).
    pub create_files: bool,
    pub fresh: Option<(&'a FolderAnalysis, FileId)>,
}

fn kind_str(kind: &CodeActionKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn wanted(only: &Option<Vec<CodeActionKind>>, kind: &str) -> bool {
    match only {
        None => true,
        Some(list) => list.iter().map(kind_str).any(|o| {
            kind == o || (kind.starts_with(&o) && kind.as_bytes().get(o.len()) == Some(&b'.'))
        }),
    }
}

fn workspace_edit(uri: &str, edits: Vec<TextEdit>) -> WorkspaceEdit {
    let mut changes = HashMap::new();
    changes.insert(Uri::from(uri), edits);
    WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    }
}

/// The edits of a fix that also creates files: a `CreateFile` (never over an existing file)
/// and an insertion of the whole text per new file, then the edits of the document.
fn creating_edit(uri: &str, edits: Vec<TextEdit>, creates: Vec<NewFileData>) -> WorkspaceEdit {
    let start = Position::new(0, 0);
    let text_edit = |uri: &str, edits: Vec<TextEdit>| {
        DocumentChange::TextDocumentEdit(TextDocumentEdit::new(
            OptionalVersionedTextDocumentIdentifier::new(
                None,
                TextDocumentIdentifier::new(Uri::from(uri)),
            ),
            edits.into_iter().map(Edit::TextEdit).collect(),
        ))
    };
    let mut changes = Vec::new();
    for new in creates {
        changes.push(DocumentChange::CreateFile(CreateFile {
            uri: Uri::from(new.uri.as_str()),
            options: Some(CreateFileOptions::new(Some(false), Some(false))),
            annotation_id: None,
        }));
        changes.push(text_edit(
            &new.uri,
            vec![TextEdit {
                range: Range::new(start, start),
                new_text: new.text,
            }],
        ));
    }
    if !edits.is_empty() {
        changes.push(text_edit(uri, edits));
    }
    WorkspaceEdit {
        document_changes: Some(changes),
        ..WorkspaceEdit::default()
    }
}

fn ranges_overlap(a: &Range, b: &Range) -> bool {
    let key = |p: &Position| (p.line, p.character);
    key(&a.start) < key(&b.end) && key(&b.start) < key(&a.end)
}

/// The fix a client diagnostic carries; for clients that drop `data`, the fix of the matching
/// diagnostic of a fresh analysis.
fn fix_of(target: &Target<'_>, d: &LspDiagnostic) -> Option<FixData> {
    if let Some(data) = &d.data {
        if let Ok(data) = serde_json::from_value::<Data>(data.clone()) {
            return data.fix;
        }
    }
    let (fa, file) = target.fresh?;
    let index = LineIndex::new(fa.analysis.ws.text(file));
    fa.analysis
        .diagnostics
        .iter()
        .filter(|c| c.span.file == file)
        .map(|c| convert(&index, c, target.enc, &fa.analysis.ws.snapshot.root))
        .find(|c| c.range == d.range && c.code == d.code)
        .and_then(|c| c.data)
        .and_then(|v| serde_json::from_value::<Data>(v).ok())
        .and_then(|d| d.fix)
}

/// The candidates of a display-only fix (several apps define the codename, several near
/// misses): from the verdict on the permission string the diagnostic is about.
fn candidates(target: &Target<'_>, d: &LspDiagnostic) -> Vec<String> {
    let Some((fa, file)) = target.fresh else {
        return Vec::new();
    };
    let offset = LineIndex::new(fa.analysis.ws.text(file)).offset(d.range.start, target.enc);
    let Some(site) = fa.site_at(file, offset) else {
        return Vec::new();
    };
    match &site.verdict {
        Verdict::MissingLabel { candidates } => candidates
            .iter()
            .map(|l| format!("{l}.{}", site.text))
            .collect(),
        Verdict::Unknown {
            label,
            codename,
            suggestions,
            ..
        } => {
            // Only candidates about the same object (see `fix_allowed`).
            let project = fa.analysis.index.project_for(fa.analysis.ws.path(file));
            suggestions
                .iter()
                .filter(|c| crate::rules::verdict::fix_allowed(project, label, codename, c))
                .cloned()
                .collect()
        }
        _ => Vec::new(),
    }
}

fn quick_fixes(target: &Target<'_>, d: &LspDiagnostic, fix: FixData) -> Vec<CodeAction> {
    if fix.applicability == "displayonly" && fix.edits.len() == 1 {
        // No single right answer: one quick fix per candidate, for the user to pick.
        let verb = if code_of(d) == Some("DJP001") {
            "Add the app label:"
        } else {
            "Replace with"
        };
        let actions: Vec<CodeAction> = candidates(target, d)
            .into_iter()
            .map(|candidate| CodeAction {
                title: format!("{verb} `{candidate}` (changes who is granted access)"),
                kind: Some(CodeActionKind::QuickFix),
                diagnostics: Some(vec![d.clone()]),
                is_preferred: Some(false),
                edit: Some(workspace_edit(
                    target.uri,
                    vec![TextEdit {
                        range: fix.edits[0].range,
                        new_text: candidate,
                    }],
                )),
                ..CodeAction::default()
            })
            .collect();
        if !actions.is_empty() {
            return actions;
        }
    }
    quick_fix(target, d, fix).into_iter().collect()
}

fn quick_fix(target: &Target<'_>, d: &LspDiagnostic, fix: FixData) -> Option<CodeAction> {
    if !fix.creates.is_empty() && !target.create_files {
        return None; // the client cannot create the file
    }
    let (title, preferred, disabled) = match fix.applicability.as_str() {
        "safe" => (fix.message.clone(), true, None),
        "unsafe" => (
            format!("{} (changes who is granted access)", fix.message),
            false,
            None,
        ),
        _ => {
            if !target.disabled_support {
                return None;
            }
            (
                format!("{} (changes who is granted access)", fix.message),
                false,
                Some(CodeActionDisabled {
                    reason: "several candidates fit: edit by hand".into(),
                }),
            )
        }
    };
    Some(CodeAction {
        title,
        kind: Some(CodeActionKind::QuickFix),
        diagnostics: Some(vec![d.clone()]),
        is_preferred: Some(preferred),
        edit: disabled.is_none().then(|| {
            if fix.creates.is_empty() {
                workspace_edit(target.uri, fix.edits)
            } else {
                creating_edit(target.uri, fix.edits, fix.creates)
            }
        }),
        disabled,
        ..CodeAction::default()
    })
}

/// The edit that adds `code` to the noqa comment of a line (`# noqa: A` → `# noqa: A, B`), or
/// appends one. `None` when the line is already suppressed for every code or for `code`, or
/// when a comment cannot go there (a backslash continuation).
pub fn noqa_edit(
    text: &str,
    line: usize,
    code: &str,
    is_template: bool,
    enc: Encoding,
) -> Option<TextEdit> {
    let index = LineIndex::new(text);
    if line >= index.line_count() {
        return None;
    }
    let (start, end) = index.line_range(line);
    let content = &text[start..end];
    let insert = |at: usize, new_text: String| TextEdit {
        range: index.range(start + at, start + at, enc),
        new_text,
    };
    let existing = if is_template {
        content.find("{#").and_then(|open| {
            let body_start = open + 2;
            let close = content[body_start..].find("#}")? + body_start;
            let body = &content[body_start..close];
            let lead = body.len() - body.trim_start().len();
            body.trim_start()
                .to_ascii_lowercase()
                .starts_with("noqa")
                .then_some(body_start + lead + 4)
        })
    } else {
        content.match_indices('#').find_map(|(i, _)| {
            let body = &content[i + 1..];
            let lead = body.len() - body.trim_start().len();
            body.trim_start()
                .to_ascii_lowercase()
                .starts_with("noqa")
                .then_some(i + 1 + lead + 4)
        })
    };
    if let Some(after_noqa) = existing {
        let rest = &content[after_noqa..];
        let colon = rest.len() - rest.trim_start().len();
        if !rest[colon..].starts_with(':') {
            return None; // a bare `# noqa` suppresses every code
        }
        // Walk the codes after the colon; insert after the last one.
        let mut i = after_noqa + colon + 1;
        let mut last_end = None;
        let bytes = content.as_bytes();
        loop {
            while i < bytes.len() && (bytes[i] == b',' || bytes[i].is_ascii_whitespace()) {
                i += 1;
            }
            let token_start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let token = &content[token_start..i];
            if token.is_empty() || !token.bytes().any(|b| b.is_ascii_digit()) {
                break;
            }
            if token.eq_ignore_ascii_case(code) {
                return None;
            }
            last_end = Some(i);
        }
        return Some(match last_end {
            Some(at) => insert(at, format!(", {code}")),
            None => insert(after_noqa + colon + 1, format!(" {code}")),
        });
    }
    let trimmed = content.trim_end();
    if !is_template && trimmed.ends_with('\\') {
        return None;
    }
    let comment = if is_template {
        format!(" {{# noqa: {code} #}}")
    } else if trimmed.is_empty() {
        format!("# noqa: {code}")
    } else {
        format!("  # noqa: {code}")
    };
    Some(TextEdit {
        range: index.range(start + trimmed.len(), end, enc),
        new_text: comment,
    })
}

fn fix_all(target: &Target<'_>) -> Option<CodeAction> {
    let (fa, file) = target.fresh?;
    let index = LineIndex::new(fa.analysis.ws.text(file));
    let mut fixes: Vec<&crate::diagnostic::Fix> = fa
        .analysis
        .diagnostics
        .iter()
        .filter(|d| d.span.file == file)
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| {
            f.applicability == Applicability::Safe && !f.edits.is_empty() && f.creates.is_empty()
        })
        .filter(|f| f.edits.iter().all(|e| e.span.file == file))
        .collect();
    fixes.sort_by_key(|f| f.edits.iter().map(|e| e.span.start).min());
    let mut taken: Vec<(u32, u32)> = Vec::new();
    let mut edits = Vec::new();
    for fix in fixes {
        let overlaps = fix.edits.iter().any(|e| {
            taken
                .iter()
                .any(|&(s, t)| e.span.start < t && s < e.span.end)
        });
        if overlaps {
            continue; // the next fix-all request picks it up
        }
        for e in &fix.edits {
            taken.push((e.span.start, e.span.end));
            edits.push(TextEdit {
                range: index.range(e.span.start as usize, e.span.end as usize, target.enc),
                new_text: e.content.clone(),
            });
        }
    }
    if edits.is_empty() {
        return None;
    }
    Some(CodeAction {
        title: "djperm: Fix all safely fixable problems".into(),
        kind: Some(CodeActionKind::Custom(Cow::Borrowed(FIX_ALL))),
        edit: Some(workspace_edit(target.uri, edits)),
        ..CodeAction::default()
    })
}

pub fn code_actions(target: &Target<'_>, params: &CodeActionParams) -> Vec<CodeAction> {
    let only = &params.context.only;
    let mut out = Vec::new();
    if wanted(only, "quickfix") {
        let mut noqa_done: Vec<(u32, String)> = Vec::new();
        let mut noqa_actions = Vec::new();
        for d in &params.context.diagnostics {
            let Some(code) = code_of(d) else { continue };
            if !ranges_overlap_or_touch(&d.range, &params.range) {
                continue;
            }
            if let Some(fix) = fix_of(target, d) {
                out.extend(quick_fixes(target, d, fix));
            }
            let line = d.range.start.line;
            if !target.noqa
                || code == "DJP000"
                || noqa_done.iter().any(|(l, c)| *l == line && c == code)
            {
                continue;
            }
            noqa_done.push((line, code.to_string()));
            if let Some(edit) = noqa_edit(
                target.text,
                line as usize,
                code,
                target.is_template,
                target.enc,
            ) {
                noqa_actions.push(CodeAction {
                    title: format!("Disable {code} for this line"),
                    kind: Some(CodeActionKind::QuickFix),
                    diagnostics: Some(vec![d.clone()]),
                    edit: Some(workspace_edit(target.uri, vec![edit])),
                    ..CodeAction::default()
                });
            }
        }
        out.extend(noqa_actions);
    }
    if wanted(only, FIX_ALL) {
        out.extend(fix_all(target));
    }
    out
}

/// A diagnostic belongs to the requested range when they overlap or the cursor (an empty
/// range) sits on it.
fn ranges_overlap_or_touch(d: &Range, r: &Range) -> bool {
    let key = |p: &Position| (p.line, p.character);
    ranges_overlap(d, r) || (key(&d.start) <= key(&r.end) && key(&r.start) <= key(&d.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, line: usize, code: &str, template: bool) -> Option<String> {
        let edit = noqa_edit(text, line, code, template, Encoding::Utf8)?;
        let mut out = text.to_string();
        super::super::text::apply_change(
            &mut out,
            Some(edit.range),
            &edit.new_text,
            Encoding::Utf8,
        );
        Some(out)
    }

    #[test]
    fn noqa_append_and_merge() {
        assert_eq!(
            apply("x = has_perm('a')   \n", 0, "DJP002", false).unwrap(),
            "x = has_perm('a')  # noqa: DJP002\n"
        );
        assert_eq!(
            apply("x = 1  # noqa: DJP001\n", 0, "DJP002", false).unwrap(),
            "x = 1  # noqa: DJP001, DJP002\n"
        );
        assert_eq!(
            apply("x = 1  # NOQA:DJP001 trailing words\n", 0, "DJP002", false).unwrap(),
            "x = 1  # NOQA:DJP001, DJP002 trailing words\n"
        );
        assert_eq!(
            apply("x = 1  # noqa:\n", 0, "DJP002", false).unwrap(),
            "x = 1  # noqa: DJP002\n"
        );
        assert!(apply("x = 1  # noqa\n", 0, "DJP002", false).is_none());
        assert!(apply("x = 1  # noqa: DJP002\n", 0, "DJP002", false).is_none());
        assert!(apply("x = f(a, \\\n", 0, "DJP002", false).is_none());
        assert_eq!(
            apply("{% if perms.a.b %}\r\nz", 0, "DJP002", true).unwrap(),
            "{% if perms.a.b %} {# noqa: DJP002 #}\r\nz"
        );
        assert_eq!(
            apply("{% if perms.a.b %}{# noqa: DJP003 #}\n", 0, "DJP002", true).unwrap(),
            "{% if perms.a.b %}{# noqa: DJP003, DJP002 #}\n"
        );
    }
}
