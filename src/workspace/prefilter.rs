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

/// What the analysis will read, and so which files the filter must keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// The stable rules: definitions and the references they check.
    Stable,
    /// Also what only preview rules and `djperm audit` read: URL configurations, admin
    /// modules, routed views, DRF `permission_classes`, strings given to permission relations.
    Everything,
}

use Scope::{Everything, Stable};

/// Tokens whose presence may yield facts outside definition files: the call, attribute and
/// setting names `python/extract.rs` and `index/` look for. Those holding `perm` are found by
/// searching `perm` and comparing around each hit (an automaton over all of them is slow:
/// `get`, `add`, `set`, `has` start too many Python words).
const PERM_TOKENS: &[(&str, Scope)] = &[
    // has_perm, has_perms, ahas_perm, ahas_perms (references, DJP005 checks)
    ("has_perm", Stable),
    ("has_module_perms", Stable),
    // get_all_permissions, aget_all_permissions, … (DJP005 checks)
    ("get_all_permissions", Stable),
    ("get_user_permissions", Stable),
    ("get_group_permissions", Stable),
    ("with_perm", Stable),
    // decorators (and their guardian variants) and the PermissionRequiredMixin attribute
    ("permission_required", Stable),
    // guardian
    ("assign_perm", Stable),
    ("remove_perm", Stable),
    // django-rules
    ("add_perm", Stable),
    ("set_perm", Stable),
    // DRF DjangoModelPermissions
    ("perms_map", Stable),
    // drf-access-policy conditions (`"has_model_perms:app.change_x"`)
    ("has_model_perms", Stable),
    ("has_obj_perms", Stable),
    ("has_model_or_obj_perms", Stable),
    // the permission cache a DJP005 check looks at
    ("_perm_cache", Stable),
    // strings given to permission relations (DJP016) and guardian's bare-codename filters
    ("user_permissions", Everything),
    ("permissions.add", Everything),
    ("permissions.remove", Everything),
    ("permissions.set", Everything),
    ("get_users_with_perms", Everything),
    ("get_groups_with_perms", Everything),
    // DRF views (DJP021)
    ("permission_classes", Everything),
];

/// Anchors of one automaton pass; see [`bytes_needed`] for how each hit is confirmed.
const ANCHORS: &[(&str, Scope)] = &[
    ("perm", Stable),
    // `Permission.objects.…` lookups and rows, `Permission(...)` (checked as a whole word)
    ("Permission", Stable),
    // guardian `get_objects_for_user/group`
    ("get_objects_for_", Stable),
    // routed class-based views (DJP012, DJP017)
    (".as_view(", Everything),
    // URL configurations and routers outside urls.py (`djperm audit`)
    ("urlpatterns", Everything),
    // settings and app configs (also named by strings, not only by imports)
    ("INSTALLED_APPS", Stable),
    ("MIGRATION_MODULES", Stable),
    ("AppConfig", Stable),
    // settings components that define only the backends
    ("AUTHENTICATION_BACKENDS", Stable),
];

/// Each token with the offset of `perm` in it.
fn perm_tokens() -> &'static [(&'static str, usize, Scope)] {
    static TOKENS: OnceLock<Vec<(&'static str, usize, Scope)>> = OnceLock::new();
    TOKENS.get_or_init(|| {
        PERM_TOKENS
            .iter()
            .map(|&(t, scope)| (t, t.find("perm").expect("every token holds `perm`"), scope))
            .collect()
    })
}

fn anchors() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostFirst)
            .build(ANCHORS.iter().map(|(a, _)| a))
            .expect("static patterns")
    })
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether a token preceded by `before` starts a name there (`ahas_perm` is the async
/// `has_perm`; the permission caches are `_perm_cache`, `_user_perm_cache`, …).
fn token_starts(token: &str, before: &[u8]) -> bool {
    if token == "_perm_cache" {
        return true;
    }
    let async_variant = matches!(
        token,
        "has_perm"
            | "has_module_perms"
            | "get_all_permissions"
            | "get_user_permissions"
            | "get_group_permissions"
    );
    let before = match before.strip_suffix(b"a") {
        Some(rest) if async_variant => rest,
        _ => before,
    };
    !before.last().copied().is_some_and(is_ident)
}

/// Whether a token followed by `rest` ends there as the name the
/// extractor compares (`add_perm(`, not `add_permissions`): `has_perms`, and guardian's
/// `permission_required_or_403/404`, are the longer names allowed.
fn token_ends(token: &str, rest: &[u8]) -> bool {
    let rest = match token {
        "has_perm" => rest.strip_prefix(b"s").unwrap_or(rest),
        "permission_required" => rest
            .strip_prefix(b"_or_403")
            .or_else(|| rest.strip_prefix(b"_or_404"))
            .unwrap_or(rest),
        _ => rest,
    };
    !rest.first().copied().is_some_and(is_ident)
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
pub fn python_needed(path: &str, text: &[u8], scope: Scope) -> bool {
    python_need(path, text, scope) != Need::Skip
}

pub fn python_need(path: &str, text: &[u8], scope: Scope) -> Need {
    if path_needed(path, scope) {
        return Need::Definitions;
    }
    bytes_need(text, scope)
}

/// Definition files, by path.
pub fn path_needed(path: &str, scope: Scope) -> bool {
    let (dirs, name) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    };
    if matches!(name, "models.py" | "apps.py" | "manage.py" | "rules.py")
        || name.starts_with("settings")
    {
        return true;
    }
    if scope == Everything && matches!(name, "urls.py" | "admin.py") {
        return true;
    }
    dirs.split('/').any(|d| {
        matches!(d, "models" | "migrations" | "settings") || (scope == Everything && d == "urls")
    })
}

/// Files whose bytes hold a trigger token or a permission-shaped string literal.
pub fn bytes_needed(text: &[u8], scope: Scope) -> bool {
    bytes_need(text, scope) != Need::Skip
}

fn bytes_need(text: &[u8], scope: Scope) -> Need {
    let mut need = Need::Skip;
    for m in anchors().find_iter(text) {
        let (anchor, anchor_scope) = ANCHORS[m.pattern().as_usize()];
        if anchor_scope > scope {
            continue;
        }
        let found = match anchor {
            "perm" => perm_tokens().iter().any(|&(t, offset, token_scope)| {
                token_scope <= scope
                    && m.start()
                        .checked_sub(offset)
                        .filter(|s| text[*s..].starts_with(t.as_bytes()))
                        .is_some_and(|s| {
                            token_starts(t, &text[..s]) && token_ends(t, &text[s + t.len()..])
                        })
            }),
            // `Permission.objects…` or `Permission(…)`: the whole word (not
            // `ProductPermissions`, `PermissionDenied`) before a `.` or a `(`; also the model
            // bound under another name (`get_model("auth", "Permission")`, `import … as`).
            "Permission" => {
                let before = m.start().checked_sub(1).map(|i| text[i]);
                let rest = &text[m.end()..];
                let after = rest
                    .iter()
                    .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\\' | b')'));
                !before.is_some_and(is_ident)
                    && (matches!(after, Some(b'.' | b'('))
                        || matches!(rest.first(), Some(b'"' | b'\''))
                        || rest.starts_with(b" as "))
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
/// A shape spelled across implicitly concatenated literals (`"blog." "add_post"`) or with escapes
/// is not seen here: such a file is parsed only when something else keeps it.
pub fn has_shaped_literal(text: &[u8]) -> bool {
    let mut at = 0;
    while let Some(rel) = memchr::memchr2(b'"', b'\'', &text[at..]) {
        let quote_pos = at + rel;
        let quote = text[quote_pos];
        let start = quote_pos + 1;
        let mut i = start;
        while i < text.len() && is_ident(text[i]) {
            i += 1;
        }
        let label = &text[start..i];
        if !label.is_empty() && !label[0].is_ascii_digit() && text.get(i) == Some(&b'.') {
            let codename_start = i + 1;
            let mut j = codename_start;
            let mut underscore = false;
            while j < text.len() && is_ident(text[j]) {
                underscore |= text[j] == b'_';
                j += 1;
            }
            if j > codename_start
                && underscore
                && !text[codename_start].is_ascii_digit()
                && text.get(j) == Some(&quote)
            {
                return true;
            }
        }
        // `"name"`: the quote that ends the word closes this literal, skip it. Not when the
        // word may be a string prefix (`"a"r"blog.add_post"`): that quote may open one.
        let closes = text.get(i) == Some(&quote)
            && !label.is_empty()
            && (label.len() > 2
                || !label
                    .iter()
                    .all(|b| matches!(b.to_ascii_lowercase(), b'r' | b'u' | b'b' | b'f')));
        at = if closes { i + 1 } else { start };
    }
    false
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
            assert!(path_needed(p, Stable), "{p}");
            assert!(path_needed(p, Everything), "{p}");
        }
        for p in [
            "blog/views.py",
            "blog/model_utils.py",
            "blog/tests/test_models.py",
        ] {
            assert!(!path_needed(p, Stable), "{p}");
            assert!(!path_needed(p, Everything), "{p}");
        }
        // Read by `djperm audit` and preview rules only.
        for p in ["site/urls.py", "blog/urls/api.py", "blog/admin.py"] {
            assert!(!path_needed(p, Stable), "{p}");
            assert!(path_needed(p, Everything), "{p}");
        }
    }

    #[test]
    fn bytes() {
        for t in [
            "user.has_perm('x')",
            "await user.ahas_perms(['x'])",
            "@permission_required_or_403('a.b')",
            "get_perms_map = perms_map",
            "user.get_all_permissions()",
            "@permission_required('a.b')",
            "Permission.objects.filter(codename='x')",
            "auth.Permission.objects.get(codename='x')",
            "Permission(codename='x')",
            "p = apps.get_model('auth', 'Permission')",
            "p = apps.get_model(\"auth.Permission\")",
            "from django.contrib.auth.models import Permission as P",
            "x = ('blog.add_post', 1)",
            "x = \"blog.can_publish\"",
            "'''auth.view_user'''",
            "x = ('name', \"a\"r\"blog.add_post\")",
            "f('name', 'blog.add_post')",
            "INSTALLED_APPS = []",
            "class C(AppConfig): pass",
        ] {
            assert!(bytes_needed(t.as_bytes(), Stable), "{t}");
        }
        for t in [
            "raise PermissionDenied",
            "from django.contrib.auth.models import Permission",
            "x: Permission = None",
            "x = ProductPermissions.MANAGE",
            "def permission_manage_products(): pass",
            "self.add_permissions(x)",
            "obj.set_permissions(x)",
            "has_permission(request, view)",
            "x.get_perms_map()",
            "self.check_perms_map",
            "'blog.Post'",
            "'utf-8'",
            "'shop.core.utils.send'",
            "'blog.add_post\"",
            "'1x.add_post'",
            "parser.add_argument('x')",
        ] {
            assert!(!bytes_needed(t.as_bytes(), Everything), "{t}");
        }
        for t in [
            "permission_classes = [IsAdminUser]",
            "user.user_permissions.add(p)",
            "group.permissions.set(ps)",
            "get_users_with_perms(obj, only_with_perms_in=['view'])",
            "path('x/', PostList.as_view())",
            "urlpatterns += router.urls",
        ] {
            assert!(!bytes_needed(t.as_bytes(), Stable), "{t}");
            assert!(bytes_needed(t.as_bytes(), Everything), "{t}");
        }
    }
}
