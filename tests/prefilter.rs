//! The byte pre-filter changes nothing but speed: with it and without it (every file parsed),
//! the index, the resolved references and every rule's diagnostics are the same, except DJP000
//! for files the pre-filter did not parse (a file that is never parsed cannot be found broken).
//! With the narrower `Scope::Stable` filter (no preview rule selected, not the audit), the index
//! and the stable rules' diagnostics are the same.
//!
//! `DJPERM_REAL_PROJECTS=/path/to/project-a:/path/to/project-b cargo test --release --test
//! prefilter -- --ignored` runs the same comparison on real projects.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use djperm::config::Config;
use djperm::diagnostic::Diagnostic;
use djperm::index::Index;
use djperm::rules::{self, Context};
use djperm::workspace::prefilter::Scope;
use djperm::workspace::{prefilter, FileKind, Snapshot, Workspace};
use djperm::{discover, facts::FileFacts};

/// Everything downstream of the workspace, as comparable text.
struct Outcome {
    index: String,
    refs: String,
    diagnostics: Vec<Diagnostic>,
    parsed: Vec<bool>,
}

/// `filter`: the pre-filter's scope, `None` to parse every file. `stable_only`: run the stable
/// rules only (what `Scope::Stable` serves).
fn run(snapshot: Snapshot, config: &Config, filter: Option<Scope>, stable_only: bool) -> Outcome {
    let entry: Vec<String> = config.settings.iter().cloned().collect();
    let ws = Workspace::build_opts(snapshot, &entry, filter, None);
    let index = Index::build(&ws, config);
    let ctx = Context::new(&ws, &index);
    let mut refs: Vec<String> = ctx
        .refs
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {:?} {:?} {:?}",
                ws.path(r.file),
                r.reference.call_span,
                r.reference.kind,
                r.reference.with_obj,
                r.value
            )
        })
        .collect();
    refs.sort();
    let mut text = String::new();
    for p in &index.projects {
        let mut perms: Vec<String> = p
            .perms
            .iter()
            .map(|d| {
                format!(
                    "{}.{} {:?} {} {} {:?}",
                    d.label,
                    d.codename,
                    d.model,
                    d.in_database,
                    d.source.as_str(),
                    d.span
                )
            })
            .collect();
        perms.sort();
        let mut opaque: Vec<&String> = p.opaque_labels.iter().collect();
        opaque.sort();
        let mut floating: Vec<&String> = p.floating_codenames.iter().collect();
        floating.sort();
        let mut migrated: Vec<&String> = p.migrated.iter().collect();
        migrated.sort();
        let mut bare: Vec<&String> = p.bare_rules.iter().collect();
        bare.sort();
        let mut models: Vec<String> = p.code_models.iter().map(|m| format!("{m:?}")).collect();
        models.sort();
        writeln!(
            text,
            "root={} settings={:?} apps={:?} complete={} inferred={} rules_opaque={} \
             opaque={opaque:?} floating={floating:?} migrated={migrated:?} bare={bare:?} \
             renames={:?}\nperms={perms:#?}\nmodels={models:#?}",
            p.root,
            p.settings.module,
            p.apps,
            p.apps_complete,
            p.inferred,
            p.rules_opaque,
            p.renames,
        )
        .unwrap();
    }
    let diagnostics = if stable_only {
        rules::run_selected(&ctx, |code| !rules::rule(code).is_some_and(|r| r.preview))
    } else {
        rules::run_all(&ctx)
    };
    let parsed = ws.python.iter().map(Option::is_some).collect();
    Outcome {
        index: text,
        refs: refs.join("\n"),
        diagnostics,
        parsed,
    }
}

fn config_for(dir: &Path) -> Config {
    djperm::config::discover(dir)
        .ok()
        .flatten()
        .map(|(_, c)| c)
        .unwrap_or_default()
}

/// Compare a filtered and an unfiltered run on `dir`; returns the DJP000 diagnostics only the
/// full run reports.
fn compare(dir: &Path, scope: Scope) -> usize {
    let config = config_for(dir);
    let (snapshot, _) = discover::load(dir, &config.exclude);
    let stable_only = scope == Scope::Stable;
    let fast = run(snapshot.clone(), &config, Some(scope), stable_only);
    let full = run(snapshot, &config, None, stable_only);
    let name = format!("{} ({scope:?})", dir.display());
    assert_eq!(fast.index, full.index, "{name}: index differs");
    if scope == Scope::Everything {
        assert_eq!(fast.refs, full.refs, "{name}: resolved references differ");
    }
    let mut missing_syntax = 0;
    let full_diags: Vec<&Diagnostic> = full
        .diagnostics
        .iter()
        .filter(|d| {
            let skipped = d.code == "DJP000" && !fast.parsed[d.span.file];
            missing_syntax += usize::from(skipped);
            !skipped
        })
        .collect();
    let fast_diags: Vec<&Diagnostic> = fast.diagnostics.iter().collect();
    assert_eq!(fast_diags, full_diags, "{name}: diagnostics differ");
    missing_syntax
}

#[test]
fn prefilter_changes_nothing_on_fixture_projects() {
    let mut dirs = common::project_dirs();
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("example"));
    for dir in dirs {
        for scope in [Scope::Everything, Scope::Stable] {
            assert_eq!(compare(&dir, scope), 0, "{}", dir.display());
        }
    }
}

/// Files whose facts hold something a rule reads are kept by the byte filter itself (not only
/// reached through imports): when the extractor learns a new sink, this fails until
/// `workspace/prefilter.rs` learns its token.
#[test]
fn every_fact_is_prefiltered() {
    let mut dirs = common::project_dirs();
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("example"));
    for dir in dirs {
        assert_facts_prefiltered(&dir);
    }
}

fn assert_facts_prefiltered(dir: &Path) {
    {
        let (snapshot, _) = discover::load(dir, &[]);
        let ws = Workspace::build_opts(snapshot, &[], None, None);
        for (id, f) in ws.snapshot.files.iter().enumerate() {
            let needed = match f.kind {
                FileKind::Python => {
                    prefilter::python_needed(&f.path, f.text.as_bytes(), Scope::Everything)
                }
                FileKind::Template => prefilter::template_needed(f.text.as_bytes()),
                // Fixtures are read whole by DJP022: never filtered.
                FileKind::Fixture => true,
            };
            let has_facts = match f.kind {
                FileKind::Python => ws.python[id].as_deref().is_some_and(holds_facts),
                FileKind::Template => ws.templates[id]
                    .as_ref()
                    .is_some_and(|t| !t.references.is_empty()),
                FileKind::Fixture => false,
            };
            assert!(
                needed || !has_facts,
                "{}/{}: has references but the pre-filter skips it",
                dir.display(),
                f.path
            );
        }
    }
}

fn holds_facts(f: &FileFacts) -> bool {
    !f.references.is_empty()
        || !f.perm_rows.is_empty()
        || !f.rules_perms.is_empty()
        || !f.stale_checks.is_empty()
}

#[test]
#[ignore = "needs real projects: set DJPERM_REAL_PROJECTS=dir:dir:…"]
fn prefilter_changes_nothing_on_real_projects() {
    let dirs = std::env::var("DJPERM_REAL_PROJECTS").unwrap_or_default();
    for dir in dirs.split(':').filter(|d| !d.is_empty()).map(PathBuf::from) {
        let skipped = compare(&dir, Scope::Everything);
        compare(&dir, Scope::Stable);
        assert_facts_prefiltered(&dir);
        eprintln!(
            "{}: identical (DJP000 in skipped files: {skipped})",
            dir.display()
        );
    }
}

/// A models module reads a table from a module outside its app for its methods: the index scans
/// that module's classes (it may define models), but a name of it that no class value names is
/// not followed, so the data module behind the table is not parsed. A module it scans that
/// defines settings still has its names followed. Either way the outcome is a full parse's.
#[test]
fn a_table_a_models_module_imports_for_its_methods_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let table = "[('AAA', 'AAA (Anaa)'), ('AAB', 'AAB (Arrabury)')]";
    let files: &[(&str, String)] = &[
        ("manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n".into()),
        ("proj/__init__.py", String::new()),
        ("proj/settings.py", "from common.base import *\nINSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n".into()),
        ("common/__init__.py", String::new()),
        ("common/tables.py", "from common.data import AIRPORTS\n\nCHOICE_SETS = {'airports': AIRPORTS}\n".into()),
        ("common/data.py", format!("AIRPORTS = {table}\n")),
        ("common/base.py", "from common.backends import BACKENDS\n\nAUTHENTICATION_BACKENDS = BACKENDS\n".into()),
        ("common/backends.py", "BACKENDS = ['django.contrib.auth.backends.ModelBackend']\n".into()),
        ("blog/__init__.py", String::new()),
        ("blog/models.py", "from django.db import models\nfrom common.tables import CHOICE_SETS\nfrom common.base import AUTHENTICATION_BACKENDS\n\n\nclass Post(models.Model):\n    def choices(self):\n        return CHOICE_SETS.get('airports')\n\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n".into()),
        ("blog/migrations/__init__.py", String::new()),
        ("blog/migrations/0001_initial.py", "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]})]\n".into()),
        ("blog/views.py", "def v(request):\n    return request.user.has_perm('blog.can_publsh')\n".into()),
    ];
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    for scope in [Scope::Everything, Scope::Stable] {
        assert_eq!(compare(dir.path(), scope), 0);
    }
    let (snapshot, _) = discover::load(dir.path(), &[]);
    let id = |path: &str| snapshot.files.iter().position(|f| f.path == path).unwrap();
    let (tables, data, backends) = (
        id("common/tables.py"),
        id("common/data.py"),
        id("common/backends.py"),
    );
    let ws = Workspace::build_with(snapshot, &[], Scope::Stable);
    assert!(ws.python[tables].is_some(), "scanned for models");
    assert!(
        ws.python[data].is_none(),
        "the table's data is not followed"
    );
    assert!(
        ws.python[backends].is_some(),
        "a setting's value is followed"
    );
}
