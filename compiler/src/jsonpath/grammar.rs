//! The pest parser generated from `grammar.pest`.

use pest_derive::Parser;

/// RFC 9535 JSONPath, as written in `grammar.pest`.
#[derive(Parser)]
#[grammar = "jsonpath/grammar.pest"]
pub(super) struct JsonPathParser;
