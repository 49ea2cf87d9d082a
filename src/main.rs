use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use djperm::config::{self, Config};
use djperm::locator::Locator;
use djperm::output::{self, OutputFormat};
use djperm::{analyze, discover, rules, Selection};

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
    Check(CheckArgs),
    /// List every permission the project knows, and where it comes from.
    Permissions(PermissionsArgs),
    /// Show the documentation of a rule (`djperm rule DJP002`) or list them all (`--all`).
    Rule(RuleArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or directories to check (default: the current directory).
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "full", env = "DJPERM_OUTPUT_FORMAT")]
    output_format: OutputFormat,
    /// Comma-separated rule codes or prefixes to enable (replaces the default set).
    #[arg(long, value_delimiter = ',')]
    select: Option<Vec<String>>,
    /// Comma-separated rule codes or prefixes to add to the selection.
    #[arg(long, value_delimiter = ',')]
    extend_select: Vec<String>,
    /// Comma-separated rule codes or prefixes to disable.
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Exit with 0 even when there are findings.
    #[arg(long)]
    exit_zero: bool,
    /// A `djperm.toml` or `pyproject.toml` to use instead of discovering one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The settings module, when discovery is ambiguous.
    #[arg(long)]
    settings: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct PermissionsArgs {
    path: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    output_format: ListFormat,
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    settings: Option<String>,
}

#[derive(clap::Args)]
struct RuleArgs {
    code: Option<String>,
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value = "text")]
    output_format: ListFormat,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Permissions(args) => permissions(args),
        Command::Rule(args) => rule(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("djperm: error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The directory to analyse for the given paths: a directory itself, or the nearest ancestor
/// of a file that holds a manage.py or a config file.
fn project_root(paths: &[PathBuf]) -> Result<PathBuf, String> {
    let first = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let first = first
        .canonicalize()
        .map_err(|e| format!("{}: {e}", first.display()))?;
    for p in paths.iter().skip(1) {
        p.canonicalize()
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if paths.len() <= 1 && first.is_dir() {
        return Ok(first);
    }
    let start = if first.is_dir() {
        first.clone()
    } else {
        first
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(first.clone())
    };
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        if ["manage.py", "djperm.toml", "pyproject.toml", ".git"]
            .iter()
            .any(|n| d.join(n).exists())
        {
            return Ok(d.to_path_buf());
        }
        dir = d.parent();
    }
    std::env::current_dir().map_err(|e| e.to_string())
}

fn load_config(root: &Path, explicit: Option<&Path>) -> Result<Config, String> {
    match explicit {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
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

fn check(args: CheckArgs) -> Result<ExitCode, String> {
    let root = project_root(&args.paths)?;
    let mut config = load_config(&root, args.config.as_deref())?;
    if args.settings.is_some() {
        config.settings = args.settings.clone();
    }
    let mut selection = Selection::from_config(&config);
    if let Some(select) = args.select {
        selection.select = Some(select);
    }
    selection.extend_select.extend(args.extend_select);
    selection.ignore.extend(args.ignore);
    for code in selection
        .select
        .iter()
        .flatten()
        .chain(&selection.extend_select)
        .chain(&selection.ignore)
    {
        if !code.eq_ignore_ascii_case("ALL")
            && !rules::RULES
                .iter()
                .any(|r| r.code.starts_with(&code.to_ascii_uppercase()))
        {
            return Err(format!("unknown rule selector `{code}`"));
        }
    }
    let (snapshot, unreadable) = discover::load(&root, &config.exclude);
    for u in &unreadable {
        eprintln!("djperm: warning: skipped {}: {}", u.path, u.reason);
    }
    let mut analysis = analyze(snapshot, &config, &selection);
    // When files were named, report only on them (the index still covers the whole project).
    let filters: Vec<PathBuf> = args
        .paths
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .filter(|p| *p != root)
        .collect();
    if !filters.is_empty() {
        let ws = &analysis.ws;
        analysis.diagnostics.retain(|d| {
            let abs = ws.abs_path(d.span.file);
            filters.iter().any(|f| abs.starts_with(f))
        });
    }
    let text = output::render(&analysis.ws, &analysis.diagnostics, args.output_format);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let clean = analysis.diagnostics.is_empty();
    // The process exits next: freeing every file's text and facts one by one is wasted time.
    std::mem::forget(analysis);
    if clean || args.exit_zero {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
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

fn permissions(args: PermissionsArgs) -> Result<ExitCode, String> {
    let root = project_root(&args.path.into_iter().collect::<Vec<_>>())?;
    let mut config = load_config(&root, args.config.as_deref())?;
    if args.settings.is_some() {
        config.settings = args.settings;
    }
    let (snapshot, _) = discover::load(&root, &config.exclude);
    let analysis = analyze(snapshot, &config, &Selection::default());
    let ws = &analysis.ws;
    let mut rows: Vec<PermissionRow> = Vec::new();
    for project in &analysis.index.projects {
        for p in &project.perms {
            let (filename, row) = match p.span {
                Some(span) => (
                    Some(ws.path(span.file).to_string()),
                    Some(
                        Locator::new(ws.text(span.file))
                            .row_col(span.start as usize)
                            .0,
                    ),
                ),
                None => (None, None),
            };
            rows.push(PermissionRow {
                permission: p.perm(),
                app_label: p.label.clone(),
                codename: p.codename.clone(),
                model: p.model.clone(),
                in_database: p.in_database,
                source: p.source.as_str(),
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
            let mut s = String::new();
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
                "{} permissions ({} in a fresh database)\n",
                rows.len(),
                rows.iter().filter(|r| r.in_database).count()
            ));
            s
        }
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct RuleRow {
    code: &'static str,
    name: &'static str,
    summary: &'static str,
    fix: &'static str,
    preview: bool,
    explanation: &'static str,
}

fn rule(args: RuleArgs) -> Result<ExitCode, String> {
    let selected: Vec<&rules::Rule> = if args.all {
        rules::RULES.iter().collect()
    } else {
        let code = args
            .code
            .ok_or("give a rule code (e.g. `djperm rule DJP002`) or `--all`")?;
        vec![rules::rule(&code).ok_or_else(|| format!("unknown rule `{code}`"))?]
    };
    let text = match args.output_format {
        ListFormat::Json => {
            let rows: Vec<RuleRow> = selected
                .iter()
                .map(|r| RuleRow {
                    code: r.code,
                    name: r.name,
                    summary: r.summary,
                    fix: r.fix.as_str(),
                    preview: r.preview,
                    explanation: r.doc,
                })
                .collect();
            let v = if args.all {
                serde_json::to_string_pretty(&rows)
            } else {
                serde_json::to_string_pretty(&rows[0])
            };
            v.map_err(|e| e.to_string())? + "\n"
        }
        ListFormat::Text if args.all => selected
            .iter()
            .map(|r| format!("{} {:<36} {}\n", r.code, r.name, r.summary))
            .collect(),
        ListFormat::Text => selected[0].doc.to_string(),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
