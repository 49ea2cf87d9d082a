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
