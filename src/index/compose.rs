//! Settings as Django composes them at run time, beyond what one module's folded constants say:
//! files pulled in by django-split-settings `include()` / `optional()` (glob patterns, relative
//! to the including file) and by `exec(open(...).read())`, assignments to
//! `settings.INSTALLED_APPS` / `settings.AUTHENTICATION_BACKENDS` made elsewhere in the tree
//! (possibly active, so counted), and the configuration's escape hatches `installed-apps` and
//! `authentication-backends` for what cannot be read. Lists are united: an app or a backend any
//! of these can install counts as installed.

use globset::Glob;
use rustc_hash::FxHashSet;

use super::apps::{read_settings, Settings};
use super::resolve::{Resolver, Target};
use crate::config::Config;
use crate::diagnostic::FileId;
use crate::env::venv::string_literals as literals;
use crate::value::Value;
use crate::workspace::{join_dir, normalise, split_dir, Workspace};

const BACKENDS: &str = "AUTHENTICATION_BACKENDS";
const APPS: &str = "INSTALLED_APPS";
const UNKNOWN_BACKEND: &str = "<unknown backend>";

/// The settings of `module` as composed (see the module doc).
pub fn read(resolver: &Resolver<'_>, module: &str, config: &Config) -> Settings {
    let ws = resolver.ws;
    let mut settings = read_settings(resolver, module);
    // ModelBackend alone is assumed when nothing defines the backend list.
    let mut assumed_backends = matches!(
        resolver.target(module, &[BACKENDS.into()], 0),
        Target::Unknown
    );
    if let Some(file) = settings.file {
        let included = included_files(ws, file);
        if !included.is_empty() {
            assumed_backends &= !compose_included(resolver, &mut settings, &included);
        }
    }
    runtime_assignments(ws, &mut settings, assumed_backends);
    escape_hatches(&mut settings, config);
    settings
}

/// Files a settings file includes, transitively, in order (the file itself excluded).
fn included_files(ws: &Workspace, file: FileId) -> Vec<FileId> {
    let mut out: Vec<FileId> = Vec::new();
    let mut seen: FxHashSet<FileId> = FxHashSet::default();
    seen.insert(file);
    let mut stack = vec![file];
    while let Some(f) = stack.pop() {
        let text = ws.text(f);
        let dir = split_dir(ws.path(f)).0.to_string();
        let mut found = Vec::new();
        if text.contains("split_settings") {
            for call in calls(text, &["include(", "optional("]) {
                for pattern in literals(call) {
                    found.extend(glob_files(ws, &dir, &pattern));
                }
            }
        }
        for call in calls(text, &["exec(open(", "exec(compile(open("]) {
            let parts = literals(call).join("/");
            found.extend(exec_file(ws, &dir, &parts));
        }
        for id in found {
            if seen.insert(id) {
                out.push(id);
                stack.push(id);
            }
        }
    }
    out
}

/// The argument text of each call to one of `names` (up to its closing parenthesis).
fn calls<'t>(text: &'t str, names: &[&str]) -> Vec<&'t str> {
    let mut out = Vec::new();
    for name in names {
        for (at, _) in text.match_indices(name) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let args = &text[at + name.len()..];
            let mut depth = 0usize;
            let mut end = args.len().min(4000);
            for (i, b) in args.bytes().enumerate().take(4000) {
                match b {
                    b'(' | b'[' => depth += 1,
                    b')' | b']' if depth == 0 => {
                        end = i;
                        break;
                    }
                    b')' | b']' => depth -= 1,
                    _ => {}
                }
            }
            out.push(&args[..end]);
        }
    }
    out
}

/// Python files matching `pattern` relative to `dir`, in sorted order (as split-settings'
/// `glob`), `..` resolved.
fn glob_files(ws: &Workspace, dir: &str, pattern: &str) -> Vec<FileId> {
    let Some(full) = normalise(&join_dir(dir, pattern)) else {
        return Vec::new();
    };
    let Ok(glob) = Glob::new(&full) else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    let mut out: Vec<(String, FileId)> = ws
        .snapshot
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            f.path.ends_with(".py") && !f.in_environment() && matcher.is_match(&f.path)
        })
        .map(|(id, f)| (f.path.clone(), id))
        .collect();
    out.sort();
    out.into_iter().map(|(_, id)| id).collect()
}

/// The file an `exec(open(...))` names: its literal parts joined, relative to the executing
/// file's directory or one of its ancestors (a `BASE_DIR` joined with them).
fn exec_file(ws: &Workspace, dir: &str, parts: &str) -> Option<FileId> {
    if !parts.ends_with(".py") {
        return None;
    }
    let mut base = Some(dir);
    while let Some(d) = base {
        if let Some(path) = normalise(&join_dir(d, parts)) {
            if let Some(id) = ws.snapshot.files.iter().position(|f| f.path == path) {
                return Some(id);
            }
        }
        base = (!d.is_empty()).then(|| split_dir(d).0);
    }
    None
}

/// Unite the lists the included files define (an included file's `X += [...]` extends what
/// came before it: its leading unknown item is that), and take their `AUTH_USER_MODEL`.
/// Returns whether one of them defines the backend list.
fn compose_included(resolver: &Resolver<'_>, settings: &mut Settings, files: &[FileId]) -> bool {
    let ws = resolver.ws;
    let mut apps_found = !settings.installed_apps.is_empty();
    let mut apps_unknown = false;
    // ModelBackend alone is assumed when the settings module defines no backend list: the
    // first included list replaces that assumption.
    let main_defines = |name: &str| {
        settings
            .file
            .and_then(|f| ws.python[f].as_ref())
            .is_some_and(|f| f.constants.contains_key(name))
    };
    let mut assumed_backends = !main_defines(BACKENDS);
    let mut defines_backends = false;
    for &file in files {
        let Some(facts) = ws.python[file].as_ref() else {
            continue;
        };
        let module = facts.module.clone();
        if facts.constants.contains_key(APPS) {
            let (items, unknown) = strings(resolver.module_value(&module, APPS));
            apps_unknown |= unknown;
            apps_found = true;
            for s in items {
                if !settings.installed_apps.contains(&s) {
                    settings.installed_apps.push(s);
                }
            }
        }
        if facts.constants.contains_key(BACKENDS) {
            defines_backends = true;
            let (items, unknown) = strings(resolver.module_value(&module, BACKENDS));
            let list = settings.backends.get_or_insert_with(Vec::new);
            if std::mem::take(&mut assumed_backends) {
                list.clear();
            }
            for s in items {
                if !list.contains(&s) {
                    list.push(s);
                }
            }
            if unknown && !list.iter().any(|b| b == UNKNOWN_BACKEND) {
                list.push(UNKNOWN_BACKEND.to_string());
            }
        }
        if facts.constants.contains_key("AUTH_USER_MODEL") {
            settings.auth_user_model = resolver
                .module_value(&module, "AUTH_USER_MODEL")
                .as_str()
                .map(str::to_string);
        }
    }
    if apps_found {
        settings.apps_incomplete = apps_unknown;
    }
    defines_backends
}

/// The strings of a folded list, and whether it had other parts (a leading unknown item is
/// the list extended by `+=` before this file: not counted).
fn strings(value: Value) -> (Vec<String>, bool) {
    match value {
        Value::Seq(items) => {
            let mut unknown = false;
            let mut out = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                match item.value {
                    Value::Str(s) => out.push(s.into()),
                    Value::Unknown if i == 0 => {}
                    _ => unknown = true,
                }
            }
            (out, unknown)
        }
        _ => (Vec::new(), true),
    }
}

/// `settings.AUTHENTICATION_BACKENDS = [...]` / `+= [...]` / `.append(...)` (and the same for
/// INSTALLED_APPS) in any project file that imports Django's `settings`: possibly active at run
/// time, so what they add counts; what does not fold makes the list unknown. An assignment
/// replaces the backend list only when nothing else defines it (`assumed`: Django's default).
fn runtime_assignments(ws: &Workspace, settings: &mut Settings, mut assumed: bool) {
    for (id, f) in ws.snapshot.files.iter().enumerate() {
        // Tests change settings for themselves only.
        if !f.path.ends_with(".py")
            || f.in_environment()
            || Some(id) == settings.file
            || f.path.contains("test")
        {
            continue;
        }
        // A text a lean reading did not keep is read again when its words may hold a list.
        if !f.may_hold_any([BACKENDS, APPS].into_iter()) {
            continue;
        }
        let text = ws.text_transient(id);
        let text = text.as_ref();
        if !text.contains("settings.AUTHENTICATION_BACKENDS")
            && !text.contains("settings.INSTALLED_APPS")
        {
            continue;
        }
        if !text.contains("from django.conf import settings") {
            continue;
        }
        for name in [BACKENDS, APPS] {
            let needle = format!("settings.{name}");
            for (at, _) in text.match_indices(&needle) {
                let rest = text[at + needle.len()..].trim_start();
                let replaces = rest.starts_with('=') && !rest.starts_with("==");
                let args = if let Some(r) = rest
                    .strip_prefix("+=")
                    .or_else(|| rest.strip_prefix('=').filter(|r| !r.starts_with('=')))
                {
                    r
                } else if let Some(r) = rest
                    .strip_prefix(".append(")
                    .or_else(|| rest.strip_prefix(".extend("))
                    .or_else(|| rest.strip_prefix(".insert("))
                {
                    r
                } else {
                    continue;
                };
                let statement = statement(args);
                let found: Vec<String> = literals(statement)
                    .into_iter()
                    .filter(|s| {
                        s.contains('.')
                            && s.split('.').all(|p| {
                                !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_')
                            })
                    })
                    .collect();
                if name == BACKENDS {
                    let list = settings.backends.get_or_insert_with(Vec::new);
                    if replaces && std::mem::take(&mut assumed) {
                        list.clear();
                    }
                    if found.is_empty() && !list.iter().any(|b| b == UNKNOWN_BACKEND) {
                        list.push(UNKNOWN_BACKEND.to_string());
                    }
                    for s in found {
                        if !list.contains(&s) {
                            list.push(s);
                        }
                    }
                } else {
                    if found.is_empty() {
                        settings.apps_incomplete = true;
                    }
                    for s in found {
                        if !settings.installed_apps.contains(&s) {
                            settings.installed_apps.push(s);
                        }
                    }
                }
            }
        }
    }
}

/// One statement's text: up to the end of the line, or of the brackets opened on it.
fn statement(args: &str) -> &str {
    let mut depth = 0usize;
    for (i, b) in args.bytes().enumerate().take(4000) {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => return &args[..i],
            b')' | b']' | b'}' => depth -= 1,
            b'\n' if depth == 0 => return &args[..i],
            _ => {}
        }
    }
    &args[..args.len().min(4000)]
}

/// `installed-apps` and `authentication-backends` in the configuration: what the settings do
/// not let djperm read. Named there, the list's unreadable parts are taken to be those.
fn escape_hatches(settings: &mut Settings, config: &Config) {
    if !config.installed_apps.is_empty() {
        for app in &config.installed_apps {
            if !settings.installed_apps.contains(app) {
                settings.installed_apps.push(app.clone());
            }
        }
        settings.apps_incomplete = false;
    }
    if !config.authentication_backends.is_empty() {
        let list = settings.backends.get_or_insert_with(Vec::new);
        list.retain(|b| b != UNKNOWN_BACKEND);
        for b in &config.authentication_backends {
            if !list.contains(b) {
                list.push(b.clone());
            }
        }
    }
}
