//! Model classes as Django builds them from code (the global registry): which classes are
//! models, and their effective options after Meta inheritance: the
//! class's own `Meta`, else the nearest ancestor's that Django keeps (abstract models and plain
//! mixins, never concrete models); `abstract` itself is not inherited.

use std::cell::RefCell;
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnostic::{FileId, Span};
use crate::index::resolve::{ClassRef, Resolver, Target};
use crate::value::{Item, Value};

/// Names of external classes that are Django models (abstract or not).
const EXTERNAL_MODEL_BASES: &[&str] = &[
    "Model",
    "AbstractUser",
    "AbstractBaseUser",
    "PermissionsMixin",
    "Page",
    "RulesModel",
    "RulesModelMixin",
    "MP_Node",
    "NS_Node",
    "AL_Node",
    "TagBase",
    "GenericTaggedItemBase",
    "TaggedItemBase",
    "CommonGenericTaggedItemBase",
    "GenericUUIDTaggedItemBase",
    "Orderable",
];

/// Top-level packages of libraries that are not Django and name classes `Model`/`BaseModel`
/// (data classes, schemas, other ORMs): nothing imported from them is a Django model.
const NOT_DJANGO_LIBRARIES: &[&str] = &[
    "abc",
    "attr",
    "attrs",
    "beanie",
    "builtins",
    "collections",
    "dataclasses",
    "enum",
    "marshmallow",
    "mongoengine",
    "msgspec",
    "odmantic",
    "peewee",
    "pydantic",
    "pydantic_settings",
    "pynamodb",
    "sqlalchemy",
    "sqlmodel",
    "tortoise",
    "typing",
    "typing_extensions",
];

/// How sure we are that an external class is a Django model (see `model_certainty`).
/// `app_roots` are the top-level packages of INSTALLED_APPS entries and of the project.
fn external_model_level(name: &str, app_roots: &FxHashSet<String>) -> u8 {
    let (module, last) = name.rsplit_once('.').unwrap_or(("", name));
    let root = module.split('.').next().unwrap_or(module);
    if NOT_DJANGO_LIBRARIES.contains(&root) {
        return 0;
    }
    if module.starts_with("django.contrib.")
        && module.ends_with(".models")
        && last.chars().next().is_some_and(char::is_uppercase)
        && !last.ends_with("Manager")
        && last != "AnonymousUser"
    {
        return 2; // Group, ContentType, User, Site…
    }
    let from_models = module.ends_with(".models") || module.contains(".models.");
    if EXTERNAL_MODEL_BASES.contains(&last) {
        return 2;
    }
    if last.ends_with("Model")
        && !name.starts_with("rest_framework")
        && !last.ends_with("ViewModel")
    {
        // `…Model` is certain from Django, a `models` module or a package that is a Django
        // app (or the project); from any other package (a schema or data-class library) it is
        // only probable: kept as a model for its permissions, never reported by DJP004.
        let known_home = root == "django" || from_models || app_roots.contains(root);
        return if known_home { 2 } else { 1 };
    }
    const NOT_MODELS: &[&str] = &[
        "Manager",
        "QuerySet",
        "Field",
        "Lookup",
        "Transform",
        "Expression",
        "Func",
        "Index",
        "Constraint",
        "Choices",
        "Enum",
        "Form",
        "Serializer",
        "Admin",
        "Error",
        "Exception",
        "Descriptor",
        "Mixin",
    ];
    // Django's own classes are known above: anything else of Django's (`AnonymousUser`, a plain
    // class) is not a model.
    if from_models && root != "django" && !NOT_MODELS.iter().any(|n| last.ends_with(n)) {
        return 1;
    }
    0
}

pub const DEFAULT_ACTIONS: &[&str] = &["add", "change", "delete", "view"];

/// One `(codename, name)` entry of `Meta.permissions`, with where it was written.
/// Keys `AlterModelOptions` replaces wholesale (identical in Django 4.2 → 6.1).
pub const ALTER_OPTION_KEYS: &[&str] = &[
    "base_manager_name",
    "default_manager_name",
    "default_related_name",
    "get_latest_by",
    "managed",
    "ordering",
    "permissions",
    "default_permissions",
    "select_on_save",
    "verbose_name",
    "verbose_name_plural",
];

#[derive(Clone, Debug)]
pub struct PermEntry {
    pub codename: String,
    pub name: Option<String>,
    pub span: Span,
    /// The span of the codename literal (for DJP004/DJP007 pointers).
    pub codename_span: Span,
}

/// Parsed permission options: `None` when the value could not be folded.
#[derive(Clone, Debug, Default)]
pub struct PermOptions {
    pub permissions: Option<Vec<PermEntry>>,
    pub default_permissions: Option<Vec<String>>,
    /// Where `permissions` / `default_permissions` were written (own or inherited Meta).
    pub permissions_span: Option<Span>,
    pub default_permissions_span: Option<Span>,
    /// `permissions` is a str or a bare pair (shape errors that crash Django).
    pub malformed: bool,
    /// `permissions = ("can_x", "Can x")`: one pair without the outer list.
    pub bare_pair: bool,
    /// `default_permissions` is a str (Django iterates its characters).
    pub default_is_str: bool,
}

impl PermOptions {
    pub fn opaque(&self) -> bool {
        self.permissions.is_none() || self.default_permissions.is_none()
    }

    /// Codenames `create_permissions` makes: builtins first, then custom ones.
    pub fn codenames(&self, model_name: &str) -> Option<Vec<String>> {
        let mut out: Vec<String> = self
            .default_permissions
            .as_ref()?
            .iter()
            .map(|a| format!("{a}_{model_name}"))
            .collect();
        out.extend(
            self.permissions
                .as_ref()?
                .iter()
                .map(|e| e.codename.clone()),
        );
        Some(out)
    }
}

/// Parse a folded `permissions` value.
pub fn parse_permissions(value: &Value) -> (Option<Vec<PermEntry>>, bool) {
    match value {
        Value::Seq(items) => {
            // A bare pair `("can_x", "Can x")`.
            if items.len() == 2 && items.iter().all(|i| matches!(i.value, Value::Str(_))) {
                return (None, true);
            }
            let mut out = Vec::new();
            for item in items {
                match &item.value {
                    Value::Seq(pair) if pair.len() == 2 => match (&pair[0].value, &pair[1].value) {
                        (Value::Str(codename), name) => out.push(PermEntry {
                            codename: codename.to_string(),
                            name: name.as_str().map(str::to_string),
                            span: item.span,
                            codename_span: pair[0].span,
                        }),
                        _ => return (None, false),
                    },
                    Value::Seq(_) | Value::Str(_) => return (None, true),
                    _ => return (None, false),
                }
            }
            (Some(out), false)
        }
        Value::Str(_) => (None, true),
        _ => (None, false),
    }
}

/// Parse a folded `default_permissions` value; a str is iterated per character, as Django does.
pub fn parse_default_permissions(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Seq(items) => items
            .iter()
            .map(|i| i.value.as_str().map(str::to_string))
            .collect(),
        Value::Str(s) => Some(s.chars().map(|c| c.to_string()).collect()),
        _ => None,
    }
}

#[derive(Clone, Debug)]
pub struct CodeModel {
    pub file: FileId,
    pub module: String,
    pub object_name: String,
    pub model_name: String,
    pub span: Span,
    pub label: Option<String>,
    pub abstract_: bool,
    pub proxy: bool,
    pub options: PermOptions,
    pub swappable: Option<String>,
    pub verbose_name: Option<String>,
    /// django-rules `Meta.rules_permissions` keys.
    pub rules_permissions: Vec<String>,
    /// Label could not be decided (explicit `app_label` that did not fold).
    pub label_opaque: bool,
    /// The options `AlterModelOptions` manages that the model's `Meta` gives (inheritance
    /// resolved, values resolved), in `ALTER_OPTION_KEYS` order: what `makemigrations` records.
    pub alter_options: Vec<(&'static str, Item)>,
    /// The class certainly is a model (not only guessed from a base in some `models` module).
    pub certain: bool,
}

/// A class by file and name, as the finder's memos key it.
type ClassKey<'w> = (FileId, &'w str);

pub struct ModelFinder<'r, 'w> {
    pub resolver: &'r Resolver<'w>,
    memo: FxHashMap<ClassKey<'w>, u8>,
    /// [`Self::linearize`]'s orders, by class.
    linear: RefCell<FxHashMap<ClassKey<'w>, Rc<[ClassRef<'w>]>>>,
    /// Top-level packages of INSTALLED_APPS entries and of the project (see
    /// `external_model_level`).
    app_roots: FxHashSet<String>,
}

impl<'r, 'w> ModelFinder<'r, 'w> {
    pub fn new(resolver: &'r Resolver<'w>) -> Self {
        ModelFinder {
            resolver,
            memo: FxHashMap::default(),
            linear: RefCell::default(),
            app_roots: FxHashSet::default(),
        }
    }

    /// Packages whose `…Model` classes are taken for Django models with certainty.
    pub fn with_app_roots<'a>(mut self, roots: impl IntoIterator<Item = &'a str>) -> Self {
        self.app_roots = roots
            .into_iter()
            .map(|r| r.split('.').next().unwrap_or(r).to_string())
            .collect();
        self
    }

    /// Whether a class is a Django model (abstract or not).
    pub fn is_model(&mut self, class: ClassRef<'w>, depth: u32) -> bool {
        self.model_certainty(class, depth) > 0
    }

    /// 0: not a model; 1: probably (a base imported from some package's `models` module);
    /// 2: certainly (reaches `Model` or a known model base).
    pub fn model_certainty(&mut self, class: ClassRef<'w>, depth: u32) -> u8 {
        let key = (class.file, class.class.name.as_str());
        if let Some(&known) = self.memo.get(&key) {
            return known;
        }
        if depth > 32 {
            return 0;
        }
        self.memo.insert(key, 0);
        // A class under `if TYPE_CHECKING:` never runs, so Django never registers it.
        let facts = self.resolver.ws.python[class.file].as_ref();
        if facts.is_some_and(|f| f.in_type_checking(class.class.body)) {
            return 0;
        }
        let mut result = 0;
        for base in &class.class.bases {
            let level = match self.resolver.base_target(base, 0) {
                Target::Class(c) => self.model_certainty(c, depth + 1),
                Target::External(name) => external_model_level(&name, &self.app_roots),
                _ => 0,
            };
            result = result.max(level);
            if result == 2 {
                break;
            }
        }
        self.memo.insert(key, result);
        result
    }

    /// The class followed by its MRO, approximated depth-first with later duplicates kept last
    /// (C3 for the diamond shapes models use), and whether the depth limit cut it short. Each
    /// class's order is computed once per finder (one the limit cut is not kept: computed from
    /// nearer the root it can be longer).
    fn linearize(&self, class: ClassRef<'w>, depth: u32) -> (Rc<[ClassRef<'w>]>, bool) {
        let key = (class.file, class.class.name.as_str());
        if let Some(known) = self.linear.borrow().get(&key) {
            return (known.clone(), false);
        }
        if depth > 32 {
            return (Rc::from([class]), true);
        }
        let mut cut = false;
        let mut seqs: Vec<Vec<ClassRef<'w>>> = Vec::new();
        for base in &class.class.bases {
            if let Some(c) = self.resolver.base_class("", base, 0) {
                let (order, parent_cut) = self.linearize(c, depth + 1);
                cut |= parent_cut;
                seqs.push(order.to_vec());
            }
        }
        let mut out = vec![class];
        // C3 merge.
        let same =
            |a: &ClassRef<'_>, b: &ClassRef<'_>| a.file == b.file && a.class.name == b.class.name;
        loop {
            seqs.retain(|s| !s.is_empty());
            if seqs.is_empty() {
                break;
            }
            let candidate = seqs
                .iter()
                .map(|s| s[0])
                .find(|c| !seqs.iter().any(|s| s[1..].iter().any(|x| same(x, c))));
            let Some(next) = candidate.or_else(|| seqs.first().map(|s| s[0])) else {
                break;
            };
            out.push(next);
            for s in seqs.iter_mut() {
                s.retain(|x| !same(x, &next));
            }
        }
        let out: Rc<[ClassRef<'w>]> = out.into();
        if !cut {
            self.linear.borrow_mut().insert(key, out.clone());
        }
        (out, cut)
    }

    fn own_abstract(&self, class: ClassRef<'w>) -> bool {
        class
            .class
            .meta
            .as_ref()
            .and_then(|m| m.attrs.get("abstract"))
            .and_then(|i| self.resolver.resolve(&i.value, 0).as_bool())
            .unwrap_or(false)
    }

    /// `getattr(Meta, name)` where Meta is what `ModelBase.__new__` sees for this class.
    fn effective_attr(&mut self, class: ClassRef<'w>, name: &str) -> Option<Item> {
        if class.class.meta.is_some() {
            return self.resolver.meta_attr(class, name, 0);
        }
        let order = self.linearize(class, 0).0;
        for &ancestor in order.iter().skip(1) {
            if ancestor.class.meta.is_none() {
                continue;
            }
            // Concrete models do not keep their Meta; abstract ones and plain mixins do.
            let keeps_meta = !self.is_model(ancestor, 0) || self.own_abstract(ancestor);
            if keeps_meta {
                if name == "abstract" {
                    return None;
                }
                return self.resolver.meta_attr(ancestor, name, 0);
            }
        }
        None
    }

    /// Build the code model for a class known to be a model.
    pub fn model(&mut self, class: ClassRef<'w>, containing_label: Option<&str>) -> CodeModel {
        let resolve = |r: &Resolver<'w>, item: &Item| r.resolve(&item.value, 0);
        let abstract_ = self.own_abstract(class);
        let proxy = self
            .effective_attr(class, "proxy")
            .map(|i| resolve(self.resolver, &i).as_bool())
            .unwrap_or(Some(false));
        let mut options = PermOptions::default();
        match self.effective_attr(class, "permissions") {
            Some(item) => {
                let value = resolve(self.resolver, &item);
                let (entries, malformed) = parse_permissions(&value);
                options.bare_pair = matches!(&value, Value::Seq(items) if items.len() == 2 && items.iter().all(|i| i.literal && matches!(i.value, Value::Str(_))));
                options.permissions = entries;
                options.malformed = malformed;
                options.permissions_span = Some(item.span);
            }
            None => options.permissions = Some(Vec::new()),
        }
        match self.effective_attr(class, "default_permissions") {
            Some(item) => {
                let value = resolve(self.resolver, &item);
                options.default_is_str = matches!(value, Value::Str(_));
                options.default_permissions = parse_default_permissions(&value);
                options.default_permissions_span = Some(item.span);
            }
            None => {
                options.default_permissions =
                    Some(DEFAULT_ACTIONS.iter().map(|s| s.to_string()).collect())
            }
        }
        let mut label_opaque = false;
        let label = match self.effective_attr(class, "app_label") {
            Some(item) => match resolve(self.resolver, &item) {
                Value::Str(s) => Some(s.into()),
                _ => {
                    label_opaque = true;
                    None
                }
            },
            None => containing_label.map(str::to_string),
        };
        let swappable = self
            .effective_attr(class, "swappable")
            .and_then(|i| resolve(self.resolver, &i).as_str().map(str::to_string));
        let verbose_name = self
            .effective_attr(class, "verbose_name")
            .and_then(|i| resolve(self.resolver, &i).as_str().map(str::to_string));
        let rules_permissions = match self
            .effective_attr(class, "rules_permissions")
            .map(|i| resolve(self.resolver, &i))
        {
            Some(Value::Dict(items)) => items
                .iter()
                .filter_map(|(k, _)| k.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let alter_options = ALTER_OPTION_KEYS
            .iter()
            .filter_map(|&key| {
                let item = self.effective_attr(class, key)?;
                let value = resolve(self.resolver, &item);
                Some((key, Item { value, ..item }))
            })
            .collect();
        if proxy.is_none() {
            options.permissions = None; // `proxy = <expression>`: cannot tell (DRF's TokenProxy)
        }
        CodeModel {
            file: class.file,
            module: class.module.to_string(),
            object_name: class.class.name.clone(),
            model_name: class.class.name.to_lowercase(),
            span: class.class.span,
            label,
            abstract_,
            proxy: proxy.unwrap_or(false),
            options,
            swappable,
            verbose_name,
            rules_permissions,
            label_opaque,
            alter_options,
            certain: self.model_certainty(class, 0) == 2,
        }
    }
}
