//! The Python front end. Only this module names the parser crates.

pub mod extract;

pub use extract::extract_python;

use ruff_python_ast::{Expr, Operator};

/// The Python type of a sequence an expression builds, as folded values do not keep it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqKind {
    List,
    Tuple,
    Set,
}

/// What kind of sequence the expression `text` builds: a display (`[…]`, `(…)`, `a, b`,
/// `{…}`), `list(…)`/`tuple(…)`, or a sum with one such operand; `None` for anything else (a
/// name, a call): the type is not known from the text.
pub fn sequence_kind(text: &str) -> Option<SeqKind> {
    fn kind(expr: &Expr) -> Option<SeqKind> {
        match expr {
            Expr::List(_) => Some(SeqKind::List),
            Expr::Tuple(_) => Some(SeqKind::Tuple),
            Expr::Set(_) => Some(SeqKind::Set),
            Expr::Call(call)
                if call.arguments.args.len() == 1 && call.arguments.keywords.is_empty() =>
            {
                match &*call.func {
                    Expr::Name(n) if n.id.as_str() == "list" => Some(SeqKind::List),
                    Expr::Name(n) if n.id.as_str() == "tuple" => Some(SeqKind::Tuple),
                    _ => None,
                }
            }
            Expr::BinOp(bin) if bin.op == Operator::Add => {
                kind(&bin.left).or_else(|| kind(&bin.right))
            }
            _ => None,
        }
    }
    let parsed = ruff_python_parser::parse_expression(text).ok()?;
    kind(parsed.expr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_kinds() {
        assert_eq!(sequence_kind("['a']"), Some(SeqKind::List));
        assert_eq!(sequence_kind("('a',)"), Some(SeqKind::Tuple));
        assert_eq!(sequence_kind("'add', 'change'"), Some(SeqKind::Tuple));
        assert_eq!(sequence_kind("()"), Some(SeqKind::Tuple));
        assert_eq!(sequence_kind("(\n    ('a', 'b'),\n)"), Some(SeqKind::Tuple));
        assert_eq!(sequence_kind("{'a'}"), Some(SeqKind::Set));
        assert_eq!(sequence_kind("tuple(X)"), Some(SeqKind::Tuple));
        assert_eq!(
            sequence_kind("Base.Meta.permissions + [('a', 'b')]"),
            Some(SeqKind::List)
        );
        assert_eq!(sequence_kind("(['a'])"), Some(SeqKind::List));
        assert_eq!(sequence_kind("PERMS"), None);
        assert_eq!(sequence_kind("'a'"), None);
        assert_eq!(sequence_kind("["), None);
    }
}
