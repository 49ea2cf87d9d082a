//! A class attribute that declares a field (`origin = models.ForeignKey("shop.Order",
//! on_delete=models.SET_NULL, null=True, related_name="+", help_text=_("Where it came
//! from"))`) keeps only what some reader asks of it: its first positional argument (the target
//! of a relation, or a verbose name) and the keywords `to`, `through` and `related_name` (the
//! index and the rules read nothing else of a field: the tables many-to-many fields add, and
//! whether a relation leads to `Permission`). The fields of every model, form and serializer
//! stay in memory for the whole run, and the values a reader never asks for would also send
//! the import closure to the modules they name.

use crate::facts::FileFacts;
use crate::value::Value;

/// The keyword arguments of a field declaration that some reader asks for.
const READ: [&str; 3] = ["to", "through", "related_name"];

/// Whether `func` (a callee's last name) declares a field: a model's, a form's, a
/// serializer's.
fn declares_field(func: &str) -> bool {
    func.ends_with("Field") || func == "ForeignKey" || func == "ForeignObject"
}

/// Drop the arguments no reader asks for from the field declarations among the attributes of
/// each class (not of its `Meta`).
pub(super) fn prune(facts: &mut FileFacts) {
    for class in facts.classes.iter_mut() {
        for item in class.attrs.values_mut() {
            let Value::Call(call) = &mut item.value else {
                continue;
            };
            if declares_field(&call.func) {
                call.args.truncate(1);
                call.kwargs
                    .retain(|(name, _)| READ.contains(&name.as_str()));
            }
        }
    }
}
