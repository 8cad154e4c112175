//! Filter expressions as the grammar shapes them, before typing.
//!
//! The grammar cannot tell a literal from a test or a singular query from any other without
//! context (a function's parameter types, or which side of an operator it is on), so filters
//! are first built in this untyped form and then typed by `typecheck`.

use super::ast::{CompareOp, FilterQuery, Literal, Span};

/// A logical expression, or a bare operand where the grammar allowed one.
#[derive(Debug)]
pub(super) enum Expr {
    /// `a || b`, two or more operands.
    Or(Vec<Expr>),
    /// `a && b`, two or more operands.
    And(Vec<Expr>),
    /// `!x`; `not` is the `!` itself.
    Not { not: Span, operand: Box<Expr> },
    /// `(x)`; `span` includes the parentheses.
    Paren { inner: Box<Expr>, span: Span },
    /// `left op right`
    Comparison { left: Operand, op: CompareOp, right: Operand, span: Span },
    /// A literal, query or function call standing alone.
    Operand(Operand),
}

/// Something that can be compared, tested or passed to a function.
#[derive(Debug)]
pub(super) enum Operand {
    /// A literal.
    Literal { value: Literal, span: Span },
    /// `@...` or `$...`; its own filters are already typed.
    Query(FilterQuery),
    /// `name(args)`, not yet resolved.
    Call(Call),
}

/// A function call as written.
#[derive(Debug)]
pub(super) struct Call {
    /// The name as written, possibly unknown.
    pub name: String,
    /// Where the name is.
    pub name_span: Span,
    /// The arguments, untyped.
    pub args: Vec<Expr>,
    /// The whole call.
    pub span: Span,
}

impl Expr {
    /// Where the expression is, parentheses included.
    pub fn span(&self) -> Span {
        match self {
            Expr::Or(operands) | Expr::And(operands) => match (operands.first(), operands.last()) {
                (Some(first), Some(last)) => first.span().start..last.span().end,
                _ => 0..0,
            },
            Expr::Not { not, operand } => not.start..operand.span().end,
            Expr::Paren { span, .. } | Expr::Comparison { span, .. } => span.clone(),
            Expr::Operand(operand) => operand.span(),
        }
    }
}

impl Operand {
    /// Where the operand is.
    pub fn span(&self) -> Span {
        match self {
            Operand::Literal { span, .. } => span.clone(),
            Operand::Query(query) => query.span.clone(),
            Operand::Call(call) => call.span.clone(),
        }
    }
}
