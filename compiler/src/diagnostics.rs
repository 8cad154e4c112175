//! Errors in a mapper file, with where they are, rendered like rustc's.

use std::fmt;
use std::ops::Range;

use crate::source::Source;

/// One error in a mapper file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong.
    pub message: String,
    /// The byte range in the mapper file it is about, if any.
    pub span: Option<Range<usize>>,
    /// Text shown beside the caret.
    pub label: Option<String>,
    /// `= help: ...` lines.
    pub help: Vec<String>,
    /// `= note: ...` lines.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error with a message.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic { message: message.into(), span: None, label: None, help: Vec::new(), notes: Vec::new() }
    }

    /// Points the error at `span`.
    #[must_use]
    pub fn at(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }

    /// Text beside the caret.
    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a `help:` line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Adds a `note:` line.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// Every error found in one mapper file (at least one), with the file they point into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics {
    /// The file.
    pub source: Source,
    /// The errors, in file order.
    pub list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Errors in `source`.
    pub fn new(source: &Source, list: Vec<Diagnostic>) -> Self {
        Diagnostics { source: source.clone(), list }
    }

    /// 1-based line and column where each error starts (`None` for errors without a span).
    pub fn positions(&self) -> Vec<Option<(usize, usize)>> {
        self.list.iter().map(|d| d.span.as_ref().map(|s| self.source.line_col(s.start))).collect()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.list.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "error: {}", d.message)?;
            match &d.span {
                Some(span) => {
                    let (line, col) = self.source.line_col(span.start);
                    writeln!(f, "  --> {}:{line}:{col}", self.source.name)?;
                }
                None => writeln!(f, "  --> {}", self.source.name)?,
            }
            for h in &d.help {
                writeln!(f, "   = help: {h}")?;
            }
            for n in &d.notes {
                writeln!(f, "   = note: {n}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
