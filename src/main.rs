use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use djperm::config::{self, Config};
use djperm::diagnostic::Diagnostic;
use djperm::fix::{self, FixTable};
use djperm::output::{self, OutputFormat, UnsafeFixes};
use djperm::workspace::Workspace;
use djperm::{analyze, discover, rules, Selection};

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
    Check(CheckArgs),
    /// List every permission the project knows, and where it comes from.
    Permissions(PermissionsArgs),
    /// Show the documentation of a rule (`djperm rule DJP002`) or list them all (`--all`).
    Rule(RuleArgs),
    /// Who can reach what: every route with its guards, and every permission with its checks.
    Audit(djperm::audit::AuditArgs),
    /// Run the language server over stdio (for editors).
    Server,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or directories to check (default: the current directory). When files are named,
    /// the whole project is still indexed but only those files are reported (pre-commit).
    paths: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value = "full", env = "DJPERM_OUTPUT_FORMAT")]
    output_format: OutputFormat,
    /// Write the output to this file instead of standard output.
    #[arg(short = 'o', long, env = "DJPERM_OUTPUT_FILE")]
    output_file: Option<PathBuf>,
    /// Apply the safe fixes (add `--unsafe-fixes` for the unsafe ones).
    #[arg(long)]
    fix: bool,
    /// Also apply, and count as fixable, the unsafe fixes.
    #[arg(long, overrides_with = "no_unsafe_fixes")]
    unsafe_fixes: bool,
    /// Do not mention unsafe fixes at all.
    #[arg(long, overrides_with = "unsafe_fixes")]
    no_unsafe_fixes: bool,
    /// Show the fixes as a unified diff instead of writing them; exit 1 when there is one.
    #[arg(long, conflicts_with_all = ["add_noqa", "statistics"])]
    diff: bool,
    /// Apply fixes and report nothing else.
    #[arg(long)]
    fix_only: bool,
    /// List the fixes applied (and, in `full`, show each diagnostic's fix as a diff).
    #[arg(long)]
    show_fixes: bool,
    /// Exit with 1 when a fix was applied, even if no finding remains.
    #[arg(long)]
    exit_non_zero_on_fix: bool,
    /// Print the number of findings per rule instead of the findings.
    #[arg(long)]
    statistics: bool,
    /// Append `# noqa: CODE` (`{# noqa: CODE #}` in templates) to every line with a finding.
    #[arg(long, conflicts_with_all = ["fix", "fix_only"])]
    add_noqa: bool,
    /// Read the file from standard input and check it as if it were at this path.
    #[arg(long)]
    stdin_filename: Option<PathBuf>,
    /// When to colour the output (`auto` honours NO_COLOR and whether stdout is a terminal).
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
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
    /// Run preview rules too (new rules not yet proven on enough real projects).
    #[arg(long)]
    preview: bool,
    /// A `djperm.toml` or `pyproject.toml` to use instead of discovering one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The settings module, when discovery is ambiguous.
    #[arg(long)]
    settings: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
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
        Command::Audit(args) => djperm::audit::cli(args),
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

/// The directory to analyse for the given paths (files or directories; pre-commit passes files
/// relative to the repository root): the project around their common directory
/// (`root::project_root`). A directory inside a project is reported, not taken as the project.
fn project_root(paths: &[PathBuf]) -> Result<PathBuf, String> {
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

/// `path` made absolute and canonical, for a file that may not exist (`--stdin-filename`): its
/// nearest existing ancestor is canonicalised and the rest appended.
fn absolute_lenient(path: &Path) -> Result<PathBuf, String> {
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

fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
            if set("NO_COLOR") {
                false
            } else if set("FORCE_COLOR") || set("CLICOLOR_FORCE") {
                true
            } else {
                to_terminal && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

/// Where the report goes: `-o FILE` or standard output.
fn write_output(file: Option<&Path>, text: &str) -> Result<(), String> {
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum FixMode {
    /// Report only.
    Check,
    /// Apply and write the fixes.
    Apply,
    /// Print the fixes as a diff, write nothing.
    Diff,
}

fn check(args: CheckArgs) -> Result<ExitCode, String> {
    let cwd = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
    let stdin_path = args
        .stdin_filename
        .as_deref()
        .map(absolute_lenient)
        .transpose()?;
    let paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let root = match &stdin_path {
        Some(p) if paths.is_empty() => p
            .parent()
            .map(djperm::root::project_root)
            .or_else(|| cwd.clone())
            .ok_or("cannot find the project of --stdin-filename")?,
        _ => project_root(&paths)?,
    };
    let mut config = load_config(&root, args.config.as_deref())?;
    if args.settings.is_some() {
        config.settings = args.settings.clone();
    }
    let mut selection = Selection::from_config(&config);
    selection.preview |= args.preview;
    if let Some(select) = args.select.clone() {
        selection.select = Some(select);
    }
    selection.extend_select.extend(args.extend_select.clone());
    selection.ignore.extend(args.ignore.clone());
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
    if args.statistics
        && !matches!(
            args.output_format,
            OutputFormat::Full | OutputFormat::Concise | OutputFormat::Json
        )
    {
        return Err(
            "`--statistics` supports the `full`, `concise` and `json` output formats".into(),
        );
    }
    let unsafe_fixes = if args.unsafe_fixes {
        UnsafeFixes::Enabled
    } else if args.no_unsafe_fixes {
        UnsafeFixes::Disabled
    } else {
        UnsafeFixes::Hint
    };
    let mode = if args.diff {
        FixMode::Diff
    } else if args.fix || args.fix_only {
        FixMode::Apply
    } else {
        FixMode::Check
    };

    let progress = progress::Progress::start();
    progress.set("reading files");
    let (mut snapshot, unreadable) = discover::load(&root, &config.exclude);
    check_settings_exists(&snapshot, config.settings.as_deref())?;
    if snapshot.files.is_empty() && unreadable.is_empty() && stdin_path.is_none() {
        // As ruff: nothing to check is not a failure, but say so (a wrong path is likely).
        eprintln!(
            "djperm: warning: no Python files, templates or fixtures found under {}",
            root.display()
        );
    }
    // `--stdin-filename`: the buffer replaces (or joins) that file in the snapshot.
    let stdin_rel = match &stdin_path {
        Some(abs) => {
            let rel = abs
                .strip_prefix(&root)
                .map_err(|_| {
                    format!(
                        "--stdin-filename {} is outside the project {}",
                        abs.display(),
                        root.display()
                    )
                })?
                .to_string_lossy()
                .replace('\\', "/");
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("standard input: {e}"))?;
            match snapshot.files.iter_mut().find(|f| f.path == rel) {
                Some(f) => f.text = text,
                None => {
                    snapshot.add(rel.clone(), text);
                }
            }
            Some(rel)
        }
        None => None,
    };
    // When files were named, report (and fix) only those; the index covers the whole project.
    let mut filters: Vec<PathBuf> = paths
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .filter(|p| *p != root)
        .collect();
    if let Some(abs) = &stdin_path {
        filters = vec![abs.clone()];
    }
    let keep = |ws: &Workspace, d: &Diagnostic| {
        filters.is_empty() || {
            let abs = ws.abs_path(d.span.file);
            filters.iter().any(|f| abs.starts_with(f))
        }
    };
    progress.set(&format!(
        "{} {} files",
        if mode == FixMode::Check {
            "analysing"
        } else {
            "analysing and fixing"
        },
        snapshot.files.len()
    ));
    // The process exits right after reporting: freeing every parsed file, fact and text one by
    // one cost ~8% of a run on large trees, so the analysis is deliberately never dropped.
    let (analysis, original, fixed, problems) = if mode == FixMode::Check {
        let analysis = analyze(snapshot, &config, &selection);
        (analysis, Vec::new(), FixTable::new(), Vec::new())
    } else {
        let outcome = fix::fix_snapshot(
            snapshot,
            &config,
            &selection,
            unsafe_fixes.required(),
            &keep,
        );
        (
            outcome.analysis,
            outcome.original,
            outcome.fixed,
            outcome.problems,
        )
    };
    progress.finish();
    let analysis = std::mem::ManuallyDrop::new(analysis);
    for u in &unreadable {
        eprintln!("djperm: warning: skipped {}: {}", u.path, u.reason);
    }
    project_warnings(&analysis.index);
    for p in &problems {
        eprintln!("djperm: error: {p}");
    }
    let ws = &analysis.ws;
    let diagnostics: Vec<Diagnostic> = analysis
        .diagnostics
        .iter()
        .filter(|d| keep(ws, d))
        .cloned()
        .collect();
    let changed: Vec<usize> = (0..original.len())
        .filter(|&id| ws.text(id) != original[id])
        .collect();
    let shown_path = |id: usize| output::display_path(ws, ws.path(id), cwd.as_deref());
    let mut failed = false;

    // --add-noqa: write the directives, say how many, exit 0.
    if args.add_noqa {
        let targets: Vec<&Diagnostic> = diagnostics.iter().collect();
        let edits = fix::add_noqa(ws, &targets);
        let mut added = 0;
        for (id, (text, count)) in &edits {
            if Some(ws.path(*id)) == stdin_rel.as_deref() {
                write_output(args.output_file.as_deref(), text)?;
                added += count;
                continue;
            }
            match fix::write_file(&root, ws.path(*id), ws.text(*id), text) {
                Ok(()) => added += count,
                Err(e) => {
                    eprintln!("djperm: error: {e}");
                    failed = true;
                }
            }
        }
        eprintln!(
            "Added {added} noqa directive{}.",
            if added == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::from(if failed { 2 } else { 0 }));
    }

    let to_file = args.output_file.is_some();
    let color = use_color(args.color, !to_file && std::io::stdout().is_terminal());
    let options = output::Options {
        color,
        unsafe_fixes,
        show_fixes: args.show_fixes,
        cwd: cwd.clone(),
    };
    let report = output::Report {
        ws,
        diagnostics: &diagnostics,
        fixed: &fixed,
        options: &options,
    };
    let fixed_n = fix::fixed_count(&fixed);

    match mode {
        FixMode::Diff => {
            let mut text = String::new();
            for &id in &changed {
                let path = shown_path(id);
                text.push_str(&fix::unified_diff(&path, &original[id], ws.text(id)));
                text.push('\n');
            }
            write_output(args.output_file.as_deref(), &text)?;
            eprint!(
                "{}",
                output::fix_only_summary(&diagnostics, fixed_n, unsafe_fixes, false)
            );
            let code = if !changed.is_empty() && !args.exit_zero {
                1
            } else {
                0
            };
            return Ok(ExitCode::from(code));
        }
        FixMode::Apply => {
            for &id in &changed {
                if Some(ws.path(id)) == stdin_rel.as_deref() {
                    continue;
                }
                if let Err(e) = fix::write_file(&root, ws.path(id), &original[id], ws.text(id)) {
                    eprintln!("djperm: error: {e}");
                    failed = true;
                }
            }
        }
        FixMode::Check => {}
    }

    // With `--fix` on standard input, the fixed buffer goes to stdout and the report to stderr.
    let stdin_fixed = mode == FixMode::Apply && stdin_rel.is_some();
    let text = if args.statistics {
        output::statistics(&report, args.output_format)?
    } else if args.fix_only {
        output::fix_only_summary(&diagnostics, fixed_n, unsafe_fixes, true)
    } else {
        output::render_report(&report, args.output_format)
    };
    if stdin_fixed {
        let rel = stdin_rel.as_deref().unwrap_or_default();
        let id = (0..ws.snapshot.files.len())
            .find(|&id| ws.path(id) == rel)
            .ok_or("the --stdin-filename buffer was lost")?;
        write_output(None, ws.text(id))?;
        if let Some(file) = args.output_file.as_deref() {
            write_output(Some(file), &text)?;
        } else {
            eprint!("{text}");
        }
    } else {
        write_output(args.output_file.as_deref(), &text)?;
    }

    let code = if failed {
        2
    } else if args.exit_zero {
        0
    } else if args.fix_only {
        u8::from(args.exit_non_zero_on_fix && fixed_n > 0)
    } else if !diagnostics.is_empty() || (args.exit_non_zero_on_fix && fixed_n > 0) {
        1
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

/// A spinner on stderr while djperm reads and analyses, only when stderr is a terminal and not
/// in CI; it appears after a short delay (quick runs show nothing) and is erased when done.
mod progress {
    use std::io::{IsTerminal, Write};
    use std::sync::mpsc::{self, RecvTimeoutError, Sender};
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    enum Msg {
        Stage(String),
        Done,
    }

    pub struct Progress {
        tx: Option<Sender<Msg>>,
        thread: Option<JoinHandle<()>>,
    }

    pub fn enabled() -> bool {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
        std::io::stderr().is_terminal()
            && !ci
            && std::env::var("TERM").map_or(true, |t| t != "dumb")
    }

    impl Progress {
        pub fn start() -> Progress {
            if !enabled() {
                return Progress {
                    tx: None,
                    thread: None,
                };
            }
            let (tx, rx) = mpsc::channel::<Msg>();
            let thread = std::thread::spawn(move || {
                const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
                let start = Instant::now();
                let mut stage = String::new();
                let mut drawn = false;
                let mut frame = 0;
                loop {
                    match rx.recv_timeout(Duration::from_millis(100)) {
                        Ok(Msg::Stage(s)) => stage = s,
                        Ok(Msg::Done) | Err(RecvTimeoutError::Disconnected) => break,
                        Err(RecvTimeoutError::Timeout) => {}
                    }
                    let elapsed = start.elapsed();
                    if elapsed < Duration::from_millis(400) {
                        continue;
                    }
                    frame = (frame + 1) % FRAMES.len();
                    let mut err = std::io::stderr().lock();
                    let _ = write!(
                        err,
                        "\r\x1b[2K{} djperm: {stage} ({:.1}s)",
                        FRAMES[frame],
                        elapsed.as_secs_f32()
                    );
                    let _ = err.flush();
                    drawn = true;
                }
                if drawn {
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K");
                    let _ = err.flush();
                }
            });
            Progress {
                tx: Some(tx),
                thread: Some(thread),
            }
        }

        pub fn set(&self, stage: &str) {
            if let Some(tx) = &self.tx {
                let _ = tx.send(Msg::Stage(stage.to_string()));
            }
        }

        pub fn finish(mut self) {
            self.stop();
        }

        fn stop(&mut self) {
            if let Some(tx) = self.tx.take() {
                let _ = tx.send(Msg::Done);
            }
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    impl Drop for Progress {
        fn drop(&mut self) {
            self.stop();
        }
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

/// What makes Django refuse a project (duplicate app labels, a migration cycle), on stderr.
fn project_warnings(index: &djperm::index::Index) {
    for w in index.projects.iter().flat_map(|p| &p.warnings) {
        eprintln!("djperm: warning: {w}");
    }
}

/// `--settings` / `settings =` must name a module that is in the tree (else exit 2).
fn check_settings_exists(
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

fn permissions(args: PermissionsArgs) -> Result<ExitCode, String> {
    let root = project_root(&args.path.into_iter().collect::<Vec<_>>())?;
    let mut config = load_config(&root, args.config.as_deref())?;
    if args.settings.is_some() {
        config.settings = args.settings;
    }
    let (snapshot, _) = discover::load(&root, &config.exclude);
    check_settings_exists(&snapshot, config.settings.as_deref())?;
    let analysis = analyze(snapshot, &config, &Selection::default());
    project_warnings(&analysis.index);
    let ws = &analysis.ws;
    let mut rows: Vec<PermissionRow> = Vec::new();
    for project in &analysis.index.projects {
        for p in &project.perms {
            let (filename, row) = match p.span {
                Some(span) => (
                    Some(ws.path(span.file).to_string()),
                    Some(ws.locator(span.file).row_col(span.start as usize).0),
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
