//! The Django version a project runs on, and what depends on it: the default actions (`view`
//! exists from Django 2.1) and so the rows of the contrib table.

use rustc_hash::{FxHashMap, FxHashSet};

use super::apps::App;
use crate::config::Config;
use crate::diagnostic::FileId;
use crate::workspace::Workspace;

/// The version assumed when nothing says.
pub const DEFAULT: (u32, u32) = (5, 2);

/// `target-django` from the configuration, else the version found on disk (the environment's
/// `django` package, a lock or requirements file), else [`DEFAULT`]; with where it was read.
pub fn target(config: &Config, ws: &Workspace) -> ((u32, u32), String) {
    let configured = config.target_django.as_deref().and_then(|v| {
        let (a, b) = v.split_once('.')?;
        Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
    });
    if let Some(v) = configured {
        return (v, "target-django".to_string());
    }
    match &ws.snapshot.django {
        Some(found) => (found.version, found.from.clone()),
        None => (DEFAULT, "default".to_string()),
    }
}

/// The version whose default actions the project's models get: `django`, unless project code
/// patches Django's model options (`Options.__init__` setting `default_permissions`, a way to
/// add `view` before Django 2.1); then the actions are the project's, and `view` is kept.
pub fn for_defaults(django: (u32, u32), ws: &Workspace) -> (u32, u32) {
    if django >= (2, 1) {
        return django;
    }
    // A lean snapshot holds no text for the files it did not parse: read for this scan only,
    // not kept.
    let patched = ws.snapshot.files.iter().enumerate().any(|(id, f)| {
        !f.in_environment() && f.path.ends_with(".py") && {
            let text = ws.text_transient(id);
            text.contains("django.db.models.options") && text.contains("default_permissions")
        }
    });
    if patched {
        (2, 1)
    } else {
        django
    }
}

/// Whether `action` is one of Django's default actions in version `django` (`view` from 2.1).
pub fn default_action(action: &str, django: (u32, u32)) -> bool {
    action != "view" || django >= (2, 1)
}

/// Whether a row of the contrib table (made for the newest Django) exists in version `django`:
/// the `view_*` rows appeared with the `view` default action in 2.1.
pub fn exists(codename: &str, django: (u32, u32)) -> bool {
    !codename.starts_with("view_") || django >= (2, 1)
}

/// Labels whose `migrations` package holds South migrations (written for South before Django
/// 1.7: a `Migration` class with `forwards`, no `operations`). Django's `migrate` does not
/// apply them: the app is unmigrated and its models give its rows. Said once per app.
pub fn south_apps(
    ws: &Workspace,
    packages: &[(&App, String)],
    children: &FxHashMap<&str, Vec<(String, FileId)>>,
    warnings: &mut Vec<String>,
) -> FxHashSet<String> {
    let mut out = FxHashSet::default();
    for (app, module) in packages {
        let is_south = children.get(module.as_str()).is_some_and(|files| {
            files.iter().any(|(_, file)| match &ws.python[*file] {
                // Parsed: its imports say (the text is not read again).
                Some(facts) => facts
                    .imported_modules
                    .iter()
                    .any(|m| m == "south" || m.starts_with("south.")),
                None => {
                    let text = ws.text(*file);
                    text.contains("from south") || text.contains("import south")
                }
            })
        });
        if is_south {
            warnings.push(format!(
                "`{module}` holds South migrations (before Django 1.7), which `migrate` does not run: djperm reads `{}` as an unmigrated app, its permissions from its models",
                app.label
            ));
            out.insert(app.label.clone());
        }
    }
    out
}
