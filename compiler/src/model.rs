//! The mapper configuration after parsing: typed, with the byte span of every value in the
//! mapper file. Produced by [`crate::frontend`], consumed by [`crate::lower`].

use std::ops::Range;

use crate::date::TimeFormat;
use crate::jsonpath::ast::Query;

/// Byte offsets into the mapper file.
pub type Span = Range<usize>;

/// `mapping_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MappingType {
    /// `"events"`
    Events,
    /// `"users"`
    Users,
}

/// `platform`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// `"web"`
    Web,
    /// `"android"`
    Android,
    /// `"ios"`
    Ios,
    /// `"api"`
    Api,
}

/// A value with the span of its JSON token in the mapper file.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where its JSON token is (for strings: including the quotes).
    pub span: Span,
}

/// A whole mapper file.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapper {
    /// `partner_name`.
    pub partner_name: Spanned<String>,
    /// `config_name`, when the file sets one (a hookmap extension; the file stem otherwise).
    pub config_name: Option<Spanned<String>>,
    /// `mapping_type`.
    pub mapping_type: Spanned<MappingType>,
    /// `batching`; `false` when the file has none (then spanned on the empty range at the
    /// top-level object's `{`).
    pub batching: Spanned<bool>,
    /// `mappings.customer_id`.
    pub customer_id: Option<Spanned<Source>>,
    /// `mappings.anon_id` (events only).
    pub anon_id: Option<Spanned<Source>>,
    /// `mappings.event_name` (events only).
    pub event_name: Option<Spanned<Source>>,
    /// `mappings.user_time` with `formats.user_time` and `#MERGE`.
    pub user_time: Option<UserTime>,
    /// `mappings.platform` (events only; ignored for users).
    pub platform: Option<Spanned<Platform>>,
    /// `mappings.app_version` (events only; ignored for users). An events mapper without one
    /// gets the literal `"1.0.0"`, spanned on the `mappings` key.
    pub app_version: Option<Spanned<Source>>,
    /// `mappings.update_existing_only` (users only).
    pub update_existing_only: Option<Spanned<bool>>,
    /// `mappings.attr` (events only).
    pub attr: Attributes,
    /// `mappings.user_attributes`.
    pub user_attributes: Attributes,
    /// `mappings.timezone`, an IANA name.
    pub timezone: Option<Spanned<String>>,
    /// `payload_validations`, in file order.
    pub validations: Vec<Validation>,
}

/// Where a field's value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A constant.
    Literal(Literal),
    /// A JSONPath into the payload.
    Path(Path),
}

/// A constant value in the mapper.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A string that does not start with `$`.
    String(String),
    /// A number, as its JSON text.
    Number(String),
    /// `true` or `false`.
    Bool(bool),
}

/// A JSONPath string of the mapper.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The query text (JSON-unescaped).
    pub text: String,
    /// The parsed query.
    pub query: Query,
    /// The JSON string token in the file, including its quotes.
    pub span: Span,
    /// Where the file holds escapes: for each escape sequence, the pair `(offset in text just
    /// after it, offset in file just after it)`, ascending. Between two pairs text and file
    /// advance byte for byte; see [`Path::file_span`].
    pub escapes: Vec<(usize, usize)>,
}

impl Path {
    /// Maps a byte range inside the query text to the byte range in the mapper file.
    pub fn file_span(&self, range: Range<usize>) -> Span {
        string_span(self.span.start, &self.escapes, range)
    }
}

/// Maps a byte range inside the unescaped text of the JSON string token starting (at its
/// opening quote) at `token_start` to the byte range in the file, given the token's escape
/// pairs (as in [`Path::escapes`]). Shared by paths and date patterns.
pub(crate) fn string_span(token_start: usize, escapes: &[(usize, usize)], range: Range<usize>) -> Span {
    string_offset(token_start, escapes, range.start)..string_offset(token_start, escapes, range.end)
}

fn string_offset(token_start: usize, escapes: &[(usize, usize)], offset: usize) -> usize {
    // The text starts one byte after the opening quote; each escape shifts what follows.
    let mut base_text = 0;
    let mut base_file = token_start + 1;
    for &(text_at, file_at) in escapes {
        if text_at > offset {
            break;
        }
        base_text = text_at;
        base_file = file_at;
    }
    base_file + (offset - base_text)
}

/// `user_time`, its formats and its time zone.
#[derive(Clone, Debug, PartialEq)]
pub struct UserTime {
    /// A path, or the `#MERGE` of a date and a time.
    pub source: Spanned<TimeSource>,
    /// `formats.user_time`, in order; empty when the mapper has none.
    pub formats: Vec<Spanned<TimeFormat>>,
    /// Where `formats.user_time` is, when present.
    pub formats_span: Option<Span>,
}

/// Where `user_time` comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum TimeSource {
    /// A JSONPath.
    Path(Path),
    /// `"#MERGE"`: `date`, a space and `time`, read with the formats.
    Merge {
        /// `#MERGE.user_time.date`
        date: Path,
        /// `#MERGE.user_time.time`
        time: Path,
    },
}

/// `attr` or `user_attributes`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attributes {
    /// Explicit keys, in file order.
    pub entries: Vec<Attribute>,
    /// `create_all`, if present.
    pub create_all: Option<Path>,
    /// Where the object is, when present.
    pub span: Option<Span>,
}

/// One explicit attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The key.
    pub key: Spanned<String>,
    /// Its value.
    pub source: Spanned<Source>,
}

/// One `payload_validations` rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Validation {
    /// The path checked.
    pub path: Path,
    /// The JSON type required.
    pub ty: Spanned<JsonType>,
}

/// The JSON types of `payload_validations`: the runtime's own, which checks them.
pub use hookmap_core::__private::JsonType;
