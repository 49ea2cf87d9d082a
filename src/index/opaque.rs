//! Why djperm says nothing about a label: the reason behind each opaque label, for
//! `djperm explain`, `--verbose` and the editor's hover.

use super::Project;
use crate::workspace::in_environment;

impl Project {
    /// Why `label` is opaque (its permission set is not fully known), in a sentence.
    pub fn opaque_reason(&self, label: &str) -> String {
        if let Some(app) = self.app(label) {
            if !app.scanned() && !app.contrib && !app.bundled {
                return format!(
                    "its INSTALLED_APPS entry `{}` is in neither the project, its Python environment nor the bundled table of third-party apps",
                    app.entry
                );
            }
            if !app.label_certain {
                return format!(
                    "the label of `{}` could not be read with certainty (its AppConfig does not fold)",
                    app.entry
                );
            }
        }
        let quoted = format!("`{label}`");
        if let Some(w) = self.warnings.iter().find(|w| w.contains(&quoted)) {
            return w.clone();
        }
        if self.settings.migration_modules_opaque {
            return "MIGRATION_MODULES does not fold to constants".to_string();
        }
        if self.state.get(label).is_some_and(|r| r.opaque) {
            return "its migrations could not be replayed completely (an operation or option does not fold)".to_string();
        }
        "a model's `permissions`/`default_permissions`, or a data migration's rows, do not fold to constants".to_string()
    }

    /// Where the app of `label` was read: `blog/`, `the environment (taggit/)`, `the bundled
    /// table`, `Django's contrib table`.
    pub fn label_origin(&self, label: &str) -> Option<String> {
        let app = self.app(label)?;
        Some(match &app.dir {
            Some(dir) if in_environment(dir) => format!(
                "the Python environment ({}/)",
                dir.split_once('/').map_or(dir.as_str(), |(_, d)| d)
            ),
            Some(dir) if dir.is_empty() => "the project root".to_string(),
            Some(dir) => format!("{dir}/"),
            None if app.contrib => "Django's contrib table".to_string(),
            None if app.bundled => "the bundled table of third-party apps".to_string(),
            None => {
                "nowhere (not in the project, its environment or the bundled table)".to_string()
            }
        })
    }
}
