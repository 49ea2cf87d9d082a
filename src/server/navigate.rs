//! Hover and go-to-definition on permission strings (from the analysis: the reference whose
//! string contains the cursor), and hover on the codes of a `noqa` comment (the rule doc).

use std::fmt::Write as _;

use super::text::LineIndex;
use super::worker::{FolderAnalysis, Site};
use crate::diagnostic::{FileId, Span};
use crate::facts::RefKind;
use crate::index::{PermissionDef, Project, Source};
use crate::rules::verdict::Verdict;

/// A rule code under the cursor inside a `noqa` / `djperm:` comment: its byte range and rule.
pub fn noqa_code_at(
    text: &str,
    offset: usize,
) -> Option<(usize, usize, &'static crate::rules::Rule)> {
    let bytes = text.as_bytes();
    let offset = offset.min(text.len());
    let mut start = offset;
    while start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
        start -= 1;
    }
    let mut end = offset;
    while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
        end += 1;
    }
    let word = text.get(start..end)?;
    let rule = crate::rules::rule(word)?;
    let index = LineIndex::new(text);
    let (line_start, _) = index.line_range(index.line_of(start));
    let before = text[line_start..start].to_ascii_lowercase();
    let in_comment = before.contains("noqa") || before.contains("djperm:");
    in_comment.then_some((start, end, rule))
}

fn location(fa: &FolderAnalysis, span: Span, link: &dyn Fn(FileId, u32) -> String) -> String {
    let text = fa.analysis.ws.text(span.file);
    let index = LineIndex::new(text);
    let line = index.line_of(span.start as usize) + 1;
    let path = fa.analysis.ws.path(span.file);
    format!("[`{path}:{line}`]({})", link(span.file, line as u32))
}

fn describe(def: &PermissionDef) -> String {
    let model = def
        .model
        .as_deref()
        .map(|m| format!("`{}.{m}`", def.label))
        .unwrap_or_default();
    match def.source {
        Source::Default => {
            let action = def
                .model
                .as_deref()
                .and_then(|m| def.codename.strip_suffix(&format!("_{m}")))
                .unwrap_or(&def.codename);
            format!("default `{action}` permission of model {model}")
        }
        Source::Meta => format!("`Meta.permissions` entry of model {model}"),
        Source::DataMigration => "created by a data migration".into(),
        Source::Code => "created by project code outside migrations".into(),
        Source::PostMigrate => {
            "created by code `migrate` runs (a `post_migrate` receiver or `AppConfig.ready()`)"
                .into()
        }
        Source::Rules => "a django-rules permission (checked by rules, not a database row)".into(),
        Source::Contrib => format!("built into `django.contrib` (model {model})"),
        Source::Bundled => {
            format!("a third-party app's permission, from djperm's bundled table (model {model})")
        }
        Source::Config => "listed in `extra-permissions`".into(),
    }
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Markdown for a permission string; `None` for strings that are not permissions (a shape-only
/// match the rules stay silent on, with no definition either).
pub fn hover_markdown(
    fa: &FolderAnalysis,
    project: &Project,
    site: &Site,
    link: &dyn Fn(FileId, u32) -> String,
) -> Option<String> {
    let mut out = format!("**`{}`**", site.text);
    let (label, codename) = site.text.split_once('.').unwrap_or(("", &site.text));
    let defs: Vec<&PermissionDef> = project.lookup(label, codename).collect();
    let describe_defs = |out: &mut String| {
        for def in &defs {
            let _ = write!(out, "\n\n- {}", describe(def));
            if let Some(span) = def.span {
                let _ = write!(out, " — {}", location(fa, span, link));
            }
        }
        let fresh = defs.iter().any(|d| d.in_database);
        let _ = write!(
            out,
            "\n\nIn a fresh database: **{}**",
            if fresh { "yes" } else { "no" }
        );
        if !fresh && defs.iter().all(|d| d.source == Source::Code) {
            out.push_str(" (rows made by code outside migrations exist only where that code ran)");
        }
        if !fresh && defs.iter().any(|d| d.unmigrated()) {
            out.push_str(" — the code declares it, but no migration does, so `migrate` never creates it: this check is False for every user except active superusers until `makemigrations` runs (reported once, at the declaration: DJP004)");
        }
    };
    match &site.verdict {
        Verdict::Fine if site.kind == RefKind::TemplateIn && !site.text.contains('.') => {
            let _ = write!(
                out,
                "\n\nA module check (`has_module_perms(\"{}\")`): True when the user holds any permission of this app",
                site.text
            );
        }
        Verdict::Fine if defs.is_empty() => {
            out.push_str("\n\nAccepted by the configuration (`extra-permissions` / `custom-actions`), not a database row");
        }
        Verdict::Fine => describe_defs(&mut out),
        Verdict::Silent if !defs.is_empty() => describe_defs(&mut out),
        Verdict::Silent if site.kind == RefKind::Shape => return None,
        Verdict::Silent => {
            out.push_str("\n\ndjperm cannot tell statically whether this permission exists. Why:");
            for fact in crate::rules::explain::facts(&fa.analysis.ws, project, &site.text) {
                let _ = write!(out, "\n\n- {fact}");
            }
        }
        Verdict::Malformed(reason) => {
            let _ = write!(out, "\n\n**Malformed permission string**: {reason}");
        }
        Verdict::MissingLabel { candidates } => {
            out.push_str("\n\n**Missing app label**: a backend needs `<app_label>.<codename>`");
            let full: Vec<String> = candidates
                .iter()
                .map(|l| format!("{l}.{}", site.text))
                .collect();
            if !full.is_empty() {
                let _ = write!(out, "\n\nDid you mean {}?", list(&full));
            }
        }
        Verdict::UnknownLabel { label, suggestion } => {
            let _ = write!(
                out,
                "\n\n**Unknown app label** `{label}`: no installed app has it"
            );
            if let Some(s) = suggestion {
                let _ = write!(out, "\n\nDid you mean `{s}.{codename}`?");
            }
        }
        Verdict::Unknown {
            suggestions,
            reason,
            ..
        } => {
            out.push_str("\n\n**Unknown permission**: no fresh database has it");
            if let Some(reason) = reason {
                let _ = write!(out, " ({reason})");
            }
            if !suggestions.is_empty() {
                let _ = write!(out, "\n\nDid you mean {}?", list(suggestions));
            }
        }
    }
    if let Some(chain) = &site.chain {
        let _ = write!(out, "\n\nChecked through a project helper: {chain}");
    }
    Some(out)
}

/// Where a permission string is defined: (file, span) of each definition with a location.
pub fn definitions(project: &Project, site: &Site) -> Vec<Span> {
    let Some((label, codename)) = site.text.split_once('.') else {
        return Vec::new();
    };
    let mut spans: Vec<Span> = project
        .lookup(label, codename)
        .filter_map(|d| d.span)
        .collect();
    spans.sort();
    spans.dedup();
    spans
}
