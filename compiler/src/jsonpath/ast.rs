//! The typed syntax tree of an RFC 9535 JSONPath query.
//!
//! Every node carries its [`Span`]: byte offsets into the query text as the mapper gives it
//! (after JSON unescaping), so diagnostics can point inside the path.

use std::ops::Range;

/// Byte offsets into the query text.
pub type Span = Range<usize>;

/// A whole query: `$` followed by segments.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The segments after `$`, in order.
    pub segments: Vec<Segment>,
    /// The whole query.
    pub span: Span,
}

/// One segment: `.name`, `[...]`, `..name`, `..[...]`, `.*`, `..*`.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Child (`.x`, `[...]`) or descendant (`..x`, `..[...]`).
    pub kind: SegmentKind,
    /// The selectors, in order (one for the shorthand forms).
    pub selectors: Vec<Selector>,
    /// The whole segment, including its `.`, `..` or brackets.
    pub span: Span,
}

/// Whether a segment selects from the children or from all descendants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// `.name`, `.*`, `[...]`
    Child,
    /// `..name`, `..*`, `..[...]`
    Descendant,
}

/// One selector inside a segment.
#[derive(Clone, Debug, PartialEq)]
pub enum Selector {
    /// `name`, `'name'` or `"name"`, unescaped.
    Name {
        /// The member name.
        name: String,
        /// Where it is.
        span: Span,
    },
    /// `*`
    Wildcard {
        /// Where it is.
        span: Span,
    },
    /// `[3]`, `[-1]`
    Index {
        /// The index; negative counts from the end.
        index: i64,
        /// Where it is.
        span: Span,
    },
    /// `[start:end:step]`, each part optional.
    Slice {
        /// Start, if given.
        start: Option<i64>,
        /// End, if given.
        end: Option<i64>,
        /// Step, if given.
        step: Option<i64>,
        /// Where it is.
        span: Span,
    },
    /// `[?expr]`
    Filter {
        /// The filter expression.
        expr: LogicalExpr,
        /// Where it is (from `?`).
        span: Span,
    },
}

impl Selector {
    /// Where the selector is.
    pub fn span(&self) -> &Span {
        match self {
            Selector::Name { span, .. }
            | Selector::Wildcard { span }
            | Selector::Index { span, .. }
            | Selector::Slice { span, .. }
            | Selector::Filter { span, .. } => span,
        }
    }
}

/// A logical expression in a filter.
#[derive(Clone, Debug, PartialEq)]
pub enum LogicalExpr {
    /// `a || b || ...` (two or more operands).
    Or(Vec<LogicalExpr>),
    /// `a && b && ...` (two or more operands).
    And(Vec<LogicalExpr>),
    /// `!a` (parenthesized or a test expression).
    Not(Box<LogicalExpr>),
    /// `left op right`
    Comparison {
        /// Left operand.
        left: Comparable,
        /// The operator.
        op: CompareOp,
        /// Right operand.
        right: Comparable,
        /// The whole comparison.
        span: Span,
    },
    /// Existence test `@.a` / `$.a`: true when the query selects at least one node.
    Exists(FilterQuery),
    /// A function whose result type is `LogicalType` (`match`, `search`) used as a test.
    Function(FunctionExpr),
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// An operand of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Comparable {
    /// A literal.
    Literal(Literal),
    /// A singular query (only name and index selectors, child segments).
    Query(FilterQuery),
    /// A function whose result type is `ValueType` (`length`, `count`, `value`).
    Function(FunctionExpr),
}

/// A literal in a filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written (valid JSON number syntax after normalization, e.g. `-0`, `1e3`).
    Number(String),
    /// A string, unescaped.
    String(String),
}

/// A query inside a filter: relative to the current node `@` or to the root `$`.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterQuery {
    /// `@` or `$`.
    pub root: QueryRoot,
    /// The segments after the root.
    pub segments: Vec<Segment>,
    /// The whole query.
    pub span: Span,
}

/// Where a filter query starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryRoot {
    /// `@`, the node the filter is applied to.
    Current,
    /// `$`, the query argument's root.
    Root,
}

/// A function extension call.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionExpr {
    /// Which function.
    pub function: Function,
    /// The arguments, already checked against the function's parameter types.
    pub args: Vec<FunctionArg>,
    /// The whole call.
    pub span: Span,
}

/// The function extensions of RFC 9535.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    /// `length(ValueType) -> ValueType`
    Length,
    /// `count(NodesType) -> ValueType`
    Count,
    /// `match(ValueType, ValueType) -> LogicalType`
    Match,
    /// `search(ValueType, ValueType) -> LogicalType`
    Search,
    /// `value(NodesType) -> ValueType`
    Value,
}

/// An argument of a function call.
#[derive(Clone, Debug, PartialEq)]
pub enum FunctionArg {
    /// A literal.
    Literal(Literal),
    /// A filter query (singular where a `ValueType` is expected).
    Query(FilterQuery),
    /// A logical expression (where a `LogicalType` is expected).
    Logical(LogicalExpr),
    /// A nested function call.
    Function(FunctionExpr),
}

impl Query {
    /// Whether every segment is a child segment with one name or index selector: a path to at
    /// most one node.
    pub fn is_singular(&self) -> bool {
        self.segments.iter().all(Segment::is_singular)
    }
}

impl Segment {
    /// A child segment with exactly one name or index selector.
    pub fn is_singular(&self) -> bool {
        self.kind == SegmentKind::Child
            && self.selectors.len() == 1
            && matches!(self.selectors[0], Selector::Name { .. } | Selector::Index { .. })
    }
}

impl FilterQuery {
    /// The member names of `@.a.b` (`["a", "b"]`): `Some` when the query starts at `@` and every
    /// segment is a child segment with one name selector. Chain filters read such members with
    /// their element instead of parsing it.
    pub fn current_member_names(&self) -> Option<Vec<&str>> {
        if self.root != QueryRoot::Current {
            return None;
        }
        self.segments
            .iter()
            .map(|s| match (s.kind, s.selectors.as_slice()) {
                (SegmentKind::Child, [Selector::Name { name, .. }]) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether every segment is a child segment with one name or index selector: a path to at
    /// most one node.
    pub fn is_singular(&self) -> bool {
        self.segments.iter().all(Segment::is_singular)
    }
}

impl Function {
    /// Every function extension, in the order of the RFC.
    pub const ALL: [Function; 5] =
        [Function::Length, Function::Count, Function::Match, Function::Search, Function::Value];

    /// The name a query calls it by.
    pub fn name(self) -> &'static str {
        match self {
            Function::Length => "length",
            Function::Count => "count",
            Function::Match => "match",
            Function::Search => "search",
            Function::Value => "value",
        }
    }
}
