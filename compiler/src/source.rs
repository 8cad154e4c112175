//! The mapper file: its name, its text, and line/column lookup. The only place that reads files.

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostic;

/// A mapper file's text and the name diagnostics show for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The name shown in diagnostics, such as `mappers/lead.json`.
    pub name: String,
    /// The file's text.
    pub text: String,
    /// The file on disk, when it came from one (for rebuild tracking).
    pub path: Option<PathBuf>,
}

impl Source {
    /// A mapper given as text.
    pub fn inline(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source { name: name.into(), text: text.into(), path: None }
    }

    /// Reads `relative` (a path relative to `base`, usually the crate's `CARGO_MANIFEST_DIR`).
    pub fn read(base: &Path, relative: &str) -> Result<Self, Diagnostic> {
        let rel = Path::new(relative);
        if rel.is_absolute() {
            return Err(Diagnostic::error(format!(
                "mapper path `{relative}` is absolute; give it relative to the crate's Cargo.toml"
            )));
        }
        let path = base.join(rel);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Source { name: relative.to_owned(), text, path: Some(path) }),
            Err(e) => Err(Diagnostic::error(format!("cannot read mapper `{}`: {e}", path.display()))),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
