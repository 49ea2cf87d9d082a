//! DJP016 string-passed-to-permission-m2m: `user.user_permissions.add("app.x")` raises
//! `ValueError: Field 'id' expected a number`; the relation wants `Permission` objects.

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::facts::RefKind;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        if r.reference.kind != RefKind::M2mString {
            continue;
        }
        let strings: Vec<&str> = match &r.value.value {
            crate::value::Value::Str(s) => vec![s.as_str()],
            crate::value::Value::Seq(items) => {
                items.iter().filter_map(|i| i.value.as_str()).collect()
            }
            _ => continue,
        };
        // Only strings that look like permissions (a label.codename or a known codename).
        let project = ctx.project(r.file);
        let Some(first) = strings.iter().find(|s| match s.split_once('.') {
            Some((l, _)) => project.has_label(l) || project.by_label.contains_key(l),
            None => !project.labels_defining(s).is_empty(),
        }) else {
            continue;
        };
        let (label, codename) = first.split_once('.').unwrap_or(("<app_label>", first));
        out.push(
            Diagnostic::new(by_code("DJP016"), r.reference.call_span, format!("Permission relation given the str `{first}` instead of a `Permission`"))
                .with_help(format!("Pass the object: `Permission.objects.get(content_type__app_label=\"{label}\", codename=\"{codename}\")`"))
                .with_note("Django raises `ValueError: Field 'id' expected a number but got '…'`"),
        );
    }
}
