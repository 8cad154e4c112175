//! Well-typedness of filter expressions (RFC 9535 section 2.4.3), turning the untyped
//! [`raw`](super::raw) tree into the typed [`ast`](super::ast).
//!
//! The rules: a comparison compares literals, singular queries and `ValueType` functions; a
//! test is a query (any) or a `LogicalType` function; a function argument must fit its
//! parameter's declared type. "Singular query" means the RFC's `singular-query` production:
//! child segments of one name or index each, written without blanks inside the brackets.

use super::PathError;
use super::ast::{Comparable, FilterQuery, Function, FunctionArg, FunctionExpr, LogicalExpr, Segment};
use super::raw::{Call, Expr, Operand};

/// The declared types of RFC 9535 section 2.4.1 that a built-in function can take or return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Type {
    /// A JSON value or Nothing.
    Value,
    /// True or false.
    Logical,
    /// A node list.
    Nodes,
}

/// Parameter types and result type of each function extension (RFC 9535 section 2.4.4-2.4.8).
fn signature(function: Function) -> (&'static [Type], Type) {
    match function {
        Function::Length => (&[Type::Value], Type::Value),
        Function::Count => (&[Type::Nodes], Type::Value),
        Function::Match | Function::Search => (&[Type::Value, Type::Value], Type::Logical),
        Function::Value => (&[Type::Nodes], Type::Value),
    }
}

/// Types a filter's expression.
pub(super) fn filter(text: &str, expr: Expr) -> Result<LogicalExpr, PathError> {
    Checker { text }.logical(expr)
}

struct Checker<'t> {
    text: &'t str,
}

impl Checker<'_> {
    fn logical(&self, expr: Expr) -> Result<LogicalExpr, PathError> {
        match expr {
            Expr::Or(operands) => Ok(LogicalExpr::Or(self.all_logical(operands)?)),
            Expr::And(operands) => Ok(LogicalExpr::And(self.all_logical(operands)?)),
            Expr::Not { not, operand } => match *operand {
                Expr::Comparison { span, .. } => Err(PathError::new(
                    not.start..span.end,
                    "\"!\" cannot negate a comparison directly; put the comparison in parentheses: !(...)",
                )),
                operand => Ok(LogicalExpr::Not(Box::new(self.logical(operand)?))),
            },
            Expr::Paren { inner, .. } => self.logical(*inner),
            Expr::Comparison { left, op, right, span } => Ok(LogicalExpr::Comparison {
                left: self.comparable(left)?,
                op,
                right: self.comparable(right)?,
                span,
            }),
            Expr::Operand(operand) => self.test(operand),
        }
    }

    fn all_logical(&self, exprs: Vec<Expr>) -> Result<Vec<LogicalExpr>, PathError> {
        exprs.into_iter().map(|expr| self.logical(expr)).collect()
    }

    /// An operand standing alone as a test.
    fn test(&self, operand: Operand) -> Result<LogicalExpr, PathError> {
        match operand {
            Operand::Literal { span, .. } => Err(PathError::new(
                span,
                "a literal cannot be a test on its own; compare it with something, e.g. @.flag == true",
            )),
            Operand::Query(query) => Ok(LogicalExpr::Exists(query)),
            Operand::Call(call) => {
                let (function, result) = self.call(call)?;
                match result {
                    Type::Logical | Type::Nodes => Ok(LogicalExpr::Function(function)),
                    Type::Value => Err(PathError::new(
                        function.span,
                        format!(
                            "{}() returns a value, which cannot be a test on its own; compare it, \
                             e.g. {}(...) > 0",
                            function.function.name(),
                            function.function.name()
                        ),
                    )),
                }
            }
        }
    }

    /// An operand on either side of a comparison operator.
    fn comparable(&self, operand: Operand) -> Result<Comparable, PathError> {
        match operand {
            Operand::Literal { value, .. } => Ok(Comparable::Literal(value)),
            Operand::Query(query) => {
                self.singular(&query, "comparison needs a singular query")?;
                Ok(Comparable::Query(query))
            }
            Operand::Call(call) => {
                let (function, result) = self.call(call)?;
                match result {
                    Type::Value => Ok(Comparable::Function(function)),
                    Type::Logical | Type::Nodes => Err(PathError::new(
                        function.span,
                        format!(
                            "{}() returns a logical result, which cannot be compared; use it as a \
                             test on its own",
                            function.function.name()
                        ),
                    )),
                }
            }
        }
    }

    /// Checks that `query` is a singular query; `context` starts the message if not.
    fn singular(&self, query: &FilterQuery, context: &str) -> Result<(), PathError> {
        for segment in &query.segments {
            if !segment.is_singular() {
                return Err(PathError::new(
                    segment.span.clone(),
                    format!(
                        "{context}, but \"{}\" can select more than one node",
                        self.text.get(segment.span.clone()).unwrap_or_default()
                    ),
                ));
            }
            if !is_tight(segment) {
                return Err(PathError::new(
                    segment.span.clone(),
                    format!("{context}, and a singular query allows no blanks inside its brackets"),
                ));
            }
        }
        Ok(())
    }

    /// Resolves a call and types its arguments; returns it with its declared result type.
    fn call(&self, call: Call) -> Result<(FunctionExpr, Type), PathError> {
        let Some(function) = Function::ALL.into_iter().find(|f| f.name() == call.name) else {
            return Err(PathError::new(call.name_span, unknown_function(&call.name)));
        };
        let (params, result) = signature(function);
        if call.args.len() != params.len() {
            let plural = if params.len() == 1 { "" } else { "s" };
            return Err(PathError::new(
                call.span,
                format!(
                    "{}() takes {} argument{plural}, but {} {} given",
                    call.name,
                    params.len(),
                    call.args.len(),
                    if call.args.len() == 1 { "was" } else { "were" }
                ),
            ));
        }
        let args = call
            .args
            .into_iter()
            .zip(params)
            .enumerate()
            .map(|(index, (arg, param))| self.argument(function, index + 1, arg, *param))
            .collect::<Result<_, _>>()?;
        Ok((FunctionExpr { function, args, span: call.span }, result))
    }

    /// Types argument number `position` (from 1) of `function` against its parameter type.
    fn argument(
        &self,
        function: Function,
        position: usize,
        arg: Expr,
        param: Type,
    ) -> Result<FunctionArg, PathError> {
        let which = format!("argument {position} of {}()", function.name());
        let operand = match arg {
            Expr::Operand(operand) => operand,
            logical => {
                return Err(PathError::new(
                    logical.span(),
                    format!("{which} must be {}, not a logical expression", describe(param)),
                ));
            }
        };
        match (param, operand) {
            (Type::Value, Operand::Literal { value, .. }) => Ok(FunctionArg::Literal(value)),
            (Type::Value, Operand::Query(query)) => {
                self.singular(&query, &format!("{which} needs a singular query"))?;
                Ok(FunctionArg::Query(query))
            }
            (Type::Nodes, Operand::Query(query)) => Ok(FunctionArg::Query(query)),
            (Type::Logical, Operand::Query(query)) => Ok(FunctionArg::Query(query)),
            (param, Operand::Literal { span, .. }) => {
                Err(PathError::new(span, format!("{which} must be {}, not a literal", describe(param))))
            }
            (param, Operand::Call(call)) => {
                let (inner, result) = self.call(call)?;
                // A NodesType result converts to LogicalType (section 2.4.2); nothing else converts.
                if result == param || (param == Type::Logical && result == Type::Nodes) {
                    Ok(FunctionArg::Function(inner))
                } else {
                    Err(PathError::new(
                        inner.span,
                        format!(
                            "{which} must be {}, but {}() returns {}",
                            describe(param),
                            inner.function.name(),
                            describe(result)
                        ),
                    ))
                }
            }
        }
    }
}

/// Whether a singular segment is written without blanks inside its brackets, as the
/// `singular-query` production requires (`name-segment` and `index-segment` have no `S`).
fn is_tight(segment: &Segment) -> bool {
    let Some(selector) = segment.selectors.first() else { return false };
    let inner = selector.span();
    // `.name` ends with the name, `[x]` one byte after it; both start one byte before it.
    inner.start == segment.span.start + 1
        && (segment.span.end == inner.end || segment.span.end == inner.end + 1)
}

fn describe(ty: Type) -> &'static str {
    match ty {
        Type::Value => "a value (a literal, a singular query or a value-returning function)",
        Type::Logical => "a logical result",
        Type::Nodes => "a query",
    }
}

/// The message for an unknown function, with the closest known name if it is a likely typo.
fn unknown_function(unknown: &str) -> String {
    let closest = Function::ALL
        .into_iter()
        .map(|f| (strsim::damerau_levenshtein(unknown, f.name()), f.name()))
        .min()
        .filter(|(distance, _)| *distance <= 2);
    match closest {
        Some((_, known)) => format!("unknown function \"{unknown}\"; did you mean \"{known}\"?"),
        None => format!(
            "unknown function \"{unknown}\"; the functions are {}",
            Function::ALL.map(|f| f.name()).join(", ")
        ),
    }
}
