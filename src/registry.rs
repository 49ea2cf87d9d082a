//! Rule identity: every rule's code, name, summary, fix availability, preview flag and
//! documentation. A leaf: it names nothing else of djperm, so a diagnostic can name its rule
//! without depending on the rules themselves (their checks live in `rules`).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

impl FixAvailability {
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "none",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Always => "always",
        }
    }
}

/// What a rule is, apart from its check: code, name, one-line summary, fix availability, preview
/// flag and the documentation page `rules/DJPNNN.md`.
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    /// One line: what the rule finds.
    pub summary: &'static str,
    pub fix: FixAvailability,
    pub preview: bool,
    pub doc: &'static str,
}

macro_rules! rule {
    ($code:literal, $name:literal, $summary:literal, $fix:ident) => {
        rule!($code, $name, $summary, $fix, false)
    };
    ($code:literal, $name:literal, $summary:literal, $fix:ident, $preview:literal) => {
        Rule {
            code: $code,
            name: $name,
            summary: $summary,
            fix: FixAvailability::$fix,
            preview: $preview,
            doc: include_str!(concat!("../rules/", $code, ".md")),
        }
    };
}

pub static RULES: &[Rule] = &[
    rule!(
        "DJP000",
        "syntax-error",
        "A Python file djperm could not parse",
        None
    ),
    rule!(
        "DJP001",
        "permission-missing-app-label",
        "A permission string without its app label (`can_publish` for `blog.can_publish`)",
        Sometimes
    ),
    rule!(
        "DJP002",
        "unknown-permission",
        "A permission that no fresh database has",
        Sometimes
    ),
    rule!(
        "DJP003",
        "unknown-app-label",
        "A permission whose app label matches no installed app",
        Sometimes
    ),
    rule!(
        "DJP004",
        "unmigrated-permission",
        "A `Meta.permissions` / `default_permissions` change that no migration records",
        Sometimes
    ),
    rule!(
        "DJP005",
        "stale-permission-cache",
        "A permission check on a user object whose permission cache predates a grant",
        None
    ),
    rule!(
        "DJP006",
        "has-perms-string",
        "`has_perms` given a str instead of a list of permissions",
        Always
    ),
    rule!(
        "DJP007",
        "invalid-permission-definition",
        "A permission definition Django's system checks reject (auth.E005–E012, contenttypes.E005)",
        None
    ),
    rule!(
        "DJP008",
        "ambiguous-permission-lookup",
        "`Permission.objects.get` that matches several rows, or none because its codename holds the app label",
        Sometimes
    ),
    rule!(
        "DJP009",
        "malformed-permission-string",
        "A permission string with whitespace, an empty part or a stray dot",
        Sometimes
    ),
    rule!(
        "DJP010",
        "permission-fetched-before-creation",
        "A data migration fetching a permission that `create_permissions` only makes after all migrations",
        None,
        true
    ),
    rule!(
        "DJP011",
        "permissions-not-a-sequence",
        "`default_permissions` that is a str, or `permissions` that is a bare pair",
        Sometimes,
        true
    ),
    rule!(
        "DJP012",
        "empty-permission-list",
        "An empty permission list: the check grants everyone, anonymous users included",
        None,
        true
    ),
    rule!(
        "DJP013",
        "object-permission-without-backend",
        "An object permission check while no configured backend supports object permissions",
        None,
        true
    ),
    rule!(
        "DJP014",
        "template-in-app-perms",
        "`{% if \"codename\" in perms.app %}`, which is always False",
        Always,
        true
    ),
    rule!(
        "DJP015",
        "codename-contains-app-label",
        "A codename lookup given `app_label.codename`, which matches nothing",
        Sometimes,
        true
    ),
    rule!(
        "DJP016",
        "string-passed-to-permission-m2m",
        "A permission string passed to `user_permissions` / `permissions` `add`/`remove`/`set`",
        None,
        true
    ),
    rule!(
        "DJP017",
        "permission-required-mixin-missing",
        "A routed `PermissionRequiredMixin` view that never sets `permission_required`",
        None,
        true
    ),
    rule!(
        "DJP020",
        "guardian-mixed-content-type",
        "guardian `get_objects_for_*` with permissions of several models, or a `klass` of another model",
        None,
        true
    ),
    rule!(
        "DJP021",
        "drf-model-permission-missing",
        "DRF `DjangoModelPermissions` on a view whose model lacks a permission the map requires",
        None,
        true
    ),
    rule!(
        "DJP022",
        "fixture-permission-natural-key",
        "A JSON or YAML fixture granting a permission, by natural key, that a fresh database does not have",
        None,
        true
    ),
    rule!(
        "DJP030",
        "unused-permission",
        "A custom permission that no code, template or data migration references",
        None
    ),
];

pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code))
}

pub(crate) fn by_code(code: &str) -> &'static Rule {
    rule(code).expect("rule is registered")
}
