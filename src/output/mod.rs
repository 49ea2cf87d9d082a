//! Rendering diagnostics for people and machines. Only this module (and the server) converts
//! byte ranges into rows and columns.
//!
//! Formats follow ruff (`--output-format full|concise|json|json-lines|github|sarif|junit`), and so
//! do the closing lines of the text formats (`Found N errors (M fixed, K remaining).`, the
//! fixable count, `--show-fixes`, `--statistics`).

pub mod github;
pub mod json;
pub mod junit;
pub mod sarif;
mod style;

use std::ops::Range;
use std::path::{Path, PathBuf};

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, Config as TermConfig};
use serde::Serialize;

use crate::diagnostic::{Applicability, Diagnostic, FileId, Severity};
use crate::fix::{fixed_count, FixTable};
use crate::workspace::Workspace;

pub use style::Paint;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Full,
    Concise,
    Json,
    JsonLines,
    Github,
    Sarif,
    Junit,
}

/// ruff's three states of `--unsafe-fixes`: not given (hint about hidden fixes), given, or
/// `--no-unsafe-fixes`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnsafeFixes {
    #[default]
    Hint,
    Enabled,
    Disabled,
}

impl UnsafeFixes {
    pub fn required(self) -> Applicability {
        crate::fix::required_applicability(self == UnsafeFixes::Enabled)
    }
}

/// How to render.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// ANSI colours in the text formats.
    pub color: bool,
    pub unsafe_fixes: UnsafeFixes,
    /// List the fixes applied (`--show-fixes`) and, in `full`, each fix as a diff.
    pub show_fixes: bool,
    /// Paths are shown relative to this directory when they are under it (ruff shows paths
    /// relative to the working directory), else absolute. `None`: relative to the project root.
    pub cwd: Option<PathBuf>,
}

/// What one run has to say: remaining diagnostics and the fixes applied.
pub struct Report<'a> {
    pub ws: &'a Workspace,
    pub diagnostics: &'a [Diagnostic],
    pub fixed: &'a FixTable,
    pub options: &'a Options,
}

impl Report<'_> {
    /// A file's path as shown to people.
    pub fn path(&self, file: FileId) -> String {
        display_path(self.ws, self.ws.path(file), self.options.cwd.as_deref())
    }

    fn marker(&self, d: &Diagnostic) -> &'static str {
        match &d.fix {
            Some(f) if crate::fix::applies(f, self.options.unsafe_fixes.required()) => "[*] ",
            _ => "",
        }
    }
}

/// `rel` (relative to the project root) as shown: relative to `cwd` when under it.
pub fn display_path(ws: &Workspace, rel: &str, cwd: Option<&Path>) -> String {
    let Some(cwd) = cwd else {
        return rel.to_string();
    };
    let abs = match (
        rel.strip_prefix(crate::workspace::ENV_ROOT)
            .and_then(|r| r.strip_prefix('/')),
        &ws.snapshot.env_dir,
    ) {
        // A file of the project's Python environment: where it is on disk.
        (Some(inside), Some(env)) => env.join(inside),
        _ => ws.snapshot.root.join(rel),
    };
    match abs.strip_prefix(cwd) {
        Ok(p) => p.to_string_lossy().replace('\\', "/"),
        Err(_) => abs.to_string_lossy().into_owned(),
    }
}

/// Render diagnostics in `format`: the text formats end with ruff's summary lines; the machine
/// formats are the document alone.
pub fn render_report(report: &Report<'_>, format: OutputFormat) -> String {
    match format {
        OutputFormat::Full => text(report, full_body(report)),
        OutputFormat::Concise => text(report, concise_body(report)),
        OutputFormat::Json => json::render(report.ws, report.diagnostics),
        OutputFormat::JsonLines => json::render_lines(report.ws, report.diagnostics),
        OutputFormat::Github => github::render(report),
        OutputFormat::Sarif => sarif::render(report.ws, report.diagnostics),
        OutputFormat::Junit => junit::render(report),
    }
}

/// The format of the existing call sites: `render(ws, diagnostics, format)` with defaults.
pub fn render(ws: &Workspace, diagnostics: &[Diagnostic], format: OutputFormat) -> String {
    let fixed = FixTable::new();
    let options = Options::default();
    render_report(
        &Report {
            ws,
            diagnostics,
            fixed: &fixed,
            options: &options,
        },
        format,
    )
}

/// `concise` with paths relative to the project root, no colour (used by the rule tests).
pub fn concise(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    render(ws, diagnostics, OutputFormat::Concise)
}

/// `full` with paths relative to the project root, no colour (used by the rule tests).
pub fn full(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    render(ws, diagnostics, OutputFormat::Full)
}

fn text(report: &Report<'_>, body: String) -> String {
    let mut out = body;
    if report.options.show_fixes && fixed_count(report.fixed) > 0 {
        out.push('\n');
        out.push_str(&fix_summary(report));
        out.push('\n');
    }
    out.push_str(&summary_with(
        report.diagnostics,
        report.fixed,
        report.options.unsafe_fixes,
        &Paint(report.options.color),
    ));
    out
}

fn concise_body(report: &Report<'_>) -> String {
    let p = Paint(report.options.color);
    let mut out = String::new();
    for d in report.diagnostics {
        let (row, col) = report
            .ws
            .locator(d.span.file)
            .row_col(d.span.start as usize);
        out.push_str(&format!(
            "{}{}{row}{}{col}{} {} {}{}\n",
            p.bold(&report.path(d.span.file)),
            p.cyan(":"),
            p.cyan(":"),
            p.cyan(":"),
            p.red_bold(d.code),
            p.cyan(report.marker(d)),
            d.message
        ));
    }
    out
}

/// The workspace's files for codespan, with djperm's own line breaks (`\r` too, see `locator`),
/// so that `full` shows the rows every other format reports.
struct ReportFiles<'r> {
    report: &'r Report<'r>,
}

impl<'r> Files<'r> for ReportFiles<'r> {
    type FileId = usize;
    type Name = String;
    type Source = &'r str;

    fn name(&'r self, id: usize) -> Result<String, FilesError> {
        Ok(self.report.path(id))
    }

    fn source(&'r self, id: usize) -> Result<&'r str, FilesError> {
        Ok(self.report.ws.text(id))
    }

    fn line_index(&'r self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.report.ws.locator(id).line(byte_index))
    }

    fn line_range(&'r self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        let locator = self.report.ws.locator(id);
        Ok(locator.line_start(line_index)..locator.line_start(line_index + 1))
    }
}

fn full_body(report: &Report<'_>) -> String {
    let files = ReportFiles { report };
    let config = TermConfig::default();
    let mut out = String::new();
    for d in report.diagnostics {
        let id = d.span.file;
        let mut notes = Vec::new();
        if let Some(help) = &d.help {
            notes.push(format!("help: {help}"));
        }
        for n in &d.notes {
            notes.push(format!("note: {n}"));
        }
        if let Some(fix) = &d.fix {
            let kind = match fix.applicability {
                Applicability::Safe => "safe fix",
                Applicability::Unsafe => "unsafe fix",
                Applicability::DisplayOnly => "suggestion",
            };
            notes.push(format!("{kind}: {}", fix.message));
        }
        let severity = match d.severity {
            Severity::Error => CsSeverity::Error,
            Severity::Warning => CsSeverity::Warning,
        };
        let cs = CsDiagnostic::new(severity)
            .with_code(d.code)
            .with_message(format!("{}{}", report.marker(d), d.message))
            .with_labels(vec![Label::primary(
                id,
                d.span.start as usize..d.span.end as usize,
            )])
            .with_notes(notes);
        let mut buffer = if report.options.color {
            termcolor::Buffer::ansi()
        } else {
            termcolor::Buffer::no_color()
        };
        match term::emit_to_write_style(&mut buffer, &config, &files, &cs) {
            Ok(()) => out.push_str(&String::from_utf8_lossy(buffer.as_slice())),
            Err(_) => out.push_str(&format!(
                "{}: {} {}\n",
                report.path(d.span.file),
                d.code,
                d.message
            )),
        }
        if report.options.show_fixes {
            if let Some(fix) = &d.fix {
                out.push_str(&fix_diff(report, fix));
            }
        }
    }
    out
}

/// A fix as the lines it changes (`--show-fixes` in `full`), like ruff's `ℹ Unsafe fix` block.
fn fix_diff(report: &Report<'_>, fix: &crate::diagnostic::Fix) -> String {
    let p = Paint(report.options.color);
    let title = match fix.applicability {
        Applicability::Safe => "Safe fix",
        Applicability::Unsafe => "Unsafe fix",
        Applicability::DisplayOnly => "Display-only fix",
    };
    let mut out = format!("  {} {title}\n", p.cyan("ℹ"));
    let mut files: Vec<FileId> = fix.edits.iter().map(|e| e.span.file).collect();
    files.sort();
    files.dedup();
    for file in files {
        let text = report.ws.text(file);
        let mut edits: Vec<crate::diagnostic::Edit> = fix
            .edits
            .iter()
            .filter(|e| e.span.file == file)
            .cloned()
            .collect();
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        let plan = crate::fix::plan(
            &[&crate::diagnostic::Fix {
                creates: Vec::new(),
                applicability: fix.applicability,
                message: String::new(),
                edits,
            }],
            |id| (id == file).then_some(text),
        );
        let Some(edits) = plan.edits.get(&file) else {
            continue;
        };
        let new = crate::fix::apply_edits(text, edits);
        let diff = similar::TextDiff::from_lines(text, new.as_str());
        for group in diff.grouped_ops(0) {
            for op in group {
                for change in diff.iter_changes(&op) {
                    let (sign, row) = match change.tag() {
                        similar::ChangeTag::Delete => ("-", change.old_index()),
                        similar::ChangeTag::Insert => ("+", change.new_index()),
                        similar::ChangeTag::Equal => (" ", change.old_index()),
                    };
                    let line = format!(
                        "{:>4} │{sign}{}",
                        row.map_or(0, |r| r + 1),
                        change.value().trim_end_matches(['\n', '\r'])
                    );
                    let line = match sign {
                        "-" => p.red(&line),
                        "+" => p.green(&line),
                        _ => line,
                    };
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
    }
    for new in &fix.creates {
        out.push_str(&format!("  {} {}\n", p.cyan("new file"), new.path));
        for (row, line) in new.content.lines().enumerate() {
            out.push_str(&format!(
                "  {}\n",
                p.green(&format!("{:>4} │+{line}", row + 1))
            ));
        }
    }
    out.push('\n');
    out
}

/// ruff's `--show-fixes` list: `Fixed N errors:` then per file the count per rule.
fn fix_summary(report: &Report<'_>) -> String {
    let p = Paint(report.options.color);
    let total = fixed_count(report.fixed);
    let width = report
        .fixed
        .values()
        .flat_map(|t| t.values().map(|(_, n)| *n))
        .max()
        .unwrap_or(1)
        .to_string()
        .len();
    let mut out = format!(
        "{}\n",
        p.green_bold(&format!(
            "Fixed {total} error{}:",
            if total == 1 { "" } else { "s" }
        ))
    );
    for (path, table) in report.fixed {
        out.push_str(&format!(
            "{} {}{}\n",
            p.cyan("-"),
            p.bold(&display_path(
                report.ws,
                path,
                report.options.cwd.as_deref()
            )),
            p.cyan(":")
        ));
        for (code, (name, count)) in table {
            out.push_str(&format!(
                "    {count:>width$} × {} ({name})\n",
                p.red_bold(code)
            ));
        }
    }
    out
}

/// ruff's closing lines: `Found N errors.` and the fixable count (nothing fixed, hints about
/// unsafe fixes).
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    summary_with(
        diagnostics,
        &FixTable::new(),
        UnsafeFixes::Hint,
        &Paint(false),
    )
}

/// ruff's closing lines: `Found N errors (M fixed, K remaining).` or `All checks passed!`, then
/// the fixable count.
pub fn summary_with(
    diagnostics: &[Diagnostic],
    fixed: &FixTable,
    unsafe_fixes: UnsafeFixes,
    p: &Paint,
) -> String {
    let remaining = diagnostics.len();
    let fixed_n = fixed_count(fixed);
    let total = remaining + fixed_n;
    let errors = |n: usize| format!("error{}", if n == 1 { "" } else { "s" });
    let mut out = if fixed_n > 0 {
        format!(
            "Found {total} {} ({fixed_n} fixed, {remaining} remaining).\n",
            errors(total)
        )
    } else if remaining > 0 {
        format!("Found {remaining} {}.\n", errors(remaining))
    } else {
        format!("{}\n", p.green_bold("All checks passed!"))
    };
    let required = unsafe_fixes.required();
    let applicable = diagnostics
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| crate::fix::applies(f, required))
        })
        .count();
    let hidden = diagnostics
        .iter()
        .filter(|d| {
            d.fix.as_ref().is_some_and(|f| {
                f.applicability == Applicability::Unsafe && !crate::fix::applies(f, required)
            })
        })
        .count();
    let es = if hidden == 1 { "" } else { "es" };
    let star = p.cyan("*");
    if unsafe_fixes == UnsafeFixes::Hint {
        if applicable > 0 && hidden > 0 {
            out.push_str(&format!("[{star}] {applicable} fixable with the `--fix` option ({hidden} hidden fix{es} can be enabled with the `--unsafe-fixes` option).\n"));
        } else if applicable > 0 {
            out.push_str(&format!(
                "[{star}] {applicable} fixable with the `--fix` option.\n"
            ));
        } else if hidden > 0 {
            out.push_str(&format!("No fixes available ({hidden} hidden fix{es} can be enabled with the `--unsafe-fixes` option).\n"));
        }
    } else if applicable > 0 {
        out.push_str(&format!(
            "[{star}] {applicable} fixable with the --fix option.\n"
        ));
    }
    out
}

#[derive(Serialize)]
pub struct Statistic {
    pub code: &'static str,
    pub name: &'static str,
    pub count: usize,
    pub fixable: bool,
}

/// One row per rule code: how many diagnostics, and whether any has a fix that applies.
/// Most frequent first (ruff's `--statistics`).
pub fn statistics_rows(diagnostics: &[Diagnostic], unsafe_fixes: UnsafeFixes) -> Vec<Statistic> {
    let mut rows: Vec<Statistic> = Vec::new();
    for d in diagnostics {
        let fixable = d
            .fix
            .as_ref()
            .is_some_and(|f| crate::fix::applies(f, unsafe_fixes.required()));
        match rows.iter_mut().find(|r| r.code == d.code) {
            Some(r) => {
                r.count += 1;
                r.fixable |= fixable;
            }
            None => rows.push(Statistic {
                code: d.code,
                name: d.name,
                count: 1,
                fixable,
            }),
        }
    }
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)));
    rows
}

/// `--statistics`: a table for the text formats, a list for `json`.
pub fn statistics(report: &Report<'_>, format: OutputFormat) -> Result<String, String> {
    let rows = statistics_rows(report.diagnostics, report.options.unsafe_fixes);
    match format {
        OutputFormat::Json => {
            Ok(serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())? + "\n")
        }
        OutputFormat::Full | OutputFormat::Concise => {
            let p = Paint(report.options.color);
            let any_fixable = rows.iter().any(|r| r.fixable);
            let count_width = rows
                .iter()
                .map(|r| r.count.to_string().len())
                .max()
                .unwrap_or(1);
            let code_width = rows.iter().map(|r| r.code.len()).max().unwrap_or(6);
            let mut out = String::new();
            for r in &rows {
                let marker = match (any_fixable, r.fixable) {
                    (false, _) => String::new(),
                    (true, true) => format!("[{}] ", p.cyan("*")),
                    (true, false) => "[ ] ".to_string(),
                };
                out.push_str(&format!(
                    "{}\t{}\t{marker}{}\n",
                    p.bold(&format!("{:>count_width$}", r.count)),
                    p.red_bold(&format!("{:<code_width$}", r.code)),
                    r.name
                ));
            }
            if any_fixable {
                out.push_str(&format!(
                    "[{}] fixable with `djperm check --fix`\n",
                    p.cyan("*")
                ));
            }
            Ok(out)
        }
        _ => Err(
            "`--statistics` supports the `full`, `concise` and `json` output formats".to_string(),
        ),
    }
}

/// ruff's closing line when only fixes are reported (`--fix-only`, `--diff`): `Fixed N errors.`
/// or `Would fix N errors.`, with the unsafe fixes left when they are hinted at.
pub fn fix_only_summary(
    diagnostics: &[Diagnostic],
    fixed: usize,
    unsafe_fixes: UnsafeFixes,
    applied: bool,
) -> String {
    let unapplied = if unsafe_fixes == UnsafeFixes::Hint {
        diagnostics
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == Applicability::Unsafe)
            })
            .count()
    } else {
        0
    };
    let s = if fixed == 1 { "" } else { "s" };
    let es = if unapplied == 1 { "" } else { "es" };
    let verb = if applied { "Fixed" } else { "Would fix" };
    if unapplied > 0 {
        if fixed > 0 {
            format!("{verb} {fixed} error{s} ({unapplied} additional fix{es} available with `--unsafe-fixes`).\n")
        } else if applied {
            format!("No errors fixed ({unapplied} fix{es} available with `--unsafe-fixes`).\n")
        } else {
            format!(
                "No errors would be fixed ({unapplied} fix{es} available with `--unsafe-fixes`).\n"
            )
        }
    } else if fixed > 0 {
        format!("{verb} {fixed} error{s}.\n")
    } else {
        String::new()
    }
}
