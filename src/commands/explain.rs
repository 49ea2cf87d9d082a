//! `djperm explain "<label>.<codename>"`: the verdict djperm gives that string in a `has_perm`
//! call, and the facts behind it.

use std::path::PathBuf;
use std::process::ExitCode;

use djperm::rules::explain::explain;

use super::project::{analyse_project, ProjectArgs};

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The permission string, as passed to `has_perm` (`"blog.publish_post"`).
    permission: String,
    /// A directory of the project (default: the current directory).
    path: Option<PathBuf>,
    #[command(flatten)]
    project: ProjectArgs,
}

pub fn run(args: ExplainArgs) -> Result<ExitCode, String> {
    let analysis = analyse_project(args.path, args.project)?;
    let project = &analysis.index.projects[0];
    let e = explain(&analysis.ws, project, &args.permission);
    let mut text = match e.code {
        Some(code) => format!("{}: reported ({code}): {}\n", args.permission, e.verdict),
        None => format!("{}: {}\n", args.permission, e.verdict),
    };
    for fact in &e.facts {
        text.push_str(&format!("  - {fact}\n"));
    }
    super::write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}
