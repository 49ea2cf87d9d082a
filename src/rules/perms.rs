//! Who checks which permission, and which custom permissions nothing references (shared by the
//! audit's Permissions section and DJP030).

use memchr::memmem;
use rustc_hash::FxHashMap;

use super::Context;
use crate::diagnostic::Span;
use crate::facts::RefKind;
use crate::index::{PermissionDef, Project, Source};
use crate::value::Value;

/// Every place a permission string (or a bare codename) is checked: `label.codename` (or
/// `codename`) → (kind, span).
pub fn checks(ctx: &Context<'_>) -> FxHashMap<String, Vec<(RefKind, Span)>> {
    let mut out: FxHashMap<String, Vec<(RefKind, Span)>> = FxHashMap::default();
    for r in &ctx.refs {
        let mut texts: Vec<(String, Span)> =
            r.strings().into_iter().map(|s| (s.text, s.span)).collect();
        if let Some(lookup) = &r.reference.lookup {
            for item in lookup.codename.iter().chain(&lookup.codename_in) {
                match &item.value {
                    Value::Str(s) => texts.push((s.clone(), item.span)),
                    Value::Seq(items) => texts.extend(
                        items
                            .iter()
                            .filter_map(|i| i.value.as_str().map(|s| (s.to_string(), i.span))),
                    ),
                    _ => {}
                }
            }
        }
        for (text, span) in texts {
            out.entry(text).or_default().push((r.reference.kind, span));
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|(_, s)| *s);
        list.dedup();
    }
    out
}

/// Checks of one permission: by its full name, and by its bare codename where a bare codename
/// means something (guardian, lookups, `perms.app` templates).
pub fn checks_of<'m>(
    checks: &'m FxHashMap<String, Vec<(RefKind, Span)>>,
    p: &PermissionDef,
) -> Vec<&'m (RefKind, Span)> {
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
/// outside its own definition counts as a reference.
pub fn unused_custom<'p>(ctx: &Context<'_>, project: &'p Project) -> Vec<&'p PermissionDef> {
    let ws = ctx.ws;
    // Spans that define permissions (not references): Meta.permissions values and
    // data-migration create calls.
    let mut definitions: Vec<Span> = project
        .code_models
        .iter()
        .filter_map(|m| m.options.permissions_span)
        .collect();
    definitions.extend(
        project
            .perms
            .iter()
            .filter(|p| p.source == Source::DataMigration)
            .filter_map(|p| p.span),
    );
    let in_project =
        |path: &str| project.root.is_empty() || path.starts_with(&format!("{}/", project.root));
    let mut out = Vec::new();
    let mut seen: Vec<(String, Option<Span>)> = Vec::new();
    for p in &project.perms {
        if !p.in_database || !matches!(p.source, Source::Meta | Source::DataMigration) {
            continue;
        }
        let Some(span) = p.span else { continue };
        if seen.contains(&(p.perm(), Some(span))) {
            continue;
        }
        seen.push((p.perm(), Some(span)));
        let finder = memmem::Finder::new(p.codename.as_bytes());
        let mut referenced = false;
        'files: for (file, f) in ws.snapshot.files.iter().enumerate() {
            if !in_project(&f.path) {
                continue;
            }
            let migration = f.path.contains("/migrations/");
            if migration
                && !ws.python[file]
                    .as_ref()
                    .is_some_and(|facts| facts.has_run_python)
            {
                continue;
            }
            let bytes = f.text.as_bytes();
            for at in finder.find_iter(bytes) {
                let end = at + p.codename.len();
                let word =
                    |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
                if word(at.checked_sub(1).and_then(|i| bytes.get(i))) || word(bytes.get(end)) {
                    continue;
                }
                let inside = definitions
                    .iter()
                    .any(|d| d.file == file && d.start as usize <= at && end <= d.end as usize);
                if !inside {
                    referenced = true;
                    break 'files;
                }
            }
        }
        if !referenced {
            out.push(p);
        }
    }
    out
}
