//! The `djperm` command line: argument parsing and dispatch. Each subcommand lives in
//! `commands/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

// The analysis allocates many small nodes on several threads: mimalloc measured ~11% faster
// than glibc's allocator on the 20k-file benchmark tree. Transparent huge pages are off
// (`no_thp`): with them, page zeroing made runs up to 2× slower on a busy machine.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "djperm",
    version,
    about = "A static linter for Django permissions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a Django project for permission bugs (the CI step).
    Check(commands::check::CheckArgs),
    /// List every permission the project knows, and where it comes from.
    Permissions(commands::permissions::PermissionsArgs),
    /// Why a permission string is (or is not) reported: the verdict and the facts behind it.
    Explain(commands::explain::ExplainArgs),
    /// Show the documentation of a rule (`djperm rule DJP002`) or list them all (`--all`).
    Rule(commands::rule::RuleArgs),
    /// Who can reach what: every route with its guards, and every permission with its checks.
    Audit(djperm::audit::AuditArgs),
    /// Run the language server over stdio (for editors).
    Server,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Permissions(args) => commands::permissions::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Rule(args) => commands::rule::run(args),
        Command::Audit(args) => commands::audit::run(args),
        Command::Server => Ok(djperm::server::run()),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("djperm: error: {message}");
            ExitCode::from(2)
        }
    }
}
