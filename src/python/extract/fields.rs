//! A class attribute that declares a field (`amount = models.DecimalField(max_digits=12,
//! decimal_places=2, default=0)`) keeps no keyword argument whose value is a number, a
//! boolean or `None`: nothing reads them (the index and the rules read a field's `to`,
//! `through` and `related_name`), and the fields of every model stay in memory for the whole
//! run.

use crate::facts::FileFacts;
use crate::value::Value;

/// Whether `func` (a callee's last name) declares a field: a model's, a form's, a
/// serializer's.
fn declares_field(func: &str) -> bool {
    func.ends_with("Field") || func == "ForeignKey" || func == "ForeignObject"
}

/// Drop the scalar keyword arguments of the field declarations among the attributes of each
/// class (not of its `Meta`).
pub(super) fn prune(facts: &mut FileFacts) {
    for class in facts.classes.iter_mut() {
        for item in class.attrs.values_mut() {
            let Value::Call(call) = &mut item.value else {
                continue;
            };
            if declares_field(&call.func) {
                call.kwargs.retain(|(_, i)| {
                    !matches!(i.value, Value::Int(_) | Value::Bool(_) | Value::None)
                });
            }
        }
    }
}
