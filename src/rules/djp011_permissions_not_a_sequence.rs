//! DJP011 permissions-not-a-sequence: `default_permissions = ("view")` is the str `"view"`
//! (Django makes `v_`, `i_`, `e_`, `w_` permissions), and `permissions = ("can_x", "Can x")` is a
//! bare pair that crashes Django's checks.

use super::{by_code, Context};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Span};

fn text<'a>(ctx: &Context<'a>, span: Span) -> &'a str {
    ctx.ws
        .text(span.file)
        .get(span.start as usize..span.end as usize)
        .unwrap_or_default()
}

/// `span` widened over the grouping parentheses around it (`permissions = (\n ("x", "X")\n)`), so
/// the finding starts on the assignment line, where `# noqa` is written.
fn with_parentheses(ctx: &Context<'_>, span: Span) -> Span {
    let source = ctx.ws.text(span.file);
    let (mut start, mut end) = (span.start as usize, span.end as usize);
    for _ in 0..16 {
        let before = trim_back(&source[..start]);
        let after = trim_front(&source[end..]);
        if !(before.ends_with('(') && after.starts_with(')')) {
            break;
        }
        // `f(…)` is a call, not a grouping.
        let opener = before[..before.len() - 1].trim_end_matches([' ', '\t']);
        if opener.ends_with(|c: char| c.is_alphanumeric() || matches!(c, '_' | ')' | ']')) {
            break;
        }
        start = before.len() - 1;
        end = source.len() - after.len() + 1;
    }
    Span::new(span.file, start as u32, end as u32)
}

/// `text` without trailing whitespace and comments (a `#` on a line without quotes).
fn trim_back(text: &str) -> &str {
    let mut t = text.trim_end();
    loop {
        let line_start = t.rfind('\n').map_or(0, |i| i + 1);
        let line = &t[line_start..];
        match line.find('#') {
            Some(i) if !line[..i].contains(['"', '\'']) => t = t[..line_start + i].trim_end(),
            _ => return t,
        }
    }
}

/// `text` without leading whitespace and comments.
fn trim_front(text: &str) -> &str {
    let mut t = text.trim_start();
    while t.starts_with('#') {
        t = t[t.find('\n').unwrap_or(t.len())..].trim_start();
    }
    t
}

/// A single plain string literal (no implicit concatenation).
fn single_literal(written: &str) -> bool {
    let Some(q) = written.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return false;
    };
    written.len() >= 2
        && written.ends_with(q)
        && written[1..written.len() - 1]
            .chars()
            .all(|c| c != q && c != '\\')
}

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen = rustc_hash::FxHashSet::default();
    for project in &ctx.index.projects {
        for model in &project.code_models {
            let options = &model.options;
            if options.default_is_str {
                if let Some(span) = options
                    .default_permissions_span
                    .filter(|s| seen.insert((*s, 0)))
                {
                    let written = text(ctx, span);
                    let source = ctx.ws.text(span.file);
                    let parenthesized = source[..span.start as usize].trim_end().ends_with('(')
                        && source[span.end as usize..].trim_start().starts_with(')');
                    let mut d = Diagnostic::new(
                        by_code("DJP011"),
                        with_parentheses(ctx, span),
                        format!(
                            "`default_permissions` of `{}` is the str {written}, not a tuple",
                            model.object_name
                        ),
                    )
                    .with_help("Add the trailing comma: a one-element tuple is `(\"view\",)`")
                    .with_note(format!(
                        "Django iterates the characters and creates {}",
                        options
                            .default_permissions
                            .iter()
                            .flatten()
                            .map(|a| format!("`{a}_{}`", model.model_name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    if single_literal(written) {
                        let content = if parenthesized {
                            format!("{written},")
                        } else {
                            format!("({written},)")
                        };
                        d = d.with_fix(Some(Fix {
                            creates: Vec::new(),
                            applicability: Applicability::Safe,
                            message: "Make it a one-element tuple".into(),
                            edits: vec![Edit { span, content }],
                        }));
                    }
                    out.push(d);
                }
            }
            if options.malformed {
                if let Some(span) = options.permissions_span.filter(|s| seen.insert((*s, 1))) {
                    let written = text(ctx, span).to_string();
                    let mut d = Diagnostic::new(
                        by_code("DJP011"),
                        with_parentheses(ctx, span),
                        format!("`permissions` of `{}` is not a list of `(codename, name)` pairs", model.object_name),
                    )
                    .with_note("Django's system checks crash on it (`ValueError: too many values to unpack`), and so does `migrate`");
                    if options.bare_pair {
                        d = d
                            .with_help(
                                "Wrap the pair in a list: `permissions = [(\"can_x\", \"Can x\")]`",
                            )
                            .with_fix(Some(Fix {
                                creates: Vec::new(),
                                applicability: Applicability::Safe,
                                message: "Wrap the pair in a list".into(),
                                edits: vec![Edit {
                                    span,
                                    content: format!("[{written}]"),
                                }],
                            }));
                    } else {
                        d = d.with_help("Write it as a list of 2-tuples: `[(\"codename\", \"Human name\"), ...]`");
                    }
                    out.push(d);
                }
            }
        }
    }
}
