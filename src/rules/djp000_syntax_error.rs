//! DJP000 syntax-error: a Python file that does not parse. Its definitions and references are
//! unknown, so the rest of the run stays silent about what it would have defined; the note
//! says what that is (the settings, an app's models or migrations).

use super::{by_code, Context};
use crate::diagnostic::Diagnostic;
use crate::index::Project;

pub fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for facts in ctx.ws.python.iter().flatten() {
        if let Some((span, message)) = &facts.syntax_error {
            let path = ctx.ws.path(span.file);
            let project = ctx.index.project_for(path);
            out.push(
                Diagnostic::new(by_code("DJP000"), *span, format!("Syntax error: {message}"))
                    .with_note(unread(project, span.file, path)),
            );
        }
    }
}

/// What djperm could not read because `path` does not parse.
fn unread(project: &Project, file: usize, path: &str) -> String {
    if project.settings.file == Some(file) {
        return "djperm could not read the settings: it reads this project as if it had none (apps found in the tree, any authentication backend, any user model)".into();
    }
    for app in &project.apps {
        let Some(dir) = app.dir.as_deref() else {
            continue;
        };
        let Some(rest) = (if dir.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(dir).and_then(|r| r.strip_prefix('/'))
        }) else {
            continue;
        };
        if !project.opaque_labels.contains(&app.label) {
            continue;
        }
        let what = if rest.starts_with("migrations/") {
            "migrations"
        } else if rest == "models.py" || rest.starts_with("models/") {
            "models"
        } else {
            continue;
        };
        return format!(
            "djperm could not read the {what} of `{label}`: it says nothing about `{label}` permissions",
            label = app.label
        );
    }
    "djperm skipped this file: permissions it defines or checks are not known".into()
}
