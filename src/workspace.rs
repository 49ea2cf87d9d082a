//! The snapshot the analysis reads (path → text) and the per-file facts computed from it.
//! No I/O here: the CLI fills a [`Snapshot`] from disk, the server from disk plus open buffers.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnostic::FileId;
use crate::facts::FileFacts;
use crate::refs::templates::{extract_template, TemplateFacts};

mod closure;
pub mod disk_cache;
mod facts_cache;
mod helper_calls;
mod incremental;
mod modules;
pub mod prefilter;
mod read;
mod timer;
mod waves;
pub mod words;

use closure::Closure;
use disk_cache::DiskCache;
pub use facts_cache::FactsCache;
pub use incremental::ScanMemo;
pub use modules::primary_modules;
use modules::{import_roots, ModuleMap};
use prefilter::{Need, Scope};
use read::read_back;
pub use read::{decode, files_read, read_bytes, with_text, BOM};
pub use timer::Timer;
pub use words::Words;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    Python,
    Template,
    /// A JSON or YAML fixture (`loaddata`).
    Fixture,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path relative to the snapshot root, with `/` separators.
    pub path: String,
    /// The text, unless `on_disk`: then it is empty and [`Workspace::text`] reads the file
    /// again on first use.
    pub text: String,
    pub kind: FileKind,
    /// An ignore file (`.gitignore`…) matches it: read for what it defines, never reported.
    pub ignored: bool,
    /// The text is not held (a lean snapshot dropped it): it is on disk at `root/path`.
    pub on_disk: bool,
    /// The pre-filter's answer for a scope, when the reader computed it (a lean snapshot).
    pub need: Option<(Scope, Need)>,
    /// The words of a text a lean snapshot does not hold ([`Words`]): the tree-wide word
    /// scans read such a file again only when it may hold one of theirs.
    pub words: Option<Words>,
    /// Facts extracted as the file was read ([`crate::discover::load_parsed`]); the build
    /// takes them while the file's id and module name are still the ones they were extracted
    /// under, and parses the file otherwise.
    pub parsed: Option<Box<Preparsed>>,
}

/// Facts extracted while reading, with what they were extracted under.
#[derive(Clone, Debug)]
pub struct Preparsed {
    pub id: FileId,
    pub module: String,
    pub is_package: bool,
    pub facts: FileFacts,
}

#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    /// The site-packages directory files under [`ENV_ROOT`] were read from.
    pub env_dir: Option<PathBuf>,
    /// The Django version the project runs on and where it was read (`requirements.txt`, the
    /// environment's `django` package…), when something says.
    pub django: Option<DjangoVersion>,
    /// Keep as little text as possible (the command line's check of a large tree): the files
    /// the pre-filter skips come without text, and each parsed file's text is dropped once
    /// its facts are extracted. Whatever needs a text later reads it through
    /// [`Workspace::text`], which reads it again from disk.
    pub lean: bool,
}

/// The Django version a project runs on, as found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DjangoVersion {
    pub version: (u32, u32),
    /// Where it was read, for messages (`requirements.txt`, `the environment`…).
    pub from: String,
}

/// Files read from the project's Python environment sit under this directory of the snapshot
/// (an import root of their own): indexed like the project's files, never reported.
pub const ENV_ROOT: &str = "<python-env>";

impl SourceFile {
    /// Read from the project's Python environment, not the project.
    pub fn in_environment(&self) -> bool {
        in_environment(&self.path)
    }

    /// Whether findings in this file are reported: not for the environment's files nor for
    /// files an ignore file hides (they are read only for what they define).
    pub fn reported(&self) -> bool {
        !self.ignored && !self.in_environment()
    }

    /// Give the file a new text (an edit, a fix, a buffer on standard input): everything
    /// derived from the old one goes with it (the pre-filter's answer, the words, the facts
    /// read with it).
    pub fn replace_text(&mut self, text: String) {
        self.text = text;
        self.on_disk = false;
        self.need = None;
        self.words = None;
        self.parsed = None;
    }

    /// Whether the file may hold one of `words` as a whole word: `false` only when its text is
    /// not held and its [`Words`] say so (whatever replaces a text also drops its words).
    pub fn may_hold_any<'w>(&self, mut words: impl Iterator<Item = &'w str>) -> bool {
        match &self.words {
            Some(set) if self.on_disk => words.any(|w| set.may_hold(w)),
            _ => true,
        }
    }

    /// [`SourceFile::may_hold_any`] for calls: whether the file may hold `name(` for one of
    /// `names`.
    pub fn may_call_any<'w>(&self, mut names: impl Iterator<Item = &'w str>) -> bool {
        match &self.words {
            Some(set) if self.on_disk => names.any(|n| set.may_call(n)),
            _ => true,
        }
    }

    /// The text, or for a file a lean snapshot holds on disk, the text read again and handed
    /// over without being kept (a one-off scan).
    pub fn text_or_read(&self, root: &Path) -> std::borrow::Cow<'_, str> {
        if self.on_disk {
            std::borrow::Cow::Owned(read_back(root, &self.path))
        } else {
            std::borrow::Cow::Borrowed(&self.text)
        }
    }
}

/// Whether a snapshot path is a file of the project's Python environment.
pub fn in_environment(path: &str) -> bool {
    path.strip_prefix(ENV_ROOT)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Files whose text a lean snapshot keeps whatever the pre-filter says: the start-up files
/// that name the settings module or extend `sys.path` (few and small; read before parsing).
pub fn keeps_text(path: &str) -> bool {
    crate::root::may_extend_sys_path(split_dir(path).1)
}

impl Snapshot {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Snapshot {
            root: root.into(),
            files: Vec::new(),
            env_dir: None,
            django: None,
            lean: false,
        }
    }

    /// Add a file whose text is not held (see [`Snapshot::lean`]).
    pub fn add_on_disk(&mut self, path: impl Into<String>) -> FileId {
        let id = self.add(path, String::new());
        self.files[id].on_disk = true;
        id
    }

    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        let path: String = path.into();
        let kind = if path.ends_with(".py") || path.ends_with(".pyi") {
            FileKind::Python
        } else if path.ends_with(".json") || path.ends_with(".yaml") {
            FileKind::Fixture
        } else {
            FileKind::Template
        };
        self.files.push(SourceFile {
            path,
            text: text.into(),
            kind,
            ignored: false,
            on_disk: false,
            need: None,
            words: None,
            parsed: None,
        });
        self.files.len() - 1
    }
}

/// Facts of every file plus the module map used to resolve imports and app packages.
pub struct Workspace {
    pub snapshot: Snapshot,
    /// Facts per file, shared: the language server's next build reuses unchanged ones.
    pub python: Vec<Option<std::sync::Arc<FileFacts>>>,
    pub templates: Vec<Option<Box<TemplateFacts>>>,
    /// Dotted module name → file (`blog.models` → `blog/models.py`). A file can have several
    /// names when import roots nest (repo root and `src/`).
    pub modules: FxHashMap<String, FileId>,
    /// Package name → its directory (relative path), including namespace packages.
    pub packages: FxHashMap<String, String>,
    /// Packages that have an `__init__.py` (regular packages).
    pub regular_packages: FxHashMap<String, FileId>,
    pub roots: Vec<String>,
    /// Line starts per file, computed on first use (every output format and noqa need them).
    line_index: Vec<std::sync::OnceLock<Vec<usize>>>,
    /// Texts read again from disk for files the snapshot holds `on_disk`.
    disk_text: Vec<std::sync::OnceLock<String>>,
    /// Per-file results of text scans, kept for unchanged files by [`Workspace::edited`].
    pub scans: ScanMemo,
}

pub fn join_dir(base: &str, rel: &str) -> String {
    if base.is_empty() {
        rel.to_string()
    } else {
        format!("{base}/{rel}")
    }
}

/// `a/b/../c` → `a/c`; `None` when `..` climbs above the project.
pub fn normalise(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p => out.push(p),
        }
    }
    Some(out.join("/"))
}

pub fn split_dir(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

/// `DJANGO_SETTINGS_MODULE` named in a manage.py text.
pub fn settings_from_manage(text: &str) -> Option<String> {
    let pos = text.find("DJANGO_SETTINGS_MODULE")?;
    let mut rest = &text[pos + "DJANGO_SETTINGS_MODULE".len()..];
    rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
    // The value literal follows on the same statement: `, "x.settings")` or `] = "x"`.
    let q = rest.find(['"', '\''])?;
    if rest[..q].contains(['(', ')', ';']) || rest[..q].len() > 40 {
        return None;
    }
    let quote = rest.as_bytes()[q] as char;
    let body = &rest[q + 1..];
    let value = &body[..body.find(quote)?];
    let valid = !value.is_empty()
        && value
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    valid.then(|| value.to_string())
}

impl Workspace {
    /// Build the workspace; see [`Workspace::build_with`].
    pub fn build(snapshot: Snapshot) -> Workspace {
        Self::build_with(snapshot, &[], Scope::Everything)
    }

    /// Compute the module map and the facts of every file that can matter: the files the byte
    /// pre-filter keeps ([`prefilter`]), the settings modules named by `manage.py` and by
    /// `entry_modules` (a configured settings module), and everything their facts lead to
    /// ([`deps`]). Other files keep `None` facts but stay in the module map. Set
    /// `DJPERM_NO_PREFILTER=1` to parse every file.
    pub fn build_with(snapshot: Snapshot, entry_modules: &[String], scope: Scope) -> Workspace {
        Self::build_opts(snapshot, entry_modules, prefilter(scope), None)
    }

    /// [`Workspace::build_with`], reusing (and refreshing) the facts held by `cache`.
    pub fn build_cached(
        snapshot: Snapshot,
        entry_modules: &[String],
        scope: Scope,
        cache: &FactsCache,
    ) -> Workspace {
        Self::build_opts(snapshot, entry_modules, prefilter(scope), Some(cache))
    }

    /// [`Workspace::build_with`] with the pre-filter for `filter` (`None` parses every file)
    /// and an optional cache of facts from a previous build.
    pub fn build_opts(
        snapshot: Snapshot,
        entry_modules: &[String],
        filter: Option<Scope>,
        cache: Option<&FactsCache>,
    ) -> Workspace {
        Self::build_inner(snapshot, entry_modules, filter, cache, None)
    }

    /// [`Workspace::build_with`], reusing facts from the on-disk cache `disk` (and recording
    /// the facts of this build in it), after those of `cache` when given.
    pub fn build_disk(
        snapshot: Snapshot,
        entry_modules: &[String],
        scope: Scope,
        cache: Option<&FactsCache>,
        disk: &DiskCache,
    ) -> Workspace {
        Self::build_inner(snapshot, entry_modules, prefilter(scope), cache, Some(disk))
    }

    fn build_inner(
        snapshot: Snapshot,
        entry_modules: &[String],
        filter: Option<Scope>,
        cache: Option<&FactsCache>,
        disk: Option<&DiskCache>,
    ) -> Workspace {
        if let Some(cache) = cache {
            cache.begin();
        }
        let timer = Timer::start();
        let roots = import_roots(&snapshot);
        let map = ModuleMap::build(&snapshot, &roots);
        timer.report("module map", format_args!("{} modules", map.modules.len()));
        let n = snapshot.files.len();
        let mut ws = Workspace {
            snapshot,
            python: Vec::new(),
            templates: Vec::new(),
            modules: map.modules,
            packages: map.packages,
            regular_packages: map.regular_packages,
            roots,
            line_index: (0..n).map(|_| std::sync::OnceLock::new()).collect(),
            disk_text: (0..n).map(|_| std::sync::OnceLock::new()).collect(),
            scans: ScanMemo::default(),
        };
        let timer = Timer::start();
        ws.templates = ws
            .snapshot
            .files
            .par_iter()
            .enumerate()
            .map(|(id, f)| match disk {
                Some(disk) if f.kind == FileKind::Template => {
                    disk_cache::template(disk, &ws.snapshot.root, id, f, filter.is_none())
                }
                _ => (f.kind == FileKind::Template
                    && (filter.is_none() || prefilter::template_needed(f.text.as_bytes())))
                .then(|| extract_template(id, &f.text)),
            })
            // Boxed: a slot per file of the tree, most of them not templates.
            .map(|t| t.map(Box::new))
            .collect();
        if ws.snapshot.lean {
            for f in &mut ws.snapshot.files {
                if f.kind == FileKind::Template && !f.on_disk {
                    if f.words.is_none() {
                        f.words = Some(Words::of(f.text.as_bytes()));
                    }
                    f.text = String::new();
                    f.on_disk = true;
                }
            }
        }
        let read_templates = ws.templates.iter().flatten().count();
        timer.report("templates", format_args!("{read_templates} read"));

        let timer = Timer::start();
        let need: Vec<Need> = ws
            .snapshot
            .files
            .par_iter()
            .map(|f| match (&f.kind, filter) {
                (FileKind::Template | FileKind::Fixture, _) => Need::Skip,
                (FileKind::Python, None) => Need::Definitions,
                (FileKind::Python, Some(scope)) => match f.need {
                    Some((s, need)) if s == scope => need,
                    _ => prefilter::python_need(&f.path, f.text.as_bytes(), scope),
                },
            })
            .collect();
        let selected = need.iter().filter(|n| **n != Need::Skip).count();
        timer.report(
            "prefilter",
            format_args!("{selected} python files selected"),
        );

        let timer = Timer::start();
        let mut closure = Closure::new(&ws.modules, &ws.packages, n);
        for (id, need) in need.iter().enumerate() {
            match need {
                Need::Skip => {}
                Need::References => closure.refs(id),
                Need::Definitions => closure.full(id),
            }
        }
        for f in &ws.snapshot.files {
            if split_dir(&f.path).1 == "manage.py" {
                if let Some(m) = settings_from_manage(&f.text) {
                    closure.full_module(&m);
                }
            }
        }
        for m in entry_modules {
            closure.full_module(m);
        }
        for (id, app) in map.models_modules {
            closure.app(id, app);
        }
        let mut python: Vec<Option<Box<FileFacts>>> = vec![None; n];
        let mut waves = 0;
        let mut helper_rounds = 0;
        let mut searched: (FxHashSet<String>, FxHashSet<String>) = Default::default();
        let called: Vec<std::sync::OnceLock<Box<[u32]>>> =
            (0..n).map(|_| std::sync::OnceLock::new()).collect();
        let root = ws.snapshot.root.clone();
        let mut pipeline = waves::Pipeline::new(&root, cache, disk);
        rayon::in_place_scope(|scope| loop {
            closure.run(&python);
            let mut wave = std::mem::take(&mut closure.next);
            if wave.is_empty() && !pipeline.busy() && filter.is_some() && helper_rounds < 4 {
                // Then the files that use the project's own permission helpers.
                helper_rounds += 1;
                let scan = Timer::start();
                let (names, hooks) = helper_calls::helper_names(&python);
                // A file still unread was already searched for the names of earlier rounds.
                let new = |all: &FxHashSet<String>, done: &mut FxHashSet<String>| {
                    let new: FxHashSet<String> = all.difference(done).cloned().collect();
                    done.extend(new.iter().cloned());
                    new
                };
                let (py, tpl) = helper_calls::files_using(
                    &ws.snapshot.root,
                    &ws.snapshot.files,
                    &python,
                    &ws.templates,
                    &new(&names, &mut searched.0),
                    &new(&hooks, &mut searched.1),
                    &called,
                );
                scan.report(
                    "helper scan",
                    format_args!(
                        "{} names, {} files found",
                        names.len() + hooks.len(),
                        py.len() + tpl.len()
                    ),
                );
                for id in tpl {
                    let text = ws.snapshot.files[id].text_or_read(&ws.snapshot.root);
                    ws.templates[id] = Some(Box::new(extract_template(id, &text)));
                }
                for id in py {
                    closure.refs(id);
                }
                for id in helper_calls::stale_callees(&python, &ws.modules) {
                    closure.refs(id);
                }
                closure.run(&python);
                wave = std::mem::take(&mut closure.next);
            }
            if wave.is_empty() && !pipeline.busy() {
                break;
            }
            // Largest first: the threads finish together (a text not held sorts last).
            wave.sort_unstable_by_key(|&id| std::cmp::Reverse(ws.snapshot.files[id].text.len()));
            waves += usize::from(!wave.is_empty());
            let lean = ws.snapshot.lean;
            for id in wave {
                let f = &mut ws.snapshot.files[id];
                let pre = f.parsed.take();
                // A lean snapshot gives each text to its parse and drops it there; one not
                // held is read again; any other text is lent and comes back.
                let (text, give_back) = if f.on_disk {
                    (None, false)
                } else if lean && pre.is_none() && !keeps_text(&f.path) {
                    f.on_disk = true;
                    (Some(std::mem::take(&mut f.text)), false)
                } else {
                    (Some(std::mem::take(&mut f.text)), true)
                };
                let (module, is_package) = map.primary[id].clone().unwrap_or_default();
                let job = waves::Job {
                    id,
                    path: f.path.clone(),
                    on_disk: f.on_disk,
                    text,
                    give_back,
                    words: f.words.is_none(),
                    pre,
                    module,
                    is_package,
                };
                pipeline.spawn(scope, job);
            }
            for parsed in pipeline.results() {
                let f = &mut ws.snapshot.files[parsed.id];
                if parsed.words.is_some() {
                    f.words = parsed.words;
                }
                if let Some(text) = parsed.text {
                    f.text = text;
                }
                python[parsed.id] = Some(Box::new(parsed.facts));
                closure.parsed(parsed.id);
            }
        });
        // Facts extracted while reading that no wave took.
        for f in &mut ws.snapshot.files {
            f.parsed = None;
        }
        ws.python = python
            .into_iter()
            .map(|f| f.map(std::sync::Arc::from))
            .collect();
        let parsed = ws.python.iter().flatten().count();
        let total = ws
            .snapshot
            .files
            .iter()
            .filter(|f| f.kind == FileKind::Python)
            .count();
        timer.report(
            "parse",
            format_args!(
                "{parsed} of {total} python files ({} through imports, {waves} waves)",
                parsed - selected
            ),
        );
        ws
    }

    pub fn facts(&self, module: &str) -> Option<&FileFacts> {
        let id = *self.modules.get(module)?;
        self.python[id].as_deref()
    }

    pub fn module_file(&self, module: &str) -> Option<FileId> {
        self.modules.get(module).copied()
    }

    /// A lean workspace (a report-only `check`: never edited nor built again) drops what only
    /// its build read: the words called in each file it does not hold (the helper-call scan's);
    /// the scans after the build read only whether a file may hold a word.
    pub fn drop_build_words(&mut self) {
        if !self.snapshot.lean {
            return;
        }
        for words in self
            .snapshot
            .files
            .iter_mut()
            .filter_map(|f| f.words.as_mut())
        {
            words.forget_calls();
        }
    }

    pub fn path(&self, id: FileId) -> &str {
        &self.snapshot.files[id].path
    }

    /// Rows and columns for `id`, with its line index computed once per workspace.
    pub fn locator(&self, id: FileId) -> crate::locator::Locator<'_> {
        let text = self.text(id);
        let starts = self.line_index[id].get_or_init(|| crate::locator::line_starts(text));
        crate::locator::Locator::with_line_starts(text, starts)
    }

    /// The text of `id`; read again from disk on first use when a lean snapshot dropped it.
    pub fn text(&self, id: FileId) -> &str {
        let f = &self.snapshot.files[id];
        if !f.on_disk {
            return &f.text;
        }
        self.disk_text[id].get_or_init(|| read_back(&self.snapshot.root, &f.path))
    }

    /// [`Workspace::text`] for a one-off scan: a text the snapshot does not hold is read from
    /// disk and handed over without being kept (a scan of every file holds no texts after it).
    pub fn text_transient(&self, id: FileId) -> std::borrow::Cow<'_, str> {
        match self.disk_text[id].get() {
            Some(text) => std::borrow::Cow::Borrowed(text),
            None => self.snapshot.files[id].text_or_read(&self.snapshot.root),
        }
    }

    pub fn abs_path(&self, id: FileId) -> PathBuf {
        let path = &self.snapshot.files[id].path;
        if let (Some(rest), Some(env)) = (
            path.strip_prefix(ENV_ROOT)
                .and_then(|r| r.strip_prefix('/')),
            &self.snapshot.env_dir,
        ) {
            return env.join(rest);
        }
        self.snapshot.root.join(Path::new(path))
    }

    /// Whether file `id` was read from the project's Python environment (never reported).
    pub fn in_environment(&self, id: FileId) -> bool {
        self.snapshot.files[id].in_environment()
    }

    /// Whether findings in file `id` are reported ([`SourceFile::reported`]).
    pub fn reported(&self, id: FileId) -> bool {
        self.snapshot.files[id].reported()
    }
}

/// The pre-filter for `scope`, unless `DJPERM_NO_PREFILTER` turns it off.
fn prefilter(scope: Scope) -> Option<Scope> {
    std::env::var_os("DJPERM_NO_PREFILTER")
        .is_none_or(|v| v.is_empty() || v == "0")
        .then_some(scope)
}
