//! Date pattern text (`yyyy-MM-dd'T'HH:mm:ssZ`) to a list of [`Item`]s, with the checks that
//! make a pattern usable: known letters, valid counts, each field once, `h` with `a`, a full
//! date.

use std::ops::Range;

use super::PatternError;

/// One field or literal of a date pattern, in pattern order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// Text that must appear exactly as written (pattern characters that are not letters,
    /// and quoted text).
    Literal(String),
    /// `yyyy`: the year, four digits.
    Year,
    /// `yy`: the year in the 21st century, two digits (`24` is 2024).
    YearOfCentury,
    /// `MM` or `M`: the month as a number.
    Month(Width),
    /// `MMM` (`Oct`) or `MMMM` (`October`): the month by name.
    MonthName(Name),
    /// `dd` or `d`: the day of the month.
    Day(Width),
    /// `EEE` (`Fri`) or `EEEE` (`Friday`): the day of the week, checked against the date.
    Weekday(Name),
    /// `HH` or `H`: the hour, 0-23.
    Hour(Width),
    /// `hh` or `h`: the hour on a 12-hour clock, 1-12, with [`Item::AmPm`].
    ClockHour(Width),
    /// `a`: `AM` or `PM`.
    AmPm,
    /// `mm` or `m`: the minute.
    Minute(Width),
    /// `ss` or `s`: the second.
    Second(Width),
    /// `S` to `SSSSSSSSS`: a fraction of a second of exactly that many digits.
    Fraction(usize),
    /// `Z`, `X`, `XX` or `XXX`: the UTC offset.
    Offset(Offset),
}

/// How many digits a numeric field reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// Exactly two (`MM`, `dd`, `HH`, ...).
    Two,
    /// One or two, as many as there are (`M`, `d`, `H`, ...).
    OneOrTwo,
}

/// How a month or day name is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    /// Three letters: `Oct`, `Fri`.
    Short,
    /// In full: `October`, `Friday`.
    Full,
}

/// How a UTC offset is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offset {
    /// `Z` (RFC 822): `+0530`, `-0800`.
    Rfc822,
    /// `X` (ISO 8601): `Z` or `+05`.
    IsoHours,
    /// `XX` (ISO 8601 basic): `Z` or `+0530`.
    IsoBasic,
    /// `XXX` (ISO 8601 extended): `Z` or `+05:30`.
    IsoExtended,
}

/// The part of the time an [`Item`] sets; each may be set once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Year,
    Month,
    Day,
    Weekday,
    Hour,
    AmPm,
    Minute,
    Second,
    Fraction,
    Offset,
}

impl Field {
    fn noun(self) -> &'static str {
        match self {
            Field::Year => "year",
            Field::Month => "month",
            Field::Day => "day",
            Field::Weekday => "day of the week",
            Field::Hour => "hour",
            Field::AmPm => "AM/PM marker",
            Field::Minute => "minute",
            Field::Second => "second",
            Field::Fraction => "fraction of a second",
            Field::Offset => "UTC offset",
        }
    }
}

impl Item {
    fn field(&self) -> Option<Field> {
        Some(match self {
            Item::Literal(_) => return None,
            Item::Year | Item::YearOfCentury => Field::Year,
            Item::Month(_) | Item::MonthName(_) => Field::Month,
            Item::Day(_) => Field::Day,
            Item::Weekday(_) => Field::Weekday,
            Item::Hour(_) | Item::ClockHour(_) => Field::Hour,
            Item::AmPm => Field::AmPm,
            Item::Minute(_) => Field::Minute,
            Item::Second(_) => Field::Second,
            Item::Fraction(_) => Field::Fraction,
            Item::Offset(_) => Field::Offset,
        })
    }

    /// Whether the item reads digits.
    fn is_number(&self) -> bool {
        matches!(
            self,
            Item::Year
                | Item::YearOfCentury
                | Item::Month(_)
                | Item::Day(_)
                | Item::Hour(_)
                | Item::ClockHour(_)
                | Item::Minute(_)
                | Item::Second(_)
                | Item::Fraction(_)
        )
    }

    fn is_variable_width(&self) -> bool {
        matches!(
            self,
            Item::Month(Width::OneOrTwo)
                | Item::Day(Width::OneOrTwo)
                | Item::Hour(Width::OneOrTwo)
                | Item::ClockHour(Width::OneOrTwo)
                | Item::Minute(Width::OneOrTwo)
                | Item::Second(Width::OneOrTwo)
        )
    }
}

const SUPPORTED: &str = "supported letters: y (year), M (month), d (day), E (day of the week), \
    H (hour 0-23), h (hour 1-12) with a (AM/PM), m (minute), s (second), S (fraction of a second), \
    Z and X (UTC offset); put other text in single quotes, as in 'T'";

fn error(span: Range<usize>, message: impl Into<String>, help: impl Into<String>) -> PatternError {
    PatternError { span, message: message.into(), help: Some(help.into()) }
}

/// The item for `count` repetitions of `letter`, or the error for the run at `span`.
fn field_item(letter: char, count: usize, span: Range<usize>) -> Result<Item, PatternError> {
    let run = &letter.to_string().repeat(count);
    let bad_count = |forms: &str| {
        error(
            span.clone(),
            format!("invalid pattern field '{run}'"),
            format!("'{letter}' takes the forms {forms}"),
        )
    };
    let numeric = |two: fn(Width) -> Item, forms: &str| match count {
        1 => Ok(two(Width::OneOrTwo)),
        2 => Ok(two(Width::Two)),
        _ => Err(bad_count(forms)),
    };
    match letter {
        'y' => match count {
            4 => Ok(Item::Year),
            2 => Ok(Item::YearOfCentury),
            _ => Err(bad_count("yyyy (year, 4 digits) and yy (years 2000-2099, 2 digits)")),
        },
        'M' => match count {
            1 => Ok(Item::Month(Width::OneOrTwo)),
            2 => Ok(Item::Month(Width::Two)),
            3 => Ok(Item::MonthName(Name::Short)),
            4 => Ok(Item::MonthName(Name::Full)),
            _ => Err(bad_count("MM (2 digits), M (1-2 digits), MMM (Jan) and MMMM (January)")),
        },
        'd' => numeric(Item::Day, "dd (2 digits) and d (1-2 digits)"),
        'E' => match count {
            1..=3 => Ok(Item::Weekday(Name::Short)),
            4 => Ok(Item::Weekday(Name::Full)),
            _ => Err(bad_count("EEE (Fri) and EEEE (Friday)")),
        },
        'H' => numeric(Item::Hour, "HH (2 digits) and H (1-2 digits)"),
        'h' => numeric(Item::ClockHour, "hh (2 digits) and h (1-2 digits)"),
        'a' if count == 1 => Ok(Item::AmPm),
        'a' => Err(bad_count("a (AM or PM)")),
        'm' => numeric(Item::Minute, "mm (2 digits) and m (1-2 digits)"),
        's' => numeric(Item::Second, "ss (2 digits) and s (1-2 digits)"),
        'S' if count <= 9 => Ok(Item::Fraction(count)),
        'S' => Err(bad_count("S to SSSSSSSSS (1 to 9 digits)")),
        'Z' if count == 1 => Ok(Item::Offset(Offset::Rfc822)),
        'Z' => Err(bad_count("Z (+0530)")),
        'X' => match count {
            1 => Ok(Item::Offset(Offset::IsoHours)),
            2 => Ok(Item::Offset(Offset::IsoBasic)),
            3 => Ok(Item::Offset(Offset::IsoExtended)),
            _ => Err(bad_count("X (Z or +05), XX (Z or +0530) and XXX (Z or +05:30)")),
        },
        _ => Err(unknown_letter(letter, span)),
    }
}

fn unknown_letter(letter: char, span: Range<usize>) -> PatternError {
    // Letters that Java patterns know but that mean something else than people expect, or
    // that a time stamp does not need.
    let specific = match letter {
        'Y' => Some("'Y' is the week-based year in Java; use 'yyyy' for the year"),
        'D' => Some("'D' is the day of the year in Java; use 'dd' for the day of the month"),
        'z' => Some("time zone names are not read; use 'Z' or 'X' for an offset, or the mapper's `timezone`"),
        'T' => Some("quote text that is not a field, as in yyyy-MM-dd'T'HH:mm:ss"),
        _ => None,
    };
    let help = match specific {
        Some(specific) => format!("{specific}; {SUPPORTED}"),
        None => SUPPORTED.to_owned(),
    };
    error(span, format!("unknown pattern letter '{letter}'"), help)
}

/// Splits `text` into items. Adjacent literals are merged.
pub(super) fn parse(text: &str) -> Result<Vec<(Item, Range<usize>)>, PatternError> {
    let mut items: Vec<(Item, Range<usize>)> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '\'' {
            // `''` is a quote mark, in quoted text or out of it.
            if let Some((_, '\'')) = chars.peek() {
                chars.next();
                push_literal(&mut items, "'", start..start + 2);
                continue;
            }
            let mut quoted = String::new();
            loop {
                match chars.next() {
                    None => {
                        return Err(error(
                            start..text.len(),
                            "unterminated quote in date pattern",
                            "close the quoted text with ', or write '' for a quote mark",
                        ));
                    }
                    Some((i, '\'')) => {
                        if let Some((_, '\'')) = chars.peek() {
                            chars.next();
                            quoted.push('\'');
                        } else {
                            if !quoted.is_empty() {
                                push_literal(&mut items, &quoted, start..i + 1);
                            }
                            break;
                        }
                    }
                    Some((_, c)) => quoted.push(c),
                }
            }
        } else if c.is_ascii_alphabetic() {
            let mut end = start + 1;
            while let Some((i, _)) = chars.next_if(|&(_, next)| next == c) {
                end = i + 1;
            }
            items.push((field_item(c, end - start, start..end)?, start..end));
        } else {
            push_literal(&mut items, c.encode_utf8(&mut [0; 4]), start..start + c.len_utf8());
        }
    }
    check(text, &items)?;
    Ok(items)
}

fn push_literal(items: &mut Vec<(Item, Range<usize>)>, text: &str, span: Range<usize>) {
    if let Some((Item::Literal(last), last_span)) = items.last_mut() {
        last.push_str(text);
        last_span.end = span.end;
    } else {
        items.push((Item::Literal(text.to_owned()), span));
    }
}

/// Checks the pattern as a whole.
fn check(text: &str, items: &[(Item, Range<usize>)]) -> Result<(), PatternError> {
    let written = |span: &Range<usize>| text.get(span.clone()).unwrap_or_default().to_owned();
    let mut seen: Vec<(Field, &Range<usize>)> = Vec::new();
    for (item, span) in items {
        let Some(field) = item.field() else { continue };
        if let Some((_, first)) = seen.iter().find(|(f, _)| *f == field) {
            return Err(error(
                span.clone(),
                format!("the {} appears twice in the date pattern", field.noun()),
                format!("'{}' already reads the {}; remove one of them", written(first), field.noun()),
            ));
        }
        seen.push((field, span));
    }
    let find = |wanted: fn(&Item) -> bool| items.iter().find(|(item, _)| wanted(item));
    if let Some((_, span)) = find(|item| matches!(item, Item::ClockHour(_)))
        && find(|item| matches!(item, Item::AmPm)).is_none()
    {
        return Err(error(
            span.clone(),
            format!("'{}' (hour 1-12) needs an AM/PM marker 'a' in the pattern", written(span)),
            "add 'a', as in hh:mm a, or use 'HH' for hours 0-23",
        ));
    }
    if let Some((_, span)) = find(|item| matches!(item, Item::AmPm))
        && find(|item| matches!(item, Item::ClockHour(_))).is_none()
    {
        return Err(error(
            span.clone(),
            "'a' (AM/PM) needs the hour 1-12 'hh' in the pattern",
            "use 'hh' with 'a', or 'HH' (hours 0-23) without 'a'",
        ));
    }
    // A variable-width number directly followed by another number cannot be split reliably:
    // `Hmm` on `930` would read 93 as the hour.
    for pair in items.windows(2) {
        let [(first, span), (second, _)] = pair else { continue };
        if first.is_variable_width() && second.is_number() {
            let run = written(span);
            return Err(error(
                span.clone(),
                format!("'{run}' reads one or two digits and is directly followed by another number"),
                format!("use the two-digit form '{run}{run}', or put a separator between the fields"),
            ));
        }
    }
    let has = |field: Field| seen.iter().any(|(f, _)| *f == field);
    for (field, form) in [(Field::Year, "yyyy"), (Field::Month, "MM"), (Field::Day, "dd")] {
        if !has(field) {
            return Err(error(
                0..text.len(),
                format!("the date pattern has no {}", field.noun()),
                format!("a user time needs a full date: add '{form}'"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<Item> {
        match parse(text) {
            Ok(items) => items.into_iter().map(|(item, _)| item).collect(),
            Err(e) => panic!("{text}: {e:?}"),
        }
    }

    fn err(text: &str) -> PatternError {
        match parse(text) {
            Ok(items) => panic!("{text} parsed: {items:?}"),
            Err(e) => e,
        }
    }

    fn lit(text: &str) -> Item {
        Item::Literal(text.to_owned())
    }

    #[test]
    fn seed_patterns() {
        use Item::*;
        use Width::Two;
        assert_eq!(items("yyyy-MM-dd"), [Year, lit("-"), Month(Two), lit("-"), Day(Two)]);
        assert_eq!(items("dd/MM/yyyy"), [Day(Two), lit("/"), Month(Two), lit("/"), Year]);
        assert_eq!(
            items("yyyy-MM-dd'T'HH:mm:ssZ"),
            [
                Year,
                lit("-"),
                Month(Two),
                lit("-"),
                Day(Two),
                lit("T"),
                Hour(Two),
                lit(":"),
                Minute(Two),
                lit(":"),
                Second(Two),
                Offset(super::Offset::Rfc822)
            ]
        );
        assert_eq!(
            items("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")[10..],
            [Second(Two), lit("."), Fraction(6), lit("Z")]
        );
        assert_eq!(items("yyyy-MM-dd HH:mm:ss.SSSSSS").last(), Some(&Fraction(6)));
    }

    #[test]
    fn letters_and_counts() {
        use Item::*;
        assert_eq!(
            items("EEE, d MMM yy h:m:s a"),
            [
                Weekday(Name::Short),
                lit(", "),
                Day(Width::OneOrTwo),
                lit(" "),
                MonthName(Name::Short),
                lit(" "),
                YearOfCentury,
                lit(" "),
                ClockHour(Width::OneOrTwo),
                lit(":"),
                Minute(Width::OneOrTwo),
                lit(":"),
                Second(Width::OneOrTwo),
                lit(" "),
                AmPm
            ]
        );
        assert_eq!(items("EEEE MMMM d yyyy")[..3], [Weekday(Name::Full), lit(" "), MonthName(Name::Full)]);
        assert_eq!(items("yyyyMMddXXX").last(), Some(&Offset(super::Offset::IsoExtended)));
        assert_eq!(items("yyyyMMddXX").last(), Some(&Offset(super::Offset::IsoBasic)));
        assert_eq!(items("yyyyMMddX").last(), Some(&Offset(super::Offset::IsoHours)));
        assert_eq!(items("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS").last(), Some(&Fraction(9)));
        assert_eq!(items("yyyy-M-d H").len(), 7);
    }

    #[test]
    fn quotes_and_literals() {
        assert_eq!(items("yyyy'年'MM'月'dd'日'")[1], lit("年"));
        assert_eq!(items("yyyy年MM月dd日")[5], lit("日"));
        assert_eq!(items("dd''MM''yyyy")[1], lit("'"));
        assert_eq!(items("dd'o''clock'MM yyyy")[1], lit("o'clock"));
        assert_eq!(items("dd' at 'MM yyyy")[1], lit(" at "));
        // `''` is a quote mark; literals around it merge.
        assert_eq!(items("dd-''-MM yyyy")[1], lit("-'-"));
        assert_eq!(items("dd-'T'-MM yyyy")[1], lit("-T-"));
        assert_eq!(items("dd-''''-MM yyyy")[1], lit("-''-"));
    }

    #[test]
    fn spans_of_items() {
        let parsed = parse("yyyy-MM-dd'T'HH").unwrap_or_default();
        let spans: Vec<_> = parsed.into_iter().map(|(_, span)| span).collect();
        assert_eq!(spans, [0..4, 4..5, 5..7, 7..8, 8..10, 10..13, 13..15]);
    }

    #[test]
    fn unknown_letter_names_the_letter_and_its_run() {
        let e = err("yyyy-MM-dd HH:mm:ss QQ");
        assert_eq!(e.span, 20..22);
        assert_eq!(e.message, "unknown pattern letter 'Q'");
        assert!(e.help.as_deref().is_some_and(|h| h.starts_with("supported letters: y (year)")), "{e:?}");
        let e = err("YYYY-MM-DD");
        assert_eq!((e.span, e.message.as_str()), (0..4, "unknown pattern letter 'Y'"));
        assert!(e.help.as_deref().is_some_and(|h| h.contains("week-based year")));
        let e = err("yyyy-MM-ddTHH:mm");
        assert_eq!((e.span, e.message.as_str()), (10..11, "unknown pattern letter 'T'"));
        assert!(e.help.as_deref().is_some_and(|h| h.contains("'T'")));
        // Spans are byte offsets, after multi-byte literals too.
        assert_eq!(err("yyyy年MM月dd日 k").span, 18..19);
    }

    #[test]
    fn bad_counts() {
        for (text, span, run) in [
            ("yyy-MM-dd", 0..3, "yyy"),
            ("y-MM-dd", 0..1, "y"),
            ("yyyyy-MM-dd", 0..5, "yyyyy"),
            ("yyyy-MMMMM-dd", 5..10, "MMMMM"),
            ("yyyy-MM-ddd", 8..11, "ddd"),
            ("yyyy-MM-dd HHH", 11..14, "HHH"),
            ("yyyy-MM-dd mmm", 11..14, "mmm"),
            ("yyyy-MM-dd sss", 11..14, "sss"),
            ("yyyy-MM-dd SSSSSSSSSS", 11..21, "SSSSSSSSSS"),
            ("yyyy-MM-dd EEEEE", 11..16, "EEEEE"),
            ("yyyy-MM-dd ZZ", 11..13, "ZZ"),
            ("yyyy-MM-dd XXXX", 11..15, "XXXX"),
            ("yyyy-MM-dd hh aa", 14..16, "aa"),
        ] {
            let e = err(text);
            assert_eq!(e.span, span, "{text}");
            assert_eq!(e.message, format!("invalid pattern field '{run}'"), "{text}");
            assert!(e.help.is_some());
        }
    }

    #[test]
    fn clock_hour_and_marker_go_together() {
        let e = err("yyyy-MM-dd hh:mm");
        assert_eq!(e.span, 11..13);
        assert_eq!(e.message, "'hh' (hour 1-12) needs an AM/PM marker 'a' in the pattern");
        let e = err("yyyy-MM-dd HH:mm a");
        assert_eq!(e.span, 17..18);
        assert!(e.message.contains("'a'"));
        assert_eq!(items("yyyy-MM-dd a h:mm").len(), 11);
    }

    #[test]
    fn each_field_once() {
        let e = err("yyyy-MM-dd MMM");
        assert_eq!(e.span, 11..14);
        assert_eq!(e.message, "the month appears twice in the date pattern");
        assert_eq!(e.help.as_deref(), Some("'MM' already reads the month; remove one of them"));
        assert_eq!(err("yyyy-MM-dd HH hh a").message, "the hour appears twice in the date pattern");
        assert_eq!(err("yyyy-MM-dd Z XXX").span, 13..16);
        assert_eq!(err("yy-MM-dd yyyy").message, "the year appears twice in the date pattern");
    }

    #[test]
    fn unterminated_quote() {
        let e = err("yyyy-MM-dd'T HH");
        assert_eq!(e.span, 10..15);
        assert_eq!(e.message, "unterminated quote in date pattern");
        assert_eq!(err("yyyy-MM-dd'").span, 10..11);
        assert_eq!(err("yyyy-MM-dd'it''s").span, 10..16);
    }

    #[test]
    fn abutting_variable_width_numbers() {
        let e = err("yyyy-MM-dd Hmm");
        assert_eq!(e.span, 11..12);
        assert!(e.message.contains("'H' reads one or two digits"));
        assert!(err("yyyyMd").message.contains("'M'"));
        // Fixed widths may abut, and a variable width may be followed by a name.
        assert_eq!(items("yyyyMMddHHmmss").len(), 6);
        assert_eq!(items("yyyy-MM-d EEE h a").len(), 11);
        assert_eq!(items("yyyy-MM-dd h:mma").len(), 10);
    }

    #[test]
    fn needs_a_full_date() {
        let e = err("HH:mm:ss");
        assert_eq!((e.span, e.message.as_str()), (0..8, "the date pattern has no year"));
        assert_eq!(err("yyyy-dd").message, "the date pattern has no month");
        assert_eq!(err("MMM yyyy").message, "the date pattern has no day");
        assert_eq!(err("").message, "the date pattern has no year");
    }
}
