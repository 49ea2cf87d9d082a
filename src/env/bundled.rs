//! The bundled table of common third-party Django apps (`bundled.json`, written by
//! `scripts/bundled/generate.py` from a fresh `migrate` with the pinned versions it lists):
//! for each INSTALLED_APPS entry, its app label and the permission rows a fresh database gets;
//! for each authentication backend those packages ship, which permission methods it defines.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use serde::Deserialize;

#[derive(Deserialize)]
struct Table {
    packages: BTreeMap<String, String>,
    apps: Vec<BundledApp>,
    backends: Vec<Backend>,
}

/// One INSTALLED_APPS entry as the table knows it.
#[derive(Debug, Deserialize)]
pub struct BundledApp {
    /// The entry as projects write it (`"rest_framework.authtoken"`).
    pub entry: String,
    /// `AppConfig.name`.
    pub name: String,
    /// The dotted path of the AppConfig class the entry selects.
    pub config: String,
    pub label: String,
    /// Models with permission rows on a fresh database (none for apps without any).
    pub models: Vec<BundledModel>,
}

#[derive(Debug, Deserialize)]
pub struct BundledModel {
    /// `ContentType.model` of the rows.
    pub model: String,
    /// Codenames, sorted.
    pub permissions: Vec<String>,
    /// Set for a swappable model: its class name and the setting that swaps it.
    pub object_name: Option<String>,
    pub swappable: Option<String>,
}

/// What an authentication backend contributes to permission checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    /// `ModelBackend`'s permission methods, unchanged.
    Model,
    /// Authenticates only: the permission methods are `BaseBackend`'s (they grant nothing).
    AuthOnly,
    /// Object permissions (django-guardian).
    Object,
    /// django-rules predicates.
    Rules,
    /// Permission methods of its own.
    Custom,
}

#[derive(Debug, Deserialize)]
pub struct Backend {
    /// Dotted class path as AUTHENTICATION_BACKENDS names it.
    pub path: String,
    pub kind: BackendKind,
    /// The permission methods (`has_perm`, `get_all_permissions`, …) it defines itself rather
    /// than inherits from Django's `ModelBackend`/`BaseBackend`.
    pub methods: Vec<String>,
}

struct Loaded {
    table: Table,
    /// Entry, else AppConfig class path, else AppConfig name → index into `table.apps`.
    by_entry: FxHashMap<String, usize>,
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let table: Table = serde_json::from_str(include_str!("bundled.json"))
            .expect("embedded bundled table is valid JSON");
        let mut by_entry = FxHashMap::default();
        for (i, app) in table.apps.iter().enumerate() {
            by_entry.insert(app.entry.clone(), i);
        }
        for (i, app) in table.apps.iter().enumerate() {
            by_entry.entry(app.config.clone()).or_insert(i);
            by_entry.entry(app.name.clone()).or_insert(i);
        }
        Loaded { table, by_entry }
    })
}

/// The app an INSTALLED_APPS entry (a package or an AppConfig class path) installs.
pub fn app(entry: &str) -> Option<&'static BundledApp> {
    let loaded = loaded();
    loaded.by_entry.get(entry).map(|&i| &loaded.table.apps[i])
}

/// An authentication backend by its dotted class path.
pub fn backend(path: &str) -> Option<&'static Backend> {
    let backends = &loaded().table.backends;
    backends
        .binary_search_by(|b| b.path.as_str().cmp(path))
        .ok()
        .map(|i| &backends[i])
}

/// Every app of the table, sorted by entry.
pub fn apps() -> &'static [BundledApp] {
    &loaded().table.apps
}

/// The package versions the table was made with (distribution name → version).
pub fn packages() -> &'static BTreeMap<String, String> {
    &loaded().table.packages
}
