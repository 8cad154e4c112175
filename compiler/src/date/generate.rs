//! Parsed formats to the Rust function that reads them: one `hookmap::date` call per pattern
//! field, in pattern order, then the checks and the conversion to UTC.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::pattern::{Item, Name, Offset, Width};
use super::{Pattern, TimeFormat, timezone_variant};

/// Where a pattern without an offset is placed on the time line.
enum Zone {
    Utc,
    Named(Ident),
    /// Not a zone chrono-tz knows; the front end reports it, this only keeps the output honest.
    Unknown(String),
}

impl Zone {
    fn new(timezone: Option<&str>) -> Self {
        match timezone {
            // Same instants either way; UTC needs no zone table.
            None | Some("UTC" | "Etc/UTC") => Zone::Utc,
            Some(name) => match timezone_variant(name) {
                Some(variant) => Zone::Named(variant),
                None => Zone::Unknown(name.to_owned()),
            },
        }
    }
}

pub(super) fn parser(
    name: &Ident,
    formats: &[TimeFormat],
    timezone: Option<&str>,
    runtime: &TokenStream,
) -> TokenStream {
    let date = quote!(#runtime::__private::date);
    let zone = Zone::new(timezone);
    let zone_check = match &zone {
        Zone::Unknown(name) => {
            let message = format!("unknown time zone `{name}`: use an IANA name such as `Asia/Kolkata`");
            quote!(::core::compile_error!(#message);)
        }
        Zone::Utc | Zone::Named(_) => TokenStream::new(),
    };
    let written: Vec<String> = formats.iter().map(|format| format!("`{}`", written(format))).collect();
    let doc = match written.as_slice() {
        [one] => format!(" Reads a time written as {one}; returns milliseconds since the Unix epoch."),
        _ => format!(
            " Reads a time written in the first of these formats that fits: {}; returns milliseconds since the Unix epoch.",
            written.join(", ")
        ),
    };
    let body = match formats {
        [] => quote!(::core::option::Option::None),
        [TimeFormat::Pattern(pattern)] => pattern_body(pattern, &zone, &runtime_paths(runtime)),
        [format] => epoch_call(format, &date),
        _ => {
            let mut helpers = Vec::new();
            let mut attempts = Vec::new();
            for (i, format) in formats.iter().enumerate() {
                match format {
                    TimeFormat::Pattern(pattern) => {
                        let helper = format_ident!("format_{}", i + 1);
                        let body = pattern_body(pattern, &zone, &runtime_paths(runtime));
                        let doc = format!(" `{}`", pattern.text);
                        helpers.push(quote! {
                            #[doc = #doc]
                            fn #helper(text: &str) -> ::core::option::Option<i64> {
                                #body
                            }
                        });
                        attempts.push(quote!(#helper(text)));
                    }
                    TimeFormat::EpochSeconds | TimeFormat::EpochMillis => {
                        attempts.push(epoch_call(format, &date))
                    }
                }
            }
            let first = &attempts[0];
            let rest = &attempts[1..];
            quote! {
                #(#helpers)*
                #first #(.or_else(|| #rest))*
            }
        }
    };
    quote! {
        #[doc = #doc]
        fn #name(text: &str) -> ::core::option::Option<i64> {
            #zone_check
            #body
        }
    }
}

fn written(format: &TimeFormat) -> &str {
    match format {
        TimeFormat::EpochSeconds => super::EPOCH_SECONDS,
        TimeFormat::EpochMillis => super::EPOCH_MILLIS,
        TimeFormat::Pattern(pattern) => &pattern.text,
    }
}

fn epoch_call(format: &TimeFormat, date: &TokenStream) -> TokenStream {
    let millis_per_unit = match format {
        TimeFormat::EpochSeconds => 1000i64,
        _ => 1,
    };
    let millis_per_unit = Literal::i64_unsuffixed(millis_per_unit);
    quote!(#date::epoch(text, #millis_per_unit))
}

struct Paths {
    date: TokenStream,
    zones: TokenStream,
}

fn runtime_paths(runtime: &TokenStream) -> Paths {
    Paths { date: quote!(#runtime::__private::date), zones: quote!(#runtime::__private::chrono_tz::Tz) }
}

/// The statements that read one pattern, ending in the expression of the result.
fn pattern_body(pattern: &Pattern, zone: &Zone, paths: &Paths) -> TokenStream {
    let Paths { date, zones } = paths;
    let digits = |width: Width| match width {
        Width::Two => quote!(input.digits(2)?),
        Width::OneOrTwo => quote!(input.one_or_two_digits()?),
    };
    let mut reads = Vec::new();
    let mut has = Has::default();
    for item in &pattern.items {
        reads.push(match item {
            Item::Literal(text) => quote!(input.literal(#text)?;),
            Item::Year => quote!(let year = input.digits(4)?;),
            // Two-digit years are this century's: 2000-2099, whatever the date of the build.
            Item::YearOfCentury => quote!(let year = 2000 + input.digits(2)?;),
            Item::Month(width) => {
                let read = digits(*width);
                quote!(let month = #read;)
            }
            Item::MonthName(Name::Short) => quote!(let month = input.month_abbr()?;),
            Item::MonthName(Name::Full) => quote!(let month = input.month_full()?;),
            Item::Day(width) => {
                let read = digits(*width);
                quote!(let day = #read;)
            }
            Item::Weekday(name) => {
                has.weekday = true;
                match name {
                    Name::Short => quote!(let weekday = input.weekday_abbr()?;),
                    Name::Full => quote!(let weekday = input.weekday_full()?;),
                }
            }
            Item::Hour(width) => {
                has.hour = true;
                let read = digits(*width);
                quote!(let hour = #read;)
            }
            Item::ClockHour(width) => {
                has.clock_hour = true;
                let read = digits(*width);
                quote!(let clock_hour = #read;)
            }
            Item::AmPm => quote!(let pm = input.am_pm()?;),
            Item::Minute(width) => {
                has.minute = true;
                let read = digits(*width);
                quote!(let minute = #read;)
            }
            Item::Second(width) => {
                has.second = true;
                let read = digits(*width);
                quote!(let second = #read;)
            }
            Item::Fraction(count) => {
                has.millis = true;
                let count = Literal::usize_unsuffixed(*count);
                quote!(let millis = input.fraction(#count)?;)
            }
            Item::Offset(offset) => {
                has.offset = true;
                match offset {
                    Offset::Rfc822 => quote!(let offset = input.offset_rfc822()?;),
                    Offset::IsoHours => quote!(let offset = input.offset_iso_hours()?;),
                    Offset::IsoBasic => quote!(let offset = input.offset_iso_basic()?;),
                    Offset::IsoExtended => quote!(let offset = input.offset_iso_extended()?;),
                }
            }
        });
    }
    let clock = has.clock_hour.then(|| quote!(let hour = #date::hour_of_day(clock_hour, pm)?;));
    // Shorthand for the fields read, zero for the others (clippy wants `hour`, not `hour: hour`).
    let field = |name: &str, read: bool| {
        let ident = format_ident!("{name}");
        if read { quote!(#ident) } else { quote!(#ident: 0) }
    };
    let hour = field("hour", has.hour || has.clock_hour);
    let minute = field("minute", has.minute);
    let second = field("second", has.second);
    let millis = field("millis", has.millis);
    let civil = quote!(#date::Civil { year, month, day, #hour, #minute, #second, #millis });
    let convert = if has.offset {
        quote!(at_offset(offset))
    } else {
        match zone {
            Zone::Utc | Zone::Unknown(_) => quote!(utc()),
            Zone::Named(variant) => quote!(in_zone(#zones::#variant)),
        }
    };
    let weekday = has.weekday.then(|| quote!(civil.check_weekday(weekday)?;));
    quote! {
        let mut input = #date::Input::new(text);
        #(#reads)*
        input.end()?;
        #clock
        let civil = #civil;
        #weekday
        civil.#convert
    }
}

/// The optional fields a pattern reads.
#[derive(Default)]
struct Has {
    weekday: bool,
    hour: bool,
    clock_hour: bool,
    minute: bool,
    second: bool,
    millis: bool,
    offset: bool,
}

#[cfg(test)]
mod tests {
    use super::super::parse_format;
    use super::*;

    fn generate(formats: &[&str], timezone: Option<&str>) -> String {
        let formats: Vec<TimeFormat> =
            formats.iter().map(|f| parse_format(f).unwrap_or_else(|e| panic!("{f}: {e:?}"))).collect();
        let tokens = parser(&format_ident!("parse_time"), &formats, timezone, &quote!(::hookmap));
        match syn::parse2::<syn::File>(tokens) {
            Ok(file) => prettyplease::unparse(&file),
            Err(e) => panic!("generated code does not parse: {e}"),
        }
    }

    #[test]
    fn one_pattern_is_straight_line_code() {
        let code = generate(&["yyyy-MM-dd'T'HH:mm:ssZ"], None);
        let expected = r#"/// Reads a time written as `yyyy-MM-dd'T'HH:mm:ssZ`; returns milliseconds since the Unix epoch.
fn parse_time(text: &str) -> ::core::option::Option<i64> {
    let mut input = ::hookmap::__private::date::Input::new(text);
    let year = input.digits(4)?;
    input.literal("-")?;
    let month = input.digits(2)?;
    input.literal("-")?;
    let day = input.digits(2)?;
    input.literal("T")?;
    let hour = input.digits(2)?;
    input.literal(":")?;
    let minute = input.digits(2)?;
    input.literal(":")?;
    let second = input.digits(2)?;
    let offset = input.offset_rfc822()?;
    input.end()?;
    let civil = ::hookmap::__private::date::Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
        millis: 0,
    };
    civil.at_offset(offset)
}
"#;
        assert_eq!(code, expected);
    }

    #[test]
    fn zones_clock_hours_and_weekdays() {
        let code = generate(&["EEE, d MMM yy h:mm a"], Some("America/New_York"));
        assert!(code.contains("let year = 2000 + input.digits(2)?;"), "{code}");
        assert!(code.contains("let clock_hour = input.one_or_two_digits()?;"), "{code}");
        assert!(
            code.contains("let hour = ::hookmap::__private::date::hour_of_day(clock_hour, pm)?;"),
            "{code}"
        );
        assert!(code.contains("civil.check_weekday(weekday)?;"), "{code}");
        assert!(
            code.contains("civil.in_zone(::hookmap::__private::chrono_tz::Tz::America__New_York)"),
            "{code}"
        );
        assert!(code.contains("second: 0,"), "{code}");
    }

    #[test]
    fn lists_try_each_format_in_order() {
        let code = generate(&["yyyy-MM-dd'T'HH:mm:ssZ", "epoch_seconds", "yyyy-MM-dd"], Some("Asia/Kolkata"));
        assert!(code.contains("/// `yyyy-MM-dd'T'HH:mm:ssZ`\n    fn format_1(text: &str)"), "{code}");
        assert!(code.contains("fn format_3(text: &str)"), "{code}");
        assert!(!code.contains("fn format_2"), "{code}");
        assert!(
            code.contains(
                "format_1(text)\n        .or_else(|| ::hookmap::__private::date::epoch(text, 1000))\n        .or_else(|| format_3(text))"
            ),
            "{code}"
        );
        assert!(code.contains(
            "first of these formats that fits: `yyyy-MM-dd'T'HH:mm:ssZ`, `epoch_seconds`, `yyyy-MM-dd`"
        ));
        // The offset wins over the mapper's zone; the zone applies to the date-only format.
        assert_eq!(code.matches(".at_offset(offset)").count(), 1, "{code}");
        assert_eq!(code.matches(".in_zone(::hookmap::__private::chrono_tz::Tz::Asia__Kolkata)").count(), 1);
    }

    #[test]
    fn epoch_names_and_runtime_path() {
        let code = generate(&["epoch_millis"], None);
        assert!(code.contains("    ::hookmap::__private::date::epoch(text, 1)\n"), "{code}");
        let formats = [parse_format("dd/MM/yyyy").unwrap_or(TimeFormat::EpochMillis)];
        let code = parser(&format_ident!("f"), &formats, None, &quote!(crate::rt)).to_string();
        assert!(code.contains("crate :: rt :: __private :: date :: Input :: new"), "{code}");
        assert!(!code.contains("hookmap"), "{code}");
    }

    #[test]
    fn unknown_zone_is_a_compile_error() {
        let code = generate(&["yyyy-MM-dd"], Some("Mars/Olympus_Mons"));
        assert!(code.contains("::core::compile_error!("), "{code}");
        assert!(code.contains("\"unknown time zone `Mars/Olympus_Mons`: use an IANA name"), "{code}");
    }
}
