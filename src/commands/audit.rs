//! `djperm audit`: who can reach what, for the project around a directory.

use std::path::PathBuf;
use std::process::ExitCode;

use djperm::audit::{audit_dir, render, AuditArgs};
use djperm::config;

/// The `djperm audit` command.
pub fn run(args: AuditArgs) -> Result<ExitCode, String> {
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let dir = path
        .canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if !dir.is_dir() {
        return Err(format!("{}: not a directory", path.display()));
    }
    // A directory inside a project: the project around it, as `djperm check` does.
    let root = djperm::root::project_root(&dir);
    let mut config = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            config::parse(p, &text)
                .map_err(|e| e.to_string())?
                .unwrap_or_default()
        }
        None => config::discover(&root)
            .map_err(|e| e.to_string())?
            .map(|(_, c)| c)
            .unwrap_or_default(),
    };
    if args.settings.is_some() {
        config.settings = args.settings.clone();
    }
    let mut report = audit_dir(&root, &config);
    // Paths as `djperm check` prints them: relative to the working directory when under it.
    if let Ok(cwd) = std::env::current_dir().and_then(|d| d.canonicalize()) {
        report.relativize(&root, &cwd);
    }
    let text = render(&report, args.output_format);
    super::write_output(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
