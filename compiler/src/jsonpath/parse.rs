//! From pest's pairs to the [`ast`](super::ast): spans, decoded names and numbers, and the
//! syntax checks the grammar leaves to code (see the top of `grammar.pest`).
//!
//! Each filter is typed by `typecheck` as soon as it is built, so a query's own filters are
//! typed before the query is used as an operand.

use pest::Parser;
use pest::iterators::Pair;

use super::PathError;
use super::ast::{CompareOp, FilterQuery, Literal, Query, QueryRoot, Segment, SegmentKind, Selector, Span};
use super::grammar::{JsonPathParser, Rule};
use super::literal::{self, Quote};
use super::raw::{Call, Expr, Operand};
use super::{syntax_error, typecheck};

/// Parses a whole query; the nesting limit has been checked.
pub(super) fn query(text: &str) -> Result<Query, PathError> {
    let mut pairs =
        JsonPathParser::parse(Rule::query, text).map_err(|error| syntax_error::convert(text, error))?;
    let query = pairs.next().expect("BUG: the query rule starts with jsonpath_query");
    let segments = Converter { text }.segments(query)?;
    Ok(Query { segments, span: 0..text.len() })
}

fn span(pair: &Pair<'_, Rule>) -> Span {
    pair.as_span().start()..pair.as_span().end()
}

/// The grammar produced a pair where it cannot: a bug here or in `grammar.pest`. Reported as an
/// error rather than a panic so a compiler bug never takes the build down with it.
fn unexpected(pair: &Pair<'_, Rule>) -> PathError {
    PathError::new(
        span(pair),
        format!("internal error: unexpected {:?} in the JSONPath parser", pair.as_rule()),
    )
}

struct Converter<'t> {
    text: &'t str,
}

impl Converter<'_> {
    /// The segments of a `jsonpath_query` or `filter_query` pair (its first child is the root).
    fn segments(&self, query: Pair<'_, Rule>) -> Result<Vec<Segment>, PathError> {
        query.into_inner().skip(1).map(|segment| self.segment(segment)).collect()
    }

    fn segment(&self, segment: Pair<'_, Rule>) -> Result<Segment, PathError> {
        let segment = segment.into_inner().next().expect("BUG: a segment is a child or descendant segment");
        let (kind, dots) = match segment.as_rule() {
            Rule::child_segment => (SegmentKind::Child, "."),
            Rule::descendant_segment => (SegmentKind::Descendant, ".."),
            _ => return Err(unexpected(&segment)),
        };
        let whole = span(&segment);
        let mut selectors = Vec::new();
        for part in segment.into_inner() {
            match part.as_rule() {
                Rule::blank => {
                    return Err(PathError::new(
                        span(&part),
                        format!("no blank is allowed after \"{dots}\"; write the name right after it"),
                    ));
                }
                Rule::bracketed_selection => selectors = self.bracketed(part)?,
                Rule::wildcard_selector => selectors.push(Selector::Wildcard { span: span(&part) }),
                Rule::member_name_shorthand => {
                    selectors.push(Selector::Name { name: part.as_str().to_owned(), span: span(&part) });
                }
                _ => return Err(unexpected(&part)),
            }
        }
        Ok(Segment { kind, selectors, span: whole })
    }

    fn bracketed(&self, bracketed: Pair<'_, Rule>) -> Result<Vec<Selector>, PathError> {
        let mut selectors = Vec::new();
        for part in bracketed.into_inner() {
            match part.as_rule() {
                Rule::selector => selectors.push(self.selector(part)?),
                Rule::comma | Rule::close_bracket => {}
                _ => return Err(unexpected(&part)),
            }
        }
        Ok(selectors)
    }

    fn selector(&self, selector: Pair<'_, Rule>) -> Result<Selector, PathError> {
        let selector = selector.into_inner().next().expect("BUG: a selector has one alternative");
        let whole = span(&selector);
        match selector.as_rule() {
            Rule::name_selector => {
                let string = selector.into_inner().next().expect("BUG: a name selector is a string");
                Ok(Selector::Name { name: self.string(string)?, span: whole })
            }
            Rule::wildcard_selector => Ok(Selector::Wildcard { span: whole }),
            Rule::index_selector => {
                let int = selector.into_inner().next().expect("BUG: an index selector is an int");
                Ok(Selector::Index { index: literal::int(int.as_str(), span(&int), "index")?, span: whole })
            }
            Rule::slice_selector => {
                let (mut start, mut end, mut step) = (None, None, None);
                for bound in selector.into_inner() {
                    let (slot, what) = match bound.as_rule() {
                        Rule::slice_start => (&mut start, "slice start"),
                        Rule::slice_end => (&mut end, "slice end"),
                        Rule::slice_step => (&mut step, "slice step"),
                        _ => return Err(unexpected(&bound)),
                    };
                    *slot = Some(literal::int(bound.as_str(), span(&bound), what)?);
                }
                Ok(Selector::Slice { start, end, step, span: whole })
            }
            Rule::filter_selector => {
                let logical = selector.into_inner().next().expect("BUG: a filter selector has an expression");
                let expr = typecheck::filter(self.text, self.logical_expr(logical)?)?;
                Ok(Selector::Filter { expr, span: whole })
            }
            _ => Err(unexpected(&selector)),
        }
    }

    /// Decodes a `string_literal` pair.
    fn string(&self, string: Pair<'_, Rule>) -> Result<String, PathError> {
        let quoted = string.into_inner().next().expect("BUG: a string literal is quoted one way");
        let quote = match quoted.as_rule() {
            Rule::double_quoted => Quote::Double,
            Rule::single_quoted => Quote::Single,
            _ => return Err(unexpected(&quoted)),
        };
        let body = quoted.into_inner().next().expect("BUG: a quoted string has a body");
        literal::unescape(body.as_str(), body.as_span().start(), quote)
    }

    fn logical_expr(&self, pair: Pair<'_, Rule>) -> Result<Expr, PathError> {
        let mut operands = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::logical_and_expr => operands.push(self.logical_and_expr(part)?),
                Rule::or_op => {}
                _ => return Err(unexpected(&part)),
            }
        }
        Ok(if operands.len() == 1 { operands.pop().expect("BUG: one operand") } else { Expr::Or(operands) })
    }

    fn logical_and_expr(&self, pair: Pair<'_, Rule>) -> Result<Expr, PathError> {
        let mut operands = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::basic_expr => operands.push(self.basic_expr(part)?),
                Rule::and_op => {}
                _ => return Err(unexpected(&part)),
            }
        }
        Ok(if operands.len() == 1 { operands.pop().expect("BUG: one operand") } else { Expr::And(operands) })
    }

    fn basic_expr(&self, pair: Pair<'_, Rule>) -> Result<Expr, PathError> {
        let mut parts = pair.into_inner().peekable();
        let not = parts.next_if(|part| part.as_rule() == Rule::not_op).map(|not| span(&not));
        let body = parts.next().expect("BUG: a basic expression has a body after its optional \"!\"");
        let expr = match body.as_rule() {
            Rule::paren_expr => {
                let whole = span(&body);
                let inner = body.into_inner().next().expect("BUG: parentheses hold an expression");
                Expr::Paren { inner: Box::new(self.logical_expr(inner)?), span: whole }
            }
            Rule::comparison_expr => self.comparison_expr(body)?,
            _ => return Err(unexpected(&body)),
        };
        Ok(match not {
            Some(not) => Expr::Not { not, operand: Box::new(expr) },
            None => expr,
        })
    }

    fn comparison_expr(&self, pair: Pair<'_, Rule>) -> Result<Expr, PathError> {
        let whole = span(&pair);
        let mut parts = pair.into_inner();
        let left = self.operand(parts.next().expect("BUG: a comparison starts with an operand"))?;
        let Some(op) = parts.next() else {
            return Ok(Expr::Operand(left));
        };
        let op = match op.as_str() {
            "==" => CompareOp::Eq,
            "!=" => CompareOp::Ne,
            "<" => CompareOp::Lt,
            "<=" => CompareOp::Le,
            ">" => CompareOp::Gt,
            ">=" => CompareOp::Ge,
            _ => return Err(unexpected(&op)),
        };
        let right = self.operand(parts.next().expect("BUG: an operator has a right operand"))?;
        Ok(Expr::Comparison { left, op, right, span: whole })
    }

    fn operand(&self, pair: Pair<'_, Rule>) -> Result<Operand, PathError> {
        let operand = pair.into_inner().next().expect("BUG: an operand has one alternative");
        let whole = span(&operand);
        let literal = |value| Ok(Operand::Literal { value, span: whole.clone() });
        match operand.as_rule() {
            Rule::function_expr => self.call(operand).map(Operand::Call),
            Rule::number => {
                let int = operand.clone().into_inner().next().expect("BUG: a number has an integer part");
                literal::number_int(int.as_str(), span(&int))?;
                literal(Literal::Number(operand.as_str().to_owned()))
            }
            Rule::string_literal => literal(Literal::String(self.string(operand)?)),
            Rule::true_literal => literal(Literal::Bool(true)),
            Rule::false_literal => literal(Literal::Bool(false)),
            Rule::null_literal => literal(Literal::Null),
            Rule::filter_query => self.filter_query(operand).map(Operand::Query),
            _ => Err(unexpected(&operand)),
        }
    }

    fn filter_query(&self, pair: Pair<'_, Rule>) -> Result<FilterQuery, PathError> {
        let whole = span(&pair);
        let root = match pair.clone().into_inner().next().map(|root| root.as_rule()) {
            Some(Rule::current_node_identifier) => QueryRoot::Current,
            Some(Rule::root_identifier) => QueryRoot::Root,
            _ => return Err(unexpected(&pair)),
        };
        Ok(FilterQuery { root, segments: self.segments(pair)?, span: whole })
    }

    fn call(&self, pair: Pair<'_, Rule>) -> Result<Call, PathError> {
        let whole = span(&pair);
        let mut parts = pair.into_inner();
        let name = parts.next().expect("BUG: a call starts with its name");
        let mut args = Vec::new();
        for part in parts {
            match part.as_rule() {
                Rule::blank => {
                    return Err(PathError::new(
                        span(&part),
                        format!("no blank is allowed between the function name {} and \"(\"", name.as_str()),
                    ));
                }
                Rule::function_argument => {
                    let logical = part.into_inner().next().expect("BUG: an argument is an expression");
                    args.push(self.logical_expr(logical)?);
                }
                Rule::comma | Rule::close_paren => {}
                _ => return Err(unexpected(&part)),
            }
        }
        Ok(Call { name: name.as_str().to_owned(), name_span: span(&name), args, span: whole })
    }
}
