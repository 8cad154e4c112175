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

    /// The errors as a JSON array, for tools: one object per error with `message`, `file`,
    /// `line`, `column`, `end_line`, `end_column` (1-based, columns in characters, the end
    /// exclusive; `null` without a span), `label` (string or `null`), `help` and `notes`
    /// (arrays of strings).
    pub fn to_json(&self) -> String {
        // Written by hand so the compiler needs no serde at build time.
        let mut out = String::from("[");
        for (i, d) in self.list.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let (start, end) = match &d.span {
                Some(span) => (Some(self.source.line_col(span.start)), Some(self.source.line_col(span.end))),
                None => (None, None),
            };
            let number = |n: Option<usize>| n.map_or_else(|| "null".to_owned(), |n| n.to_string());
            out.push_str("{\"message\":");
            json_string(&mut out, &d.message);
            out.push_str(",\"file\":");
            json_string(&mut out, &self.source.name);
            out.push_str(&format!(
                ",\"line\":{},\"column\":{},\"end_line\":{},\"end_column\":{},\"label\":",
                number(start.map(|p| p.0)),
                number(start.map(|p| p.1)),
                number(end.map(|p| p.0)),
                number(end.map(|p| p.1)),
            ));
            match &d.label {
                Some(label) => json_string(&mut out, label),
                None => out.push_str("null"),
            }
            out.push_str(",\"help\":");
            json_strings(&mut out, &d.help);
            out.push_str(",\"notes\":");
            json_strings(&mut out, &d.notes);
            out.push('}');
        }
        out.push(']');
        out
    }
}

fn json_strings(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(out, item);
    }
    out.push(']');
}

/// A JSON string literal (RFC 8259 escaping).
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// rustc's layout:
///
/// ```text
/// error: unknown platform "webb"
///   --> mappers/lead.json:8:17
///    |
///  8 |     "platform": "webb",
///    |                 ^^^^^^ expected one of "web", "android", "ios", "api"
///    = help: did you mean "web"?
/// ```
///
/// The gutter is as wide as the line number, but at least two columns; errors are separated
/// by a blank line.
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.list.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            self.render(f, d)?;
        }
        Ok(())
    }
}

impl Diagnostics {
    /// Each error rendered on its own, without the leading `error: ` (for `compile_error!`,
    /// where rustc adds its own).
    pub fn each_rendered(&self) -> Vec<String> {
        struct One<'a>(&'a Diagnostics, &'a Diagnostic);
        impl fmt::Display for One<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.render(f, self.1)
            }
        }
        self.list
            .iter()
            .map(|d| {
                let text = One(self, d).to_string();
                text.strip_prefix("error: ").unwrap_or(&text).trim_end().to_owned()
            })
            .collect()
    }

    /// The errors as text with ANSI colours, as rustc shows them on a terminal.
    pub fn to_colored_string(&self) -> String {
        struct Colored<'a>(&'a Diagnostics);
        impl fmt::Display for Colored<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for (i, d) in self.0.list.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    self.0.render_with(f, d, Paint(true))?;
                }
                Ok(())
            }
        }
        Colored(self).to_string()
    }

    fn render(&self, f: &mut fmt::Formatter<'_>, d: &Diagnostic) -> fmt::Result {
        self.render_with(f, d, Paint(false))
    }

    fn render_with(&self, f: &mut fmt::Formatter<'_>, d: &Diagnostic, paint: Paint) -> fmt::Result {
        writeln!(f, "{}{}", paint.error("error"), paint.bold(&format!(": {}", d.message)))?;
        let Some(span) = &d.span else {
            writeln!(f, "  {} {}", paint.gutter("-->"), self.source.name)?;
            return self.render_footer(f, d, 2, paint);
        };
        let text = &self.source.text;
        let (line, col) = self.source.line_col(span.start);
        let width = line.to_string().len().max(2);
        let pad = " ".repeat(width);
        writeln!(f, "{pad}{} {}:{line}:{col}", paint.gutter("-->"), self.source.name)?;
        writeln!(f, "{pad} {}", paint.gutter("|"))?;

        let start = floor_char_boundary(text, span.start.min(text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        writeln!(f, "{} {line_text}", paint.gutter(&format!("{line:>width$} |")))?;

        // Keep tabs in the indent so the carets line up under the same characters.
        let indent: String =
            text[line_start..start].chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
        let underlined = text[start..end.min(line_start + line_text.len()).max(start)].chars().count();
        let carets = "^".repeat(underlined.max(1));
        let bar = paint.gutter("|");
        match &d.label {
            Some(label) => writeln!(f, "{pad} {bar} {indent}{}", paint.error(&format!("{carets} {label}")))?,
            None => writeln!(f, "{pad} {bar} {indent}{}", paint.error(&carets))?,
        }
        self.render_footer(f, d, width, paint)
    }

    fn render_footer(
        &self,
        f: &mut fmt::Formatter<'_>,
        d: &Diagnostic,
        width: usize,
        paint: Paint,
    ) -> fmt::Result {
        let pad = " ".repeat(width);
        let eq = paint.gutter("=");
        for h in &d.help {
            writeln!(f, "{pad} {eq} {}: {h}", paint.bold("help"))?;
        }
        for n in &d.notes {
            writeln!(f, "{pad} {eq} {}: {n}", paint.bold("note"))?;
        }
        Ok(())
    }
}

/// Whether to colour the rendering, and how: rustc's colours (bold red errors, bright blue
/// gutter).
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    fn error(self, text: &str) -> String {
        self.wrap("1;31", text)
    }

    fn gutter(self, text: &str) -> String {
        self.wrap("1;94", text)
    }

    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, d: Diagnostic) -> String {
        Diagnostics::new(&Source::inline("mappers/lead.json", text), vec![d]).to_string()
    }

    fn span_of(text: &str, needle: &str) -> Range<usize> {
        let start = text.find(needle).expect("needle");
        start..start + needle.len()
    }

    #[test]
    fn renders_like_rustc() {
        let text = "{\n\n\n\n\n\n\n    \"platform\": \"webb\",\n}";
        let d = Diagnostic::error("unknown platform \"webb\"")
            .at(span_of(text, "\"webb\""))
            .label("expected one of \"web\", \"android\", \"ios\", \"api\"")
            .help("did you mean \"web\"?");
        assert_eq!(
            render(text, d),
            r#"error: unknown platform "webb"
  --> mappers/lead.json:8:17
   |
 8 |     "platform": "webb",
   |                 ^^^^^^ expected one of "web", "android", "ios", "api"
   = help: did you mean "web"?
"#
        );
    }

    #[test]
    fn gutter_grows_with_the_line_number() {
        let text = format!("{}x\n", "\n".repeat(122));
        let d = Diagnostic::error("bad").at(122..123).note("n");
        assert_eq!(
            render(&text, d),
            "error: bad\n   --> mappers/lead.json:123:1\n    |\n123 | x\n    | ^\n    = note: n\n"
        );
    }

    #[test]
    fn columns_count_characters_and_tabs_are_kept() {
        let text = "\t\"é€\": \"x\"";
        let d = Diagnostic::error("e").at(span_of(text, "\"x\""));
        let out = render(text, d);
        assert!(out.contains("--> mappers/lead.json:1:8\n"), "{out}");
        assert!(out.contains("\n 1 | \t\"é€\": \"x\"\n   | \t      ^^^\n"), "{out}");
    }

    #[test]
    fn multi_line_and_empty_spans() {
        let text = "{\r\n  \"a\": [\r\n    1\r\n  ]\r\n}";
        let d = Diagnostic::error("e").at(span_of(text, "[\r\n    1\r\n  ]"));
        assert!(render(text, d).contains(" 2 |   \"a\": [\n   |        ^\n"));
        // Empty span at the end of the file, and a span past it: one caret, no panic.
        let d = Diagnostic::error("e").at(text.len()..text.len());
        assert!(render(text, d).contains(" 5 | }\n   |  ^\n"));
        let d = Diagnostic::error("e").at(text.len() + 5..text.len() + 9);
        assert!(render(text, d).contains("^"));
    }

    #[test]
    fn several_errors_and_errors_without_span() {
        let text = "{}";
        let list = vec![Diagnostic::error("first").at(0..1), Diagnostic::error("second").help("h")];
        let out = Diagnostics::new(&Source::inline("m.json", text), list).to_string();
        assert_eq!(
            out,
            "error: first\n  --> m.json:1:1\n   |\n 1 | {}\n   | ^\n\nerror: second\n  --> m.json\n   = help: h\n"
        );
    }

    #[test]
    fn json_output_is_escaped() {
        let text = "{\n  \"a\": \"b\"\n}";
        let list = vec![
            Diagnostic::error("bad \"q\" \\ \u{1}")
                .at(span_of(text, "\"b\""))
                .label("l\n")
                .help("h")
                .note("n"),
            Diagnostic::error("no span"),
        ];
        let json = Diagnostics::new(&Source::inline("dir\\m.json", text), list).to_json();
        assert_eq!(
            json,
            concat!(
                r#"[{"message":"bad \"q\" \\ \u0001","file":"dir\\m.json","line":2,"column":8,"#,
                r#""end_line":2,"end_column":11,"label":"l\n","help":["h"],"notes":["n"]},"#,
                r#"{"message":"no span","file":"dir\\m.json","line":null,"column":null,"#,
                r#""end_line":null,"end_column":null,"label":null,"help":[],"notes":[]}]"#
            )
        );
    }
}
