//! `user_time` for the interpreter: `formats.user_time` entries turned into chrono format
//! strings when the mapper is loaded, applied with `parse_from_str` on every payload.
//!
//! Covers the pattern letters the workloads use (`y M d H m s S` and quoted literals) in UTC; a
//! mapper with other letters or a `timezone` is refused when it is loaded, not mapped wrongly.

use chrono::{NaiveDate, NaiveDateTime};

/// One entry of `formats.user_time`.
#[derive(Debug)]
enum Format {
    EpochSeconds,
    EpochMillis,
    /// A chrono format string, and whether it has time-of-day fields.
    Pattern {
        chrono: String,
        has_time: bool,
    },
}

/// The formats of a mapper's `user_time`, in order.
#[derive(Debug, Default)]
pub struct Formats {
    list: Vec<Format>,
}

impl Formats {
    /// Reads `formats.user_time` (a string or a list of strings).
    pub fn new(entries: &[&str]) -> Result<Formats, String> {
        let list = entries
            .iter()
            .map(|entry| match *entry {
                "epoch_seconds" => Ok(Format::EpochSeconds),
                "epoch_millis" => Ok(Format::EpochMillis),
                pattern => translate(pattern),
            })
            .collect::<Result<_, _>>()?;
        Ok(Formats { list })
    }

    /// Milliseconds per unit of a JSON integer: seconds when `epoch_seconds` comes before any
    /// `epoch_millis`.
    pub fn integer_unit(&self) -> i64 {
        match self.list.iter().find(|f| !matches!(f, Format::Pattern { .. })) {
            Some(Format::EpochSeconds) => 1000,
            _ => 1,
        }
    }

    /// Whether the mapper has any format (strings need one).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Epoch milliseconds of `text`, by the first format that reads all of it.
    pub fn parse(&self, text: &str) -> Option<i64> {
        self.list.iter().find_map(|format| match format {
            Format::EpochSeconds => digits(text)?.checked_mul(1000),
            Format::EpochMillis => digits(text),
            Format::Pattern { chrono, has_time: true } => {
                NaiveDateTime::parse_from_str(text, chrono).ok().map(|t| t.and_utc().timestamp_millis())
            }
            Format::Pattern { chrono, has_time: false } => NaiveDate::parse_from_str(text, chrono)
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_millis()),
        })
    }
}

fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `yyyy-MM-dd'T'HH:mm:ss` → `%Y-%m-%dT%H:%M:%S`.
fn translate(pattern: &str) -> Result<Format, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut has_time = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A quoted literal; `''` is a quote.
            let end = chars[i + 1..].iter().position(|&q| q == '\'').map(|p| i + 1 + p);
            let Some(end) = end else { return Err(format!("unclosed quote in {pattern:?}")) };
            if end == i + 1 {
                out.push('\'');
            }
            for &l in &chars[i + 1..end] {
                push_literal(&mut out, l);
            }
            i = end + 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let spec = match (c, run) {
            ('y', 4) => "%Y",
            ('y', 2) => "%y",
            ('M', 1 | 2) => "%m",
            ('d', 1 | 2) => "%d",
            ('H', 1 | 2) => "%H",
            ('m', 1 | 2) => "%M",
            ('s', 1 | 2) => "%S",
            ('S', 3) => "%3f",
            ('S', 6) => "%6f",
            ('S', 9) => "%9f",
            (c, _) if c.is_ascii_alphabetic() => {
                return Err(format!("the bench interpreter does not read {c:?} in {pattern:?}"));
            }
            _ => {
                for _ in 0..run {
                    push_literal(&mut out, c);
                }
                i += run;
                continue;
            }
        };
        has_time |= matches!(c, 'H' | 'm' | 's' | 'S');
        out.push_str(spec);
        i += run;
    }
    Ok(Format::Pattern { chrono: out, has_time })
}

fn push_literal(out: &mut String, c: char) {
    if c == '%' {
        out.push_str("%%");
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::Formats;

    #[test]
    fn patterns_read_like_the_compiled_parsers() {
        let f = Formats::new(&["dd-MM-yyyy HH:mm:ss"]).unwrap();
        assert_eq!(f.parse("25-10-2024 14:30:00"), Some(1_729_866_600_000));
        let f = Formats::new(&["yyyy-MM-dd'T'HH:mm:ss'Z'"]).unwrap();
        assert_eq!(f.parse("2024-01-05T10:00:00Z"), Some(1_704_448_800_000));
        let f = Formats::new(&["yyyy-MM-dd"]).unwrap();
        assert_eq!(f.parse("2024-01-05"), Some(1_704_412_800_000));
        assert_eq!(Formats::new(&["epoch_seconds"]).unwrap().integer_unit(), 1000);
    }
}
