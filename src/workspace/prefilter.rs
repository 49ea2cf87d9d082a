//! The byte pre-filter: which files can define or reference a permission, decided from the
//! path and the bytes alone, so that only those are parsed.
//!
//! A Python file is parsed when its path makes it a definition file (models, migrations,
//! settings, `apps.py`, `manage.py`, `rules.py`) or when its bytes contain a token that the
//! extractor (`python/extract.rs`) turns into a reference, a data-migration row, a rules name or
//! a DJP005 check, or a string literal shaped like a permission (`"blog.add_post"`). Everything
//! these files import and name is parsed after them (`Workspace::build`), so cross-file values
//! still resolve. The list below must grow with the extractor's sinks: the test
//! `every_fact_is_prefiltered` fails when a fixture file yields a reference this filter skips.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// Tokens whose presence may yield facts outside definition files: the call, attribute and
/// setting names `python/extract.rs` and `index/` look for. Those holding `perm` are found by
/// searching `perm` and comparing around each hit (an automaton over all of them is slow:
/// `get`, `add`, `set`, `has` start too many Python words).
const PERM_TOKENS: &[&str] = &[
    // has_perm, has_perms, ahas_perm, ahas_perms (references, DJP005 checks)
    "has_perm",
    "has_module_perms",
    // get_all_permissions, aget_all_permissions, … (DJP005 checks)
    "get_all_permissions",
    "get_user_permissions",
    "get_group_permissions",
    "with_perm",
    // decorators (and their guardian variants) and the PermissionRequiredMixin attribute
    "permission_required",
    // guardian
    "assign_perm",
    "remove_perm",
    // django-rules
    "add_perm",
    "set_perm",
    // DRF DjangoModelPermissions
    "perms_map",
    // the permission cache a DJP005 check looks at
    "_perm_cache",
    // strings given to permission relations (DJP016) and guardian's bare-codename filters
    "user_permissions",
    "permissions.add",
    "permissions.remove",
    "permissions.set",
    "get_users_with_perms",
    "get_groups_with_perms",
    // DRF views (DJP021)
    "permission_classes",
];

/// Anchors of one automaton pass; see [`bytes_needed`] for how each hit is confirmed.
const ANCHORS: &[&str] = &[
    "perm",
    // `Permission.objects.…` lookups and rows, `Permission(...)` (checked as a whole word)
    "Permission",
    // guardian `get_objects_for_user/group`
    "get_objects_for_",
    // routed class-based views (DJP012, DJP017)
    ".as_view(",
    // URL configurations and routers outside urls.py (`djperm audit`)
    "urlpatterns",
    // settings and app configs (also named by strings, not only by imports)
    "INSTALLED_APPS",
    "MIGRATION_MODULES",
    "AppConfig",
];

fn anchors() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostFirst)
            .build(ANCHORS)
            .expect("static patterns")
    })
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Why a Python file is parsed whatever its imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Only if another file leads to it.
    Skip,
    /// For its references (calls, decorators, lookups, permission-shaped strings).
    References,
    /// A definition file (models, migrations, settings, app configs): the index reads all of it.
    Definitions,
}

/// Whether a Python file must be parsed whatever its imports.
pub fn python_needed(path: &str, text: &[u8]) -> bool {
    python_need(path, text) != Need::Skip
}

pub fn python_need(path: &str, text: &[u8]) -> Need {
    if path_needed(path) {
        return Need::Definitions;
    }
    bytes_need(text)
}

/// Definition files, by path.
pub fn path_needed(path: &str) -> bool {
    let (dirs, name) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    };
    if matches!(
        name,
        "models.py" | "apps.py" | "manage.py" | "rules.py" | "urls.py" | "admin.py"
    ) || name.starts_with("settings")
    {
        return true;
    }
    dirs.split('/')
        .any(|d| matches!(d, "models" | "migrations" | "settings" | "urls"))
}

/// Files whose bytes hold a trigger token or a permission-shaped string literal.
pub fn bytes_needed(text: &[u8]) -> bool {
    bytes_need(text) != Need::Skip
}

fn bytes_need(text: &[u8]) -> Need {
    let mut need = Need::Skip;
    for m in anchors().find_iter(text) {
        let found = match ANCHORS[m.pattern().as_usize()] {
            "perm" => PERM_TOKENS.iter().any(|t| {
                let offset = t.find("perm").unwrap_or(0);
                m.start()
                    .checked_sub(offset)
                    .is_some_and(|s| text[s..].starts_with(t.as_bytes()))
            }),
            // `Permission.objects…` or `Permission(…)`: the whole word (not
            // `ProductPermissions`, `PermissionDenied`) before a `.` or a `(`.
            "Permission" => {
                let before = m.start().checked_sub(1).map(|i| text[i]);
                let after = text[m.end()..]
                    .iter()
                    .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\\' | b')'));
                !before.is_some_and(is_ident) && matches!(after, Some(b'.' | b'('))
            }
            "get_objects_for_" | ".as_view(" => true,
            "urlpatterns" => return Need::Definitions,
            // Settings and app configs.
            _ => return Need::Definitions,
        };
        if found {
            need = Need::References;
        }
    }
    if need == Need::Skip && has_shaped_literal(text) {
        need = Need::References;
    }
    need
}

/// A template is read when it can mention `perms`.
pub fn template_needed(text: &[u8]) -> bool {
    memchr::memmem::find(text, b"perms").is_some()
}

/// A string literal whose whole content is `<ident>.<ident>` with a `_` in the second part, as
/// `python/extract.rs::shaped_like_permission` accepts: `"blog.add_post"`, `'auth.view_user'`.
pub fn has_shaped_literal(text: &[u8]) -> bool {
    let mut at = 0;
    while let Some(rel) = memchr::memchr2(b'"', b'\'', &text[at..]) {
        let quote_pos = at + rel;
        at = quote_pos + 1;
        if shaped_at(text, quote_pos) {
            return true;
        }
    }
    false
}

fn shaped_at(text: &[u8], quote_pos: usize) -> bool {
    let quote = text[quote_pos];
    let mut i = quote_pos + 1;
    // label
    let start = i;
    while i < text.len() && is_ident(text[i]) {
        i += 1;
    }
    if i == start || text[start].is_ascii_digit() || text.get(i) != Some(&b'.') {
        return false;
    }
    i += 1;
    // codename, with an underscore
    let start = i;
    let mut underscore = false;
    while i < text.len() && is_ident(text[i]) {
        underscore |= text[i] == b'_';
        i += 1;
    }
    i > start && underscore && !text[start].is_ascii_digit() && text.get(i) == Some(&quote)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for p in [
            "blog/models.py",
            "blog/models/post.py",
            "blog/migrations/0001_initial.py",
            "blog/migrations/__init__.py",
            "proj/settings.py",
            "proj/settings_local.py",
            "proj/settings/base.py",
            "blog/apps.py",
            "manage.py",
            "blog/rules.py",
        ] {
            assert!(path_needed(p), "{p}");
        }
        for p in [
            "blog/views.py",
            "blog/model_utils.py",
            "blog/tests/test_models.py",
        ] {
            assert!(!path_needed(p), "{p}");
        }
    }

    #[test]
    fn bytes() {
        for t in [
            "user.has_perm('x')",
            "@permission_required('a.b')",
            "Permission.objects.filter(codename='x')",
            "auth.Permission.objects.get(codename='x')",
            "Permission(codename='x')",
            "x = ('blog.add_post', 1)",
            "x = \"blog.can_publish\"",
            "'''auth.view_user'''",
            "INSTALLED_APPS = []",
            "class C(AppConfig): pass",
        ] {
            assert!(bytes_needed(t.as_bytes()), "{t}");
        }
        for t in [
            "raise PermissionDenied",
            "from django.contrib.auth.models import Permission",
            "x: Permission = None",
            "x = ProductPermissions.MANAGE",
            "def permission_manage_products(): pass",
            "'blog.Post'",
            "'utf-8'",
            "'saleor.core.utils.send'",
            "'blog.add_post\"",
            "'1x.add_post'",
            "parser.add_argument('x')",
        ] {
            assert!(!bytes_needed(t.as_bytes()), "{t}");
        }
    }
}
