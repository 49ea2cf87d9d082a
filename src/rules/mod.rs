//! The rules' checks and the shared context they read (each rule's identity is in `registry`). One file
//! per rule.

mod djp000_syntax_error;
mod djp001_missing_app_label;
mod djp002_unknown_permission;
mod djp003_unknown_app_label;
mod djp004_unmigrated_permission;
mod djp005_stale_permission_cache;
mod djp006_has_perms_string;
mod djp007_invalid_permission_definition;
mod djp008_ambiguous_permission_lookup;
mod djp009_malformed_permission_string;
mod djp010_permission_fetched_before_creation;
mod djp011_permissions_not_a_sequence;
mod djp012_empty_permission_list;
mod djp013_object_permission_without_backend;
mod djp014_template_in_app_perms;
mod djp015_codename_contains_app_label;
mod djp016_string_passed_to_permission_m2m;
mod djp017_permission_required_mixin_missing;
mod djp020_guardian_mixed_content_type;
mod djp021_drf_model_permission_missing;
mod djp022_fixture_permission_natural_key;
mod djp030_unused_permission;
pub mod explain;
mod fixture_keys;
mod helper_refs;
pub mod lookup_verdict;
pub mod perms;
pub mod verdict;
mod view_chain;

use crate::diagnostic::{Diagnostic, FileId, Span};
use crate::facts::{RefKind, Reference, HAS_PERM_METHODS};
use crate::index::{Index, Project};
use crate::value::{Item, Value};
use crate::workspace::Workspace;
use rayon::prelude::*;

pub(crate) use crate::registry::by_code;
pub use crate::registry::{rule, FixAvailability, Rule, RULES};

/// What a rule runs: it reads the shared context and pushes what it finds.
pub type Check = fn(&Context<'_>, &mut Vec<Diagnostic>);

/// The check of a registered rule.
pub fn check_of(code: &str) -> Check {
    match code {
        "DJP000" => djp000_syntax_error::check,
        "DJP001" => djp001_missing_app_label::check,
        "DJP002" => djp002_unknown_permission::check,
        "DJP003" => djp003_unknown_app_label::check,
        "DJP004" => djp004_unmigrated_permission::check,
        "DJP005" => djp005_stale_permission_cache::check,
        "DJP006" => djp006_has_perms_string::check,
        "DJP007" => djp007_invalid_permission_definition::check,
        "DJP008" => djp008_ambiguous_permission_lookup::check,
        "DJP009" => djp009_malformed_permission_string::check,
        "DJP010" => djp010_permission_fetched_before_creation::check,
        "DJP011" => djp011_permissions_not_a_sequence::check,
        "DJP012" => djp012_empty_permission_list::check,
        "DJP013" => djp013_object_permission_without_backend::check,
        "DJP014" => djp014_template_in_app_perms::check,
        "DJP015" => djp015_codename_contains_app_label::check,
        "DJP016" => djp016_string_passed_to_permission_m2m::check,
        "DJP017" => djp017_permission_required_mixin_missing::check,
        "DJP020" => djp020_guardian_mixed_content_type::check,
        "DJP021" => djp021_drf_model_permission_missing::check,
        "DJP022" => djp022_fixture_permission_natural_key::check,
        "DJP030" => djp030_unused_permission::check,
        _ => unreachable!("rule {code} is registered without a check"),
    }
}

/// One permission string as a reference passes it.
#[derive(Clone, Debug)]
pub struct PermString {
    pub text: String,
    pub span: Span,
    /// The text sits in a plain literal at `span` (so a fix may rewrite it).
    pub literal: bool,
}

/// A reference (or a value) borrowed from the facts, or owned (boxed: most are borrowed, and
/// a reference is large: the context holds one for each reference of the tree).
pub enum Held<'a, T = Reference> {
    Borrowed(&'a T),
    Owned(Box<T>),
}

/// As the value it holds (as `Cow`'s).
impl<T: std::fmt::Debug> std::fmt::Debug for Held<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl<T> std::ops::Deref for Held<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Held::Borrowed(r) => r,
            Held::Owned(r) => r,
        }
    }
}

/// A reference with its value resolved across files.
pub struct Resolved<'a> {
    pub file: FileId,
    /// Borrowed from the facts, or owned when a project helper brought it into view.
    pub reference: Held<'a>,
    /// The reference's value resolved across files: borrowed from the facts when resolving
    /// changes nothing (a literal, a list of literals: most of them).
    pub value: Held<'a, Item>,
    /// For a helper's call site, template use or attribute: how it reaches a permission API.
    pub chain: Option<String>,
}

impl Resolved<'_> {
    /// The permission strings it checks; dynamic parts are skipped.
    pub fn strings(&self) -> Vec<PermString> {
        self.value
            .str_items()
            .filter_map(|item| {
                Some(PermString {
                    text: item.value.as_str()?.to_string(),
                    span: item.span,
                    literal: item.literal,
                })
            })
            .collect()
    }
}

pub struct Context<'a> {
    pub ws: &'a Workspace,
    pub index: &'a Index,
    /// Classes routed with `.as_view()` somewhere: (file, class name).
    pub routed: rustc_hash::FxHashSet<(FileId, String)>,
    pub refs: Vec<Resolved<'a>>,
    /// `(index into refs, string, verdict)` for every permission string of every reference
    /// ([`Context::for_rules`]: only the verdicts a rule reports, not `Fine` or `Silent`).
    pub verdicts: Vec<(usize, PermString, verdict::Verdict)>,
    /// Writes the migration DJP004's fix creates; the crate root passes `fix::migration`'s
    /// generator (it sits above the rules), `None` offers no such fix.
    pub migration_fix: Option<MigrationFix>,
    /// DJP005 checks made stale by a call of a project helper that changes permissions.
    pub helper_stale: Vec<(FileId, crate::facts::StaleCheck)>,
    /// [`perms::checks`], built once for the rules that read it.
    checks: std::sync::OnceLock<perms::Checks>,
}

/// The migration recording the current options of `models` (code models of the app `label` of
/// the project, each in the app's migration state): the fix creating it and the indices (into
/// `models`) of the models it covers; `None` when none can be covered.
pub type MigrationFix = fn(
    &Workspace,
    &Project,
    &str,
    &[&crate::index::models::CodeModel],
) -> Option<(crate::diagnostic::Fix, Vec<usize>)>;

impl<'a> Context<'a> {
    pub fn new(ws: &'a Workspace, index: &'a Index) -> Self {
        Self::with_sinks(ws, index, &[])
    }

    /// [`Context::new`] with the `permission-sinks` the configuration declares.
    pub fn with_sinks(ws: &'a Workspace, index: &'a Index, declared: &[String]) -> Self {
        Self::build(ws, index, declared, true)
    }

    /// [`Context::with_sinks`] for the rules alone: a verdict that says nothing (`Fine`,
    /// `Silent`, most of them) is not kept, as no rule reads it (the hover reads them all).
    pub fn for_rules(ws: &'a Workspace, index: &'a Index, declared: &[String]) -> Self {
        Self::build(ws, index, declared, false)
    }

    fn build(
        ws: &'a Workspace,
        index: &'a Index,
        declared: &[String],
        every_verdict: bool,
    ) -> Self {
        let resolver = crate::index::resolve::Resolver::new(ws);
        // Resolving values reads other files' facts only: files in parallel, in file order.
        let mut refs: Vec<Resolved<'a>> = ws
            .python
            .par_iter()
            .enumerate()
            .flat_map_iter(|(file, facts)| {
                let resolver = &resolver;
                let references = facts.as_ref().map_or(&[][..], |f| &f.references[..]);
                // Spans of the strings of guardian calls confirmed through an import: they are
                // sinks, not mere permission-shaped strings.
                let confirmed: rustc_hash::FxHashSet<Span> = references
                    .iter()
                    .filter(|r| {
                        r.callee
                            .as_ref()
                            .is_some_and(|c| from_guardian(resolver, c))
                    })
                    .flat_map(|r| item_spans(&r.value))
                    .collect();
                references
                    .iter()
                    .filter(move |r| {
                        let django = match r.kind {
                            // `permission_required` on some other class (a project's own mixins)
                            RefKind::MixinAttr => permission_mixin(resolver, &r.class_bases, 0),
                            // `self.has_perm(…)`: Django's only in a user model or a backend
                            RefKind::HasPerm | RefKind::HasPerms if r.owner.is_some() => {
                                user_lineage(resolver, &r.class_bases, 0) == Some(true)
                            }
                            _ => true,
                        };
                        django
                            // a project function named like guardian's
                            && r.callee.as_ref().is_none_or(|c| from_guardian(resolver, c))
                            && !(r.kind == RefKind::Shape && confirmed.contains(&r.value.span))
                    })
                    .map(move |r| Resolved {
                        file,
                        reference: Held::Borrowed(r),
                        value: match resolver.resolve_cow(&r.value) {
                            std::borrow::Cow::Borrowed(item) => Held::Borrowed(item),
                            std::borrow::Cow::Owned(item) => Held::Owned(Box::new(item)),
                        },
                        chain: None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for (file, facts) in ws.templates.iter().enumerate() {
            if let Some(facts) = facts {
                for r in &facts.references {
                    if r.kind == RefKind::MixinAttr
                        && !permission_mixin(&resolver, &r.class_bases, 0)
                    {
                        continue; // `permission_required` on some other class (a project's own mixins)
                    }
                    refs.push(Resolved {
                        file,
                        reference: Held::Borrowed(r),
                        value: Held::Borrowed(&r.value),
                        chain: None,
                    });
                }
            }
        }
        helper_refs::add_references(ws, &resolver, declared, &mut refs);
        // Held until the rules end: no spare room.
        refs.shrink_to_fit();
        let mut routed = rustc_hash::FxHashSet::default();
        for facts in ws.python.iter().flatten() {
            for (value, _) in &facts.as_view_classes {
                if let crate::index::resolve::Target::Class(c) = resolver.base_target(value, 0) {
                    routed.insert((c.file, c.class.name.clone()));
                }
            }
        }
        let mut ctx = Context {
            ws,
            index,
            routed,
            refs,
            verdicts: Vec::new(),
            migration_fix: None,
            helper_stale: crate::sinks::stale_checks(ws, &resolver),
            checks: std::sync::OnceLock::new(),
        };
        let verdicts = ctx
            .refs
            .par_iter()
            .enumerate()
            .filter(|(_, r)| r.reference.kind.checks_strings())
            .flat_map_iter(|(i, r)| {
                let project = ctx.project(r.file);
                let strings = r.strings();
                // guardian's `get_objects_for_*` takes its model from `klass`, or from the app
                // label of any dotted permission of the call (the bare ones then share it).
                // An item built at run time may be dotted: bare codenames are not judged then.
                let with_obj = r.reference.with_obj
                    || (r.reference.kind == RefKind::GuardianObjects
                        && (strings.iter().any(|s| s.text.contains('.'))
                            || strings.len() != r.value.value.as_seq().map_or(1, |s| s.len())));
                strings.into_iter().filter_map(move |s| {
                    let v = verdict::judge(project, r.reference.kind, &s.text, with_obj);
                    let says = !matches!(v, verdict::Verdict::Fine | verdict::Verdict::Silent);
                    (every_verdict || says).then_some((i, s, v))
                })
            })
            .collect();
        ctx.verdicts = verdicts;
        ctx
    }

    /// The text inside a string literal at `span` (without prefix and quotes).
    pub fn literal_content(&self, span: Span) -> Option<Span> {
        let text = self.ws.text(span.file);
        let slice = text.get(span.start as usize..span.end as usize)?;
        let prefix = slice.find(['"', '\''])?;
        if prefix > 2 || !slice[..prefix].chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        if prefix == 0 && !slice.starts_with(['"', '\'']) {
            return Some(span);
        }
        let quote = &slice[prefix..prefix + 1];
        let qlen = if slice[prefix..].starts_with(&quote.repeat(3)) && slice.len() >= prefix + 6 {
            3
        } else {
            1
        };
        if slice[..prefix].to_ascii_lowercase().contains('f')
            || slice[..prefix].to_ascii_lowercase().contains('b')
        {
            return None;
        }
        Some(Span::new(
            span.file,
            span.start + (prefix + qlen) as u32,
            span.end - qlen as u32,
        ))
    }

    /// Where to put an edit of a permission string: its literal content, if it is a plain literal.
    pub fn string_edit_span(&self, s: &PermString) -> Option<Span> {
        if !s.literal {
            return None;
        }
        let file = &self.ws.snapshot.files[s.span.file];
        if file.kind == crate::workspace::FileKind::Template {
            return Some(s.span);
        }
        let content = self.literal_content(s.span)?;
        let inner = self
            .ws
            .text(s.span.file)
            .get(content.start as usize..content.end as usize)?;
        // Escapes would make byte offsets differ from the value.
        (inner == s.text).then_some(content)
    }

    pub fn is_routed(&self, file: FileId, class: Option<&str>) -> bool {
        class.is_some_and(|c| self.routed.contains(&(file, c.to_string())))
    }

    pub fn project(&self, file: FileId) -> &'a Project {
        self.index.project_for(self.ws.path(file))
    }

    /// References whose strings are permission strings (not lookups, not module checks).
    pub fn perm_refs(&self) -> impl Iterator<Item = &Resolved<'a>> {
        self.refs
            .iter()
            .filter(|r| r.reference.kind.checks_strings())
    }
}

/// Whether a callee imported through the project is django-guardian's.
fn from_guardian(resolver: &crate::index::resolve::Resolver<'_>, callee: &Value) -> bool {
    use crate::index::resolve::Target;
    use crate::python::extract::is_guardian;
    match callee {
        Value::Ref { module, .. } if is_guardian(module) => true,
        _ => {
            matches!(resolver.base_target(callee, 0), Target::External(name) if is_guardian(&name))
        }
    }
}

/// The span of an item and of each of its items.
fn item_spans(item: &Item) -> Vec<Span> {
    let mut out = vec![item.span];
    if let Value::Seq(items) = &item.value {
        out.extend(items.iter().map(|i| i.span));
    }
    out
}

/// Whether bases reach a `PermissionRequiredMixin` (Django's, guardian's, rules', django-braces',
/// or a project subclass of one), judged by where it comes from: a class of that name from
/// another package, or a project class of that name that does not inherit one, is not.
fn permission_mixin(
    resolver: &crate::index::resolve::Resolver<'_>,
    bases: &[Value],
    depth: u32,
) -> bool {
    use crate::index::resolve::Target;
    if depth > 16 {
        return false;
    }
    bases.iter().any(|base| {
        // Named from a known package: no need to resolve (the common case).
        let direct = match base {
            Value::Ref { module, path }
                if path
                    .last()
                    .is_some_and(|p| p.ends_with("PermissionRequiredMixin")) =>
            {
                known_permission_mixin(&format!("{module}.{}", path.join(".")))
            }
            _ => false,
        };
        direct
            || match resolver.base_target(base, 0) {
                Target::External(name) => known_permission_mixin(&name),
                Target::Class(c) => permission_mixin(resolver, &c.class.bases, depth + 1),
                _ => false,
            }
    })
}

/// A `PermissionRequiredMixin` of a package whose mixin passes `permission_required` to
/// `has_perms`.
pub(crate) fn known_permission_mixin(dotted: &str) -> bool {
    let Some((module, name)) = dotted.rsplit_once('.') else {
        return false;
    };
    let from = |p: &str| module == p || module.starts_with(&format!("{p}."));
    name.ends_with("PermissionRequiredMixin")
        && (from("django.contrib.auth") || from("guardian") || from("rules") || from("braces"))
}

/// Whether bases reach a Django user model or auth backend: `Some(true)` if one does, `None` if
/// a project class on the way defines `has_perm`/`has_perms` of its own (then `self.has_perm`
/// is that method, not Django's).
fn user_lineage(
    resolver: &crate::index::resolve::Resolver<'_>,
    bases: &[Value],
    depth: u32,
) -> Option<bool> {
    use crate::index::resolve::Target;
    const DJANGO: &[&str] = &[
        "AbstractBaseUser",
        "AbstractUser",
        "PermissionsMixin",
        "User",
        "AnonymousUser",
        "BaseBackend",
        "ModelBackend",
        "AllowAllUsersModelBackend",
        "RemoteUserBackend",
        "AllowAllUsersRemoteUserBackend",
    ];
    if depth > 16 {
        return Some(false);
    }
    let mut reached = false;
    for base in bases {
        match resolver.base_target(base, 0) {
            Target::External(name) => {
                reached |= name.starts_with("django.contrib.auth.")
                    && name.rsplit('.').next().is_some_and(|n| DJANGO.contains(&n));
            }
            Target::Class(c) => {
                if c.class
                    .methods
                    .iter()
                    .any(|m| HAS_PERM_METHODS.contains(&m.as_str()))
                {
                    return None;
                }
                reached |= user_lineage(resolver, &c.class.bases, depth + 1)?;
            }
            _ => {}
        }
    }
    Some(reached)
}

/// Run every rule (selection and noqa are applied by the caller).
pub fn run_all(ctx: &Context<'_>) -> Vec<Diagnostic> {
    run_selected(ctx, |_| true)
}

/// Run the rules `enabled` accepts (a disabled rule costs nothing, e.g. preview DJP030).
pub fn run_selected(ctx: &Context<'_>, enabled: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
    // Rules only read the context, never each other's output: run them side by side.
    let enabled: Vec<&Rule> = RULES.iter().filter(|r| enabled(r.code)).collect();
    let mut out: Vec<Diagnostic> = enabled
        .par_iter()
        .flat_map_iter(|rule| {
            let mut found = Vec::new();
            check_of(rule.code)(ctx, &mut found);
            found
        })
        .collect();
    helper_refs::annotate(ctx, &mut out);
    out.sort_by(|a, b| {
        a.span
            .cmp(&b.span)
            .then(a.code.cmp(b.code))
            .then(a.message.cmp(&b.message))
    });
    out.dedup_by(|a, b| a.span == b.span && a.code == b.code && a.message == b.message);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_registered_rule_has_a_check() {
        for rule in super::RULES {
            super::check_of(rule.code);
        }
    }
}
