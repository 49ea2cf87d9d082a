//! DJP020 guardian-mixed-content-type: guardian's `get_objects_for_user/group` needs every
//! permission on one model: perms across apps or models raise MixedContentTypeError, and only
//! bare codenames without `klass` raise WrongAppError.

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::facts::RefKind;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for r in &ctx.refs {
        if r.reference.kind != RefKind::GuardianObjects {
            continue;
        }
        let strings = r.strings();
        if strings.is_empty() || strings.len() != r.value.value.as_seq().map_or(1, |s| s.len()) {
            continue; // something dynamic
        }
        let dotted: Vec<(&str, &str)> = strings
            .iter()
            .filter_map(|s| s.text.split_once('.'))
            .collect();
        if dotted.is_empty() {
            if !r.reference.with_obj {
                out.push(
                    Diagnostic::new(by_code("DJP020"), r.reference.call_span, "Only bare codenames and no `klass`: guardian cannot tell which model they belong to")
                        .with_help("Pass `klass=<Model or queryset>`, or write the permissions as `app_label.codename`")
                        .with_note("guardian raises `WrongAppError`"),
                );
            }
            continue;
        }
        let mut labels: Vec<&str> = dotted.iter().map(|(l, _)| *l).collect();
        labels.sort_unstable();
        labels.dedup();
        if labels.len() > 1 {
            out.push(
                Diagnostic::new(
                    by_code("DJP020"),
                    r.reference.call_span,
                    format!(
                        "Permissions from several apps ({}) in one `get_objects_for_*` call",
                        labels
                            .iter()
                            .map(|l| format!("`{l}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_help("Query each model separately")
                .with_note("guardian raises `MixedContentTypeError`"),
            );
            continue;
        }
        let project = ctx.project(r.file);
        let mut models: Vec<String> = Vec::new();
        for (label, codename) in &dotted {
            let m = project.models_with(label, codename);
            if m.len() != 1 {
                models.clear();
                break; // unknown or ambiguous: other rules speak
            }
            models.push(m[0].clone());
        }
        models.sort();
        models.dedup();
        if models.len() > 1 {
            out.push(
                Diagnostic::new(
                    by_code("DJP020"),
                    r.reference.call_span,
                    format!(
                        "Permissions of several models ({}) in one `get_objects_for_*` call",
                        models
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_help("Query each model separately")
                .with_note("guardian raises `MixedContentTypeError`"),
            );
        }
    }
}
