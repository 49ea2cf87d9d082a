//! Strings shaped like a permission that are something else: URL names (`path(..., name="a.b_c")`),
//! log messages, and the keys of dictionaries in settings-like module constants. They are kept
//! out of the permission-shaped literals.

use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;

use super::{Call, Walker};

const LOG_METHODS: &[&str] = &[
    "debug",
    "info",
    "warning",
    "warn",
    "error",
    "exception",
    "critical",
    "log",
];

impl<'a> Walker<'_, '_, 'a> {
    fn not_a_permission(&mut self, expr: &Expr) {
        if expr.is_string_literal_expr() {
            let span = self.ex.span(expr.range());
            self.sink_literals.insert(span);
        }
    }

    /// URL names and log messages.
    pub(super) fn not_permissions_in_call(&mut self, c: &Call<'a>) {
        match c.name {
            "path" | "re_path" | "url" => {
                if let Some(name) = c.kw("name") {
                    self.not_a_permission(name);
                }
            }
            m if LOG_METHODS.contains(&m) => {
                let logger = self.receiver_text(c).is_some_and(|r| {
                    let last = r.rsplit('.').next().unwrap_or(r).to_ascii_lowercase();
                    last.contains("log")
                });
                if logger {
                    for a in c.args() {
                        self.not_a_permission(a);
                    }
                }
            }
            _ => {}
        }
    }

    /// Keys of the dictionaries in `NAME = {...}` at module level (settings such as `LOGGING`).
    pub(super) fn setting_keys(&mut self, stmt: &'a Stmt) {
        let Stmt::Assign(assign) = stmt else { return };
        let upper = assign.targets.iter().all(|t| {
            matches!(t, Expr::Name(n) if n.id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        });
        if upper && self.scopes.is_empty() && self.classes.is_empty() {
            self.dict_keys(&assign.value, 0);
        }
    }

    fn dict_keys(&mut self, expr: &Expr, depth: u32) {
        if depth > 32 {
            return;
        }
        match expr {
            Expr::Dict(d) => {
                for item in &d.items {
                    if let Some(key) = &item.key {
                        self.not_a_permission(key);
                    }
                    self.dict_keys(&item.value, depth + 1);
                }
            }
            Expr::List(l) => l.elts.iter().for_each(|e| self.dict_keys(e, depth + 1)),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.dict_keys(e, depth + 1)),
            _ => {}
        }
    }
}
