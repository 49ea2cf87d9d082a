//! djperm: a static linter for Django permissions. See ARCHITECTURE.md for the map.

pub mod audit;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod env;
pub mod facts;
pub mod fix;
#[doc(hidden)]
pub mod fuzzing;
pub mod index;
pub mod inputs;
pub mod locator;
pub mod output;
pub mod python;
pub mod refs;
pub mod registry;
pub mod root;
pub mod rules;
pub mod server;
pub mod sinks;
pub mod value;
pub mod workspace;

use globset::{Glob, GlobMatcher};

use config::Config;
use diagnostic::Diagnostic;
use index::Index;
use workspace::disk_cache::DiskCache;
use workspace::prefilter::Scope;
use workspace::{FactsCache, FileKind, Snapshot, Timer, Workspace};

/// Which rule codes run: ruff's select / extend-select / ignore semantics with prefixes.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    /// Preview rules run when selected (explicitly by code, or by any selector with this set).
    pub preview: bool,
    /// Read what only preview rules and `djperm audit` need even when no preview rule runs.
    pub read_everything: bool,
}

fn matches_code(pattern: &str, code: &str) -> bool {
    pattern.eq_ignore_ascii_case("ALL") || code.starts_with(&pattern.to_ascii_uppercase())
}

impl Selection {
    pub fn from_config(config: &Config) -> Self {
        Selection {
            select: config.select.clone(),
            extend_select: config.extend_select.clone(),
            ignore: config.ignore.clone(),
            per_file_ignores: config
                .per_file_ignores
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            preview: config.preview,
            read_everything: false,
        }
    }

    /// What the workspace must read for these rules: the stable rules need less than the
    /// preview rules and the audit (see `workspace::prefilter::Scope`).
    pub fn scope(&self) -> Scope {
        let preview_runs = rules::RULES
            .iter()
            .any(|r| r.preview && self.enabled(r.code));
        if self.read_everything || preview_runs {
            Scope::Everything
        } else {
            Scope::Stable
        }
    }

    pub fn enabled(&self, code: &str) -> bool {
        let preview = rules::rule(code).is_some_and(|r| r.preview);
        let explicit = self
            .select
            .iter()
            .flatten()
            .chain(&self.extend_select)
            .any(|p| p.eq_ignore_ascii_case(code));
        let selected = match &self.select {
            Some(list) => list.iter().any(|p| matches_code(p, code)),
            None => true,
        } || self.extend_select.iter().any(|p| matches_code(p, code));
        let allowed = !preview || self.preview || explicit;
        selected && allowed && !self.ignore.iter().any(|p| matches_code(p, code))
    }
}

/// The result of one analysis: what was read, the index, and the diagnostics to report.
pub struct Analysis {
    pub ws: Workspace,
    /// Shared: the language server reuses it when an edit changes no definition.
    pub index: std::sync::Arc<Index>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Analyse a snapshot: facts → index → rules → selection and suppression.
pub fn analyze(snapshot: Snapshot, config: &Config, selection: &Selection) -> Analysis {
    analyze_by(snapshot, config, selection, Workspace::build_with)
}

/// [`analyze`], reusing the facts of files unchanged since the last run from the on-disk cache
/// `disk` (the command line's path), which records this run's facts for [`DiskCache::save`].
pub fn analyze_disk_cached(
    snapshot: Snapshot,
    config: &Config,
    selection: &Selection,
    disk: &DiskCache,
) -> Analysis {
    analyze_by(snapshot, config, selection, |s, e, scope| {
        Workspace::build_disk(s, e, scope, None, disk)
    })
}

/// [`analyze_cached`] whose facts missing from `cache` come from the on-disk cache `disk` when
/// it holds them (the language server's first build of a folder the command line has checked).
pub fn analyze_cached_with_disk(
    snapshot: Snapshot,
    config: &Config,
    selection: &Selection,
    cache: &FactsCache,
    disk: &DiskCache,
) -> Analysis {
    analyze_by(snapshot, config, selection, |s, e, scope| {
        Workspace::build_disk(s, e, scope, Some(cache), disk)
    })
}

/// [`analyze`], reusing the facts of files unchanged since the last build with `cache` (the
/// language server's path: an edit re-parses only what changed).
pub fn analyze_cached(
    snapshot: Snapshot,
    config: &Config,
    selection: &Selection,
    cache: &FactsCache,
) -> Analysis {
    analyze_by(snapshot, config, selection, |s, e, scope| {
        Workspace::build_cached(s, e, scope, cache)
    })
}

/// The workspace from `build` (snapshot, configured settings modules, scope), then the rest.
fn analyze_by(
    snapshot: Snapshot,
    config: &Config,
    selection: &Selection,
    build: impl FnOnce(Snapshot, &[String], Scope) -> Workspace + Send,
) -> Analysis {
    let settings = config.settings.clone();
    let scope = selection.scope();
    // Index and rules run on the same deep-stack pool as parsing: they recurse over values.
    with_big_stacks(|| {
        let ws = build(snapshot, settings.as_slice(), scope);
        analyze_workspace(ws, config, selection)
    })
}

/// [`analyze`] from a workspace whose per-file facts are already computed (the language server
/// reuses the facts of unchanged files).
pub fn analyze_workspace(mut ws: Workspace, config: &Config, selection: &Selection) -> Analysis {
    let timer = Timer::start();
    let dropped = sinks::drop_unread_calls(&mut ws, &config.permission_sinks);
    timer.report("unread calls", format_args!("{dropped} dropped"));
    ws.drop_build_words();
    let timer = Timer::start();
    let index = Index::build(&ws, config);
    timer.report("index", format_args!("{} projects", index.projects.len()));
    analyze_with_index(ws, std::sync::Arc::new(index), config, selection)
}

/// The rules, selection and noqa on a workspace whose index is built (the language server
/// reuses the previous index when an edit changes no fact the index reads).
pub fn analyze_with_index(
    ws: Workspace,
    index: std::sync::Arc<Index>,
    config: &Config,
    selection: &Selection,
) -> Analysis {
    let timer = Timer::start();
    let diagnostics = {
        let mut ctx = rules::Context::for_rules(&ws, &index, &config.permission_sinks);
        timer.report("context", format_args!("{} references", ctx.refs.len()));
        ctx.migration_fix = Some(fix::migration::fix);
        let all = rules::run_selected(&ctx, |code| selection.enabled(code));
        timer.report("rules", format_args!("{} diagnostics", all.len()));
        select_and_suppress(&ws, selection, all)
    };
    Analysis {
        ws,
        index,
        diagnostics,
    }
}

/// The analysis of the snapshot whose files are `files` (relative path → text, in the order
/// of `previous`'s snapshot) from `previous`, made with the same configuration and selection,
/// when only texts of Python files changed and no change touched what the index or other files
/// read (`Workspace::edited`): the index is kept and the rules run again. `None`: analyse anew.
pub fn analyze_edit(
    previous: &Analysis,
    files: &[(&str, &str)],
    config: &Config,
    selection: &Selection,
) -> Option<Analysis> {
    let changed = previous.ws.changed(files)?;
    analyze_edit_until(previous, files, &changed, config, selection, &|| false)
}

/// [`analyze_edit`] of the `changed` files ([`Workspace::changed`]), giving up (`None`) before
/// the rules when `cancelled()` says a newer edit made the work useless.
pub fn analyze_edit_until(
    previous: &Analysis,
    files: &[(&str, &str)],
    changed: &[diagnostic::FileId],
    config: &Config,
    selection: &Selection,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<Analysis> {
    with_big_stacks(|| {
        let timer = Timer::start();
        let (ws, moved) = previous
            .ws
            .edited_files(files, changed, selection.scope())?;
        // Definitions that only moved keep the index only if it holds none of their spans.
        if !moved.is_empty() && index_mentions(&previous.index, &moved) {
            return None;
        }
        timer.report("edit", format_args!("index kept"));
        if cancelled() {
            return None;
        }
        Some(analyze_with_index(
            ws,
            previous.index.clone(),
            config,
            selection,
        ))
    })
}

/// Whether the index holds a span (or any other file id) of one of `files`: read from its
/// `Debug` text, so that no field of the index can be forgotten.
pub fn index_mentions(index: &Index, files: &[diagnostic::FileId]) -> bool {
    let text = format!("{index:?}");
    files
        .iter()
        .any(|f| text.contains(&format!("file: {f},")) || text.contains(&format!("file: {f} }}")))
}

/// Selection, the files never reported, per-file-ignores and noqa.
fn select_and_suppress(
    ws: &Workspace,
    selection: &Selection,
    all: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let per_file: Vec<(GlobMatcher, &Vec<String>)> = selection
        .per_file_ignores
        .iter()
        .filter_map(|(g, codes)| Glob::new(g).ok().map(|g| (g.compile_matcher(), codes)))
        .collect();
    all.into_iter()
        .filter(|d| selection.enabled(d.code))
        // The environment's packages and ignored files are read, never reported.
        .filter(|d| ws.reported(d.span.file))
        .filter(|d| {
            let path = ws.path(d.span.file);
            !per_file
                .iter()
                .any(|(g, codes)| g.is_match(path) && codes.iter().any(|c| matches_code(c, d.code)))
        })
        .filter(|d| !suppressed(ws, d))
        .collect()
}

/// Run `f` on a rayon pool whose threads have deep stacks: the parser and the AST's drop recurse
/// once per nesting level, and generated code nests thousands deep.
/// The pool is built once and kept: every analysis (and the reading that parses as it reads)
/// runs on the same threads.
pub fn with_big_stacks<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    const STACK: usize = 512 * 1024 * 1024; // reserved, not committed
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(STACK)
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

fn suppressed(ws: &Workspace, d: &Diagnostic) -> bool {
    if d.code == "DJP000" {
        return false;
    }
    let file = d.span.file;
    let noqa = match ws.snapshot.files[file].kind {
        FileKind::Python => ws.python[file].as_ref().map(|f| &f.noqa),
        FileKind::Template => ws.templates[file].as_ref().map(|f| &f.noqa),
        FileKind::Fixture => None,
    };
    let Some(noqa) = noqa else { return false };
    let locator = ws.locator(file);
    // A noqa comment on any line the diagnostic spans (ruff uses the last line of a
    // multi-line string; we accept any).
    let first = locator.line(d.span.start as usize);
    let last = locator.line(d.span.end as usize);
    (first..=last).any(|line| noqa.suppresses(line as u32, d.span.start, d.code))
}
