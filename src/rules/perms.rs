//! Who checks which permission, and which custom permissions nothing references (shared by the
//! audit's Permissions section and DJP030).

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::Context;
use crate::diagnostic::Span;
use crate::facts::RefKind;
use crate::index::{PermissionDef, Project, Source};
use crate::value::{Item, Value};

/// `label.codename` (or `codename`) → (kind, span) of each place that checks it, for the names
/// some project defines (the only ones [`checks_of`] asks for). Kept compact: a context holds
/// it until the rules end, and a large tree has a check for most of its permissions.
#[derive(Debug, Default)]
pub struct Checks {
    /// Every key, one after another, in order.
    text: String,
    /// For each key in order: the end of its text in `text` and of its places in `places`.
    keys: Vec<(u32, u32)>,
    /// The places of each key, in the order of their spans.
    places: Vec<(RefKind, Span)>,
}

impl Checks {
    fn key(&self, i: usize) -> &str {
        let start = i.checked_sub(1).map_or(0, |p| self.keys[p].0 as usize);
        &self.text[start..self.keys[i].0 as usize]
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The places that check `name`.
    pub fn get(&self, name: &str) -> Option<&[(RefKind, Span)]> {
        let mut lo = 0;
        let mut hi = self.keys.len();
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.key(mid).cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let start = mid.checked_sub(1).map_or(0, |p| self.keys[p].1 as usize);
                    return Some(&self.places[start..self.keys[mid].1 as usize]);
                }
            }
        }
        None
    }
}

/// Every place a permission string (or a bare codename) is checked, built once per context
/// (rules running side by side share it).
pub fn checks<'c>(ctx: &'c Context<'_>) -> &'c Checks {
    ctx.checks.get_or_init(|| build_checks(ctx))
}

fn build_checks(ctx: &Context<'_>) -> Checks {
    // Counted first: the list is the largest thing the rules build.
    let mut count = 0;
    each_string(ctx, |text, _, _| count += usize::from(defined(ctx, text)));
    let mut all: Vec<(&str, RefKind, Span)> = Vec::with_capacity(count);
    each_string(ctx, |text, kind, span| {
        if defined(ctx, text) {
            all.push((text, kind, span))
        }
    });
    // Stable: the places of one key with the same span keep the order of the references.
    all.sort_by(|a, b| a.0.cmp(b.0).then(a.2.cmp(&b.2)));
    all.dedup();
    let mut out = Checks {
        places: Vec::with_capacity(all.len()),
        ..Checks::default()
    };
    for (i, (text, kind, span)) in all.iter().enumerate() {
        if i == 0 || all[i - 1].0 != *text {
            out.text.push_str(text);
            out.keys.push((0, 0));
        }
        out.places.push((*kind, *span));
        if let Some(last) = out.keys.last_mut() {
            *last = (out.text.len() as u32, out.places.len() as u32);
        }
    }
    out.text.shrink_to_fit();
    out.keys.shrink_to_fit();
    out
}

/// Each permission string of each reference (what [`super::Resolved::strings`] gives, borrowed)
/// and each codename a lookup names, with the reference's kind.
fn each_string<'c>(ctx: &'c Context<'_>, mut f: impl FnMut(&'c str, RefKind, Span)) {
    for r in &ctx.refs {
        let looked_up = r.reference.lookup.iter().flat_map(|l| {
            l.codename
                .iter()
                .chain(&l.codename_in)
                .flat_map(Item::str_items)
        });
        for item in r.value.str_items().chain(looked_up) {
            if let Some(s) = item.value.as_str() {
                f(s, r.reference.kind, item.span);
            }
        }
    }
}

/// Whether some project defines a permission whose name (`label.codename`) or codename is
/// `text`.
fn defined(ctx: &Context<'_>, text: &str) -> bool {
    ctx.index.projects.iter().any(|p| {
        !p.labels_defining(text).is_empty()
            || text
                .match_indices('.')
                .any(|(i, _)| p.lookup(&text[..i], &text[i + 1..]).next().is_some())
    })
}

/// Checks of one permission: by its full name, and by its bare codename where a bare codename
/// means something (guardian, lookups, `perms.app` templates).
pub fn checks_of<'m>(checks: &'m Checks, p: &PermissionDef) -> Vec<&'m (RefKind, Span)> {
    let mut out: Vec<&(RefKind, Span)> = checks.get(&p.perm()).into_iter().flatten().collect();
    if let Some(bare) = checks.get(&p.codename) {
        out.extend(bare.iter().filter(|(k, _)| {
            matches!(
                k,
                RefKind::GuardianAssign
                    | RefKind::GuardianObjects
                    | RefKind::GuardianOnlyWithPerms
                    | RefKind::GuardianPermissionRequired
                    | RefKind::Lookup
                    | RefKind::TemplateInApp
                    | RefKind::HasPerm
                    | RefKind::PermissionRequired
                    | RefKind::MixinAttr
            )
        }));
    }
    out
}

/// Custom permissions (`Meta.permissions`, data-migration rows) of the project that no code,
/// template or data migration mentions. Conservative: any whole-word occurrence of the codename
/// in any file of the tree, outside its own definition, counts as a reference; so does a
/// permission string built at run time that could produce it (`f"blog.{action}_{model}"`).
pub fn unused_custom<'p>(ctx: &Context<'_>, project: &'p Project) -> Vec<&'p PermissionDef> {
    let ws = ctx.ws;
    // Spans that define permissions (not references): Meta.permissions values, their entries
    // and data-migration create calls.
    let mut definitions: Vec<Span> = project
        .code_models
        .iter()
        .filter_map(|m| m.options.permissions_span)
        .collect();
    // Each definition's own entry too: a `Meta.permissions` option a migration records, read
    // where the migration also runs code.
    definitions.extend(
        project
            .perms
            .iter()
            .filter(|p| matches!(p.source, Source::DataMigration | Source::Meta))
            .filter_map(|p| p.span),
    );
    let built = built_permissions(ctx);
    let mut by_file: FxHashMap<usize, Vec<(usize, usize)>> = FxHashMap::default();
    for d in &definitions {
        by_file
            .entry(d.file)
            .or_default()
            .push((d.start as usize, d.end as usize));
    }
    let inside = |file: usize, start: usize, end: usize| {
        by_file
            .get(&file)
            .is_some_and(|spans| spans.iter().any(|&(s, e)| s <= start && end <= e))
    };
    // The candidates: custom permissions no run-time shape covers and no reference the facts
    // hold names (outside a definition).
    let checks = checks(ctx);
    let mut candidates: Vec<&'p PermissionDef> = Vec::new();
    let mut seen: FxHashSet<(String, Span)> = FxHashSet::default();
    for p in &project.perms {
        if !p.in_database || !matches!(p.source, Source::Meta | Source::DataMigration) {
            continue;
        }
        // A data migration that creates (or grants) a default permission of the model: not custom.
        if p.source == Source::DataMigration
            && project
                .lookup(&p.label, &p.codename)
                .any(|d| d.source == Source::Default)
        {
            continue;
        }
        let Some(span) = p.span else { continue };
        if !seen.insert((p.perm(), span)) {
            continue;
        }
        if built.is_match(p.perm()) {
            continue;
        }
        let named = checks_of(checks, p)
            .iter()
            .any(|(_, s)| !inside(s.file, s.start as usize, s.end as usize));
        if !named {
            candidates.push(p);
        }
    }
    if candidates.is_empty() {
        return candidates;
    }
    // Then any whole-word occurrence of a candidate's codename in any file, outside the
    // definitions: one pass over the tree for all of them. A text a lean snapshot did not keep
    // is read for the scan and dropped.
    let mut codenames: Vec<&str> = candidates.iter().map(|p| p.codename.as_str()).collect();
    codenames.sort_unstable();
    codenames.dedup();
    let Some(needles) = crate::workspace::words::Needles::new(&codenames) else {
        return candidates;
    };
    let word = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
    let timer = crate::workspace::Timer::start();
    let found: Vec<std::sync::Arc<Vec<usize>>> = (0..ws.snapshot.files.len())
        .into_par_iter()
        .filter(|&file| {
            // A migration is read only where it runs code (its operations define, not use);
            // a text not held, only when its words may hold a codename.
            let f = &ws.snapshot.files[file];
            (!f.path.contains("/migrations/")
                || ws.python[file].as_ref().is_some_and(|f| f.has_run_python))
                && f.may_hold_any(codenames.iter().copied())
        })
        .map(|file| {
            // The result depends on the text, the codenames and the definitions in the file.
            let mut key = xxhash_rust::xxh3::Xxh3::new();
            for c in &codenames {
                key.update(c.as_bytes());
                key.update(&[0]);
            }
            for &(start, end) in by_file.get(&file).into_iter().flatten() {
                key.update(&start.to_le_bytes());
                key.update(&end.to_le_bytes());
            }
            ws.scans.get_or(file, key.digest(), || {
                let text = ws.text_transient(file);
                let bytes = text.as_bytes();
                let mut found: Vec<usize> = Vec::new();
                needles.each(bytes, |i, start, end| {
                    if !word(start.checked_sub(1).and_then(|i| bytes.get(i)))
                        && !word(bytes.get(end))
                        && !inside(file, start, end)
                    {
                        found.push(i);
                    }
                    true
                });
                found.sort_unstable();
                found.dedup();
                found
            })
        })
        .collect();
    timer.report("unused scan", format_args!("{} codenames", codenames.len()));
    let mut used = vec![false; codenames.len()];
    for i in found.iter().flat_map(|f| f.iter()) {
        used[*i] = true;
    }
    candidates.retain(|p| {
        codenames
            .binary_search(&p.codename.as_str())
            .is_ok_and(|i| !used[i])
    });
    candidates
}

/// The shapes of permission strings built at run time that reach a check, as globs over
/// `label.codename`: `has_perm(f"blog.{action}_post")` gives `blog.*_post`,
/// `Permission.objects.get(codename=f"{action}_{model}")` gives `*.*_*`.
fn built_permissions(ctx: &Context<'_>) -> GlobSet {
    let mut set = GlobSetBuilder::new();
    for r in &ctx.refs {
        // The source text, read only for a value that is neither a string nor a list nor a
        // concatenation (an f-string, `%`, `.format`): the shape of the others is in the value.
        let text = |item: &Item| match item.value {
            Value::Str(_) | Value::Seq(_) | Value::Concat(_) => None,
            _ => ctx
                .ws
                .text(item.span.file)
                .get(item.span.start as usize..item.span.end as usize),
        };
        if let Some(lookup) = &r.reference.lookup {
            let Some(codename) = &lookup.codename else {
                continue;
            };
            let Some(shape) = shape(&codename.value, text(codename)) else {
                continue;
            };
            let label = match &lookup.app_label {
                Some(Value::Str(l)) => escape(l),
                _ => "*".to_string(),
            };
            if let Ok(g) = Glob::new(&format!("{label}.{shape}")) {
                set.add(g);
            }
        } else if r.reference.kind.checks_strings() && r.reference.kind != RefKind::Shape {
            let Some(shape) = shape(&r.value.value, text(&r.value)) else {
                continue;
            };
            if let Ok(g) = Glob::new(&shape) {
                set.add(g);
            }
        }
    }
    set.build().unwrap_or_else(|_| GlobSet::empty())
}

/// A glob for a string built at run time (`*` for each unknown part), from its folded value
/// (`"blog." + name`) or its source text (an f-string, `"..." % ...`, `"...".format(...)`).
fn shape(value: &Value, text: Option<&str>) -> Option<String> {
    let glob = match value {
        Value::Str(_) | Value::Seq(_) => return None,
        Value::Concat(parts) => parts
            .iter()
            .map(|p| match p {
                Value::Str(s) => escape(s),
                _ => "*".to_string(),
            })
            .collect(),
        _ => {
            let text = text?.trim();
            let prefix = text.find(['"', '\''])?;
            let flags = text[..prefix].to_ascii_lowercase();
            if !flags.chars().all(|c| matches!(c, 'f' | 'r' | 'u')) {
                return None;
            }
            let quote = text[prefix..].chars().next()?;
            let body = &text[prefix + 1..];
            let end = body.find(quote)?;
            let (content, rest) = (&body[..end], body[end + 1..].trim_start());
            if flags.contains('f') || rest.starts_with(".format(") {
                holes(content, '{')
            } else if rest.starts_with('%') {
                holes(content, '%')
            } else {
                return None;
            }
        }
    };
    // A bare variable says nothing about the shape.
    (glob.chars().any(|c| c != '*')).then_some(glob)
}

/// `content` with each `{...}` (or `%s`, `%(name)s`) replaced by `*`, the rest escaped.
fn holes(content: &str, open: char) -> String {
    let mut out = String::new();
    let mut chars = content.chars().peekable();
    while let Some(c) = chars.next() {
        if c == open && chars.peek() == Some(&open) {
            chars.next();
            out.push_str(&escape(&open.to_string()));
        } else if c == '{' && open == '{' {
            let mut depth = 1;
            for c in chars.by_ref() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
            }
            out.push('*');
        } else if c == '%' && open == '%' {
            if chars.peek() == Some(&'(') {
                for c in chars.by_ref() {
                    if c == ')' {
                        break;
                    }
                }
            }
            chars.next(); // the conversion (`s`, `d`, `r`)
            out.push('*');
        } else {
            out.push_str(&escape(&c.to_string()));
        }
    }
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('[');
            out.push(c);
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out
}
