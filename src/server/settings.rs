//! Client settings (`initializationOptions`, `workspace/didChangeConfiguration`) and how they
//! combine with the project's config file: like the command line, `select`, `settings`,
//! `preview` and `target-django` replace, the lists extend.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::config::Config;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientSettings {
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub exclude: Vec<String>,
    pub extra_permissions: Vec<String>,
    pub custom_actions: Vec<String>,
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    pub settings: Option<String>,
    pub preview: Option<bool>,
    pub target_django: Option<String>,
}

fn get<'a>(obj: &'a serde_json::Map<String, Value>, kebab: &str) -> Option<&'a Value> {
    let camel: String = {
        let mut out = String::new();
        let mut up = false;
        for c in kebab.chars() {
            if c == '-' {
                up = true;
            } else if up {
                out.extend(c.to_uppercase());
                up = false;
            } else {
                out.push(c);
            }
        }
        out
    };
    obj.get(kebab)
        .or_else(|| obj.get(&camel))
        .or_else(|| obj.get(&kebab.replace('-', "_")))
        .filter(|v| !v.is_null())
}

/// A list of strings; a single string counts as a one-element list, a comma-separated string as
/// several (as `--ignore A,B`).
fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

impl ClientSettings {
    /// Read settings from `{"djperm": {...}}` or `{...}`; unknown keys and wrong types are
    /// ignored (an editor's settings UI is not the place to fail a server).
    /// Settings sent again (`workspace/didChangeConfiguration`) on top of those in force: a key
    /// the client leaves out keeps its value. Eglot and Neovim send empty settings right after
    /// start, which must not drop the `initializationOptions`.
    pub fn merge_json(in_force: &mut serde_json::Map<String, Value>, sent: &Value) {
        if let Some(obj) = Self::object(sent) {
            for (k, v) in obj {
                in_force.insert(k.clone(), v.clone());
            }
        }
    }

    /// The settings object: `{"djperm": {...}}` or the object itself.
    fn object(value: &Value) -> Option<&serde_json::Map<String, Value>> {
        match value.get("djperm") {
            Some(Value::Object(o)) => Some(o),
            _ => value.as_object().filter(|o| !o.contains_key("djperm")),
        }
    }

    pub fn from_json(value: &Value) -> ClientSettings {
        let Some(obj) = Self::object(value) else {
            return ClientSettings::default();
        };
        let list = |key: &str| get(obj, key).and_then(strings).unwrap_or_default();
        let select = get(obj, "select")
            .and_then(strings)
            .filter(|s| !s.is_empty());
        let per_file_ignores = match get(obj, "per-file-ignores") {
            Some(Value::Object(m)) => m
                .iter()
                .filter_map(|(k, v)| strings(v).map(|codes| (k.clone(), codes)))
                .collect(),
            _ => BTreeMap::new(),
        };
        ClientSettings {
            select,
            extend_select: list("extend-select"),
            ignore: list("ignore"),
            exclude: list("exclude"),
            extra_permissions: list("extra-permissions"),
            custom_actions: list("custom-actions"),
            per_file_ignores,
            settings: get(obj, "settings")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            preview: get(obj, "preview").and_then(Value::as_bool),
            target_django: get(obj, "target-django")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        }
    }

    /// The file config with these settings on top.
    pub fn apply(&self, file: &Config) -> Config {
        let mut config = file.clone();
        if let Some(select) = &self.select {
            config.select = Some(select.clone());
        }
        config
            .extend_select
            .extend(self.extend_select.iter().cloned());
        config.ignore.extend(self.ignore.iter().cloned());
        config.exclude.extend(self.exclude.iter().cloned());
        config
            .extra_permissions
            .extend(self.extra_permissions.iter().cloned());
        config
            .custom_actions
            .extend(self.custom_actions.iter().cloned());
        for (glob, codes) in &self.per_file_ignores {
            config
                .per_file_ignores
                .entry(glob.clone())
                .or_default()
                .extend(codes.iter().cloned());
        }
        if self.settings.is_some() {
            config.settings = self.settings.clone();
        }
        if let Some(preview) = self.preview {
            config.preview = preview;
        }
        if self.target_django.is_some() {
            config.target_django = self.target_django.clone();
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_and_nesting() {
        let a = ClientSettings::from_json(&serde_json::json!({
            "djperm": {"extraPermissions": ["x.y"], "ignore": "DJP005,DJP004", "select": [], "preview": true}
        }));
        let b = ClientSettings::from_json(&serde_json::json!({
            "extra-permissions": ["x.y"], "ignore": ["DJP005", "DJP004"], "bogus": 1, "preview": true
        }));
        assert_eq!(a, b);
        assert_eq!(a.select, None);
        let config = a.apply(&Config {
            ignore: vec!["DJP001".into()],
            ..Config::default()
        });
        assert_eq!(config.ignore, ["DJP001", "DJP005", "DJP004"]);
        assert!(config.preview);
    }
}
