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
    /// Routes meant to be open (`djperm audit` shows them `public`, not `unguarded`): URL
    /// names (`"login"`, `"accounts:*"`) or patterns (`"/accounts/password_reset/*"`), globs.
    #[serde(default)]
    pub public_routes: Vec<String>,
    /// The project's virtualenv (its directory or its interpreter), when it is not `$VIRTUAL_ENV`
    /// nor a `.venv`, `venv` or `env` directory in the project root or above.
    #[serde(default)]
    pub python_env: Option<PathBuf>,
    /// INSTALLED_APPS entries the settings compute in a way djperm cannot read; naming them
    /// makes the list complete.
    #[serde(default)]
    pub installed_apps: Vec<String>,
    /// AUTHENTICATION_BACKENDS entries the settings compute in a way djperm cannot read.
    #[serde(default)]
    pub authentication_backends: Vec<String>,
    /// Project helpers inference cannot see: `"pkg.mod.check:1"` (the 2nd argument of calls to
    /// `pkg.mod.check`), `"pkg.mod.Base:Meta.permissions"` (that attribute of subclasses).
    #[serde(default)]
    pub permission_sinks: Vec<String>,
    /// Where `djperm check` keeps its cache of per-file facts, relative to the project root
    /// (default `.djperm_cache`).
    #[serde(default)]
    pub cache_dir: Option<String>,
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
    "public-routes",
    "python-env",
    "installed-apps",
    "authentication-backends",
    "permission-sinks",
    "cache-dir",
];

#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn explain(path: &Path, text: &str, err: toml::de::Error) -> ConfigError {
    let position = err
        .span()
        .map(|span| {
            let (row, col) = crate::locator::Locator::new(text).row_col(span.start);
            format!(":{row}:{col}")
        })
        .unwrap_or_default();
    let message = err.message();
    if message.contains("unknown field") {
        // serde lists the expected fields itself: say it once, in our words.
        let field = message.split('`').nth(1).unwrap_or("?");
        let hint = if field == "tool" && !is_pyproject(path) {
            ": a `djperm.toml` takes the keys at top level, remove the `[tool.djperm]` header"
        } else {
            ""
        };
        return ConfigError(format!(
            "{}{position}: unknown key `{field}`{hint} (valid keys: {})",
            path.display(),
            KEYS.join(", ")
        ));
    }
    ConfigError(format!("{}{position}: {message}", path.display()))
}

/// Parse a config file: `djperm.toml` at top level, or `[tool.djperm]` of a pyproject.toml.
fn is_pyproject(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "pyproject.toml")
}

pub fn parse(path: &Path, text: &str) -> Result<Option<Config>, ConfigError> {
    if is_pyproject(path) {
        // `[tool.djperm]` is deserialized in place, so that an error points into the file.
        #[derive(Deserialize)]
        struct Pyproject {
            tool: Option<Tool>,
        }
        #[derive(Deserialize)]
        struct Tool {
            djperm: Option<Config>,
        }
        let py: Pyproject = toml::from_str(text).map_err(|e| explain(path, text, e))?;
        let Some(config) = py.tool.and_then(|t| t.djperm) else {
            return Ok(None);
        };
        config.validate(path)?;
        return Ok(Some(config));
    }
    let config = toml::from_str::<Config>(text).map_err(|e| explain(path, text, e))?;
    config.validate(path)?;
    Ok(Some(config))
}

impl Config {
    /// Values that parse but make no sense.
    pub fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        if let Some(v) = &self.target_django {
            let ok = v
                .split_once('.')
                .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok());
            if !ok {
                return Err(ConfigError(format!(
                    "{}: target-django must look like \"5.2\", got \"{v}\"",
                    path.display()
                )));
            }
        }
        for g in self
            .extra_permissions
            .iter()
            .chain(self.exclude.iter())
            .chain(self.per_file_ignores.keys())
            .chain(self.public_routes.iter())
        {
            if let Err(e) = globset::Glob::new(g) {
                return Err(ConfigError(format!(
                    "{}: invalid glob `{g}`: {e}",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

/// The closest config file at or above `start`: djperm.toml wins over pyproject.toml.
pub fn discover(start: &Path) -> Result<Option<(PathBuf, Config)>, ConfigError> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        for name in ["djperm.toml", "pyproject.toml"] {
            let path = d.join(name);
            if let Ok(text) = crate::inputs::read_to_string(&path) {
                if let Some(config) = parse(&path, &text)? {
                    return Ok(Some((path, config)));
                }
            }
        }
        dir = d.parent();
    }
    Ok(None)
}
