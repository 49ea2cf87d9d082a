//! INSTALLED_APPS entries that are not in the tree but are in the bundled table of third-party
//! apps (`env::bundled`): their label is known, and so are the rows a fresh `migrate` creates.

use super::apps::App;
use super::{PermissionDef, Project, Source};
use crate::env::bundled;

/// Gives an app that is neither in the tree nor Django's own the label the table knows for
/// its entry.
pub fn recognise(app: &mut App) {
    // `DJPERM_NO_BUNDLED=1` (for tests) leaves the table out: the environment alone answers.
    let off = std::env::var_os("DJPERM_NO_BUNDLED").is_some_and(|v| !v.is_empty() && v != "0");
    if app.scanned() || app.contrib || off {
        return;
    }
    if let Some(known) = bundled::app(&app.entry) {
        app.name.clone_from(&known.name);
        app.label.clone_from(&known.label);
        app.label_certain = true;
        app.bundled = true;
    }
}

/// The rows of a recognised app; `swapped(label, object_name, setting)` says whether the project
/// swaps a swappable model out (its rows are then the replacement's).
pub fn add_rows(project: &mut Project, app: &App, swapped: &dyn Fn(&str, &str, &str) -> bool) {
    let Some(known) = bundled::app(&app.entry).filter(|_| app.bundled) else {
        return;
    };
    for model in &known.models {
        if let (Some(object_name), Some(setting)) = (&model.object_name, &model.swappable) {
            if swapped(&app.label, object_name, setting) {
                continue;
            }
        }
        for codename in &model.permissions {
            project.add(PermissionDef {
                label: app.label.as_str().into(),
                codename: codename.as_str().into(),
                model: Some(model.model.as_str().into()),
                in_database: true,
                source: Source::Bundled,
                span: None,
            });
        }
    }
}
