//! JSONPath queries interpreted over the runtime's `Json` tree, with the runtime's own value
//! semantics (comparisons, `length()`, slices, regular expressions).
//!
//! This follows the code that [`crate::generate::query`] emits step for step: the same nodelist
//! order, the same shortcuts for singular queries and for members a chain filter read in advance,
//! the same functions of `hookmap::__private`. The agreement tests run both on every case of the
//! JSONPath compliance suite.

use hookmap_core::__private::{
    Json, Operand, RegexMode, eq, ge, gt, is_match_dynamic, le, length, lt, ne, slice,
};

use crate::jsonpath::ast::{
    Comparable, CompareOp, FilterQuery, Function, FunctionArg, FunctionExpr, Literal, LogicalExpr, Query,
    QueryRoot, Segment, SegmentKind, Selector,
};

/// The nodelist of `query` on `document`, in RFC 9535 order.
pub fn nodelist<'n, 'a>(query: &Query, document: &'n Json<'a>) -> Vec<&'n Json<'a>> {
    Context { root: document, known: &[] }.select(document, &query.segments)
}

/// What the queries of one filter or path see: `$`, and the members of `@` read in advance.
#[derive(Clone, Copy)]
pub(super) struct Context<'k, 'n, 'a> {
    /// What `$` means.
    pub root: &'n Json<'a>,
    /// Members of `@` a chain filter read with its element, by their names: used instead of a
    /// lookup in a tree of `@`, as the generated code does.
    pub known: &'k [(Vec<String>, Option<&'n Json<'a>>)],
}

impl<'n, 'a> Context<'_, 'n, 'a> {
    /// The nodes `segments` select from `start`, in order.
    pub fn select(&self, start: &'n Json<'a>, segments: &[Segment]) -> Vec<&'n Json<'a>> {
        let mut nodes = vec![start];
        for segment in segments {
            let mut next = Vec::new();
            for node in nodes {
                let inputs = match segment.kind {
                    SegmentKind::Child => vec![node],
                    SegmentKind::Descendant => node.descendants(),
                };
                for input in inputs {
                    for selector in &segment.selectors {
                        self.apply(input, selector, &mut next);
                    }
                }
            }
            nodes = next;
        }
        nodes
    }

    /// The first node `segments` select from `start`.
    pub fn first(&self, start: &'n Json<'a>, segments: &[Segment]) -> Option<&'n Json<'a>> {
        self.select(start, segments).into_iter().next()
    }

    fn apply(&self, node: &'n Json<'a>, selector: &Selector, out: &mut Vec<&'n Json<'a>>) {
        match selector {
            Selector::Name { name, .. } => out.extend(node.member(name)),
            Selector::Index { index, .. } => out.extend(node.index(*index)),
            Selector::Wildcard { .. } => out.extend(node.children()),
            Selector::Slice { start, end, step, .. } => out.extend(slice(node, *start, *end, *step)),
            Selector::Filter { expr, .. } => {
                out.extend(node.children().filter(|child| self.test(expr, child)))
            }
        }
    }

    /// Whether filter `expr` keeps `current`.
    pub fn test(&self, expr: &LogicalExpr, current: &'n Json<'a>) -> bool {
        match expr {
            LogicalExpr::Or(operands) => operands.iter().any(|o| self.test(o, current)),
            LogicalExpr::And(operands) => operands.iter().all(|o| self.test(o, current)),
            LogicalExpr::Not(inner) => !self.test(inner, current),
            LogicalExpr::Comparison { left, op, right, .. } => {
                let (left, right) = (self.comparable(left, current), self.comparable(right, current));
                match op {
                    CompareOp::Eq => eq(left, right),
                    CompareOp::Ne => ne(left, right),
                    CompareOp::Lt => lt(left, right),
                    CompareOp::Le => le(left, right),
                    CompareOp::Gt => gt(left, right),
                    CompareOp::Ge => ge(left, right),
                }
            }
            LogicalExpr::Exists(query) if query.segments.is_empty() => true,
            LogicalExpr::Exists(query) => match self.known_member(query) {
                Some(known) => known.is_some(),
                None => !self.select(self.start(query, current), &query.segments).is_empty(),
            },
            LogicalExpr::Function(call) => self.regex_test(call, current),
        }
    }

    fn start(&self, query: &FilterQuery, current: &'n Json<'a>) -> &'n Json<'a> {
        match query.root {
            QueryRoot::Current => current,
            QueryRoot::Root => self.root,
        }
    }

    /// The value read in advance for `query`, when it is `@` followed by known member names.
    fn known_member(&self, query: &FilterQuery) -> Option<Option<&'n Json<'a>>> {
        let names = query.current_member_names()?;
        self.known
            .iter()
            .find(|(n, _)| n.iter().map(String::as_str).eq(names.iter().copied()))
            .map(|(_, value)| *value)
    }

    fn comparable<'s>(&self, comparable: &'s Comparable, current: &'n Json<'a>) -> Operand<'s, 'a>
    where
        'n: 's,
    {
        match comparable {
            Comparable::Literal(literal) => literal_operand(literal),
            Comparable::Query(query) => self.value_query(query, current),
            Comparable::Function(call) => self.value_function(call, current),
        }
    }

    /// A singular query's value (others are read like `value()`).
    fn value_query(&self, query: &FilterQuery, current: &'n Json<'a>) -> Operand<'n, 'a> {
        if query.segments.is_empty() {
            return Operand::Node(self.start(query, current));
        }
        self.value_of(query, current)
    }

    /// `value(query)`: the node when the query selects exactly one, nothing otherwise.
    fn value_of(&self, query: &FilterQuery, current: &'n Json<'a>) -> Operand<'n, 'a> {
        if let Some(known) = self.known_member(query) {
            return Operand::node(known);
        }
        match self.select(self.start(query, current), &query.segments).as_slice() {
            [node] => Operand::Node(node),
            _ => Operand::Nothing,
        }
    }

    fn count(&self, query: &FilterQuery, current: &'n Json<'a>) -> usize {
        match self.known_member(query) {
            Some(known) => usize::from(known.is_some()),
            None => self.select(self.start(query, current), &query.segments).len(),
        }
    }

    fn value_function<'s>(&self, call: &'s FunctionExpr, current: &'n Json<'a>) -> Operand<'s, 'a>
    where
        'n: 's,
    {
        match (call.function, call.args.as_slice()) {
            (Function::Length, [arg]) => length(self.value_arg(arg, current)),
            (Function::Count, [FunctionArg::Query(query)]) => Operand::Count(self.count(query, current)),
            (Function::Value, [FunctionArg::Query(query)]) => self.value_of(query, current),
            _ => Operand::Nothing,
        }
    }

    fn value_arg<'s>(&self, arg: &'s FunctionArg, current: &'n Json<'a>) -> Operand<'s, 'a>
    where
        'n: 's,
    {
        match arg {
            FunctionArg::Literal(literal) => literal_operand(literal),
            FunctionArg::Query(query) => self.value_query(query, current),
            FunctionArg::Function(call) => self.value_function(call, current),
            FunctionArg::Logical(_) => Operand::Nothing,
        }
    }

    /// `match()` / `search()`. The generated code translates a literal pattern at build time and
    /// a pattern from the document at run time; both end in the same translation and `regex`,
    /// and a literal that is no string or no I-Regexp never matches either way.
    fn regex_test(&self, call: &FunctionExpr, current: &'n Json<'a>) -> bool {
        let mode = match call.function {
            Function::Match => RegexMode::Match,
            Function::Search => RegexMode::Search,
            _ => return false,
        };
        let [value, pattern] = call.args.as_slice() else { return false };
        is_match_dynamic(self.value_arg(value, current), self.value_arg(pattern, current), mode)
    }
}

fn literal_operand<'s, 'a>(literal: &'s Literal) -> Operand<'s, 'a> {
    match literal {
        Literal::Null => Operand::Null,
        Literal::Bool(b) => Operand::Bool(*b),
        Literal::Number(n) => Operand::Number(n),
        Literal::String(s) => Operand::String(s),
    }
}
