//! The parser through its public entry point: tree shapes with their spans, and error spans and
//! messages. Conformance as a whole is `tests/jsonpath_cts.rs`.

use super::ast::*;
use super::{MAX_NESTING, PathError, parse};

fn ok(text: &str) -> Query {
    parse(text).unwrap_or_else(|e| panic!("{text:?} should parse, got {e:?}"))
}

fn err(text: &str) -> PathError {
    match parse(text) {
        Ok(query) => panic!("{text:?} should be rejected, got {query:?}"),
        Err(error) => error,
    }
}

fn name(name: &str, span: Span) -> Selector {
    Selector::Name { name: name.to_owned(), span }
}

fn child(selectors: Vec<Selector>, span: Span) -> Segment {
    Segment { kind: SegmentKind::Child, selectors, span }
}

fn current(segments: Vec<Segment>, span: Span) -> FilterQuery {
    FilterQuery { root: QueryRoot::Current, segments, span }
}

/// The expression of the only selector of the only segment.
fn filter_of(text: &str) -> LogicalExpr {
    let mut query = ok(text);
    assert_eq!(query.segments.len(), 1, "{text:?}");
    match query.segments.remove(0).selectors.remove(0) {
        Selector::Filter { expr, .. } => expr,
        other => panic!("{text:?}: expected a filter, got {other:?}"),
    }
}

#[test]
fn shorthand_names_and_index() {
    assert_eq!(
        ok("$.store.book[0]"),
        Query {
            segments: vec![
                child(vec![name("store", 2..7)], 1..7),
                child(vec![name("book", 8..12)], 7..12),
                child(vec![Selector::Index { index: 0, span: 13..14 }], 12..15),
            ],
            span: 0..15,
        }
    );
}

#[test]
fn descendant_bracket_with_two_quotings_then_wildcard() {
    let text = r#"$..['a', "b\u00e9"][*]"#;
    assert_eq!(
        ok(text),
        Query {
            segments: vec![
                Segment {
                    kind: SegmentKind::Descendant,
                    selectors: vec![name("a", 4..7), name("bé", 9..18)],
                    span: 1..19,
                },
                child(vec![Selector::Wildcard { span: 20..21 }], 19..22),
            ],
            span: 0..22,
        }
    );
}

#[test]
fn blanks_between_segments_and_inside_brackets_stay_out_of_selector_spans() {
    let query = ok("$ .a\t[ -3 : -1 : 2 ]");
    assert_eq!(query.segments[0], child(vec![name("a", 3..4)], 2..4));
    assert_eq!(
        query.segments[1],
        child(vec![Selector::Slice { start: Some(-3), end: Some(-1), step: Some(2), span: 7..18 }], 5..20)
    );
}

#[test]
fn slices_with_missing_parts() {
    let slice = |text: &str| match &ok(text).segments[0].selectors[0] {
        Selector::Slice { start, end, step, span } => (*start, *end, *step, span.clone()),
        other => panic!("{text:?}: expected a slice, got {other:?}"),
    };
    assert_eq!(slice("$[:]"), (None, None, None, 2..3));
    assert_eq!(slice("$[1:]"), (Some(1), None, None, 2..4));
    assert_eq!(slice("$[::-1]"), (None, None, Some(-1), 2..6));
    assert_eq!(slice("$[:2:]"), (None, Some(2), None, 2..5));
}

#[test]
fn extreme_indices_and_escapes() {
    let query = ok("$[-9007199254740991, 9007199254740991]");
    let indices: Vec<i64> = query.segments[0]
        .selectors
        .iter()
        .map(|s| match s {
            Selector::Index { index, .. } => *index,
            other => panic!("expected an index, got {other:?}"),
        })
        .collect();
    assert_eq!(indices, [-9_007_199_254_740_991, 9_007_199_254_740_991]);

    let query = ok(r#"$["\uD83D\uDE00\b\f\n\r\t\/\\\"'", 'q\'"']"#);
    let names: Vec<&str> = query.segments[0]
        .selectors
        .iter()
        .map(|s| match s {
            Selector::Name { name, .. } => name.as_str(),
            other => panic!("expected a name, got {other:?}"),
        })
        .collect();
    assert_eq!(names, ["😀\u{8}\u{c}\n\r\t/\\\"'", "q'\""]);
    // `ré]` is not a name in brackets: shorthand only follows a dot.
    assert!(parse(r#"$[ré]"#).is_err());
    assert_eq!(ok("$.ré_1").segments[0].selectors[0], name("ré_1", 2..7));
}

#[test]
fn filter_with_precedence_negation_and_a_logical_function() {
    let text = "$[?@.price < 10 && !(@.sold || match(@.name, '^A'))]";
    let price = current(vec![child(vec![name("price", 5..10)], 4..10)], 3..10);
    let sold = current(vec![child(vec![name("sold", 23..27)], 22..27)], 21..27);
    let name_query = current(vec![child(vec![name("name", 39..43)], 38..43)], 37..43);
    assert_eq!(
        filter_of(text),
        LogicalExpr::And(vec![
            LogicalExpr::Comparison {
                left: Comparable::Query(price),
                op: CompareOp::Lt,
                right: Comparable::Literal(Literal::Number("10".into())),
                span: 3..15,
            },
            LogicalExpr::Not(Box::new(LogicalExpr::Or(vec![
                LogicalExpr::Exists(sold),
                LogicalExpr::Function(FunctionExpr {
                    function: Function::Match,
                    args: vec![
                        FunctionArg::Query(name_query),
                        FunctionArg::Literal(Literal::String("^A".into())),
                    ],
                    span: 31..50,
                }),
            ]))),
        ])
    );
}

#[test]
fn value_functions_compare_and_take_typed_arguments() {
    let expr = filter_of("$[?count(@.*) == value($..n)]");
    let LogicalExpr::Comparison { left, op: CompareOp::Eq, right, span } = expr else {
        panic!("expected a comparison, got {expr:?}");
    };
    assert_eq!(span, 3..28);
    let Comparable::Function(FunctionExpr { function: Function::Count, args, span }) = left else {
        panic!("expected count(), got {left:?}");
    };
    assert_eq!(span, 3..13);
    assert!(matches!(&args[..], [FunctionArg::Query(FilterQuery { root: QueryRoot::Current, .. })]));
    let Comparable::Function(FunctionExpr { function: Function::Value, args, .. }) = right else {
        panic!("expected value(), got {right:?}");
    };
    // value() takes NodesType, so a non-singular absolute query is fine there.
    assert!(matches!(&args[..], [FunctionArg::Query(q)] if q.root == QueryRoot::Root && !q.is_singular()));

    let expr = filter_of("$[?length(value(@.a)) > 0]");
    assert!(matches!(
        expr,
        LogicalExpr::Comparison {
            left: Comparable::Function(FunctionExpr { function: Function::Length, ref args, .. }),
            ..
        } if matches!(&args[..], [FunctionArg::Function(FunctionExpr { function: Function::Value, .. })])
    ));
}

#[test]
fn literals_keep_their_text() {
    for (text, literal) in [
        ("$[?@.a == -0]", Literal::Number("-0".into())),
        ("$[?@.a == -0.5E+3]", Literal::Number("-0.5E+3".into())),
        ("$[?@.a == 1e9]", Literal::Number("1e9".into())),
        ("$[?@.a == true]", Literal::Bool(true)),
        ("$[?@.a == null]", Literal::Null),
        (r#"$[?@.a == "\u0041"]"#, Literal::String("A".into())),
    ] {
        match filter_of(text) {
            LogicalExpr::Comparison { right: Comparable::Literal(found), .. } => {
                assert_eq!(found, literal, "{text}")
            }
            other => panic!("{text:?}: expected a comparison with a literal, got {other:?}"),
        }
    }
}

#[test]
fn existence_tests_accept_any_query() {
    assert!(matches!(filter_of("$[?@..a[*]]"), LogicalExpr::Exists(q) if !q.is_singular()));
    assert!(matches!(filter_of("$[?!$]"), LogicalExpr::Not(e) if matches!(*e, LogicalExpr::Exists(_))));
    // The singular-query production has no blanks inside brackets, but a test is any query.
    assert!(matches!(filter_of("$[?@[ 'a' ]]"), LogicalExpr::Exists(_)));
}

/// `(text, span, message)`: the error each query must give.
const ERRORS: &[(&str, Span, &str)] = &[
    ("", 0..0, "expected \"$\" to start the query"),
    (" $", 0..1, "no blank is allowed before \"$\""),
    ("$.a ", 3..4, "no blank is allowed at the end of the query"),
    ("$[0", 3..3, "expected \",\" or \"]\" to close the bracket"),
    ("$[0 1]", 4..5, "expected \",\" or \"]\" to close the bracket"),
    ("$.1", 2..3, "expected \"*\" or a member name"),
    ("$. a", 2..3, "no blank is allowed after \".\"; write the name right after it"),
    ("$[-0]", 2..4, "index -0 is not allowed; write 0"),
    ("$[007]", 2..5, "index 007 has a leading zero, which is not allowed"),
    (
        "$[::9007199254740992]",
        4..20,
        "slice step is out of range; it must be between -9007199254740991 and 9007199254740991",
    ),
    ("$[@.a]", 2..3, "expected a selector; a filter starts with \"?\", as in [?@...]"),
    (
        "$.form[name",
        7..11,
        "expected a selector; a name in brackets is quoted, as in ['name'] (or write .name)",
    ),
    ("$['a\u{1}']", 4..5, "control character U+0001 must be escaped in a string: write \\u0001"),
    ("$[\"a\tb\"]", 4..5, "control character U+0009 must be escaped in a string: write \\t"),
    (
        "$['\\uD800']",
        3..9,
        "\\uD800 is a lone high surrogate; it must be followed by a low surrogate \\uDC00-\\uDFFF",
    ),
    (
        "$['\\q']",
        3..5,
        "\\q is not a valid escape; the escapes are \\b \\f \\n \\r \\t \\/ \\\\ \\' and \\uXXXX",
    ),
    ("$[\"abc", 6..6, "expected a closing double quote"),
    ("$[?lenght(@.a) > 1]", 3..9, "unknown function \"lenght\"; did you mean \"length\"?"),
    (
        "$[?frobnicate(@)]",
        3..13,
        "unknown function \"frobnicate\"; the functions are length, count, match, search, value",
    ),
    ("$[?count (@.*) > 1]", 8..9, "no blank is allowed between the function name count and \"(\""),
    ("$[?@.* == 1]", 4..6, "comparison needs a singular query, but \".*\" can select more than one node"),
    (
        "$[?@[ 'a' ] == 1]",
        4..11,
        "comparison needs a singular query, and a singular query allows no blanks inside its brackets",
    ),
    ("$[?@.a = 1]", 7..8, "\"=\" is not an operator; compare with \"==\""),
    ("$[?@.a == +1]", 10..11, "a number cannot start with \"+\"; leave the sign out"),
    ("$[?@.a == 1.]", 12..13, "expected digits after the decimal point"),
    ("$[?@.a == 01]", 10..12, "number 01 has a leading zero, which is not allowed"),
    ("$[?@.a == TRUE]", 10..14, "literals are lowercase: write true, not TRUE"),
    (
        "$[?!@.a == 1]",
        3..12,
        "\"!\" cannot negate a comparison directly; put the comparison in parentheses: !(...)",
    ),
    (
        "$[?'a']",
        3..6,
        "a literal cannot be a test on its own; compare it with something, e.g. @.flag == true",
    ),
    (
        "$[?length(@.a)]",
        3..14,
        "length() returns a value, which cannot be a test on its own; compare it, e.g. length(...) > 0",
    ),
    (
        "$[?search(@.a, 'b') == true]",
        3..19,
        "search() returns a logical result, which cannot be compared; use it as a test on its own",
    ),
    ("$[?match(@.a) == 1]", 3..13, "match() takes 2 arguments, but 1 was given"),
    (
        "$[?length(@.a == 1) > 0]",
        10..18,
        "argument 1 of length() must be a value (a literal, a singular query or a value-returning function), not a logical expression",
    ),
    (
        "$[?length(@..a) > 0]",
        11..14,
        "argument 1 of length() needs a singular query, but \"..a\" can select more than one node",
    ),
    ("$[?count('a') > 0]", 9..12, "argument 1 of count() must be a query, not a literal"),
    (
        "$[?count(length(@)) > 0]",
        9..18,
        "argument 1 of count() must be a query, but length() returns a value (a literal, a singular query or a value-returning function)",
    ),
    (
        "$[?length(match(@, 'a')) > 0]",
        10..23,
        "argument 1 of length() must be a value (a literal, a singular query or a value-returning function), but match() returns a logical result",
    ),
    ("$[?(@.a]", 7..8, "expected a comparison operator, \"&&\", \"||\" or \")\""),
    ("$.a]", 3..4, "expected a segment (\".\", \"..\" or \"[\") or the end of the query"),
    ("$[?@.a && ]", 10..11, "expected a filter expression"),
];

#[test]
fn errors_have_precise_spans_and_messages() {
    let mut wrong = Vec::new();
    for (text, span, message) in ERRORS {
        let error = err(text);
        if (&error.span, error.message.as_str()) != (span, *message) {
            wrong.push(format!(
                "{text:?}\n   want {span:?} {message}\n    got {:?} {}",
                error.span, error.message
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn display_is_the_message() {
    let error = err("$[-0]");
    assert_eq!(error.to_string(), error.message);
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    let nested = |depth: usize| format!("$[?{}@.a{}]", "(".repeat(depth - 1), ")".repeat(depth - 1));
    assert!(parse(&nested(MAX_NESTING)).is_ok());
    let error = err(&nested(MAX_NESTING + 1));
    assert_eq!(error.span, MAX_NESTING + 2..MAX_NESTING + 3);
    assert_eq!(error.message, format!("brackets and parentheses nest more than {MAX_NESTING} deep"));
    // Filters in filters recurse through the most rules per level: the deepest of them must fit
    // in a 1 MiB stack even unoptimized (as in a proc macro), half a test thread's default.
    let filters = format!("${}{}", "[?@.a".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
    let small_stack = std::thread::Builder::new().stack_size(1 << 20);
    let result = small_stack.spawn(move || parse(&filters).map(|_| ())).expect("spawn a thread").join();
    assert_eq!(result.expect("no stack overflow"), Ok(()));
    let functions =
        format!("$[?{}@.a{} > 1]", "length(".repeat(MAX_NESTING - 1), ")".repeat(MAX_NESTING - 1));
    assert!(parse(&functions).is_ok());
    // Brackets inside strings are names, not nesting.
    assert!(parse(&format!("$['{}']", "[".repeat(200))).is_ok());
    // Far past the limit, and unbalanced: still an error, not a crash.
    assert!(parse(&"$[?(".repeat(10_000)).is_err());
}
