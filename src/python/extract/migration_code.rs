//! What a data migration's code does around `Permission` rows (DJP010): the functions
//! `RunPython` runs forwards and backwards, the apps `create_permissions` is called for, and the
//! `Permission.objects.filter(...)` querysets granted to a group or a user.

use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

use super::{Call, Walker};
use crate::value::Value;

/// Queryset methods that return a queryset of the same rows.
const QUERYSET_METHODS: &[&str] = &[
    "filter",
    "exclude",
    "all",
    "distinct",
    "order_by",
    "only",
    "defer",
    "select_related",
    "prefetch_related",
    "using",
];

impl<'a> Walker<'_, '_, 'a> {
    /// `RunPython(code, reverse_code)`: the functions, when named.
    pub(super) fn run_python(&mut self, c: &Call<'a>) {
        let args = c.args();
        let name = |e: Option<&Expr>| match e {
            Some(Expr::Name(n)) => Some(n.id.to_string()),
            _ => None,
        };
        let forward = name(args.first().or_else(|| c.kw("code")));
        let reverse = name(args.get(1).or_else(|| c.kw("reverse_code")));
        self.ex.facts.run_python.push((forward, reverse));
    }

    /// `create_permissions(apps.get_app_config("label"), ...)`: that app only.
    pub(super) fn create_permissions(&mut self, c: &Call<'a>) {
        let label = c
            .args()
            .first()
            .or_else(|| c.kw("app_config"))
            .and_then(|e| match self.fold(e) {
                Value::Call(call) if call.func == "get_app_config" => match call.args.as_slice() {
                    [only] => only.value.as_str().map(str::to_string),
                    _ => None,
                },
                _ => None,
            });
        self.ex.facts.create_permissions_labels.push(label);
    }

    /// `x.permissions.add(*qs)` / `x.user_permissions.set(qs)`: the calls `qs` stands for
    /// (written there, or bound once to a local).
    pub(super) fn granted_queries(&mut self, c: &Call<'a>) {
        let Some(rel) = c.related_manager() else {
            return;
        };
        if !matches!(rel.attr.id.as_str(), "permissions" | "user_permissions")
            || !matches!(c.name, "add" | "set" | "aadd" | "aset")
        {
            return;
        }
        for arg in c.args() {
            let mut expr = match arg {
                Expr::Starred(s) => &*s.value,
                other => other,
            };
            if let Expr::Name(n) = expr {
                match self.scope().and_then(|s| s.locals.get(n.id.as_str())) {
                    Some(Some((def, None))) => expr = def,
                    _ => continue,
                }
            }
            // `…filter(...).distinct()`: every call of the chain while it is a queryset (not
            // `.first()`, one object or None, which the code may test).
            for _ in 0..8 {
                let Expr::Call(call) = expr else { break };
                match &*call.func {
                    Expr::Attribute(a) if QUERYSET_METHODS.contains(&a.attr.id.as_str()) => {
                        let span = self.ex.span(call.range());
                        self.ex.facts.granted_queries.push(span);
                        expr = &a.value;
                    }
                    _ => break,
                }
            }
        }
    }
}
