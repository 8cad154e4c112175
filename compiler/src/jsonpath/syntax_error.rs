//! Words for pest's failures: which tokens were expected where, never the grammar's rule names.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::PathError;
use super::ast::Span;
use super::grammar::Rule;

/// Turns a pest error on `text` into a [`PathError`] pointing at the token where parsing failed.
pub(super) fn convert(text: &str, error: Error<Rule>) -> PathError {
    let at = match error.location {
        InputLocation::Pos(at) | InputLocation::Span((at, _)) => at.min(text.len()),
    };
    let positives = match error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        // pest's own guards (native stack, call count): within the nesting limit only a thread
        // with a very small stack gets here.
        ErrorVariant::CustomError { message } => {
            return PathError::new(token(text, at), format!("query too complex to parse ({message})"));
        }
    };
    if let Some(special) = special_case(text, at, &positives) {
        return special;
    }
    let mut expected: Vec<(u8, &str)> = positives.iter().filter_map(|rule| expectation(*rule)).collect();
    expected.sort_unstable();
    expected.dedup();
    // A query can always go on with another segment, so after any query inside a filter pest
    // also lists segments; next to an operator or a closing token they are the least likely
    // intent and only lengthen the message.
    if expected.iter().any(|(rank, _)| (OPERATORS..END).contains(rank)) {
        expected.retain(|(rank, _)| *rank != SEGMENT);
    }
    let words: Vec<&str> = expected.into_iter().map(|(_, words)| words).collect();
    let message = match words.split_last() {
        None => match text.get(at..).and_then(|rest| rest.chars().next()) {
            Some(c) => format!("unexpected {}", quote(c)),
            None => "unexpected end of the query".to_owned(),
        },
        Some((only, [])) => format!("expected {only}"),
        Some((last, rest)) => format!("expected {} or {last}", rest.join(", ")),
    };
    PathError::new(token(text, at), message)
}

const SEGMENT: u8 = 1;
const OPERATORS: u8 = 20;
const END: u8 = 40;

/// What a rule that failed to match stands for, with a rank that orders the list in messages.
/// `None` for rules that are not worth naming (those only accepted to report them better).
fn expectation(rule: Rule) -> Option<(u8, &'static str)> {
    Some(match rule {
        Rule::root_identifier | Rule::jsonpath_query => (0, "\"$\" to start the query"),
        Rule::segment | Rule::child_segment | Rule::descendant_segment => {
            (SEGMENT, "a segment (\".\", \"..\" or \"[\")")
        }
        Rule::bracketed_selection => (2, "\"[\""),
        Rule::wildcard_selector => (3, "\"*\""),
        Rule::member_name_shorthand => (4, "a member name"),
        Rule::selector => (5, "a selector (a quoted name, \"*\", an index, a slice or a \"?\" filter)"),
        Rule::name_selector | Rule::string_literal | Rule::double_quoted | Rule::single_quoted => {
            (6, "a quoted name")
        }
        Rule::slice_start | Rule::slice_end | Rule::slice_step | Rule::int | Rule::index_selector => {
            (7, "an integer")
        }
        Rule::logical_expr | Rule::logical_and_expr | Rule::basic_expr | Rule::filter_selector => {
            (10, "a filter expression")
        }
        Rule::operand | Rule::comparison_expr => (11, "a query, a literal or a function call"),
        Rule::filter_query => (12, "a query"),
        Rule::function_argument => (13, "a function argument"),
        Rule::frac_digits => (14, "digits after the decimal point"),
        Rule::exp_digits => (15, "digits in the exponent"),
        Rule::comparison_op => (OPERATORS, "a comparison operator"),
        Rule::and_op => (21, "\"&&\""),
        Rule::or_op => (22, "\"||\""),
        Rule::comma => (30, "\",\""),
        Rule::close_paren => (31, "\")\""),
        Rule::close_bracket => (32, "\"]\" to close the bracket"),
        Rule::close_double => (33, "a closing double quote"),
        Rule::close_single => (34, "a closing single quote"),
        Rule::EOI => (END, "the end of the query"),
        _ => return None,
    })
}

/// Mistakes common enough to deserve their own words.
fn special_case(text: &str, at: usize, positives: &[Rule]) -> Option<PathError> {
    let blank = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    if at == 0 && text.starts_with(blank) {
        let end = text.len() - text.trim_start_matches(blank).len();
        return Some(PathError::new(0..end, "no blank is allowed before \"$\""));
    }
    if at == text.len() && text.ends_with(blank) && positives.iter().all(|rule| *rule == Rule::segment) {
        let start = text.trim_end_matches(blank).len();
        return Some(PathError::new(start..text.len(), "no blank is allowed at the end of the query"));
    }
    let word = token(text, at);
    let found = text.get(word.clone()).unwrap_or_default();
    let literal = ["true", "false", "null"].into_iter().find(|l| l.eq_ignore_ascii_case(found));
    if let Some(literal) = literal
        && positives.contains(&Rule::operand)
    {
        return Some(PathError::new(word, format!("literals are lowercase: write {literal}, not {found}")));
    }
    let wants_number = [Rule::operand, Rule::selector, Rule::slice_end, Rule::slice_step];
    if found == "+" && positives.iter().any(|rule| wants_number.contains(rule)) {
        return Some(PathError::new(word, "a number cannot start with \"+\"; leave the sign out"));
    }
    if positives.contains(&Rule::comparison_op) && found == "=" {
        return Some(PathError::new(at..at + 1, "\"=\" is not an operator; compare with \"==\""));
    }
    if positives.contains(&Rule::selector) && matches!(found, "@" | "$") {
        return Some(PathError::new(
            word,
            format!("expected a selector; a filter starts with \"?\", as in [?{found}...]"),
        ));
    }
    // `$.form[name]`: a bare name in brackets.
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    if positives.contains(&Rule::selector)
        && found.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && found.chars().all(is_name)
    {
        return Some(PathError::new(
            word,
            format!(
                "expected a selector; a name in brackets is quoted, as in ['{found}'] (or write .{found})"
            ),
        ));
    }
    None
}

/// The token starting at byte `at`: a run of name characters, or one character, or nothing at
/// the end of the text.
fn token(text: &str, at: usize) -> Span {
    let rest = text.get(at..).unwrap_or_default();
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || !c.is_ascii();
    let len = match rest.chars().next() {
        None => 0,
        Some(c) if is_word(c) => rest.find(|c| !is_word(c)).unwrap_or(rest.len()),
        Some(c) => c.len_utf8(),
    };
    at..at + len
}

fn quote(c: char) -> String {
    if c.is_control() { format!("U+{:04X}", u32::from(c)) } else { format!("\"{c}\"") }
}
