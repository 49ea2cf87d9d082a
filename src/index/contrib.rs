//! The permissions of `django.contrib` apps, embedded for projects that do not
//! vendor Django.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Deserialize)]
struct Table {
    apps: Vec<ContribApp>,
}

#[derive(Deserialize)]
pub struct ContribApp {
    pub app: String,
    pub label: String,
    pub models: Vec<ContribModel>,
}

#[derive(Deserialize)]
pub struct ContribModel {
    pub model: String,
    pub object_name: String,
    pub swappable: Option<String>,
    pub permissions: Vec<ContribPerm>,
}

#[derive(Deserialize)]
pub struct ContribPerm {
    pub codename: String,
    pub name: String,
}

fn table() -> &'static [ContribApp] {
    static TABLE: OnceLock<Vec<ContribApp>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let table: Table = serde_json::from_str(include_str!("contrib_permissions.json"))
            .expect("embedded contrib table is valid JSON");
        table.apps
    })
}

pub fn app(label: &str) -> Option<&'static ContribApp> {
    table().iter().find(|a| a.label == label)
}

pub fn has_models(label: &str) -> bool {
    app(label).is_some_and(|a| !a.models.is_empty())
}

/// `(label, model_name)` of the contrib model class at the dotted path `name`
/// (`django.contrib.auth.models.User` → `("auth", "user")`).
pub fn model_at(name: &str) -> Option<(&'static str, &'static str)> {
    let (module, object_name) = name.rsplit_once('.')?;
    let app = module.strip_suffix(".models")?;
    let app = table().iter().find(|a| a.app == app)?;
    let model = app.models.iter().find(|m| m.object_name == object_name)?;
    Some((app.label.as_str(), model.model.as_str()))
}
