//! A migration's `operations` keep only what the index's replay reads
//! ([`crate::facts::REPLAYED_OPERATIONS`]): the facts of every migration stay in memory for the
//! whole run, and field definitions are most of a migration.

use crate::facts::{FileFacts, REPLAYED_OPERATIONS};
use crate::value::{Item, Value};

/// Drop, in `operations` of each `Migration` class, the arguments of operations the replay
/// ignores and the fields of `CreateModel` (each dropped argument becomes `Unknown`, so the
/// positions of the others stay).
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
            for (name, item) in kwargs.iter_mut() {
                if name == "fields" {
                    unknown(item);
                }
            }
        }
        "SeparateDatabaseAndState" => {
            for item in args.iter_mut().chain(kwargs.iter_mut().map(|(_, i)| i)) {
                if let Value::Seq(ops) = &mut item.value {
                    ops.iter_mut().for_each(|op| prune_op(&mut op.value));
                }
            }
        }
        name if REPLAYED_OPERATIONS.contains(&name) => {}
        _ => {
            args.iter_mut().for_each(unknown);
            kwargs.iter_mut().for_each(|(_, i)| unknown(i));
        }
    }
}
