//! `djperm permissions`: every permission the project knows, and where it comes from.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use djperm::output::display_path;

use super::project::{analyse_project, ProjectArgs};
use super::{project_warnings, ListFormat};

#[derive(clap::Args)]
pub struct PermissionsArgs {
    /// A directory of the project (default: the current directory); the project around it is
    /// listed.
    path: Option<PathBuf>,
    /// `text` (a table) or `json` (one object per permission).
    #[arg(long, value_enum, default_value = "text")]
    output_format: ListFormat,
    /// Write the list to this file instead of stdout.
    #[arg(long, short = 'o')]
    output_file: Option<PathBuf>,
    #[command(flatten)]
    project: ProjectArgs,
}

#[derive(Serialize)]
struct PermissionRow {
    permission: String,
    app_label: String,
    codename: String,
    model: Option<String>,
    in_database: bool,
    source: &'static str,
    filename: Option<String>,
    row: Option<usize>,
}

/// `Django 1.11 (from requirements.txt)`: the version the permission set follows.
fn django_line(index: &djperm::index::Index) -> String {
    let project = &index.projects[0];
    let (major, minor) = project.target_django;
    match project.django_from.as_str() {
        "default" => format!("Django {major}.{minor} (assumed: nothing names a version)"),
        from => format!("Django {major}.{minor} (from {from})"),
    }
}

pub fn run(args: PermissionsArgs) -> Result<ExitCode, String> {
    let analysis = analyse_project(args.path, args.project)?;
    project_warnings(&analysis.index);
    analysis
        .index
        .projects
        .iter()
        .for_each(super::header::not_analysed);
    let ws = &analysis.ws;
    let cwd = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
    let mut rows: Vec<PermissionRow> = Vec::new();
    for project in &analysis.index.projects {
        for p in &project.perms {
            let (filename, row) = match p.span {
                Some(span) => (
                    Some(display_path(ws, ws.path(span.file), cwd.as_deref())),
                    Some(ws.locator(span.file).row_col(span.start as usize).0),
                ),
                None => (None, None),
            };
            rows.push(PermissionRow {
                permission: p.perm(),
                app_label: p.label.to_string(),
                codename: p.codename.to_string(),
                model: p.model.as_ref().map(|m| m.to_string()),
                in_database: p.in_database,
                source: match p.span {
                    // Read from the project's Python environment.
                    Some(span) if ws.in_environment(span.file) => "environment",
                    _ => p.source.as_str(),
                },
                filename,
                row,
            });
        }
    }
    rows.sort_by(|a, b| {
        (&a.app_label, &a.model, &a.codename).cmp(&(&b.app_label, &b.model, &b.codename))
    });
    rows.dedup_by(|a, b| {
        a.permission == b.permission && a.model == b.model && a.source == b.source
    });
    let text = match args.output_format {
        ListFormat::Json => serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())? + "\n",
        ListFormat::Text => {
            let mut s = format!(
                "{:<48} {:<20} {:<14} {:<5} {}\n",
                "PERMISSION", "MODEL", "SOURCE", "DB", "DEFINED AT"
            );
            for r in &rows {
                let at = match (&r.filename, r.row) {
                    (Some(f), Some(l)) => format!("{f}:{l}"),
                    _ => "-".into(),
                };
                s.push_str(&format!(
                    "{:<48} {:<20} {:<14} {:<5} {}\n",
                    r.permission,
                    r.model.as_deref().unwrap_or("-"),
                    r.source,
                    if r.in_database { "db" } else { "-" },
                    at
                ));
            }
            s.push_str(&format!(
                "{} permissions ({} in a fresh database) for {}\n",
                rows.len(),
                rows.iter().filter(|r| r.in_database).count(),
                django_line(&analysis.index)
            ));
            s
        }
    };
    super::write_output(args.output_file.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
