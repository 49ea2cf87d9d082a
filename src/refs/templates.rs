//! Django templates → permission references (`perms.app.codename`, `perms.app`,
//! `"app.codename" in perms`). `perms` counts only as the first segment of a variable, and a
//! template that rebinds `perms` (`… as perms`, `{% with perms=… %}`) is not read past that point.

use crate::diagnostic::{FileId, Span};
use crate::facts::{parse_noqa_codes, Noqa, RefKind, Reference};
use crate::value::{Item, Value};

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TemplateFacts {
    pub references: Vec<Reference>,
    pub noqa: Noqa,
    /// Filters and tags given string literals, for the project's own template helpers.
    pub helper_uses: Vec<crate::facts::helpers::TemplateUse>,
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub fn extract_template(file: FileId, text: &str) -> TemplateFacts {
    let mut facts = TemplateFacts::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut skip_until: Option<&str> = None;
    let mut off_start: Option<(u32, Option<Vec<String>>)> = None;
    while let Some(rel) = memchr::memchr(b'{', &bytes[i..]) {
        let start = i + rel;
        let Some(&kind) = bytes.get(start + 1) else {
            break;
        };
        let close = match kind {
            b'%' => "%}",
            b'{' => "}}",
            b'#' => "#}",
            _ => {
                i = start + 1;
                continue;
            }
        };
        let body_start = start + 2;
        let Some(end_rel) = text[body_start..].find(close) else {
            break;
        };
        let body_end = body_start + end_rel;
        let body = &text[body_start..body_end];
        i = body_end + 2;
        let trimmed = body.trim();
        if let Some(end_tag) = skip_until {
            if kind == b'%' && trimmed == end_tag {
                skip_until = None;
            }
            continue;
        }
        if kind == b'#' {
            let lower = trimmed.to_ascii_lowercase();
            let line = crate::locator::count_breaks(&text[..start]) as u32;
            if let Some(rest) = lower.strip_prefix("noqa") {
                let codes = parse_noqa_codes(&trimmed[trimmed.len() - rest.len()..]);
                facts.noqa.lines.insert(line, codes);
            } else if let Some(rest) = lower.strip_prefix("djperm:off") {
                let rest = trimmed[trimmed.len() - rest.len()..].trim();
                let codes: Vec<String> = rest
                    .split([',', ' '])
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect();
                off_start = Some((start as u32, (!codes.is_empty()).then_some(codes)));
            } else if lower.starts_with("djperm:on") {
                if let Some((s, codes)) = off_start.take() {
                    facts.noqa.off_ranges.push((s, start as u32, codes));
                }
            } else if let Some(rest) = lower
                .strip_prefix("djperm: noqa")
                .or_else(|| lower.strip_prefix("djperm:noqa"))
            {
                facts.noqa.file = Some(parse_noqa_codes(&trimmed[trimmed.len() - rest.len()..]));
            }
            continue;
        }
        if kind == b'%' {
            let tag = trimmed.split_whitespace().next().unwrap_or("");
            match tag {
                "comment" => {
                    skip_until = Some("endcomment");
                    continue;
                }
                "verbatim" => {
                    skip_until = Some("endverbatim");
                    continue;
                }
                _ => {}
            }
        }
        if body.contains(['"', '\'']) {
            let tag = kind == b'%';
            super::helper_uses::helper_uses(file, body, body_start, tag, &mut facts.helper_uses);
        }
        let shadowed = scan_tag(file, text, body_start, body_end, &mut facts.references);
        if shadowed {
            break;
        }
    }
    if let Some((s, codes)) = off_start {
        facts.noqa.off_ranges.push((s, text.len() as u32, codes));
    }
    // Held for the whole run, as a Python file's facts: no spare room.
    crate::facts::shrink::Shrink::shrink(&mut facts.references);
    facts.helper_uses.shrink_to_fit();
    facts
}

/// Scan one tag body; returns true when the tag rebinds `perms`.
fn scan_tag(file: FileId, text: &str, start: usize, end: usize, out: &mut Vec<Reference>) -> bool {
    let body = &text[start..end];
    let b = body.as_bytes();
    // Rebinding `perms` ends our knowledge of what it is.
    let words: Vec<&str> = body.split_whitespace().collect();
    for w in words.windows(2) {
        if w[0] == "as" && w[1].trim_end_matches(',') == "perms" {
            return true;
        }
    }
    if words.first() == Some(&"for")
        && words
            .iter()
            .skip(1)
            .take_while(|w| **w != "in")
            .any(|w| w.trim_end_matches(',') == "perms")
    {
        return true;
    }
    if body.contains("perms=") && words.iter().any(|w| w.starts_with("perms=")) {
        return true;
    }
    let span = |s: usize, e: usize| Span::new(file, (start + s) as u32, (start + e) as u32);
    let mut j = 0;
    while j < b.len() {
        // String literal followed by `in perms`.
        if b[j] == b'"' || b[j] == b'\'' {
            let quote = b[j];
            let Some(close_rel) = memchr::memchr(quote, &b[j + 1..]) else {
                break;
            };
            let close = j + 1 + close_rel;
            let lit = &body[j + 1..close];
            let after = &body[close + 1..];
            let after_trim = after.trim_start();
            // `"x" not in perms…` is the same lookup, negated.
            let after_trim = match after_trim.strip_prefix("not") {
                Some(r) if r.starts_with(char::is_whitespace) => r.trim_start(),
                _ => after_trim,
            };
            if let Some(rest) = after_trim.strip_prefix("in") {
                let rest_trim = rest.trim_start();
                if rest.len() != rest_trim.len() && rest_trim.starts_with("perms.") {
                    // `"codename" in perms.app`: always False (DJP014).
                    let app: String = rest_trim[6..]
                        .bytes()
                        .take_while(|c| is_ident(*c))
                        .map(char::from)
                        .collect();
                    let after_app = rest_trim.as_bytes().get(6 + app.len()).copied();
                    if !app.is_empty() && after_app.is_none_or(|c| c != b'.') {
                        let expr_end = body.len() - rest_trim.len() + 6 + app.len();
                        out.push(Reference {
                            kind: RefKind::TemplateInApp,
                            value: Item {
                                value: Value::Str(compact_str::format_compact!("{app}.{lit}")),
                                span: span(j + 1, close),
                                literal: true,
                            },
                            with_obj: false,
                            call_span: span(j, expr_end),
                            lookup: None,
                            class_bases: Default::default(),
                            callee: None,
                            owner: None,
                        });
                        j = expr_end;
                        continue;
                    }
                }
                if rest.len() != rest_trim.len() && rest_trim.starts_with("perms") {
                    let tail = &rest_trim.as_bytes()[5..];
                    if tail.first().is_none_or(|c| !is_ident(*c) && *c != b'.') {
                        out.push(Reference {
                            kind: RefKind::TemplateIn,
                            value: Item {
                                value: Value::Str(lit.into()),
                                span: span(j + 1, close),
                                literal: true,
                            },
                            with_obj: false,
                            call_span: span(j, close + 1),
                            lookup: None,
                            class_bases: Default::default(),
                            callee: None,
                            owner: None,
                        });
                    }
                }
            }
            j = close + 1;
            continue;
        }
        if b[j..].starts_with(b"perms")
            && (j == 0 || (!is_ident(b[j - 1]) && b[j - 1] != b'.'))
            && b.get(j + 5) == Some(&b'.')
        {
            let var_start = j;
            let mut k = j + 6;
            while k < b.len() && (is_ident(b[k]) || b[k] == b'.') {
                k += 1;
            }
            let path = &body[j + 6..k];
            let parts: Vec<&str> = path.split('.').collect();
            // perms.app or perms.app.codename; deeper paths or filters on them are not perms.
            if !path.is_empty() && parts.iter().all(|p| !p.is_empty()) {
                match parts.len() {
                    1 => out.push(Reference {
                        kind: RefKind::TemplateModule,
                        value: Item {
                            value: Value::Str(parts[0].into()),
                            span: span(j + 6, k),
                            literal: true,
                        },
                        with_obj: false,
                        call_span: span(var_start, k),
                        lookup: None,
                        class_bases: Default::default(),
                        callee: None,
                        owner: None,
                    }),
                    2 => out.push(Reference {
                        kind: RefKind::TemplateAttr,
                        value: Item {
                            value: Value::Str(path.into()),
                            span: span(j + 6, k),
                            literal: true,
                        },
                        with_obj: false,
                        call_span: span(var_start, k),
                        lookup: None,
                        class_bases: Default::default(),
                        callee: None,
                        owner: None,
                    }),
                    _ => {}
                }
            }
            j = k;
            continue;
        }
        j += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(RefKind, String)> {
        extract_template(0, text)
            .references
            .into_iter()
            .map(|r| (r.kind, r.value.value.as_str().unwrap().to_string()))
            .collect()
    }

    #[test]
    fn finds_the_three_forms() {
        let refs = values(
            "{% if perms.blog.add_post %}{% endif %}{% if perms.blog %}x{% endif %}\
             {% if 'blog.change_post' in perms %}{% endif %}{{ user.perms.x.y }}",
        );
        assert_eq!(
            refs,
            vec![
                (RefKind::TemplateAttr, "blog.add_post".into()),
                (RefKind::TemplateModule, "blog".into()),
                (RefKind::TemplateIn, "blog.change_post".into()),
            ]
        );
    }

    #[test]
    fn stops_when_perms_is_rebound() {
        let refs = values("{% if perms.a.b_c %}{% endif %}{% page_permissions page as perms %}{% if perms.can_unlock %}{% endif %}");
        assert_eq!(refs, vec![(RefKind::TemplateAttr, "a.b_c".into())]);
        assert!(values("{% with perms=x %}{{ perms.a.b }}{% endwith %}").is_empty());
    }

    #[test]
    fn skips_comments() {
        assert!(values("{# perms.a.b #}{% comment %}{{ perms.a.b }}{% endcomment %}").is_empty());
    }
}
