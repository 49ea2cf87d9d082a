//! The project a command works on: its root directory, its configuration and its settings
//! module.

use std::path::{Path, PathBuf};

use djperm::config::{self, Config};
use djperm::{analyze, discover, Analysis, Selection};

/// The options that say which project to read and how: shared by `permissions` and `explain`.
#[derive(clap::Args)]
pub struct ProjectArgs {
    /// A `djperm.toml` or `pyproject.toml` to use instead of discovering one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The settings module, when discovery is ambiguous.
    #[arg(long)]
    settings: Option<String>,
    /// The project's virtualenv (its directory or its interpreter), when it is not
    /// `$VIRTUAL_ENV` nor a `.venv`, `venv` or `env` directory in the project or above.
    #[arg(long, value_name = "DIR")]
    python_env: Option<PathBuf>,
}

/// Read and analyse the project around `path` (the environment's packages included).
pub fn analyse_project(path: Option<PathBuf>, args: ProjectArgs) -> Result<Analysis, String> {
    let root = project_root(&path.into_iter().collect::<Vec<_>>())?;
    let mut config = load_config(&root, args.config.as_deref())?;
    config.settings = args.settings.or(config.settings);
    config.python_env = args.python_env.or(config.python_env);
    let (mut snapshot, _) = discover::load(&root, &config.exclude);
    discover::add_environment(&mut snapshot, &config)?;
    check_settings_exists(&snapshot, config.settings.as_deref())?;
    Ok(analyze(snapshot, &config, &Selection::default()))
}

/// The directory to analyse for the given paths (files or directories; pre-commit passes files
/// relative to the repository root): the project around their common directory
/// (`djperm::root::project_root`). A directory inside a project is reported, not taken as the
/// project.
pub fn project_root(paths: &[PathBuf]) -> Result<PathBuf, String> {
    let mut canonical = Vec::new();
    for p in paths {
        canonical.push(
            p.canonicalize()
                .map_err(|e| format!("{}: {e}", p.display()))?,
        );
    }
    if canonical.is_empty() {
        canonical.push(
            PathBuf::from(".")
                .canonicalize()
                .map_err(|e| format!(".: {e}"))?,
        );
    }
    let dir_of = |p: &PathBuf| {
        if p.is_dir() {
            p.clone()
        } else {
            p.parent().map(Path::to_path_buf).unwrap_or(p.clone())
        }
    };
    let mut common = dir_of(&canonical[0]);
    for p in &canonical[1..] {
        let d = dir_of(p);
        while !d.starts_with(&common) {
            match common.parent() {
                Some(parent) => common = parent.to_path_buf(),
                None => break,
            }
        }
    }
    Ok(djperm::root::project_root(&common))
}

pub fn load_config(root: &Path, explicit: Option<&Path>) -> Result<Config, String> {
    match explicit {
        Some(path) => {
            let text = djperm::inputs::read_to_string(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(config::parse(path, &text)
                .map_err(|e| e.to_string())?
                .unwrap_or_default())
        }
        None => Ok(config::discover(root)
            .map_err(|e| e.to_string())?
            .map(|(_, c)| c)
            .unwrap_or_default()),
    }
}

/// `path` made absolute and canonical, for a file that may not exist (`--stdin-filename`): its
/// nearest existing ancestor is canonicalised and the rest appended.
pub fn absolute_lenient(path: &Path) -> Result<PathBuf, String> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| e.to_string())?
            .join(path)
    };
    let mut existing = abs.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                existing = parent;
            }
            _ => return Err(format!("{}: no such directory", path.display())),
        }
    }
}

/// `--settings` / `settings =` must name a module that is in the tree (else exit 2).
pub fn check_settings_exists(
    snapshot: &djperm::workspace::Snapshot,
    module: Option<&str>,
) -> Result<(), String> {
    let Some(module) = module else { return Ok(()) };
    let rel = module.replace('.', "/");
    let found = snapshot.files.iter().any(|f| {
        let p = f.path.as_str();
        [format!("{rel}.py"), format!("{rel}/__init__.py")]
            .iter()
            .any(|want| p == want || p.ends_with(&format!("/{want}")))
    });
    if found {
        Ok(())
    } else {
        Err(format!(
            "settings module `{module}` not found in the project"
        ))
    }
}
