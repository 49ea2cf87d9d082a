//! Per-file facts: what one file defines and references. Pure data, independent of other files,
//! so the server can recompute one file's facts after an edit and re-merge.

use crate::value::ThinVec;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Span;
use crate::value::{CompactString, Item, Value};

mod attrs;
pub mod helpers;
mod imports;
pub mod shrink;

pub use attrs::Attrs;
pub use imports::{Import, Imports};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FileFacts {
    /// Dotted module name of the file (`blog.models`), as seen from its import root.
    pub module: String,
    pub syntax_error: Option<(Span, String)>,
    /// Module-level names after the whole module ran (last assignment wins; `+=` folds).
    pub constants: FxHashMap<String, Value>,
    pub star_imports: ThinVec<String>,
    /// Names bound by imports: local name → (module, attribute path).
    pub imports: Imports,
    /// Every module this file imports (`from a import b` gives `a` and `a.b`).
    pub imported_modules: ThinVec<CompactString>,
    pub classes: ThinVec<ClassFact>,
    /// `Permission.objects.create/get_or_create/update_or_create(...)` and `Permission(...)`.
    pub perm_rows: ThinVec<PermRow>,
    /// `rules.add_perm("name", ...)` / `set_perm`.
    pub rules_perms: ThinVec<Item>,
    pub references: ThinVec<Reference>,
    /// DJP005 findings: the span of the stale check and the receiver text.
    pub stale_checks: ThinVec<StaleCheck>,
    pub has_run_python: bool,
    /// The file calls `create_permissions(...)` (a data migration that needs the default permissions before `migrate` creates them).
    pub calls_create_permissions: bool,
    /// For each `create_permissions(...)` call, the app whose permissions it creates when written
    /// `apps.get_app_config("label")` (directly or through a local); `None`: any app.
    pub create_permissions_labels: ThinVec<Option<String>>,
    /// `RunPython(code, reverse_code)`: the names of the two functions, when written as names.
    pub run_python: ThinVec<(Option<String>, Option<String>)>,
    /// Spans of the `Permission.objects.filter(...)` calls whose result is granted:
    /// `x.permissions.add(*<it>)`, `x.user_permissions.set(<it>)`, also through a local.
    pub granted_queries: ThinVec<Span>,
    /// Functions defined inside another function (whole `def`): code that runs when something
    /// calls it, maybe later (a `post_migrate` receiver a data migration connects).
    pub nested_functions: ThinVec<Span>,
    /// Class names routed with `X.as_view(...)` in this file.
    pub as_view_classes: ThinVec<(Value, Span)>,
    /// Module-level functions (also inside module-level `if`/`try`), for the audit's view guards.
    pub functions: ThinVec<FunctionFact>,
    /// Module-level `X.register(...)` / `X.unregister(...)` calls, and any method call on a
    /// module-level object built here (`router.register`, `admin.site.register`, …).
    pub module_calls: ThinVec<ModuleCall>,
    /// Module-level `if` statements (whole statement, every branch): what they bind holds only
    /// in some configurations.
    pub conditional: ThinVec<Span>,
    /// Bodies of module-level `if TYPE_CHECKING:` blocks, which never run.
    pub type_checking: ThinVec<Span>,
    /// Code that runs when `migrate` runs: `AppConfig.ready()` bodies and functions decorated
    /// `@receiver(post_migrate)`.
    pub migrate_time: ThinVec<Span>,
    /// `post_migrate.connect(f)`: (module, function name) of each `f` connected here.
    pub migrate_hooks: ThinVec<(String, String)>,
    pub noqa: Noqa,
    /// The file's own permission helpers and the calls that may reach them (`crate::sinks`).
    pub helpers: helpers::HelperFacts,
}

impl FileFacts {
    /// Whether `span` lies inside a module-level `if` of this file.
    pub fn in_conditional(&self, span: Span) -> bool {
        self.conditional
            .iter()
            .any(|c| c.start <= span.start && span.end <= c.end)
    }

    /// Whether `span` lies inside an `if TYPE_CHECKING:` body of this file.
    pub fn in_type_checking(&self, span: Span) -> bool {
        self.type_checking
            .iter()
            .any(|c| c.start <= span.start && span.end <= c.end)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ClassFact {
    pub name: String,
    pub span: Span,
    pub bases: ThinVec<Value>,
    pub attrs: Attrs,
    /// Boxed: most classes have no `Meta`.
    pub meta: Option<Box<MetaFact>>,
    pub methods: ThinVec<String>,
    /// Attributes assigned as `self.<name> = …` in any method.
    pub self_attrs: ThinVec<String>,
    /// `self.<name> = value` in `__init__`, `setup` or `dispatch` (what the instance carries
    /// before a handler runs): (name, folded value), in source order.
    pub self_values: ThinVec<(String, Item)>,
    /// Class decorators, folded (`@admin.register(Post)`, `@method_decorator(...)`).
    pub decorators: ThinVec<Value>,
    /// The whole `class` statement.
    pub body: Span,
    /// Decorators of each method, folded: (method name, decorators).
    pub method_decorators: ThinVec<(String, Vec<Value>)>,
    /// Methods that call the parent's method of the same name (`super().has_perm(...)`).
    pub super_calls: ThinVec<String>,
}

/// A module-level function: its name, where, and its decorators (folded).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FunctionFact {
    pub name: String,
    /// The name.
    pub span: Span,
    /// The whole `def` statement, decorators excluded.
    pub body: Span,
    pub decorators: Vec<Value>,
}

/// A module-level call statement `receiver.method(args…)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModuleCall {
    /// The receiver: `Ref { module: this module, path: [name] }` for a module-level object built
    /// here, else its folded value (`admin.site` → `Ref django.contrib.admin [site]`).
    pub receiver: Value,
    pub method: String,
    pub args: Vec<Item>,
    pub kwargs: Vec<(crate::value::CompactString, Item)>,
    pub span: Span,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MetaFact {
    pub span: Span,
    pub bases: ThinVec<Value>,
    pub attrs: Attrs,
}

/// A content type as a data migration names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CtRef {
    /// `(app_label, model)`, either may be unknown.
    Known(Option<String>, Option<String>),
    /// `get_for_model(Model)` of a class the file names (defined or imported), resolved by the
    /// index to its label and model name. `concrete`: `for_concrete_model` (Django's default):
    /// a proxy model then has its concrete model's content type.
    Class {
        model: Value,
        concrete: bool,
    },
    Unknown,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PermRow {
    pub codename: Value,
    /// `codename=f"publish_{model_name}"`: rows for an action on many models.
    pub action: Option<String>,
    pub content_type: CtRef,
    pub span: Span,
    /// A row for each model of a set (the codename and content type are built from the model).
    #[serde(default)]
    pub per_model: Option<PerModel>,
}

/// Rows code creates for each model it loops over: `for model in
/// apps.get_models(include_auto_created=True)` (or the `remote_field.through` of each field of
/// `model._meta.many_to_many`), `content_type=ContentType.objects.get_for_model(model)` and
/// `codename=f"{action}_{model._meta.model_name}"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerModel {
    /// The one app whose models are looped over (`apps.get_app_config("shop")`), else any app.
    pub label: Option<String>,
    /// Ordinary models are in the set.
    pub models: bool,
    /// The tables Django creates for many-to-many fields (auto-created through models).
    pub through: bool,
    /// The actions: one row `<action>_<model_name>` for each.
    pub actions: Vec<String>,
    /// `for action in model._meta.default_permissions`: each model's own default actions.
    pub default_actions: bool,
}

/// The migration operations whose arguments the index's replay reads (`index/migrations.rs`);
/// the facts keep no arguments of other operations, nor the fields of `CreateModel`.
pub const REPLAYED_OPERATIONS: &[&str] = &[
    "CreateModel",
    "AlterModelOptions",
    "RenameModel",
    "DeleteModel",
    "SeparateDatabaseAndState",
];

/// The model options the replay reads (`index/migrations.rs`); the facts of `CreateModel` and
/// `AlterModelOptions` keep no other key of their `options` (`ordering`, `verbose_name`…).
pub const REPLAYED_OPTIONS: &[&str] = &["permissions", "default_permissions", "swappable", "proxy"];

/// The user methods that check permissions by name (`User.has_perm` and its kin).
pub const HAS_PERM_METHODS: &[&str] = &["has_perm", "has_perms", "ahas_perm", "ahas_perms"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefKind {
    /// `user.has_perm(p)` / `ahas_perm`.
    HasPerm,
    /// `user.has_perms(ps)` / `ahas_perms`.
    HasPerms,
    /// `User.objects.with_perm(p)`.
    WithPerm,
    /// `permission_required(p)` from django.contrib.auth (or an unknown origin).
    PermissionRequired,
    /// guardian's `permission_required(_or_403/_404)`.
    GuardianPermissionRequired,
    /// `permission_required = …` on a class.
    MixinAttr,
    /// guardian `assign_perm` / `remove_perm`.
    GuardianAssign,
    /// guardian `get_objects_for_user/group`.
    GuardianObjects,
    /// DRF `perms_map` plain literals.
    PermsMap,
    /// `Permission.objects.get/filter(...)`.
    Lookup,
    /// Template `{% if perms.app.codename %}`.
    TemplateAttr,
    /// Template `{% if perms.app %}`.
    TemplateModule,
    /// `user.has_module_perms("app")`.
    ModulePerms,
    /// Template `{% if "codename" in perms.app %}` (value is `app.codename`).
    TemplateInApp,
    /// `user.user_permissions.add("a.b")` / `group.permissions.set([...])` with strings.
    M2mString,
    /// guardian `get_users_with_perms(obj, only_with_perms_in=[...])` (bare codenames).
    GuardianOnlyWithPerms,
    /// `return "a.b"` in a `get_permission_required()` override.
    PermissionRequiredReturn,
    /// Template `{% if "app.codename" in perms %}`.
    TemplateIn,
    /// Any other string literal shaped like a permission (`<label>.<action>_<model>`).
    Shape,
}

impl RefKind {
    /// Whether the reference's strings are permission strings judged by DJP001/2/3/9.
    pub fn checks_strings(self) -> bool {
        !matches!(
            self,
            RefKind::Lookup
                | RefKind::TemplateModule
                | RefKind::ModulePerms
                | RefKind::TemplateInApp
                | RefKind::M2mString
                | RefKind::GuardianOnlyWithPerms
        )
    }

    /// Whether a bare codename (no app label) is ever meaningful for this sink.
    pub fn is_template(self) -> bool {
        matches!(
            self,
            RefKind::TemplateAttr | RefKind::TemplateModule | RefKind::TemplateIn
        )
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reference {
    pub kind: RefKind,
    /// The permission argument as written (a str, a sequence, or something to resolve).
    pub value: Item,
    /// An object argument was passed (`has_perm(p, obj)`, guardian with obj/klass).
    pub with_obj: bool,
    /// The whole call (or tag) the reference sits in.
    pub call_span: Span,
    /// For lookups: the keyword arguments that matter. For guardian's `get_objects_for_*`:
    /// `model` is the `klass` argument, folded.
    pub lookup: Option<Box<Lookup>>,
    /// For `permission_required = …` class attributes: the class's bases, to confirm it is a
    /// `PermissionRequiredMixin` view. For `self.has_perm(…)`/`cls.has_perm(…)`: the bases of
    /// the enclosing class, to confirm it is a user model (or a backend). For `M2mString`: the
    /// model of the instance the relation hangs on, when the code says it.
    pub class_bases: ThinVec<Value>,
    /// For class attributes and for `self.has_perm(…)`: the class name. For `M2mString`: the
    /// relation's attribute (`permissions`, `user_permissions`).
    pub owner: Option<String>,
    /// For guardian's shortcuts and decorators named through another module of the project
    /// (`from .perms import get_objects_for_user`): the callee, to confirm it is guardian's.
    pub callee: Option<Box<Value>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Lookup {
    pub method: String,
    pub codename: Option<Item>,
    pub codename_in: Option<Item>,
    pub app_label: Option<Value>,
    pub model: Option<Value>,
    /// `content_type=`/`content_type_id=`/`content_type__in` or anything else that pins the model.
    pub pinned: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaleCheck {
    pub span: Span,
    pub receiver: String,
    pub first_check: Span,
    pub mutation: Span,
}

/// `# noqa` comments by 0-based line; `None` codes means all.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Noqa {
    pub lines: FxHashMap<u32, Option<Vec<String>>>,
    pub file: Option<Option<Vec<String>>>,
    /// Template `{# djperm:off CODE #}…{# djperm:on #}` byte ranges.
    pub off_ranges: Vec<(u32, u32, Option<Vec<String>>)>,
}

impl Noqa {
    pub fn suppresses(&self, line: u32, offset: u32, code: &str) -> bool {
        let matches = |codes: &Option<Vec<String>>| match codes {
            None => true,
            Some(list) => list.iter().any(|c| c == code),
        };
        if let Some(codes) = &self.file {
            if matches(codes) {
                return true;
            }
        }
        if let Some(codes) = self.lines.get(&line) {
            if matches(codes) {
                return true;
            }
        }
        self.off_ranges
            .iter()
            .any(|(s, e, codes)| *s <= offset && offset < *e && matches(codes))
    }
}

/// Parse the codes after `noqa` (`: DJP001, DJP002`), `None` = every code.
pub fn parse_noqa_codes(rest: &str) -> Option<Vec<String>> {
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(':')?;
    let codes: Vec<String> = rest
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .take_while(|c| {
            c.chars().all(|ch| ch.is_ascii_alphanumeric())
                && c.chars().any(|ch| ch.is_ascii_digit())
        })
        .map(str::to_string)
        .collect();
    if codes.is_empty() {
        None
    } else {
        Some(codes)
    }
}

/// Whether `text` holds `noqa` in any letter case.
fn contains_noqa(text: &str) -> bool {
    // Anchored on the rare `q` rather than on `n`, which is in almost every line.
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b'q', b'Q', bytes).any(|i| {
        i >= 2
            && bytes
                .get(i - 2..i + 2)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"noqa"))
    })
}

/// Scan Python source for `# noqa` and `# djperm: noqa` comments.
pub fn python_noqa(source: &str) -> Noqa {
    let mut noqa = Noqa::default();
    // Most files have no directive at all: one byte scan instead of a search per line.
    if !contains_noqa(source) {
        return noqa;
    }
    for (line_no, line) in crate::locator::lines_inclusive(source).enumerate() {
        let line = line.trim_end_matches(['\n', '\r']);
        if !contains_noqa(line) {
            continue;
        }
        let Some(hash) = line.find('#') else { continue };
        let mut comment = &line[hash..];
        while let Some(pos) = comment.find('#') {
            let body = comment[pos + 1..].trim_start();
            let lower = body.to_ascii_lowercase();
            if let Some(rest) = lower
                .strip_prefix("djperm: noqa")
                .or_else(|| lower.strip_prefix("djperm:noqa"))
            {
                let rest_orig = &body[body.len() - rest.len()..];
                noqa.file = Some(parse_noqa_codes(rest_orig));
            } else if let Some(rest) = lower.strip_prefix("noqa") {
                let rest_orig = &body[body.len() - rest.len()..];
                noqa.lines
                    .insert(line_no as u32, parse_noqa_codes(rest_orig));
            }
            comment = &comment[pos + 1..];
        }
    }
    noqa
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noqa_is_found_in_any_case_and_position() {
        for text in [
            "# noqa",
            "x  # NoQA: DJP002",
            "noqa",
            "#noqa:DJP001\n",
            "a\n# djperm: NOQA",
        ] {
            assert!(contains_noqa(text), "{text:?}");
        }
        for text in ["", "q", "qa", "no qa", "nqa # quota", "# noq"] {
            assert!(!contains_noqa(text), "{text:?}");
        }
        let noqa = python_noqa("a = 1\nb = 2  # noqa: DJP002\r\nc = 3 # NOQA\n");
        assert_eq!(noqa.lines.len(), 2);
        assert!(noqa.lines.contains_key(&1) && noqa.lines.contains_key(&2));
    }
}
