//! Filter and tag uses in a template tag body that may reach the project's own template helpers
//! (`crate::sinks` decides): `"app.x"|has_x_perm:request`, `user|can:"app.x"`,
//! `{% can_do "app.x" obj %}`. Only uses passing a string literal are recorded.

use crate::diagnostic::{FileId, Span};
use crate::facts::helpers::TemplateUse;
use crate::value::{Item, Value};

/// Split `text` (at `base`) on bytes `sep` outside quotes: (offset, piece).
fn split_outside_quotes(text: &str, base: usize, sep: fn(u8) -> bool) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut quote: Option<u8> = None;
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if sep(c) => {
                if i > start {
                    out.push((base + start, &text[start..i]));
                }
                start = i + 1;
            }
            None => {}
        }
    }
    if b.len() > start {
        out.push((base + start, &text[start..]));
    }
    out
}

/// A piece as an argument: a string literal's content, else something unknown.
fn arg_item(file: FileId, at: usize, piece: &str) -> Item {
    let b = piece.as_bytes();
    let quoted = b.len() >= 2
        && (b[0] == b'"' || b[0] == b'\'')
        && b[b.len() - 1] == b[0]
        && !piece[1..piece.len() - 1].contains(b[0] as char);
    if quoted {
        Item {
            value: Value::Str(piece[1..piece.len() - 1].into()),
            span: Span::new(file, (at + 1) as u32, (at + piece.len() - 1) as u32),
            literal: true,
        }
    } else {
        Item {
            value: Value::Unknown,
            span: Span::new(file, at as u32, (at + piece.len()) as u32),
            literal: false,
        }
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The uses in one tag body (`{{ … }}` when `tag` is false), `start` its offset in the file.
pub fn helper_uses(file: FileId, body: &str, start: usize, tag: bool, out: &mut Vec<TemplateUse>) {
    let bits = split_outside_quotes(body, start, |c| c.is_ascii_whitespace());
    for (k, &(at, bit)) in bits.iter().enumerate() {
        let segments = split_outside_quotes(bit, at, |c| c == b'|');
        let Some(&(v_at, value)) = segments.first() else {
            continue;
        };
        for (n, &(s_at, segment)) in segments.iter().enumerate().skip(1) {
            let (name, arg) = match split_outside_quotes(segment, s_at, |c| c == b':')[..] {
                [(_, name)] => (name, None),
                [(_, name), (a_at, arg)] => (name, Some(arg_item(file, a_at, arg))),
                _ => continue,
            };
            if !is_name(name) {
                continue;
            }
            let input = (n == 1).then(|| arg_item(file, v_at, value));
            let literal = |i: &Option<Item>| i.as_ref().is_some_and(|i| i.literal);
            if literal(&input) || literal(&arg) {
                let unknown = || Item {
                    value: Value::Unknown,
                    span: Span::new(file, s_at as u32, s_at as u32),
                    literal: false,
                };
                let mut args = vec![input.unwrap_or_else(unknown)];
                args.extend(arg);
                out.push(TemplateUse {
                    filter: true,
                    name: name.to_string(),
                    args,
                    kwargs: Vec::new(),
                    span: Span::new(file, at as u32, (at + bit.len()) as u32),
                });
            }
        }
        if tag && k == 0 && is_name(bit) && bits.len() > 1 {
            let mut args = Vec::new();
            let mut kwargs = Vec::new();
            for &(a_at, arg) in bits[1..].iter().take_while(|(_, a)| *a != "as") {
                match split_outside_quotes(arg, a_at, |c| c == b'=')[..] {
                    [(_, key), (v_at, v)] if is_name(key) => {
                        kwargs.push((key.into(), arg_item(file, v_at, v)))
                    }
                    _ => args.push(arg_item(file, a_at, arg)),
                }
            }
            if args
                .iter()
                .chain(kwargs.iter().map(|(_, i)| i))
                .any(|i| i.literal)
            {
                out.push(TemplateUse {
                    filter: false,
                    name: bit.to_string(),
                    args,
                    kwargs,
                    span: Span::new(file, start as u32, (start + body.len()) as u32),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(body: &str, tag: bool) -> Vec<(bool, String, Vec<Option<String>>)> {
        let mut out = Vec::new();
        helper_uses(0, body, 0, tag, &mut out);
        out.into_iter()
            .map(|u| {
                let args = u
                    .args
                    .iter()
                    .map(|i| i.value.as_str().map(str::to_string))
                    .collect();
                (u.filter, u.name, args)
            })
            .collect()
    }

    #[test]
    fn filters_and_tags() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            uses(r#" if "blog.x"|has_cfg:request "#, true),
            vec![(true, "has_cfg".into(), vec![s("blog.x"), None])]
        );
        assert_eq!(
            uses(r#" user|can:"blog.x" "#, false),
            vec![(true, "can".into(), vec![None, s("blog.x")])]
        );
        assert_eq!(
            uses(r#" can_do "blog.x" obj as ok "#, true),
            vec![(false, "can_do".into(), vec![s("blog.x"), None])]
        );
        assert!(uses(" title|upper ", false).is_empty());
    }
}
