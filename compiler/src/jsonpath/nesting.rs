//! The nesting limit, checked before pest runs.
//!
//! Both pest and the conversion into the tree recurse once per bracket or parenthesis, so an
//! adversarial query could otherwise exhaust the stack of the thread compiling it.

use super::{MAX_NESTING, PathError};

/// Rejects a query whose brackets and parentheses nest deeper than [`MAX_NESTING`].
///
/// Quoted strings are skipped because brackets inside them are names, not syntax. Unbalanced
/// input is left to the grammar, which words it better.
pub(super) fn check(text: &str) -> Result<(), PathError> {
    let mut depth = 0usize;
    let mut quote = None;
    let mut escaped = false;
    // Bytes are enough: every delimiter is ASCII and UTF-8 never reuses ASCII bytes.
    for (at, byte) in text.bytes().enumerate() {
        if let Some(open) = quote {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == open {
                quote = None;
            }
            continue;
        }
        match byte {
            b'\'' | b'"' => quote = Some(byte),
            b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(PathError::new(
                        at..at + 1,
                        format!("brackets and parentheses nest more than {MAX_NESTING} deep"),
                    ));
                }
            }
            b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}
