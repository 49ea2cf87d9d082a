//! `djperm check`, the CI step, in named steps: plan (the project, its configuration, the rules
//! selected and what to do with fixes), read the files (and the `--stdin-filename` buffer),
//! analyse (and fix), write the fixes or their diff, render the report, and the exit code.

use std::io::{IsTerminal, Read};
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use djperm::config::Config;
use djperm::diagnostic::Diagnostic;
use djperm::discover::{self, Unreadable};
use djperm::fix::{self, FixOutcome, FixTable};
use djperm::output::{self, OutputFormat, UnsafeFixes};
use djperm::workspace::disk_cache::{self, DiskCache};
use djperm::workspace::prefilter::Scope;
use djperm::workspace::{Snapshot, Workspace};
use djperm::{analyze, analyze_disk_cached, rules, Selection};

use super::baseline::{self, Baseline};
use super::progress::Progress;
use super::project::{absolute_lenient, check_settings_exists, load_config, project_root};
use super::{project_warnings_text, replay, write_output};

#[derive(clap::Args)]
pub struct CheckArgs {
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
    /// Hide the findings recorded in this baseline file (written by `--write-baseline`); new
    /// findings are reported as usual.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record every finding in this baseline file and exit 0 (adopt djperm on a backlog).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "fix_only", "diff", "add_noqa", "baseline"])]
    write_baseline: Option<PathBuf>,
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
    /// Say on stderr which labels djperm does not analyse, and why.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// The project's virtualenv (its directory or its interpreter), when it is not
    /// `$VIRTUAL_ENV` nor a `.venv`, `venv` or `env` directory in the project or above.
    #[arg(long, value_name = "DIR")]
    python_env: Option<PathBuf>,
    /// Neither read nor write the cache of per-file facts.
    #[arg(long, env = "DJPERM_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    no_cache: bool,
    /// Where to keep the cache (default: `cache-dir` of the configuration, else
    /// `.djperm_cache` in the project root).
    #[arg(long, env = "DJPERM_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
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

/// What a run works on, settled from the arguments before any file is read.
struct Plan {
    cwd: Option<PathBuf>,
    root: PathBuf,
    /// The paths named on the command line (`-`, standard input, left out).
    paths: Vec<PathBuf>,
    /// `--stdin-filename`, made absolute.
    stdin_path: Option<PathBuf>,
    config: Config,
    selection: Selection,
    unsafe_fixes: UnsafeFixes,
    mode: FixMode,
    /// The cache directory, unless `--no-cache` (reports only: fixing re-parses what it edits).
    cache_dir: Option<PathBuf>,
}

/// The files read from disk, with the `--stdin-filename` buffer in place.
struct Input {
    snapshot: Snapshot,
    unreadable: Vec<Unreadable>,
    /// Where the standard-input buffer sits in the snapshot (project-relative).
    stdin_rel: Option<String>,
    /// The on-disk cache of facts, unless `--no-cache`.
    disk: Option<DiskCache>,
}

pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let started = std::time::SystemTime::now();
    // A report of files on disk can be given again when nothing it depends on changed.
    let replayable = !args.no_cache
        && args.stdin_filename.is_none()
        && !args.paths.iter().any(|p| p.as_os_str() == "-")
        && args.baseline.is_none()
        && args.write_baseline.is_none()
        && !(args.add_noqa || args.fix || args.fix_only || args.diff);
    if replayable {
        djperm::inputs::record();
    }
    let plan = plan(&args)?;
    let replay_key = replayable.then(replay::key);
    if let (Some(key), Some(dir)) = (replay_key, &plan.cache_dir) {
        let timer = djperm::workspace::Timer::start();
        if let Some((stdout, stderr, code)) = replay::lookup(dir, key) {
            timer.report(
                "cache",
                format_args!("0 hits, 0 misses, 0 files read, result replayed"),
            );
            eprint!("{stderr}");
            write_output(args.output_file.as_deref(), &stdout)?;
            return Ok(ExitCode::from(code));
        }
    }
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let progress = Progress::start();
    progress.set("reading files");
    let Input {
        snapshot,
        unreadable,
        stdin_rel,
        disk,
    } = read(&plan)?;
    let stdin_rel = stdin_rel.as_deref();
    let filters = report_filters(&plan);
    let keep = |ws: &Workspace, d: &Diagnostic| reported(&filters, ws, d);
    progress.set(&format!(
        "{} {} files",
        if plan.mode == FixMode::Check {
            "analysing"
        } else {
            "analysing and fixing"
        },
        snapshot.files.len()
    ));
    let FixOutcome {
        analysis,
        original,
        fixed,
        problems,
        ..
    } = analyse(&plan, snapshot, disk, &keep);
    progress.finish();
    // The process exits right after reporting: freeing every parsed file, fact and text one by
    // one cost ~8% of a run on large trees, so the analysis is deliberately never dropped.
    let analysis = ManuallyDrop::new(analysis);
    // What goes to stderr, kept with the result.
    let mut notes = String::new();
    for u in &unreadable {
        notes.push_str(&format!(
            "djperm: warning: skipped {}: {}\n",
            u.path, u.reason
        ));
    }
    notes.push_str(&project_warnings_text(&analysis.index));
    let report_run = !args.add_noqa && plan.mode != FixMode::Diff;
    if (args.output_format == OutputFormat::Full || args.verbose) && report_run {
        notes.push_str(&super::header::render(&plan.root, &analysis, args.verbose));
    }
    for p in &problems {
        notes.push_str(&format!("djperm: error: {p}\n"));
    }
    eprint!("{notes}");
    let ws = &analysis.ws;
    let diagnostics: Vec<Diagnostic> = analysis
        .diagnostics
        .iter()
        .filter(|d| keep(ws, d))
        .cloned()
        .collect();
    if args.add_noqa {
        return add_noqa(&args, &plan.root, ws, &diagnostics, stdin_rel);
    }
    if let Some(path) = &args.write_baseline {
        baseline::write(path, ws, &diagnostics)?;
        return Ok(ExitCode::SUCCESS);
    }
    let diagnostics = match baseline {
        Some(mut baseline) => {
            let applied = baseline.apply(ws, diagnostics);
            if let Some(note) = baseline.summary(&applied) {
                eprintln!("{note}");
            }
            applied.kept
        }
        None => diagnostics,
    };
    // Files the fixes changed, then the files they created (ids past the files read).
    let changed: Vec<usize> = match plan.mode {
        FixMode::Check => Vec::new(),
        _ => (0..ws.snapshot.files.len())
            .filter(|&id| original.get(id).is_none_or(|o| ws.text(id) != o))
            .collect(),
    };
    let fixed_n = fix::fixed_count(&fixed);
    let failed = match plan.mode {
        FixMode::Diff => {
            let diff = Diff {
                original: &original,
                changed: &changed,
                fixed_n,
            };
            return show_diff(&args, &plan, ws, &diagnostics, &diff);
        }
        FixMode::Apply => !write_fixes(&plan.root, ws, &original, &changed, stdin_rel),
        FixMode::Check => false,
    };
    let report = output::Report {
        ws,
        diagnostics: &diagnostics,
        fixed: &fixed,
        options: &report_options(&args, &plan),
    };
    let text = render(&args, &plan, &report, stdin_rel)?;
    let code = exit_code(&args, failed, &diagnostics, fixed_n);
    if let (Some(key), Some(dir)) = (replay_key, &plan.cache_dir) {
        replay::save(dir, &plan.root, key, started, (&text, &notes, code));
    }
    Ok(ExitCode::from(code))
}

/// Step 1: the project root, its configuration, the rules that run and what to do with fixes.
fn plan(args: &CheckArgs) -> Result<Plan, String> {
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
    if args.python_env.is_some() {
        config.python_env = args.python_env.clone();
    }
    let selection = select_rules(args, &config)?;
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
    let cache_dir = (!args.no_cache && mode == FixMode::Check).then(|| {
        args.cache_dir.clone().unwrap_or_else(|| {
            root.join(
                config
                    .cache_dir
                    .as_deref()
                    .unwrap_or(djperm::workspace::disk_cache::DEFAULT_DIR),
            )
        })
    });
    Ok(Plan {
        cache_dir,
        cwd,
        root,
        paths,
        stdin_path,
        config,
        selection,
        unsafe_fixes,
        mode,
    })
}

/// The rules that run: the configuration's selection with the command line's on top. A
/// selector that matches no rule is an error.
fn select_rules(args: &CheckArgs, config: &Config) -> Result<Selection, String> {
    let mut selection = Selection::from_config(config);
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
    Ok(selection)
}

/// Step 2: the project's files; the `--stdin-filename` buffer replaces (or joins) its file.
fn read(plan: &Plan) -> Result<Input, String> {
    let root = &plan.root;
    // A report-only run of the stable rules keeps only the texts it parses (re-reading those
    // it reports on); fixing, and the preview rules that search every text, keep them all.
    // The cache is opened first: its stat pre-check spares reading the unchanged files.
    let disk = plan
        .cache_dir
        .as_deref()
        .map(|dir| DiskCache::open(dir, &disk_cache::build_fingerprint()));
    let (mut snapshot, unreadable) =
        if plan.mode == FixMode::Check && plan.selection.scope() == Scope::Stable {
            match &disk {
                Some(disk) => {
                    discover::load_parsed_cached(root, &plan.config.exclude, Scope::Stable, disk)
                }
                None => discover::load_parsed(
                    root,
                    &plan.config.exclude,
                    Scope::Stable,
                    discover::held_budget(),
                ),
            }
        } else {
            discover::load(root, &plan.config.exclude)
        };
    discover::add_environment(&mut snapshot, &plan.config)?;
    check_settings_exists(&snapshot, plan.config.settings.as_deref())?;
    if snapshot.files.is_empty() && unreadable.is_empty() && plan.stdin_path.is_none() {
        // As ruff: nothing to check is not a failure, but say so (a wrong path is likely).
        eprintln!(
            "djperm: warning: no Python files, templates or fixtures found under {}",
            root.display()
        );
    }
    let stdin_rel = match &plan.stdin_path {
        Some(abs) => {
            let rel = abs
                .strip_prefix(root)
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
                Some(f) => f.replace_text(text),
                None => {
                    snapshot.add(rel.clone(), text);
                }
            }
            Some(rel)
        }
        None => None,
    };
    Ok(Input {
        snapshot,
        unreadable,
        stdin_rel,
        disk,
    })
}

/// When files were named, report (and fix) only those; the index covers the whole project.
fn report_filters(plan: &Plan) -> Vec<PathBuf> {
    if let Some(abs) = &plan.stdin_path {
        return vec![abs.clone()];
    }
    plan.paths
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .filter(|p| *p != plan.root)
        .collect()
}

fn reported(filters: &[PathBuf], ws: &Workspace, d: &Diagnostic) -> bool {
    filters.is_empty() || {
        let abs = ws.abs_path(d.span.file);
        filters.iter().any(|f| abs.starts_with(f))
    }
}

/// Step 3: analyse; with `--fix` or `--diff`, fix and analyse again until nothing changes.
fn analyse(
    plan: &Plan,
    snapshot: Snapshot,
    disk: Option<DiskCache>,
    keep: &dyn Fn(&Workspace, &Diagnostic) -> bool,
) -> FixOutcome {
    if plan.mode == FixMode::Check {
        let analysis = match disk {
            Some(disk) => cached_analysis(disk, snapshot, plan),
            None => {
                let timer = djperm::workspace::Timer::start();
                let analysis = analyze(snapshot, &plan.config, &plan.selection);
                let read = djperm::workspace::files_read();
                timer.report("analysis", format_args!("{read} files read in all"));
                analysis
            }
        };
        FixOutcome {
            analysis,
            original: Vec::new(),
            fixed: FixTable::new(),
            iterations: 0,
            problems: Vec::new(),
        }
    } else {
        fix::fix_snapshot(
            snapshot,
            &plan.config,
            &plan.selection,
            plan.unsafe_fixes.required(),
            keep,
        )
    }
}

/// The analysis through the on-disk cache of facts in `dir`, saved afterwards (a cache that
/// cannot be written is said once, and the run goes on).
fn cached_analysis(disk: DiskCache, snapshot: Snapshot, plan: &Plan) -> djperm::Analysis {
    let analysis = analyze_disk_cached(snapshot, &plan.config, &plan.selection, &disk);
    let timer = djperm::workspace::Timer::start();
    let (hits, misses) = (disk.hits(), disk.misses());
    let ws = &analysis.ws;
    let parsed: Vec<&str> = (0..ws.python.len())
        .filter(|&id| ws.python[id].is_some())
        .map(|id| ws.path(id))
        .collect();
    if let Err(e) = disk.save(&parsed) {
        eprintln!("djperm: warning: cache not written ({e}); use --no-cache to skip it");
    }
    let read = djperm::workspace::files_read();
    timer.report(
        "cache",
        format_args!("{hits} hits, {misses} misses, {read} files read, saved"),
    );
    analysis
}

/// `--add-noqa`: write the directives, say how many, exit 0 (2 when a file could not be
/// written).
fn add_noqa(
    args: &CheckArgs,
    root: &Path,
    ws: &Workspace,
    diagnostics: &[Diagnostic],
    stdin_rel: Option<&str>,
) -> Result<ExitCode, String> {
    let targets: Vec<&Diagnostic> = diagnostics.iter().collect();
    let edits = fix::add_noqa(ws, &targets);
    let mut added = 0;
    let mut failed = false;
    for (id, (text, count)) in &edits {
        if Some(ws.path(*id)) == stdin_rel {
            write_output(args.output_file.as_deref(), text)?;
            added += count;
            continue;
        }
        match fix::write_file(root, ws.path(*id), ws.text(*id), text) {
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
    Ok(ExitCode::from(if failed { 2 } else { 0 }))
}

/// What the fixes changed: every file's text as read, the ids of the changed files and how
/// many fixes were applied.
struct Diff<'a> {
    original: &'a [String],
    changed: &'a [usize],
    fixed_n: usize,
}

/// Step 4 with `--diff`: the fixes as a unified diff, nothing written; exit 1 when there is one.
fn show_diff(
    args: &CheckArgs,
    plan: &Plan,
    ws: &Workspace,
    diagnostics: &[Diagnostic],
    diff: &Diff<'_>,
) -> Result<ExitCode, String> {
    let mut text = String::new();
    for &id in diff.changed {
        let path = output::display_path(ws, ws.path(id), plan.cwd.as_deref());
        text.push_str(&match diff.original.get(id) {
            Some(original) => fix::unified_diff(&path, original, ws.text(id)),
            None => fix::new_file_diff(&path, ws.text(id)),
        });
        text.push('\n');
    }
    write_output(args.output_file.as_deref(), &text)?;
    eprint!(
        "{}",
        output::fix_only_summary(diagnostics, diff.fixed_n, plan.unsafe_fixes, false)
    );
    let code = if !diff.changed.is_empty() && !args.exit_zero {
        1
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

/// Step 4 with `--fix`: write the fixed files and create the new ones (a fixed standard-input
/// buffer is printed by [`render`] instead). False when a file could not be written.
fn write_fixes(
    root: &Path,
    ws: &Workspace,
    original: &[String],
    changed: &[usize],
    stdin_rel: Option<&str>,
) -> bool {
    let mut written = true;
    for &id in changed {
        if Some(ws.path(id)) == stdin_rel {
            continue;
        }
        let result = match original.get(id) {
            Some(original) => fix::write_file(root, ws.path(id), original, ws.text(id)),
            None => fix::create_file(root, ws.path(id), ws.text(id)),
        };
        if let Err(e) = result {
            eprintln!("djperm: error: {e}");
            written = false;
        }
    }
    written
}

fn report_options(args: &CheckArgs, plan: &Plan) -> output::Options {
    let to_file = args.output_file.is_some();
    output::Options {
        color: use_color(args.color, !to_file && std::io::stdout().is_terminal()),
        unsafe_fixes: plan.unsafe_fixes,
        show_fixes: args.show_fixes,
        cwd: plan.cwd.clone(),
    }
}

/// Step 5: the report (findings, statistics or the fix summary) to `-o FILE` or standard
/// output. With `--fix` on standard input, the fixed buffer goes to stdout and the report to
/// stderr (or the `-o` file).
fn render(
    args: &CheckArgs,
    plan: &Plan,
    report: &output::Report<'_>,
    stdin_rel: Option<&str>,
) -> Result<String, String> {
    let ws = report.ws;
    let text = if args.statistics {
        output::statistics(report, args.output_format)?
    } else if args.fix_only {
        output::fix_only_summary(
            report.diagnostics,
            fix::fixed_count(report.fixed),
            plan.unsafe_fixes,
            true,
        )
    } else {
        output::render_report(report, args.output_format)
    };
    match stdin_rel.filter(|_| plan.mode == FixMode::Apply) {
        Some(rel) => {
            let id = (0..ws.snapshot.files.len())
                .find(|&id| ws.path(id) == rel)
                .ok_or("the --stdin-filename buffer was lost")?;
            write_output(None, ws.text(id))?;
            if let Some(file) = args.output_file.as_deref() {
                write_output(Some(file), &text)?;
            } else {
                eprint!("{text}");
            }
        }
        None => write_output(args.output_file.as_deref(), &text)?,
    }
    Ok(text)
}

/// Step 6: 2 when a file could not be written; else 0 with `--exit-zero`; else 1 for a finding
/// (with `--fix-only`, only for a fix under `--exit-non-zero-on-fix`).
fn exit_code(args: &CheckArgs, failed: bool, diagnostics: &[Diagnostic], fixed_n: usize) -> u8 {
    if failed {
        2
    } else if args.exit_zero {
        0
    } else if args.fix_only {
        u8::from(args.exit_non_zero_on_fix && fixed_n > 0)
    } else if !diagnostics.is_empty() || (args.exit_non_zero_on_fix && fixed_n > 0) {
        1
    } else {
        0
    }
}
