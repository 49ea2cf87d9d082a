//! `[tool.djperm]` in pyproject.toml or `djperm.toml`. Unknown keys are an error.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub select: Option<Vec<String>>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub extend_select: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub per_file_ignores: std::collections::BTreeMap<String, Vec<String>>,
    /// Permission strings (or globs) a custom backend knows: `["extras.run_script", "core.*"]`.
    #[serde(default)]
    pub extra_permissions: Vec<String>,
    /// Actions a custom backend accepts besides the model's own: `["run", "sync"]`.
    #[serde(default)]
    pub custom_actions: Vec<String>,
    /// The settings module, when discovery is ambiguous.
    #[serde(default)]
    pub settings: Option<String>,
    /// Enable preview rules (new rules not yet proven on real projects).
    #[serde(default)]
    pub preview: bool,
    /// The Django version messages assume (`"4.2"`, `"5.2"`, `"6.1"`…); default: newest LTS.
    #[serde(default)]
    pub target_django: Option<String>,
}

pub const KEYS: &[&str] = &[
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "per-file-ignores",
    "extra-permissions",
    "custom-actions",
    "settings",
    "preview",
    "target-django",
];

#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn explain(path: &Path, err: toml::de::Error) -> ConfigError {
    let mut msg = format!("{}: {}", path.display(), err.message());
    if err.message().contains("unknown field") {
        msg.push_str(&format!(" (valid keys: {})", KEYS.join(", ")));
    }
    if let Some(span) = err.span() {
        msg = format!("{} (at byte {})", msg, span.start);
    }
    ConfigError(msg)
}

/// Parse a config file: `djperm.toml` at top level, or `[tool.djperm]` of a pyproject.toml.
pub fn parse(path: &Path, text: &str) -> Result<Option<Config>, ConfigError> {
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    if is_pyproject {
        #[derive(Deserialize)]
        struct Pyproject {
            tool: Option<Tool>,
        }
        #[derive(Deserialize)]
        struct Tool {
            djperm: Option<toml::Value>,
        }
        let py: Pyproject = toml::from_str(text).map_err(|e| explain(path, e))?;
        let Some(table) = py.tool.and_then(|t| t.djperm) else {
            return Ok(None);
        };
        let text = toml::to_string(&table).map_err(|e| ConfigError(e.to_string()))?;
        // Re-parse for unknown-key errors with the original file name.
        return toml::from_str::<Config>(&text).map(Some).map_err(|e| {
            ConfigError(format!(
                "{}: [tool.djperm]: {}{}",
                path.display(),
                e.message(),
                if e.message().contains("unknown field") {
                    format!(" (valid keys: {})", KEYS.join(", "))
                } else {
                    String::new()
                }
            ))
        });
    }
    toml::from_str::<Config>(text)
        .map(Some)
        .map_err(|e| explain(path, e))
}

/// The closest config file at or above `start`: djperm.toml wins over pyproject.toml.
pub fn discover(start: &Path) -> Result<Option<(PathBuf, Config)>, ConfigError> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        for name in ["djperm.toml", "pyproject.toml"] {
            let path = d.join(name);
            if let Ok(text) = std::fs::read_to_string(&path) {
                if let Some(config) = parse(&path, &text)? {
                    return Ok(Some((path, config)));
                }
            }
        }
        dir = d.parent();
    }
    Ok(None)
}
