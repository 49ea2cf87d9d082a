//! Code that runs when `migrate` runs, so that the rows it creates are on a fresh database:
//! `AppConfig.ready()`, functions decorated `@receiver(post_migrate)`, and the functions given to
//! `post_migrate.connect(...)` (resolved across files by the index).

use ruff_python_ast::{self as ast, Expr};

use super::{dotted, Call, Walker};
use crate::value::Value;

impl<'a> Walker<'_, '_, 'a> {
    /// `post_migrate` as Django's signal: imported from `django.db.models.signals` (or its
    /// module), or spelled `signals.post_migrate` / `models.signals.post_migrate`.
    fn is_post_migrate(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Name(n) => self
                .ex
                .imports
                .get(n.id.as_str())
                .is_some_and(|(module, path)| {
                    module.starts_with("django.db.models")
                        && path.last().is_some_and(|p| p == "post_migrate")
                }),
            Expr::Attribute(a) => {
                a.attr.id.as_str() == "post_migrate"
                    && dotted(&a.value).is_some_and(|d| d.ends_with("signals"))
            }
            _ => false,
        }
    }

    /// Record `func` when its body runs at migrate time.
    pub(super) fn migrate_time_function(&mut self, func: &'a ast::StmtFunctionDef) {
        let receiver = func.decorator_list.iter().any(|d| match &d.expression {
            Expr::Call(call) => {
                dotted(&call.func).is_some_and(|n| n == "receiver" || n.ends_with(".receiver"))
                    && call
                        .arguments
                        .args
                        .first()
                        .is_some_and(|a| self.is_post_migrate(a))
            }
            _ => false,
        });
        // `ready` of a class whose bases name Django's `AppConfig` (or a subclass named so).
        let ready = func.name.id.as_str() == "ready"
            && self.classes.last().is_some_and(|c| {
                c.bases.iter().any(|b| match b {
                    Value::Ref { path, .. } | Value::StarRef { path, .. } => {
                        path.last().is_some_and(|p| p.ends_with("AppConfig"))
                    }
                    _ => false,
                })
            });
        if receiver || ready {
            let span = self.ex.span(func.range);
            self.ex.facts.migrate_time.push(span);
        }
    }

    /// `post_migrate.connect(f, ...)`: the function `f` (a local or imported name).
    pub(super) fn migrate_hook(&mut self, c: &Call<'a>) {
        if c.name != "connect" || !c.receiver.is_some_and(|r| self.is_post_migrate(r)) {
            return;
        }
        let Some(Expr::Name(n)) = c.args().first().or_else(|| c.kw("receiver")) else {
            return;
        };
        let hook = match self.ex.imports.get(n.id.as_str()) {
            Some((module, path)) if !path.is_empty() => {
                let last = path.last().map(|p| p.to_string()).unwrap_or_default();
                (module.to_string(), last)
            }
            _ => (self.ex.facts.module.clone(), n.id.to_string()),
        };
        self.ex.facts.migrate_hooks.push(hook);
    }
}
