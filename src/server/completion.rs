//! Completion of permission strings inside `has_perm("…")`, `has_perms(["…"])`,
//! `permission_required("…")`, `permission_required = "…"` (or a list of them) and
//! `{% if perms.… %}`: the permissions of the project as `app_label.codename`, the file's own app
//! first, with where each comes from as detail.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionItemTextEdit, CompletionList, TextEdit,
};

use super::text::{Encoding, LineIndex};
use crate::index::{Project, Source};

/// Calls whose first argument is a permission (or a list of them).
const CALLS: &[&str] = &[
    "has_perm",
    "has_perms",
    "ahas_perm",
    "ahas_perms",
    "permission_required",
    "permission_required_or_403",
    "permission_required_or_404",
    "with_perm",
    "assign_perm",
    "remove_perm",
];

fn perm_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-'
}

/// Skip a string literal backwards: `end` is the offset of its closing quote.
fn skip_string_back(bytes: &[u8], end: usize) -> Option<usize> {
    let quote = bytes[end];
    let mut i = end;
    while i > 0 {
        i -= 1;
        if bytes[i] == quote {
            return Some(i);
        }
        if bytes[i] == b'\n' {
            return None;
        }
    }
    None
}

fn ident_before(bytes: &[u8], mut i: usize) -> &[u8] {
    while i > 0 && bytes[i - 1] == b' ' {
        i -= 1;
    }
    let end = i;
    while i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        i -= 1;
    }
    &bytes[i..end]
}

/// In Python: the byte range to replace when the cursor sits in a string that a permission
/// sink takes.
fn python_context(text: &str, offset: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut q = offset;
    loop {
        if q == 0 {
            return None;
        }
        q -= 1;
        match bytes[q] {
            b'"' | b'\'' => break,
            b if perm_char(b) || b == b' ' => continue,
            _ => return None,
        }
    }
    let start = q + 1;
    let mut end = offset;
    while end < bytes.len() && perm_char(bytes[end]) {
        end += 1;
    }
    // The literal must not be prefixed (f"", b"").
    if q > 0 && (bytes[q - 1].is_ascii_alphanumeric() || bytes[q - 1] == b'_') {
        return None;
    }
    // Walk back over `(`, `[`, `,`, whitespace and earlier string items to the sink.
    let floor = q.saturating_sub(4000);
    let mut i = q;
    while i > floor {
        i -= 1;
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b'[' => continue,
            b'"' | b'\'' => {
                i = skip_string_back(bytes, i)?;
                if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
                    return None;
                }
            }
            b'(' => {
                let name = ident_before(bytes, i);
                if CALLS.iter().any(|c| c.as_bytes() == name) {
                    return Some((start, end));
                }
                if !name.is_empty() {
                    return None;
                }
                // A bare tuple: `permission_required = ("a", "b")`.
            }
            b'=' => {
                if i > 0 && matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>') {
                    return None;
                }
                let name = ident_before(bytes, i);
                return (name == b"permission_required").then_some((start, end));
            }
            _ => return None,
        }
    }
    None
}

/// In a template: the range after `perms.` when the cursor ends a `perms.…` variable inside a
/// `{% … %}` or `{{ … }}` tag.
fn template_context(text: &str, offset: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut start = offset;
    while start > 0 && perm_char(bytes[start - 1]) && bytes[start - 1] != b'-' {
        start -= 1;
    }
    let token = &text[start..offset];
    let rest = token.strip_prefix("perms.")?;
    let open = text[..start].rfind(['{'])?;
    if !matches!(bytes.get(open + 1), Some(b'%' | b'{')) {
        return None;
    }
    let inside = &text[open..start];
    if inside.contains("%}") || inside.contains("}}") {
        return None;
    }
    let from = offset - rest.len();
    let mut end = offset;
    while end < bytes.len()
        && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b'.')
    {
        end += 1;
    }
    Some((from, end))
}

fn detail(p: &crate::index::PermissionDef) -> String {
    let model = p
        .model
        .as_deref()
        .map(|m| format!(" · {}.{m}", p.label))
        .unwrap_or_default();
    let source = match p.source {
        Source::Default => "default permission",
        Source::Meta => "Meta.permissions",
        Source::DataMigration => "data migration",
        Source::Code => "created by code (not on a fresh database)",
        Source::PostMigrate => "created by a post_migrate receiver",
        Source::Rules => "django-rules",
        Source::Contrib => "django.contrib",
        Source::Bundled => "third-party app (bundled table)",
        Source::Config => "extra-permissions",
    };
    format!("{source}{model}")
}

/// The label of the app whose directory holds `rel` (the deepest one).
fn app_label_of<'a>(project: &'a Project, rel: &str) -> Option<&'a str> {
    project
        .apps
        .iter()
        .filter_map(|a| a.dir.as_deref().map(|d| (d, a.label.as_str())))
        .filter(|(d, _)| d.is_empty() || rel.starts_with(&format!("{d}/")))
        .max_by_key(|(d, _)| d.len())
        .map(|(_, l)| l)
}

pub fn complete(
    project: &Project,
    rel: &str,
    text: &str,
    offset: usize,
    is_template: bool,
    enc: Encoding,
) -> Option<CompletionList> {
    let offset = offset.min(text.len());
    let (start, end) = if is_template {
        template_context(text, offset)?
    } else {
        python_context(text, offset)?
    };
    let index = LineIndex::new(text);
    let range = index.range(start, end, enc);
    let mut perms: Vec<&crate::index::PermissionDef> = project.perms.iter().collect();
    // Fresh-database rows first for a permission defined several ways.
    perms.sort_by(|a, b| {
        (&a.label, &a.codename, !a.in_database).cmp(&(&b.label, &b.codename, !b.in_database))
    });
    perms.dedup_by(|a, b| a.label == b.label && a.codename == b.codename);
    // The file's own app first, then every other label.
    let own = app_label_of(project, rel);
    let items = perms
        .into_iter()
        .filter(|p| {
            !is_template
                || p.codename
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .map(|p| {
            let label = p.perm();
            let rank = if Some(p.label.as_str()) == own { 0 } else { 1 };
            CompletionItem {
                label: label.clone(),
                kind: Some(CompletionItemKind::Value),
                detail: Some(detail(p)),
                sort_text: Some(format!("{rank}{label}")),
                filter_text: Some(label.clone()),
                text_edit: Some(CompletionItemTextEdit::TextEdit(TextEdit {
                    range,
                    new_text: label,
                })),
                ..CompletionItem::default()
            }
        })
        .collect::<Vec<_>>();
    let mut items = items;
    items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
    Some(CompletionList {
        is_incomplete: false,
        items,
        ..CompletionList::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(src: &str) -> Option<String> {
        let offset = src.find('|').unwrap();
        let text = src.replace('|', "");
        python_context(&text, offset).map(|(s, e)| text[s..e].to_string())
    }

    #[test]
    fn python_sinks() {
        assert_eq!(ctx("user.has_perm(\"bl|og.x\")").as_deref(), Some("blog.x"));
        assert_eq!(ctx("user.has_perms([\"a.b\", \"|\"])").as_deref(), Some(""));
        assert_eq!(ctx("@permission_required('|')").as_deref(), Some(""));
        assert_eq!(
            ctx("    permission_required = \"b|\"").as_deref(),
            Some("b")
        );
        assert_eq!(
            ctx("permission_required = (\n    \"a.b\",\n    \"|\",\n)").as_deref(),
            Some("")
        );
        assert_eq!(ctx("print(\"|\")"), None);
        assert_eq!(ctx("x == \"|\""), None);
        assert_eq!(ctx("has_perm(f\"|\")"), None);
        assert_eq!(ctx("permission_required('a.b', login_url='|')"), None);
        assert_eq!(ctx("has_perm(perm, \"|\")"), None);
    }

    #[test]
    fn template_perms() {
        let text = "{% if perms.bl %}";
        let offset = text.find(" %}").unwrap();
        let (s, e) = template_context(text, offset).unwrap();
        assert_eq!(&text[s..e], "bl");
        assert!(template_context("perms.bl", 8).is_none());
    }
}
