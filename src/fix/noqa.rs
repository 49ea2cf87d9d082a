//! `--add-noqa`: a `# noqa: CODE` (or `{# noqa: CODE #}`) for every diagnostic.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, FileId};
use crate::workspace::{FileKind, Workspace};

use super::python_parses;

/// `--add-noqa`: for every diagnostic, a `# noqa: CODE` on its last line (Python; merged into an
/// existing `# noqa: …`) or `{# noqa: CODE #}` (templates). Returns the new text of each file
/// changed and how many lines got a directive. Python files that would not parse afterwards (a
/// line continued with `\`) are left out. DJP000 cannot be suppressed and gets none.
pub fn add_noqa(ws: &Workspace, diagnostics: &[&Diagnostic]) -> BTreeMap<FileId, (String, usize)> {
    let mut lines: BTreeMap<FileId, BTreeMap<usize, Vec<&'static str>>> = BTreeMap::new();
    for d in diagnostics {
        if d.code == "DJP000" {
            continue;
        }
        let locator = ws.locator(d.span.file);
        let last = (d.span.end.saturating_sub(1)).max(d.span.start) as usize;
        let codes = lines
            .entry(d.span.file)
            .or_default()
            .entry(locator.line(last))
            .or_default();
        if !codes.contains(&d.code) {
            codes.push(d.code);
        }
    }
    let mut out = BTreeMap::new();
    for (file, by_line) in lines {
        let text = ws.text(file);
        let template = ws.snapshot.files[file].kind == FileKind::Template;
        let mut new = String::with_capacity(text.len() + 32 * by_line.len());
        let mut count = 0;
        for (i, line) in crate::locator::lines_inclusive(text).enumerate() {
            let Some(codes) = by_line.get(&i) else {
                new.push_str(line);
                continue;
            };
            let body = line.trim_end_matches(['\n', '\r']);
            let ending = &line[body.len()..];
            let edited = if template {
                noqa_template_line(body, codes)
            } else {
                noqa_python_line(body, codes)
            };
            match edited {
                Some(edited) => {
                    new.push_str(&edited);
                    count += 1;
                }
                None => new.push_str(body),
            }
            new.push_str(ending);
        }
        if count == 0 || new == text {
            continue;
        }
        if !template && !python_parses(&new) {
            continue;
        }
        out.insert(file, (new, count));
    }
    out
}

/// The byte range of the codes after `noqa` in `rest` (which starts right after `noqa`), or
/// `None` for a bare `noqa` (which already suppresses everything).
fn noqa_codes_range(rest: &str) -> Option<(usize, Vec<String>)> {
    let existing = crate::facts::parse_noqa_codes(rest)?;
    let colon = rest.find(':')?;
    let mut end = colon + 1;
    let mut seen = 0;
    let bytes = rest.as_bytes();
    let mut i = end;
    while i < bytes.len() && seen < existing.len() {
        let c = bytes[i];
        if c.is_ascii_alphanumeric() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if &rest[start..i] == existing[seen].as_str() {
                seen += 1;
                end = i;
                continue;
            }
            break;
        } else if c == b',' || c == b' ' || c == b'\t' {
            i += 1;
        } else {
            break;
        }
    }
    Some((end, existing))
}

fn merged(existing: Vec<String>, codes: &[&str]) -> String {
    let mut all = existing;
    for c in codes {
        if !all.iter().any(|e| e == c) {
            all.push(c.to_string());
        }
    }
    all.join(", ")
}

fn noqa_python_line(line: &str, codes: &[&str]) -> Option<String> {
    for (hash, _) in line.match_indices('#') {
        let after = &line[hash + 1..];
        let body = after.trim_start();
        if body.len() >= 4 && body[..4].eq_ignore_ascii_case("noqa") {
            let rest_at = hash + 1 + (after.len() - body.len()) + 4;
            let rest = &line[rest_at..];
            let (end, existing) = noqa_codes_range(rest)?;
            return Some(format!(
                "{}: {}{}",
                &line[..rest_at],
                merged(existing, codes),
                &line[rest_at + end..]
            ));
        }
    }
    Some(format!("{}  # noqa: {}", line.trim_end(), codes.join(", ")))
}

fn noqa_template_line(line: &str, codes: &[&str]) -> Option<String> {
    for (open, _) in line.match_indices("{#") {
        let Some(close) = line[open..].find("#}") else {
            continue;
        };
        let inner = &line[open + 2..open + close];
        let body = inner.trim_start();
        if body.len() >= 4 && body[..4].eq_ignore_ascii_case("noqa") {
            let existing = crate::facts::parse_noqa_codes(&body[4..])?;
            return Some(format!(
                "{}{{# noqa: {} #}}{}",
                &line[..open],
                merged(existing, codes),
                &line[open + close + 2..]
            ));
        }
    }
    // A space before it, as before `# noqa` in Python (none when the line ends in blanks).
    let blank_end = line.is_empty() || line.ends_with(char::is_whitespace);
    let sep = if blank_end { "" } else { " " };
    Some(format!("{line}{sep}{{# noqa: {} #}}", codes.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noqa_lines() {
        assert_eq!(
            noqa_python_line("    f('a.b')", &["DJP002"]).unwrap(),
            "    f('a.b')  # noqa: DJP002"
        );
        assert_eq!(
            noqa_python_line("f('a.b')  # noqa: E501 keep", &["DJP002"]).unwrap(),
            "f('a.b')  # noqa: E501, DJP002 keep"
        );
        assert_eq!(
            noqa_python_line("f()  # NOQA:DJP001,DJP002", &["DJP002", "DJP003"]).unwrap(),
            "f()  # NOQA: DJP001, DJP002, DJP003"
        );
        assert_eq!(noqa_python_line("f()  # noqa", &["DJP002"]), None);
        assert_eq!(
            noqa_template_line("{% if perms.a.b %}", &["DJP002"]).unwrap(),
            "{% if perms.a.b %} {# noqa: DJP002 #}"
        );
        assert_eq!(
            noqa_template_line("{% if perms.a %}{# noqa: DJP003 #}x", &["DJP002"]).unwrap(),
            "{% if perms.a %}{# noqa: DJP003, DJP002 #}x"
        );
    }
}
