//! A migration's `operations` keep only what the index's replay reads
//! ([`crate::facts::REPLAYED_OPERATIONS`]): the facts of every migration stay in memory for the
//! whole run, and field definitions are most of a migration.

use crate::facts::{FileFacts, REPLAYED_OPERATIONS, REPLAYED_OPTIONS};
use crate::value::{CompactString, Item, Value};

/// Drop, in `operations` of each `Migration` class, the arguments of operations the replay
/// ignores and the fields of `CreateModel` (given by position, they become `Unknown`, so the
/// positions of the others stay), and the options it does not read.
pub(super) fn prune(facts: &mut FileFacts) {
    for class in facts.classes.iter_mut().filter(|c| c.name == "Migration") {
        if let Some(Item {
            value: Value::Seq(ops),
            ..
        }) = class.attrs.get_mut("operations")
        {
            ops.iter_mut().for_each(|op| prune_op(&mut op.value));
        }
    }
}

fn unknown(item: &mut Item) {
    item.value = Value::Unknown;
    item.literal = false;
}

fn prune_op(op: &mut Value) {
    let Value::Call(call) = op else {
        return;
    };
    let crate::value::Call {
        func, args, kwargs, ..
    } = &mut **call;
    match func.as_str() {
        "CreateModel" => {
            if let Some(fields) = args.get_mut(1) {
                unknown(fields);
            }
            kwargs.retain(|(name, _)| name != "fields");
            prune_options(args, kwargs, 2);
        }
        "AlterModelOptions" => prune_options(args, kwargs, 1),
        "SeparateDatabaseAndState" => {
            for item in args.iter_mut().chain(kwargs.iter_mut().map(|(_, i)| i)) {
                if let Value::Seq(ops) = &mut item.value {
                    ops.iter_mut().for_each(|op| prune_op(&mut op.value));
                }
            }
        }
        name if REPLAYED_OPERATIONS.contains(&name) => {}
        // Nothing reads their arguments, not even by position.
        _ => {
            args.clear();
            kwargs.clear();
        }
    }
}

/// Keep, in the literal `options` dict (positional argument `at` or keyword), the keys the
/// replay reads ([`REPLAYED_OPTIONS`]) and any key that is not a literal string (it makes the
/// options opaque).
fn prune_options(args: &mut [Item], kwargs: &mut [(CompactString, Item)], at: usize) {
    let options = match args.get_mut(at) {
        Some(item) => Some(item),
        None => kwargs
            .iter_mut()
            .find(|(k, _)| k == "options")
            .map(|(_, i)| i),
    };
    if let Some(Item {
        value: Value::Dict(items),
        ..
    }) = options
    {
        items.retain(|(k, _)| k.as_str().is_none_or(|k| REPLAYED_OPTIONS.contains(&k)));
    }
}

/// Words whose presence in a migration means its operations may matter: the replayed
/// operations, code the migration runs, and anything permission-shaped.
const MAY_MATTER: &[&str] = &["RunPython", "RunSQL", "perm", "Perm", "PERM"];

/// The text of a migration module with the inside of its `operations` list blanked (every byte
/// but line ends becomes a space, so every offset and line stays), when nothing in that list
/// can matter: no operation the replay reads and nothing permission-shaped anywhere in the
/// file, and the list is written as `makemigrations` writes it (`    operations = [` … `    ]`,
/// each operation a call starting on its own line). Its operations are then left out of the
/// facts, as [`prune`] would have left them out of the replay, without being parsed: most
/// migrations only add and alter fields, and they are a large part of what a project parses.
/// `None` when the text is to be parsed whole.
pub(super) fn blank_unread_operations(
    module: &str,
    is_package: bool,
    source: &str,
) -> Option<String> {
    let in_migrations = module.rsplit('.').nth(1) == Some("migrations");
    if is_package || !in_migrations {
        return None;
    }
    let bytes = source.as_bytes();
    if REPLAYED_OPERATIONS
        .iter()
        .chain(MAY_MATTER)
        .any(|w| memchr::memmem::find(bytes, w.as_bytes()).is_some())
    {
        return None;
    }
    let (open, close) = operations_list(source)?;
    let mut out = bytes.to_vec();
    for b in &mut out[open..close] {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
    String::from_utf8(out).ok()
}

/// The byte range inside the brackets of a `Migration` class's `operations` list written in
/// `makemigrations`' layout, or `None` when it is written any other way.
fn operations_list(source: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    let mut in_class = false;
    let mut open = None;
    for line in source.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let text = line.trim_end_matches(['\n', '\r']);
        let Some(open) = open else {
            if text.starts_with("class Migration(") {
                in_class = true;
            } else if in_class && text.trim_end() == "    operations = [" {
                open = Some(start + text.find('[')? + 1);
            }
            continue;
        };
        if text.trim_end() == "    ]" {
            return Some((open, start + 4));
        }
        let indent = text.len() - text.trim_start_matches(' ').len();
        let rest = &text[indent..];
        if rest.trim().is_empty() || indent > 8 {
            continue;
        }
        // An operation's first line (`migrations.AddField(`) or its last (`),`).
        let call = rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && rest.find('(').is_some_and(|i| {
                rest[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            });
        if indent != 8 || !(call || rest.starts_with(')')) {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::blank_unread_operations;
    use crate::value::Value;

    const ADD_FIELD: &str = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n\n    dependencies = [\n        (\"shop\", \"0001_initial\"),\n    ]\n\n    operations = [\n        migrations.AddField(\n            model_name=\"order\",\n            name=\"note\",\n            field=models.TextField(default=\"é\"),\n        ),\n        migrations.AlterField(\n            model_name=\"order\",\n            name=\"total\",\n            field=models.IntegerField(),\n        ),\n    ]\n    atomic = False\n";

    fn blanked(text: &str) -> Option<String> {
        blank_unread_operations("shop.migrations.0002_order_note", false, text)
    }

    #[test]
    fn an_added_field_is_blanked_and_every_offset_stays() {
        let out = blanked(ADD_FIELD).expect("blanked");
        assert_eq!(out.len(), ADD_FIELD.len());
        assert_eq!(out.lines().count(), ADD_FIELD.lines().count());
        assert!(!out.contains("AddField") && !out.contains("é"));
        assert_eq!(out.find("atomic"), ADD_FIELD.find("atomic"));
        let facts =
            crate::python::extract_python(0, ADD_FIELD, "shop.migrations.0002_order_note", false);
        assert!(facts.syntax_error.is_none());
        let class = facts
            .classes
            .iter()
            .find(|c| c.name == "Migration")
            .unwrap();
        assert!(
            matches!(&class.attrs.get("operations").unwrap().value, Value::Seq(ops) if ops.is_empty())
        );
        assert!(
            matches!(&class.attrs.get("dependencies").unwrap().value, Value::Seq(d) if d.len() == 1)
        );
        let atomic = class.attrs.get("atomic").unwrap();
        assert_eq!(atomic.value, Value::Bool(false));
        assert_eq!(atomic.span.start as usize, ADD_FIELD.find("False").unwrap());
    }

    #[test]
    fn what_may_matter_is_parsed_whole() {
        // An operation the replay reads, code the migration runs, a permission-shaped word.
        for (from, to) in [
            ("migrations.AlterField", "migrations.AlterModelOptions"),
            ("migrations.AlterField", "migrations.RunPython"),
            ("name=\"note\"", "name=\"permissions\""),
        ] {
            assert_eq!(blanked(&ADD_FIELD.replace(from, to)), None, "{to}");
        }
        // Not a migration module, or its package.
        assert_eq!(
            blank_unread_operations("shop.models", false, ADD_FIELD),
            None
        );
        assert_eq!(
            blank_unread_operations("shop.migrations", true, ADD_FIELD),
            None
        );
    }

    #[test]
    fn only_the_layout_makemigrations_writes_is_blanked() {
        for (from, to) in [
            // A name, not a call: the replay would see an unknown operation.
            (
                "        migrations.AlterField(\n",
                "        *MORE,\n        migrations.AlterField(\n",
            ),
            (
                "        migrations.AlterField(\n",
                "        ALTER,\n        migrations.AlterField(\n",
            ),
            // On one line, or indented otherwise.
            (
                "    operations = [\n",
                "    operations = [migrations.RemoveField(\"order\", \"x\")] + [\n",
            ),
            ("        migrations.AddField(", "      migrations.AddField("),
            // No end.
            ("    ]\n    atomic", "    atomic"),
        ] {
            let text = ADD_FIELD.replace(from, to);
            assert_ne!(text, ADD_FIELD);
            assert_eq!(blanked(&text), None, "{to}");
        }
    }
}
