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

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for project in &ctx.index.projects {
        for model in &project.code_models {
            let options = &model.options;
            if options.default_is_str {
                if let Some(span) = options.default_permissions_span {
                    let written = text(ctx, span);
                    let inner = written.trim_start_matches('(').trim_end_matches(')').trim();
                    out.push(
                        Diagnostic::new(
                            by_code("DJP011"),
                            span,
                            format!(
                                "`default_permissions` of `{}` is the str {inner}, not a tuple",
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
                        ))
                        .with_fix(Some(Fix {
                            applicability: Applicability::Safe,
                            message: "Make it a one-element tuple".into(),
                            edits: vec![Edit {
                                span,
                                content: format!("({inner},)"),
                            }],
                        })),
                    );
                }
            }
            if options.malformed {
                if let Some(span) = options.permissions_span {
                    let written = text(ctx, span).to_string();
                    let is_str = written.starts_with(['"', '\'']);
                    let fixed = if is_str {
                        format!("[({written}, {written})]")
                    } else {
                        format!("[{written}]")
                    };
                    let mut d = Diagnostic::new(
                        by_code("DJP011"),
                        span,
                        format!("`permissions` of `{}` is not a list of `(codename, name)` pairs", model.object_name),
                    )
                    .with_note("Django's system checks crash on it (`ValueError: too many values to unpack`), and so does `migrate`");
                    if !is_str {
                        d = d
                            .with_help(
                                "Wrap the pair in a list: `permissions = [(\"can_x\", \"Can x\")]`",
                            )
                            .with_fix(Some(Fix {
                                applicability: Applicability::Safe,
                                message: "Wrap the pair in a list".into(),
                                edits: vec![Edit {
                                    span,
                                    content: fixed,
                                }],
                            }));
                    }
                    out.push(d);
                }
            }
        }
    }
}
