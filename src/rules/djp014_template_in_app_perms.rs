//! DJP014 template-in-app-perms: `{% if "codename" in perms.app %}` is always False
//! (`PermLookupDict` is not iterable and the template engine swallows the TypeError).

use super::{by_code, Context};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::facts::RefKind;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        if r.reference.kind != RefKind::TemplateInApp {
            continue;
        }
        let Some(perm) = r.value.value.as_str() else {
            continue;
        };
        let Some((app, codename)) = perm.split_once('.') else {
            continue;
        };
        let mut d = Diagnostic::new(by_code("DJP014"), r.reference.call_span, format!("`\"{codename}\" in perms.{app}` is always False"))
            .with_note("`perms.<app>` cannot be iterated; the template engine turns the TypeError into False for every user");
        if !codename.contains('.')
            && !codename.contains(char::is_whitespace)
            && !codename.is_empty()
        {
            d = d
                .with_help(format!("Use `perms.{app}.{codename}`"))
                .with_fix(Some(Fix {
                    creates: Vec::new(),
                    applicability: Applicability::Safe,
                    message: format!("Replace with `perms.{app}.{codename}`"),
                    edits: vec![Edit {
                        span: r.reference.call_span,
                        content: format!("perms.{app}.{codename}"),
                    }],
                }));
        }
        out.push(d);
    }
}
