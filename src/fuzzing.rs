//! The checks behind the fuzz targets (`fuzz/fuzz_targets/`) and their replay on stable
//! (`tests/fuzz_corpus.rs`). Each function takes the raw bytes of one fuzz input and panics when
//! djperm breaks one of its invariants: no panic on user input, every span inside its file and
//! on character boundaries, fixes that keep Python parseable and apply once. Keeping the
//! per-target logic here means the fuzzers and the replay test cannot drift apart.

use std::sync::OnceLock;

use crate::config::Config;
use crate::diagnostic::{Applicability, Diagnostic, FileId, Span};
use crate::facts::{FileFacts, Noqa, Reference};
use crate::fix;
use crate::output::{self, OutputFormat};
use crate::python::extract_python;
use crate::refs::templates::extract_template;
use crate::value::{Item, Value};
use crate::workspace::{prefilter, FileKind, Snapshot};
use crate::{analyze, Analysis, Selection};

/// Where a Python input is extracted as: (path, module, is_package). The module name changes
/// how relative imports resolve; the path changes what the pre-filter keeps.
const PYTHON_PATHS: &[(&str, &str, bool)] = &[
    ("blog/models.py", "blog.models", false),
    ("blog/migrations/0001_x.py", "blog.migrations.0001_x", false),
    ("proj/settings.py", "proj.settings", false),
    ("blog/views.py", "blog.views", false),
    ("blog/__init__.py", "blog", true),
];

/// The project every project input is laid over, and the rule docs' examples too
/// (`tests/docs.rs`): auth, contenttypes and `blog` with `Post.can_publish`, migrated.
pub const BASE: &[(&str, &str)] = &[
    ("manage.py", "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n"),
    ("proj/__init__.py", ""),
    (
        "proj/settings.py",
        "INSTALLED_APPS = [\"django.contrib.auth\", \"django.contrib.contenttypes\", \"blog\"]\n",
    ),
    ("blog/__init__.py", ""),
    (
        "blog/models.py",
        "from django.db import models\n\n\nclass Post(models.Model):\n    title = models.CharField(max_length=100)\n\n    class Meta:\n        permissions = [(\"can_publish\", \"Can publish posts\")]\n",
    ),
    ("blog/migrations/__init__.py", ""),
    // `can_publish` is checked somewhere, as in a real project (DJP030).
    (
        "blog/templates/blog/base.html",
        "{% if perms.blog.can_publish %}<a href=\"publish/\">Publish</a>{% endif %}\n",
    ),
    (
        "blog/migrations/0001_initial.py",
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [\n        migrations.CreateModel(\n            name=\"Post\",\n            fields=[(\"id\", models.AutoField(primary_key=True)), (\"title\", models.CharField(max_length=100))],\n            options={\"permissions\": [(\"can_publish\", \"Can publish posts\")]},\n        ),\n    ]\n",
    ),
];

/// The marker that starts a file in a project input (as in the rule docs' examples).
pub const FILE_MARKER: &str = "# file:";
/// Where text before the first [`FILE_MARKER`] goes.
pub const DEFAULT_PATH: &str = "blog/views.py";

/// A project from one input: the text (invalid UTF-8 replaced) is split into files on
/// `# file: <path>` lines, text before the first marker is [`DEFAULT_PATH`], and the files are
/// laid over [`BASE`] (a file of the same path replaces the base one; the last one wins).
/// Paths that discovery could never produce (absolute, empty or `.`/`..` components,
/// backslashes) drop their file.
pub fn project(data: &[u8]) -> Snapshot {
    let text = String::from_utf8_lossy(data);
    let mut files: Vec<(String, String)> = BASE
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.trim().strip_prefix(FILE_MARKER) {
            lay(&mut files, current.take());
            current = Some((path.trim().to_string(), String::new()));
            continue;
        }
        current
            .get_or_insert_with(|| (DEFAULT_PATH.to_string(), String::new()))
            .1
            .push_str(line);
    }
    lay(&mut files, current.take());
    let mut snapshot = Snapshot::new("/nonexistent");
    for (path, text) in files {
        snapshot.add(path, text);
    }
    snapshot
}

/// Lay `file` over `files`, replacing a file of the same path.
fn lay(files: &mut Vec<(String, String)>, file: Option<(String, String)>) {
    if let Some((path, text)) = file {
        if plausible_path(&path) {
            files.retain(|(p, _)| *p != path);
            files.push((path, text));
        }
    }
}

fn plausible_path(path: &str) -> bool {
    !path.contains('\\')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Configuration for the project targets: every rule, preview ones included.
fn everything() -> (Config, Selection) {
    let config = Config {
        preview: true,
        ..Config::default()
    };
    let selection = Selection {
        preview: true,
        ..Selection::default()
    };
    (config, selection)
}

/// Run `f` on one long-lived pool with deep stacks, as the analysis parses (see
/// [`crate::with_big_stacks`]); building a pool per input would dominate a fuzzer's time.
fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .stack_size(512 * 1024 * 1024)
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// Target `python_facts`: the input as a Python file at each of [`PYTHON_PATHS`].
pub fn python_facts(data: &[u8]) {
    let source = String::from_utf8_lossy(data);
    for &(path, module, is_package) in PYTHON_PATHS {
        for scope in [prefilter::Scope::Stable, prefilter::Scope::Everything] {
            let _ = prefilter::python_need(path, source.as_bytes(), scope);
        }
        let facts = on_big_stack(|| extract_python(3, &source, module, is_package));
        check_python_facts(3, &source, &facts);
    }
}

/// Target `template_refs`: the input as a Django template.
pub fn template_refs(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = prefilter::template_needed(text.as_bytes());
    let facts = extract_template(5, &text);
    let spans = Spans::new(5, &text, "template");
    for r in &facts.references {
        spans.reference(r);
    }
    spans.noqa(&facts.noqa);
}

/// Target `project_diagnostics`: the input as a project ([`project`]) → the full analysis with
/// every rule → diagnostics in bounds, rendered in the text and JSON formats, and the audit.
pub fn project_diagnostics(data: &[u8]) {
    let (config, selection) = everything();
    let analysis = analyze(project(data), &config, &selection);
    check_analysis(&analysis);
    let _ = output::render(&analysis.ws, &analysis.diagnostics, OutputFormat::Full);
    let _ = output::render(&analysis.ws, &analysis.diagnostics, OutputFormat::Json);
    let report = crate::audit::audit(&analysis);
    let _ = crate::audit::render(&report, crate::audit::AuditFormat::Text);
}

/// Target `fix_apply`: the input as a project → every fix (unsafe included) applied until none
/// remains. No fix may break a Python file or fail to converge, and fixing the result again
/// changes nothing.
pub fn fix_apply(data: &[u8]) {
    let (config, selection) = everything();
    let fix_all = |snapshot: Snapshot| {
        fix::fix_snapshot(
            snapshot,
            &config,
            &selection,
            Applicability::Unsafe,
            &|_, _| true,
        )
    };
    let first = fix_all(project(data));
    assert!(
        first.problems.is_empty(),
        "fixing reported problems: {:?}",
        first.problems
    );
    check_analysis(&first.analysis);
    let ws = &first.analysis.ws;
    for id in first.changed() {
        if ws.snapshot.files[id].kind == FileKind::Python {
            assert!(
                fix::python_parses(ws.text(id)),
                "fixing {} introduced a syntax error:\n{}",
                ws.path(id),
                ws.text(id)
            );
        }
    }
    let second = fix_all(ws.snapshot.clone());
    let again: Vec<&str> = second
        .changed()
        .into_iter()
        .map(|id| second.analysis.ws.path(id))
        .collect();
    assert!(
        again.is_empty() && second.fixed_count() == 0 && second.problems.is_empty(),
        "fixing twice changed {again:?} ({} fixes, problems {:?})",
        second.fixed_count(),
        second.problems
    );
}

/// Every diagnostic and fix edit lies inside its file, on character boundaries.
fn check_analysis(analysis: &Analysis) {
    let ws = &analysis.ws;
    let n = ws.snapshot.files.len();
    let check = |span: Span, what: &str, d: &Diagnostic| {
        assert!(
            span.file < n,
            "{what} of `{d}` in file {} of {n}",
            span.file
        );
        Spans::new(span.file, ws.text(span.file), ws.path(span.file)).span(span, what);
    };
    for d in &analysis.diagnostics {
        check(d.span, "span", d);
        for edit in d.fix.iter().flat_map(|f| &f.edits) {
            check(edit.span, "fix edit", d);
        }
    }
    for (id, facts) in ws.python.iter().enumerate() {
        if let Some(facts) = facts {
            check_python_facts(id, ws.text(id), facts);
        }
    }
}

fn check_python_facts(file: FileId, source: &str, facts: &FileFacts) {
    let spans = Spans::new(file, source, &facts.module);
    if let Some((span, _)) = &facts.syntax_error {
        spans.span(*span, "syntax error");
    }
    for value in facts.constants.values() {
        spans.value(value);
    }
    for class in &facts.classes {
        spans.span(class.span, "class name");
        spans.span(class.body, "class body");
        class.bases.iter().for_each(|v| spans.value(v));
        class.attrs.values().for_each(|i| spans.item(i));
        class.decorators.iter().for_each(|v| spans.value(v));
        for (_, decorators) in &class.method_decorators {
            decorators.iter().for_each(|v| spans.value(v));
        }
        if let Some(meta) = &class.meta {
            spans.span(meta.span, "Meta");
            meta.bases.iter().for_each(|v| spans.value(v));
            meta.attrs.values().for_each(|i| spans.item(i));
        }
    }
    for row in &facts.perm_rows {
        spans.span(row.span, "permission row");
        spans.value(&row.codename);
    }
    facts.rules_perms.iter().for_each(|i| spans.item(i));
    facts.references.iter().for_each(|r| spans.reference(r));
    for stale in &facts.stale_checks {
        spans.span(stale.span, "stale check");
        spans.span(stale.first_check, "first check");
        spans.span(stale.mutation, "mutation");
    }
    for (value, span) in &facts.as_view_classes {
        spans.value(value);
        spans.span(*span, "as_view");
    }
    for function in &facts.functions {
        spans.span(function.span, "function name");
        spans.span(function.body, "function body");
        function.decorators.iter().for_each(|v| spans.value(v));
    }
    for call in &facts.module_calls {
        spans.span(call.span, "module call");
        spans.value(&call.receiver);
        call.args.iter().for_each(|i| spans.item(i));
        call.kwargs.iter().for_each(|(_, i)| spans.item(i));
    }
    spans.noqa(&facts.noqa);
}

/// Asserts that spans belong to one file and lie inside it, on character boundaries.
struct Spans<'a> {
    file: FileId,
    text: &'a str,
    name: &'a str,
}

impl<'a> Spans<'a> {
    fn new(file: FileId, text: &'a str, name: &'a str) -> Self {
        Spans { file, text, name }
    }

    fn span(&self, span: Span, what: &str) {
        let (s, e) = (span.start as usize, span.end as usize);
        assert!(
            span.file == self.file
                && s <= e
                && e <= self.text.len()
                && self.text.is_char_boundary(s)
                && self.text.is_char_boundary(e),
            "{what} span {span:?} is not a range of {} (file {}, {} bytes)",
            self.name,
            self.file,
            self.text.len()
        );
    }

    fn item(&self, item: &Item) {
        self.span(item.span, "item");
        self.value(&item.value);
    }

    fn value(&self, value: &Value) {
        match value {
            Value::Seq(items) => items.iter().for_each(|i| self.item(i)),
            Value::Dict(entries) => {
                for (key, item) in entries {
                    self.value(key);
                    self.item(item);
                }
            }
            Value::Concat(parts) => parts.iter().for_each(|v| self.value(v)),
            Value::Call(call) => {
                if let Some(on) = &call.on {
                    self.value(on);
                }
                call.args.iter().for_each(|i| self.item(i));
                call.kwargs.iter().for_each(|(_, i)| self.item(i));
            }
            Value::Str(_)
            | Value::Bool(_)
            | Value::Int(_)
            | Value::None
            | Value::Ref { .. }
            | Value::StarRef { .. }
            | Value::Unknown => {}
        }
    }

    fn reference(&self, r: &Reference) {
        self.item(&r.value);
        self.span(r.call_span, "call");
        r.class_bases.iter().for_each(|v| self.value(v));
        if let Some(lookup) = &r.lookup {
            lookup.codename.iter().for_each(|i| self.item(i));
            lookup.codename_in.iter().for_each(|i| self.item(i));
            lookup.app_label.iter().for_each(|v| self.value(v));
            lookup.model.iter().for_each(|v| self.value(v));
        }
    }

    fn noqa(&self, noqa: &Noqa) {
        // Lines end at `\n`, `\r\n` or a lone `\r`, as everywhere else (locator.rs).
        let lines = crate::locator::line_starts(self.text).len();
        for &line in noqa.lines.keys() {
            assert!(
                (line as usize) < lines,
                "noqa line {line} past the {lines} lines of {}",
                self.name
            );
        }
        for &(s, e, _) in &noqa.off_ranges {
            self.span(Span::new(self.file, s, e), "djperm:off range");
        }
    }
}
