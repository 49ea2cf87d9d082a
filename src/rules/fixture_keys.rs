//! Permission natural keys `[codename, app_label, model]` in Django fixtures (`loaddata`): the
//! `permissions` / `user_permissions` of each object's `fields`, in JSON and YAML fixtures, with
//! the byte range of the codename.

use saphyr::{LoadableYamlNode, MarkedYaml};
use serde_json::Value as Json;

pub struct NaturalKey {
    pub codename: String,
    pub label: String,
    pub model: String,
    /// Byte range of the codename (with its quotes, if any).
    pub start: usize,
    pub end: usize,
}

const FIELDS: [&str; 2] = ["permissions", "user_permissions"];

/// The natural keys of a fixture, by its file name; `None` when it is not a Django fixture (or
/// does not parse: `loaddata`'s business).
pub fn natural_keys(path: &str, text: &str) -> Option<Vec<NaturalKey>> {
    if path.ends_with(".yaml") {
        yaml_keys(text)
    } else {
        json_keys(text)
    }
}

fn json_keys(text: &str) -> Option<Vec<NaturalKey>> {
    let Ok(Json::Array(objects)) = serde_json::from_str::<Json>(text) else {
        return None;
    };
    let mut out = Vec::new();
    // Natural keys appear in the text in document order: find each from a moving cursor.
    let mut cursor = 0usize;
    for obj in &objects {
        let Some(fields) = obj.get("fields").and_then(Json::as_object) else {
            continue;
        };
        for key in FIELDS {
            let Some(Json::Array(perms)) = fields.get(key) else {
                continue;
            };
            for p in perms {
                let Some([Json::String(codename), Json::String(label), Json::String(model)]) =
                    p.as_array().map(Vec::as_slice)
                else {
                    continue; // a primary key: nothing to check statically
                };
                let needle = format!("\"{codename}\"");
                let Some(rel) = text[cursor..].find(&needle) else {
                    continue;
                };
                let start = cursor + rel;
                cursor = start + needle.len();
                out.push(NaturalKey {
                    codename: codename.clone(),
                    label: label.clone(),
                    model: model.clone(),
                    start,
                    end: cursor,
                });
            }
        }
    }
    Some(out)
}

fn yaml_keys(text: &str) -> Option<Vec<NaturalKey>> {
    let docs = MarkedYaml::load_from_str(text).ok()?;
    // (codename, label, model, char start)
    let mut found: Vec<(String, String, String, usize)> = Vec::new();
    for doc in &docs {
        let Some(objects) = doc.data.as_sequence() else {
            continue;
        };
        for obj in objects {
            let Some(fields) = obj.data.as_mapping_get("fields") else {
                continue;
            };
            for key in FIELDS {
                let Some(perms) = fields
                    .data
                    .as_mapping_get(key)
                    .and_then(|p| p.data.as_sequence())
                else {
                    continue;
                };
                for p in perms {
                    let Some([c, l, m]) = p.data.as_sequence().map(Vec::as_slice) else {
                        continue; // a primary key: nothing to check statically
                    };
                    let (Some(codename), Some(label), Some(model)) =
                        (c.data.as_str(), l.data.as_str(), m.data.as_str())
                    else {
                        continue;
                    };
                    found.push((
                        codename.to_string(),
                        label.to_string(),
                        model.to_string(),
                        c.span.start.index(),
                    ));
                }
            }
        }
    }
    // Markers count characters: one pass turns them into byte offsets.
    let mut wanted: Vec<usize> = found.iter().map(|f| f.3).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut bytes = rustc_hash::FxHashMap::default();
    let mut next = wanted.iter().peekable();
    for (chars, (at, _)) in text.char_indices().enumerate() {
        if next.peek().is_none() {
            break;
        }
        if next.peek().is_some_and(|w| **w == chars) {
            bytes.insert(chars, at);
            next.next();
        }
    }
    Some(
        found
            .into_iter()
            .filter_map(|(codename, label, model, at)| {
                let start = *bytes.get(&at)?;
                Some(NaturalKey {
                    end: token_end(text, start),
                    codename,
                    label,
                    model,
                    start,
                })
            })
            .collect(),
    )
}

/// The end of the scalar written at `start`: past its closing quote, or the plain word.
fn token_end(text: &str, start: usize) -> usize {
    let rest = &text[start..];
    match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].find(q).map_or(text.len(), |i| start + 1 + i + 1),
        _ => {
            let token = &rest[..rest.find([',', ']', '\n', '#']).unwrap_or(rest.len())];
            start + token.trim_end().len()
        }
    }
}
