//! What the project runs on, read from disk next to it: the packages of its Python environment
//! that the settings name (added to the snapshot under [`ENV_ROOT`]) and the Django version.

use std::path::Path;

use crate::config::Config;
use crate::env::venv::{self, PythonEnv};
use crate::workspace::{Snapshot, ENV_ROOT};

/// Locate the project's Python environment (see [`venv::locate`]), add the packages its
/// settings can name, and record the Django version. An environment named by `python-env` that
/// is not one is an error; none found is not.
pub fn add_environment(
    snapshot: &mut Snapshot,
    config: &Config,
) -> Result<Option<PythonEnv>, String> {
    let virtual_env = std::env::var_os("VIRTUAL_ENV").map(std::path::PathBuf::from);
    let env = venv::locate(
        &snapshot.root,
        config.python_env.as_deref(),
        virtual_env.as_deref(),
    )?;
    if let Some(env) = &env {
        add_packages(snapshot, &env.site_packages);
    }
    snapshot.django = crate::discover::version::detect(&snapshot.root, env.as_ref());
    Ok(env)
}

/// Add to `snapshot` the packages of `site_packages` that a settings-like file of the project
/// names in a string literal (a pre-filter: the index then uses those INSTALLED_APPS and
/// AUTHENTICATION_BACKENDS really name).
pub fn add_packages(snapshot: &mut Snapshot, site_packages: &Path) {
    let available = venv::packages(site_packages);
    if available.is_empty() {
        return;
    }
    let mut named: Vec<String> = Vec::new();
    for f in &snapshot.files {
        if f.path.ends_with(".py") && (f.text.contains("_APPS") || f.text.contains("BACKENDS")) {
            venv::named_packages(&f.text, &mut named);
        }
    }
    named.sort();
    named.dedup();
    // A package the project holds itself wins (its files come first in the module map).
    let wanted: Vec<&String> = named
        .iter()
        .filter(|n| available.binary_search(n).is_ok())
        .collect();
    for name in wanted {
        for (rel, text) in venv::read_package(site_packages, name) {
            snapshot.add(format!("{ENV_ROOT}/{rel}"), text);
        }
    }
    snapshot.env_dir = Some(site_packages.to_path_buf());
}
