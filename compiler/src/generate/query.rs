//! JSONPath queries compiled into straight-line Rust over the runtime's borrowed `Json` tree.
//!
//! A query becomes nested code, one level per segment, that runs a given statement for every
//! node the query selects, in nodelist order: name and index selectors are lookups
//! (`node.member("a")`), wildcards, slices and `..` are `for` loops, and a filter is a loop over
//! the children with its logical expression compiled into a Rust condition. The statement at the
//! bottom decides what the query is for: pushing into a nodelist, `break`ing out with the first
//! match, counting for `count()`, or `break`ing with `true` for an existence test. Nothing of the
//! query is interpreted at run time; the runtime only provides the value semantics (comparisons,
//! `length()`, slices, regular expressions).
//!
//! The shapes are chosen to stay readable and clippy-clean without knowing the edition of the
//! crate that includes them (so no `let` chains): runs of lookups fold into one `and_then`
//! chain, and a filter skips a child with `continue` instead of opening another `if`.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::jsonpath::PathError;
use crate::jsonpath::ast::{
    Comparable, CompareOp, FilterQuery, Function, FunctionArg, FunctionExpr, Literal as JsonLiteral,
    LogicalExpr, Query, QueryRoot, Segment, SegmentKind, Selector,
};

/// A query compiled into a function `fn NAME<'n, 'a>(root: &'n Json<'a>) -> Vec<&'n Json<'a>>`
/// returning the query's nodelist, and the problems a mapper would refuse.
#[derive(Debug)]
pub struct CompiledQuery {
    /// The function.
    pub tokens: TokenStream,
    /// Literal `match()`/`search()` patterns that are not I-Regexp. Under RFC 9535 such a
    /// function is simply false, and the function is generated that way; a mapper is refused
    /// instead, since a pattern that can never match is a mistake.
    pub pattern_errors: Vec<PathError>,
}

/// Compiles `query` into a nodelist function named `name`; `runtime` is the runtime crate's
/// path (such as `::hookmap`).
pub fn nodelist_fn(name: &Ident, query: &Query, runtime: &TokenStream) -> CompiledQuery {
    let rt = quote!(#runtime::__private);
    let mut compiler = QueryCompiler::new(&rt);
    let root = format_ident!("root");
    let body = compiler.nodelist_statements(&root, &root, &query.segments);
    let tokens = quote! {
        pub fn #name<'n, 'a>(root: &'n #rt::Json<'a>) -> #rt::Vec<&'n #rt::Json<'a>> {
            #body
        }
    };
    CompiledQuery { tokens, pattern_errors: compiler.pattern_errors }
}

/// Compiles the parts of queries; one per generated function, so that names stay unique.
#[derive(Debug)]
pub struct QueryCompiler<'r> {
    rt: &'r TokenStream,
    next: usize,
    /// Members of `@` already read elsewhere, by their names: `Option<&Json>` expressions used
    /// instead of looking them up in a tree.
    members: Vec<(Vec<String>, TokenStream)>,
    /// Invalid literal patterns met so far.
    pub pattern_errors: Vec<PathError>,
}

/// One level of the generated nest.
enum Step {
    /// `if let Some(var) = expr`, where `expr` is an `Option<&Json>` that may refer to the
    /// previous node; consecutive lookups are folded into one `and_then` chain.
    Lookup { var: Ident, expr: TokenStream },
    /// `for var in iter`; `first` is the `Option` of its first item, used instead of the loop
    /// when the body leaves at once.
    Loop { var: Ident, iter: TokenStream, first: TokenStream },
    /// `if skip { continue; }` right after a loop: a filter, negated.
    Guard(Skip),
    /// A statement run at this level.
    Stmt(TokenStream),
}

/// When a filter's loop skips a child.
enum Skip {
    /// A plain condition.
    Expr(TokenStream),
    /// A block expression (a search loop, a regex test with its `static`).
    Block(TokenStream),
}

/// What runs for each selected node.
struct Body<'b> {
    emit: &'b dyn Fn(&Ident) -> TokenStream,
    /// Whether it always leaves the query (a `break`), so a loop around it would never loop.
    leaves: bool,
}

impl<'r> QueryCompiler<'r> {
    /// A compiler for code that reaches the runtime through `rt` (`…::__private`).
    pub fn new(rt: &'r TokenStream) -> Self {
        QueryCompiler { rt, next: 0, members: Vec::new(), pattern_errors: Vec::new() }
    }

    /// Uses `value` (an `Option<&Json>` expression) for the query `@` followed by member
    /// `names`, instead of a lookup in `@`'s tree.
    pub fn with_member(mut self, names: Vec<String>, value: TokenStream) -> Self {
        self.members.push((names, value));
        self
    }

    /// The expression given by [`Self::with_member`] for `query`, if any.
    fn known_member(&self, query: &FilterQuery) -> Option<TokenStream> {
        let names = query.current_member_names()?;
        self.members
            .iter()
            .find(|(n, _)| n.iter().map(String::as_str).eq(names.iter().copied()))
            .map(|(_, v)| v.clone())
    }

    fn fresh(&mut self, base: &str) -> Ident {
        self.next += 1;
        format_ident!("__{}{}", base, self.next)
    }

    /// An expression: the nodelist `segments` select from `start` (`Vec<&Json>`). `root` is
    /// what `$` means inside filters.
    pub fn nodelist(&mut self, start: &Ident, root: &Ident, segments: &[Segment]) -> TokenStream {
        let statements = self.nodelist_statements(start, root, segments);
        quote!({ #statements })
    }

    /// [`Self::nodelist`] as the statements of a block that ends in the nodelist.
    fn nodelist_statements(&mut self, start: &Ident, root: &Ident, segments: &[Segment]) -> TokenStream {
        let rt = self.rt;
        if segments.is_empty() {
            return quote!(#rt::vec![#start]);
        }
        let nodes = self.fresh("nodes");
        let push = |node: &Ident| quote!(#nodes.push(#node););
        let code = self.for_each(start, root, segments, &Body { emit: &push, leaves: false });
        quote! {
            let mut #nodes: #rt::Vec<&#rt::Json<'_>> = #rt::Vec::new();
            #code
            #nodes
        }
    }

    /// An expression: the first node `segments` select from `start` (`Option<&Json>`), found
    /// without visiting the rest.
    pub fn first(&mut self, start: &Ident, root: &Ident, segments: &[Segment]) -> TokenStream {
        if let Some(lookup) = self.singular(start, segments) {
            return lookup;
        }
        let label = self.label("first");
        let found = |node: &Ident| quote!(break #label ::core::option::Option::Some(#node););
        let code = self.for_each(start, root, segments, &Body { emit: &found, leaves: true });
        quote!(#label: { #code ::core::option::Option::None })
    }

    /// Statements that `continue` the enclosing loop unless filter `expr` keeps `current`.
    pub fn skip_unless(&mut self, expr: &LogicalExpr, current: &Ident, root: &Ident) -> TokenStream {
        if is_always_true(expr) {
            return TokenStream::new();
        }
        let skip = self.logical(expr, current, root, false);
        let guard = if is_block(expr, false) { Skip::Block(skip) } else { Skip::Expr(skip) };
        self.emit(vec![Step::Guard(guard)], current, &Body { emit: &|_| TokenStream::new(), leaves: false })
    }

    fn label(&mut self, base: &str) -> syn::Lifetime {
        self.next += 1;
        syn::Lifetime::new(&format!("'__{}{}", base, self.next), Span::call_site())
    }

    /// The statements that run `body` for each node `segments` select from `start`, in order.
    fn for_each(
        &mut self,
        start: &Ident,
        root: &Ident,
        segments: &[Segment],
        body: &Body<'_>,
    ) -> TokenStream {
        let mut steps = Vec::new();
        let mut current = start.clone();
        for segment in segments {
            current = self.segment(&current, root, segment, &mut steps);
        }
        self.emit(steps, &current, body)
    }

    /// Adds the steps of one segment applied to `node`; returns the selected node's variable.
    fn segment(&mut self, node: &Ident, root: &Ident, segment: &Segment, steps: &mut Vec<Step>) -> Ident {
        let mut node = node.clone();
        if segment.kind == SegmentKind::Descendant {
            let var = self.fresh("descendant");
            steps.push(Step::Loop {
                var: var.clone(),
                iter: quote!(#node.descendants()),
                first: quote!(::core::option::Option::Some(#node)),
            });
            node = var;
        }
        match segment.selectors.as_slice() {
            [selector] => self.selector(&node, root, selector, steps),
            selectors => {
                // A union: the selectors' nodes in selector order, collected, then one loop so
                // that the rest of the query is generated once.
                let rt = self.rt;
                let union = self.fresh("union");
                steps.push(Step::Stmt(quote!(let mut #union: #rt::Vec<&#rt::Json<'_>> = #rt::Vec::new();)));
                for selector in selectors {
                    let mut inner = Vec::new();
                    let selected = self.selector(&node, root, selector, &mut inner);
                    let push = |n: &Ident| quote!(#union.push(#n););
                    steps.push(Step::Stmt(self.emit(inner, &selected, &Body { emit: &push, leaves: false })));
                }
                let var = self.fresh("node");
                steps.push(Step::Loop {
                    var: var.clone(),
                    iter: quote!(#union),
                    first: quote!(#union.first().copied()),
                });
                var
            }
        }
    }

    fn selector(&mut self, node: &Ident, root: &Ident, selector: &Selector, steps: &mut Vec<Step>) -> Ident {
        let rt = self.rt;
        match selector {
            Selector::Name { name, .. } => {
                let var = self.fresh("member");
                steps.push(Step::Lookup { var: var.clone(), expr: quote!(#node.member(#name)) });
                var
            }
            Selector::Index { index, .. } => {
                let var = self.fresh("element");
                let index = Literal::i64_unsuffixed(*index);
                steps.push(Step::Lookup { var: var.clone(), expr: quote!(#node.index(#index)) });
                var
            }
            Selector::Wildcard { .. } => {
                let var = self.fresh("child");
                steps.push(Step::Loop {
                    var: var.clone(),
                    iter: quote!(#node.children()),
                    first: quote!(#node.children().next()),
                });
                var
            }
            Selector::Slice { start, end, step, .. } => {
                let var = self.fresh("element");
                let [start, end, step] = [start, end, step].map(|bound| match bound {
                    Some(b) => {
                        let b = Literal::i64_unsuffixed(*b);
                        quote!(::core::option::Option::Some(#b))
                    }
                    None => quote!(::core::option::Option::None),
                });
                let slice = quote!(#rt::slice(#node, #start, #end, #step));
                steps.push(Step::Loop {
                    var: var.clone(),
                    iter: slice.clone(),
                    first: quote!(#slice.next()),
                });
                var
            }
            Selector::Filter { expr, .. } => {
                let var = self.fresh("child");
                steps.push(Step::Loop {
                    var: var.clone(),
                    iter: quote!(#node.children()),
                    first: quote!(#node.children().next()),
                });
                let skip = self.logical(expr, &var, root, false);
                if !is_always_true(expr) {
                    steps.push(Step::Guard(if is_block(expr, false) {
                        Skip::Block(skip)
                    } else {
                        Skip::Expr(skip)
                    }));
                }
                var
            }
        }
    }

    /// Turns steps into nested code around `body`.
    fn emit(&mut self, mut steps: Vec<Step>, last: &Ident, body: &Body<'_>) -> TokenStream {
        // A loop whose body leaves at once would never loop: take its first item instead.
        if body.leaves
            && let Some(Step::Loop { .. }) = steps.last()
            && let Some(Step::Loop { var, first, .. }) = steps.pop()
        {
            steps.push(Step::Lookup { var, expr: first });
        }
        let mut code = (body.emit)(last);
        // Built inside out: each step wraps the code of the steps after it.
        while let Some(step) = steps.pop() {
            code = match step {
                Step::Lookup { var, mut expr } => {
                    while let Some(Step::Lookup { .. }) = steps.last() {
                        let Some(Step::Lookup { var: prev, expr: prev_expr }) = steps.pop() else { break };
                        expr = quote!(#prev_expr.and_then(|#prev| #expr));
                    }
                    quote!(if let ::core::option::Option::Some(#var) = #expr { #code })
                }
                Step::Loop { var, iter, .. } => quote!(for #var in #iter { #code }),
                Step::Guard(Skip::Expr(skip)) => quote!(if #skip { continue; } #code),
                Step::Guard(Skip::Block(skip)) => {
                    // clippy (rightly) wants no block as a whole `if` condition.
                    let skip_var = self.fresh("skip");
                    quote!(let #skip_var = #skip; if #skip_var { continue; } #code)
                }
                Step::Stmt(stmt) => quote!(#stmt #code),
            };
        }
        code
    }

    /// The node a singular query selects, as `Option<&Json>`, when every segment is a name or
    /// an index; `None` for other queries.
    fn singular(&mut self, start: &Ident, segments: &[Segment]) -> Option<TokenStream> {
        if !segments.iter().all(Segment::is_singular) {
            return None;
        }
        let mut expr = quote!(::core::option::Option::Some(#start));
        for (i, segment) in segments.iter().enumerate() {
            let step = match &segment.selectors[0] {
                Selector::Name { name, .. } => quote!(member(#name)),
                Selector::Index { index, .. } => {
                    let index = Literal::i64_unsuffixed(*index);
                    quote!(index(#index))
                }
                _ => return None,
            };
            expr = if i == 0 { quote!(#start.#step) } else { quote!(#expr.and_then(|node| node.#step)) };
        }
        Some(expr)
    }

    /// A filter's logical expression as a Rust `bool` expression; `positive: false` negates it
    /// (so `!` never stacks up in the output).
    fn logical(&mut self, expr: &LogicalExpr, current: &Ident, root: &Ident, positive: bool) -> TokenStream {
        let not = if positive { quote!() } else { quote!(!) };
        match expr {
            LogicalExpr::Or(operands) | LogicalExpr::And(operands) => {
                let operands: Vec<_> = operands
                    .iter()
                    .map(|o| {
                        let code = self.logical(o, current, root, true);
                        if matches!(o, LogicalExpr::Or(_) | LogicalExpr::And(_)) {
                            quote!((#code))
                        } else {
                            code
                        }
                    })
                    .collect();
                let joined = if matches!(expr, LogicalExpr::Or(_)) {
                    quote!(#(#operands)||*)
                } else {
                    quote!(#(#operands)&&*)
                };
                if positive { joined } else { quote!(!(#joined)) }
            }
            LogicalExpr::Not(inner) => self.logical(inner, current, root, !positive),
            LogicalExpr::Comparison { left, op, right, .. } => {
                let rt = self.rt;
                let left = self.comparable(left, current, root);
                let right = self.comparable(right, current, root);
                let op = match op {
                    CompareOp::Eq => quote!(eq),
                    CompareOp::Ne => quote!(ne),
                    CompareOp::Lt => quote!(lt),
                    CompareOp::Le => quote!(le),
                    CompareOp::Gt => quote!(gt),
                    CompareOp::Ge => quote!(ge),
                };
                quote!(#not #rt::#op(#left, #right))
            }
            // `@` or `$` alone: the node is there.
            LogicalExpr::Exists(query) if query.segments.is_empty() => quote!(#positive),
            LogicalExpr::Exists(query) => {
                let start = self.query_start(query, current, root);
                if let Some(lookup) =
                    self.known_member(query).or_else(|| self.singular(&start, &query.segments))
                {
                    return if positive { quote!(#lookup.is_some()) } else { quote!(#lookup.is_none()) };
                }
                let label = self.label("exists");
                let found = |_: &Ident| quote!(break #label true;);
                let code = self.for_each(&start, root, &query.segments, &Body { emit: &found, leaves: true });
                if positive { quote!(#label: { #code false }) } else { quote!(!(#label: { #code false })) }
            }
            LogicalExpr::Function(call) => {
                let test = self.regex_test(call, current, root);
                quote!(#not #test)
            }
        }
    }

    fn query_start(&self, query: &FilterQuery, current: &Ident, root: &Ident) -> Ident {
        match query.root {
            QueryRoot::Current => current.clone(),
            QueryRoot::Root => root.clone(),
        }
    }

    /// A comparison operand, as an `Operand` expression.
    fn comparable(&mut self, comparable: &Comparable, current: &Ident, root: &Ident) -> TokenStream {
        match comparable {
            Comparable::Literal(literal) => self.literal(literal),
            Comparable::Query(query) => self.value_query(query, current, root),
            Comparable::Function(call) => self.value_function(call, current, root),
        }
    }

    fn literal(&self, literal: &JsonLiteral) -> TokenStream {
        let rt = self.rt;
        match literal {
            JsonLiteral::Null => quote!(#rt::Operand::Null),
            JsonLiteral::Bool(b) => quote!(#rt::Operand::Bool(#b)),
            JsonLiteral::Number(n) => quote!(#rt::Operand::Number(#n)),
            JsonLiteral::String(s) => quote!(#rt::Operand::String(#s)),
        }
    }

    /// A singular query's value as an `Operand` (the type checker allows only singular ones
    /// where a value is expected; others are treated like `value()`).
    fn value_query(&mut self, query: &FilterQuery, current: &Ident, root: &Ident) -> TokenStream {
        let rt = self.rt;
        let start = self.query_start(query, current, root);
        if query.segments.is_empty() {
            return quote!(#rt::Operand::Node(#start));
        }
        match self.known_member(query).or_else(|| self.singular(&start, &query.segments)) {
            Some(lookup) => quote!(#rt::Operand::node(#lookup)),
            None => self.value_of(query, current, root),
        }
    }

    /// `value(query)`: the node when the query selects exactly one, `Nothing` otherwise.
    fn value_of(&mut self, query: &FilterQuery, current: &Ident, root: &Ident) -> TokenStream {
        let rt = self.rt;
        let start = self.query_start(query, current, root);
        if let Some(lookup) = self.known_member(query).or_else(|| self.singular(&start, &query.segments)) {
            return quote!(#rt::Operand::node(#lookup));
        }
        let label = self.label("value");
        let found = self.fresh("found");
        let keep = |node: &Ident| {
            quote! {
                if #found.is_some() {
                    break #label #rt::Operand::Nothing;
                }
                #found = ::core::option::Option::Some(#node);
            }
        };
        let code = self.for_each(&start, root, &query.segments, &Body { emit: &keep, leaves: false });
        quote! {
            #label: {
                let mut #found: ::core::option::Option<&#rt::Json<'_>> = ::core::option::Option::None;
                #code
                #rt::Operand::node(#found)
            }
        }
    }

    /// `count(query)` as a `usize` expression.
    fn count(&mut self, query: &FilterQuery, current: &Ident, root: &Ident) -> TokenStream {
        let start = self.query_start(query, current, root);
        if let Some(lookup) = self.known_member(query).or_else(|| self.singular(&start, &query.segments)) {
            return quote!(::core::primitive::usize::from(#lookup.is_some()));
        }
        let count = self.fresh("count");
        let add = |_: &Ident| quote!(#count += 1;);
        let code = self.for_each(&start, root, &query.segments, &Body { emit: &add, leaves: false });
        quote!({
            let mut #count: ::core::primitive::usize = 0;
            #code
            #count
        })
    }

    /// A function whose result is a value (`length`, `count`, `value`), as an `Operand`.
    fn value_function(&mut self, call: &FunctionExpr, current: &Ident, root: &Ident) -> TokenStream {
        let rt = self.rt;
        match (call.function, call.args.as_slice()) {
            (Function::Length, [arg]) => {
                let value = self.value_arg(arg, current, root);
                quote!(#rt::length(#value))
            }
            (Function::Count, [FunctionArg::Query(query)]) => {
                let count = self.count(query, current, root);
                quote!(#rt::Operand::Count(#count))
            }
            (Function::Value, [FunctionArg::Query(query)]) => self.value_of(query, current, root),
            // The type checker admits nothing else; an operand that is never equal to anything
            // is the safe reading if it ever did.
            _ => quote!(#rt::Operand::Nothing),
        }
    }

    /// An argument where a value is expected.
    fn value_arg(&mut self, arg: &FunctionArg, current: &Ident, root: &Ident) -> TokenStream {
        let rt = self.rt;
        match arg {
            FunctionArg::Literal(literal) => self.literal(literal),
            FunctionArg::Query(query) => self.value_query(query, current, root),
            FunctionArg::Function(call) => self.value_function(call, current, root),
            FunctionArg::Logical(_) => quote!(#rt::Operand::Nothing),
        }
    }

    /// `match()` / `search()` as a `bool` expression. A literal pattern is checked and
    /// translated now and compiled once, on first use, into a `static`; a pattern read from the
    /// document is translated when the filter runs.
    fn regex_test(&mut self, call: &FunctionExpr, current: &Ident, root: &Ident) -> TokenStream {
        let rt = self.rt;
        let (mode, runtime_mode) = match call.function {
            Function::Match => (hookmap_iregexp::Mode::Match, quote!(#rt::RegexMode::Match)),
            Function::Search => (hookmap_iregexp::Mode::Search, quote!(#rt::RegexMode::Search)),
            // Only `match` and `search` are logical; others never reach a test position.
            _ => return quote!(#rt::is_match(&#rt::NO_PATTERN, #rt::Operand::Nothing)),
        };
        let [value, pattern] = call.args.as_slice() else {
            return quote!(#rt::is_match(&#rt::NO_PATTERN, #rt::Operand::Nothing));
        };
        let value = self.value_arg(value, current, root);
        match pattern {
            FunctionArg::Literal(JsonLiteral::String(text)) => match hookmap_iregexp::translate(text, mode) {
                Ok(translated) => quote!({
                    static PATTERN: #rt::Pattern = #rt::LazyLock::new(|| #rt::pattern(#translated));
                    #rt::is_match(&PATTERN, #value)
                }),
                Err(error) => {
                    self.pattern_errors.push(PathError {
                        // The call: the literal's own span is not kept in the tree.
                        span: call.span.clone(),
                        message: format!("`{}` is not an I-Regexp pattern: {}", text, error.message),
                    });
                    quote!(#rt::is_match(&#rt::NO_PATTERN, #value))
                }
            },
            // A literal that is not a string is never a pattern: the test is false.
            FunctionArg::Literal(_) => quote!(#rt::is_match(&#rt::NO_PATTERN, #value)),
            dynamic => {
                let pattern = self.value_arg(dynamic, current, root);
                quote!(#rt::is_match_dynamic(#value, #pattern, #runtime_mode))
            }
        }
    }
}

/// Whether a filter refers to the query's root `$` anywhere.
pub fn filter_uses_root(expr: &LogicalExpr) -> bool {
    let mut uses = false;
    visit_logical(expr, &mut |found| uses |= matches!(found, Found::Query(q) if q.root == QueryRoot::Root));
    uses
}

/// Whether the filters of these segments refer to `$` anywhere.
pub fn segments_use_root(segments: &[Segment]) -> bool {
    let mut uses = false;
    visit_segments(segments, &mut |found| {
        uses |= matches!(found, Found::Query(q) if q.root == QueryRoot::Root)
    });
    uses
}

/// The literal `match()` / `search()` patterns in these segments that are not I-Regexp, each
/// spanning its call.
pub fn pattern_errors(segments: &[Segment]) -> Vec<PathError> {
    let mut errors = Vec::new();
    visit_segments(segments, &mut |found| {
        let Found::Call(call) = found else { return };
        let mode = match call.function {
            Function::Match => hookmap_iregexp::Mode::Match,
            Function::Search => hookmap_iregexp::Mode::Search,
            _ => return,
        };
        if let Some(FunctionArg::Literal(JsonLiteral::String(pattern))) = call.args.get(1)
            && let Err(error) = hookmap_iregexp::translate(pattern, mode)
        {
            errors.push(PathError {
                // The call: the literal's own span is not kept in the tree.
                span: call.span.clone(),
                message: format!("`{pattern}` is not I-Regexp: {}", error.message),
            });
        }
    });
    errors
}

/// Calls `f` for every filter query in `expr`, nested ones included.
pub fn visit_queries(expr: &LogicalExpr, f: &mut dyn FnMut(&FilterQuery)) {
    visit_logical(expr, &mut |found| {
        if let Found::Query(query) = found {
            f(query);
        }
    });
}

/// A part of a filter that a walk over the tree reports.
enum Found<'e> {
    Query(&'e FilterQuery),
    Call(&'e FunctionExpr),
}

/// Calls `f` for every filter query and every function call inside the filters of `segments`,
/// nested ones included.
fn visit_segments(segments: &[Segment], f: &mut dyn FnMut(Found<'_>)) {
    for segment in segments {
        for selector in &segment.selectors {
            if let Selector::Filter { expr, .. } = selector {
                visit_logical(expr, f);
            }
        }
    }
}

fn visit_logical(expr: &LogicalExpr, f: &mut dyn FnMut(Found<'_>)) {
    match expr {
        LogicalExpr::Or(list) | LogicalExpr::And(list) => list.iter().for_each(|e| visit_logical(e, f)),
        LogicalExpr::Not(inner) => visit_logical(inner, f),
        LogicalExpr::Comparison { left, right, .. } => {
            for side in [left, right] {
                match side {
                    Comparable::Literal(_) => {}
                    Comparable::Query(query) => visit_query(query, f),
                    Comparable::Function(call) => visit_call(call, f),
                }
            }
        }
        LogicalExpr::Exists(query) => visit_query(query, f),
        LogicalExpr::Function(call) => visit_call(call, f),
    }
}

fn visit_query(query: &FilterQuery, f: &mut dyn FnMut(Found<'_>)) {
    f(Found::Query(query));
    visit_segments(&query.segments, f);
}

fn visit_call(call: &FunctionExpr, f: &mut dyn FnMut(Found<'_>)) {
    f(Found::Call(call));
    for arg in &call.args {
        match arg {
            FunctionArg::Literal(_) => {}
            FunctionArg::Query(query) => visit_query(query, f),
            FunctionArg::Logical(expr) => visit_logical(expr, f),
            FunctionArg::Function(inner) => visit_call(inner, f),
        }
    }
}

/// `[?@]` and `[?$]`: a filter that keeps every child needs no condition.
fn is_always_true(expr: &LogicalExpr) -> bool {
    matches!(expr, LogicalExpr::Exists(query) if query.segments.is_empty())
}

/// Whether `logical(expr, _, _, positive)` is a block expression.
fn is_block(expr: &LogicalExpr, positive: bool) -> bool {
    match expr {
        LogicalExpr::Not(inner) => is_block(inner, !positive),
        LogicalExpr::Exists(query) => positive && !query.is_singular(),
        LogicalExpr::Function(call) => {
            positive
                && matches!(call.args.get(1), Some(FunctionArg::Literal(JsonLiteral::String(_))))
                && matches!(call.function, Function::Match | Function::Search)
        }
        _ => false,
    }
}
