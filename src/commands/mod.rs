//! The subcommands of the `djperm` binary, one file each; `main.rs` parses the arguments and
//! dispatches here. The language server itself lives in the library (`djperm::server::run`),
//! where the tests drive it over an in-memory connection.

use std::io::Write;
use std::path::Path;

use clap::ValueEnum;

pub mod audit;
mod baseline;
pub mod check;
pub mod explain;
mod header;
pub mod permissions;
mod progress;
mod project;
mod replay;
pub mod rule;

/// The format of `djperm permissions` and `djperm rule`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// Where the report goes: `-o FILE` or standard output.
pub fn write_output(file: Option<&Path>, text: &str) -> Result<(), String> {
    match file {
        Some(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .or_else(|e| {
                    // A closed pipe (`djperm check | head`) is not an error worth reporting.
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| e.to_string())
        }
    }
}

/// What makes Django refuse a project (duplicate app labels, a migration cycle), on stderr.
pub fn project_warnings(index: &djperm::index::Index) {
    eprint!("{}", project_warnings_text(index));
}

/// The project warnings, one line each.
pub fn project_warnings_text(index: &djperm::index::Index) -> String {
    index
        .projects
        .iter()
        .flat_map(|p| &p.warnings)
        .map(|w| format!("djperm: warning: {w}\n"))
        .collect()
}
