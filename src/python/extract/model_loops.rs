//! Rows created for each model of a loop: `for model in apps.get_models(include_auto_created=True)`
//! (ordinary models and the tables of many-to-many fields), `for field in
//! model._meta.many_to_many` then `field.remote_field.through`, with
//! `content_type=ContentType.objects.get_for_model(model)` and a codename built from
//! `model._meta.model_name` (`f"{action}_{...}"`, `"%s_%s" % (action, ...)`,
//! `get_permission_codename(action, model._meta)`).

use ruff_python_ast::{self as ast, Expr, Operator};

use super::Walker;
use crate::facts::PerModel;
use crate::value::Value;

/// What a loop variable stands for.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum LoopVar {
    /// Each model of a set.
    Models(ModelSet),
    /// Each many-to-many field of the models of a set.
    Fields(Option<String>),
    /// Each action of `model._meta.default_permissions`.
    DefaultActions(ModelSet),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct ModelSet {
    label: Option<String>,
    models: bool,
    through: bool,
}

impl<'a> Walker<'_, '_, 'a> {
    /// What the target of `for <target> in <iter>` stands for, when it is one of the loops above.
    pub(super) fn model_loop(&self, target: &Expr, iter: &Expr) -> Option<(String, LoopVar)> {
        let Expr::Name(name) = target else {
            return None;
        };
        let var = match iter {
            // `<x>.get_models(include_auto_created=True)`, `x` the registry or an app config.
            Expr::Call(call) => {
                let Expr::Attribute(f) = &*call.func else {
                    return None;
                };
                if f.attr.id.as_str() != "get_models" {
                    return None;
                }
                let auto = super::keyword(call, "include_auto_created")
                    .or(call.arguments.args.first())
                    .map(|e| self.fold(e));
                let through = match auto {
                    None | Some(Value::Bool(false)) => false,
                    Some(Value::Bool(true)) => true,
                    Some(_) => return None,
                };
                LoopVar::Models(ModelSet {
                    label: app_config_label(&f.value),
                    models: true,
                    through,
                })
            }
            Expr::Attribute(a) => {
                let meta_of = |e: &Expr| self.meta_set(e, 0);
                match a.attr.id.as_str() {
                    "many_to_many" | "local_many_to_many" => {
                        LoopVar::Fields(meta_of(&a.value)?.label)
                    }
                    "default_permissions" => LoopVar::DefaultActions(meta_of(&a.value)?),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some((name.id.to_string(), var))
    }

    fn loop_var(&self, name: &str) -> Option<&LoopVar> {
        self.model_loops
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The set of models `expr` stands for: a loop variable, `field.remote_field.through` of a
    /// field loop variable, or a local bound to one of them.
    fn model_set(&self, expr: &Expr, depth: u32) -> Option<ModelSet> {
        if depth > 8 {
            return None;
        }
        match expr {
            Expr::Name(n) => match self.loop_var(n.id.as_str()) {
                Some(LoopVar::Models(set)) => Some(set.clone()),
                Some(_) => None,
                None => match self.scope()?.locals.get(n.id.as_str())? {
                    Some((def, None)) => self.model_set(def, depth + 1),
                    _ => None,
                },
            },
            Expr::Attribute(a) if a.attr.id.as_str() == "through" => match &*a.value {
                Expr::Attribute(rel) if rel.attr.id.as_str() == "remote_field" => {
                    match &*rel.value {
                        Expr::Name(f) => match self.loop_var(f.id.as_str()) {
                            Some(LoopVar::Fields(label)) => Some(ModelSet {
                                label: label.clone(),
                                models: false,
                                through: true,
                            }),
                            _ => None,
                        },
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The set of models whose `_meta` `expr` is (`model._meta`, or a local bound to it).
    fn meta_set(&self, expr: &Expr, depth: u32) -> Option<ModelSet> {
        match expr {
            Expr::Attribute(m) if m.attr.id.as_str() == "_meta" => self.model_set(&m.value, depth),
            Expr::Name(n) if depth < 8 => match self.scope()?.locals.get(n.id.as_str())? {
                Some((def, None)) => self.meta_set(def, depth + 1),
                _ => None,
            },
            _ => None,
        }
    }

    /// `<set>._meta.model_name` (or `opts.model_name` with `opts = model._meta`).
    fn model_name_of(&self, expr: &Expr) -> Option<ModelSet> {
        match expr {
            Expr::Attribute(a) if a.attr.id.as_str() == "model_name" => self.meta_set(&a.value, 0),
            _ => None,
        }
    }

    /// The actions an expression takes: a literal, or a loop variable over literals or over the
    /// model's `default_permissions` (`None` for the actions: the model's own defaults).
    fn actions(&self, expr: &Expr, set: &ModelSet) -> Option<Option<Vec<String>>> {
        match expr {
            Expr::StringLiteral(s) => Some(Some(vec![s.value.to_str().to_string()])),
            Expr::Name(n) => {
                if let Some(LoopVar::DefaultActions(of)) = self.loop_var(n.id.as_str()) {
                    return (of == set).then_some(None);
                }
                let values = self.loop_values(expr)?;
                let actions: Option<Vec<String>> = values
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect();
                actions.map(Some)
            }
            _ => None,
        }
    }

    /// The rows of `Permission.objects.create(codename=…, content_type=…)` when both are built
    /// from the same loop over models.
    pub(super) fn per_model(&self, codename: Option<&Expr>, ct: Option<&Expr>) -> Option<PerModel> {
        if self.model_loops.is_empty() {
            return None;
        }
        let set = self.content_type_set(ct?, 0)?;
        let (action, model, meta) = codename_parts(codename?)?;
        let of = match meta {
            true => self.meta_set(model, 0),
            false => self.model_name_of(model),
        };
        if of? != set {
            return None;
        }
        let actions = match action {
            Action::Literal(a) => Some(vec![a]),
            Action::Expr(e) => self.actions(e, &set)?,
        };
        Some(PerModel {
            label: set.label,
            models: set.models,
            through: set.through,
            default_actions: actions.is_none(),
            actions: actions.unwrap_or_default(),
        })
    }

    /// `ContentType.objects.get_for_model(<model of a set>)`, directly or through a local.
    fn content_type_set(&self, expr: &Expr, depth: u32) -> Option<ModelSet> {
        if depth > 8 {
            return None;
        }
        match expr {
            Expr::Name(n) => match self.scope()?.locals.get(n.id.as_str())? {
                Some((def, None)) => self.content_type_set(def, depth + 1),
                _ => None,
            },
            Expr::Await(a) => self.content_type_set(&a.value, depth + 1),
            Expr::Call(call) => match &*call.func {
                Expr::Attribute(f)
                    if matches!(f.attr.id.as_str(), "get_for_model" | "aget_for_model")
                        && call.arguments.keywords.is_empty()
                        && call.arguments.args.len() == 1 =>
                {
                    self.model_set(&call.arguments.args[0], depth + 1)
                }
                _ => None,
            },
            _ => None,
        }
    }
}

enum Action<'e> {
    Literal(String),
    Expr(&'e Expr),
}

/// `(action, model part, whether the part is the model's `_meta`)` of a codename built as
/// `f"{action}_{m}"`, `f"publish_{m}"`, `"%s_%s" % (action, m)` (`m` the model name) or
/// `get_permission_codename(action, opts)`.
fn codename_parts(expr: &Expr) -> Option<(Action<'_>, &Expr, bool)> {
    match expr {
        Expr::FString(f) => {
            let parts: Vec<&ast::InterpolatedStringElement> = f.value.elements().collect();
            match parts.as_slice() {
                [ast::InterpolatedStringElement::Interpolation(a), ast::InterpolatedStringElement::Literal(sep), ast::InterpolatedStringElement::Interpolation(m)]
                    if &*sep.value == "_" && plain(a) && plain(m) =>
                {
                    Some((Action::Expr(&a.expression), &m.expression, false))
                }
                [ast::InterpolatedStringElement::Literal(prefix), ast::InterpolatedStringElement::Interpolation(m)]
                    if plain(m) =>
                {
                    let action = prefix.value.strip_suffix('_')?;
                    Some((Action::Literal(action.to_string()), &m.expression, false))
                }
                _ => None,
            }
        }
        Expr::BinOp(b) if b.op == Operator::Mod => {
            let Expr::StringLiteral(fmt) = &*b.left else {
                return None;
            };
            let Expr::Tuple(t) = &*b.right else {
                return None;
            };
            match (fmt.value.to_str(), t.elts.as_slice()) {
                ("%s_%s", [a, m]) => Some((Action::Expr(a), m, false)),
                _ => None,
            }
        }
        Expr::Call(call) => {
            let name = match &*call.func {
                Expr::Name(n) => n.id.as_str(),
                Expr::Attribute(a) => a.attr.id.as_str(),
                _ => return None,
            };
            match (name, call.arguments.args.as_ref()) {
                ("get_permission_codename", [a, m]) => Some((Action::Expr(a), m, true)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// An interpolation without conversion or format spec.
fn plain(i: &ast::InterpolatedElement) -> bool {
    i.conversion == ast::ConversionFlag::None && i.format_spec.is_none() && i.debug_text.is_none()
}

/// `apps.get_app_config("shop")` → `shop`; any other app config or the registry: any app.
fn app_config_label(expr: &Expr) -> Option<String> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(f) = &*call.func else {
        return None;
    };
    if f.attr.id.as_str() != "get_app_config" {
        return None;
    }
    match call.arguments.args.as_ref() {
        [Expr::StringLiteral(s)] => Some(s.value.to_str().to_string()),
        _ => None,
    }
}
