//! Reading a time with parsed formats at build time, to check a mapper's sample payloads.
//!
//! It calls the same `hookmap-date` functions, in the same order, as the parsers that
//! [`super::generate`] emits, so a sample is read exactly as a live webhook will be.

use hookmap_date::{Civil, Input, epoch, hour_of_day};

use super::pattern::{Item, Name, Offset, Width};
use super::{Pattern, TimeFormat};

/// Epoch milliseconds of `text` read with the first of `formats` that fits, patterns without an
/// offset in `timezone` (UTC when `None` or unknown).
pub fn evaluate(formats: &[TimeFormat], timezone: Option<&str>, text: &str) -> Option<i64> {
    let zone = timezone.and_then(|name| name.parse::<chrono_tz::Tz>().ok());
    formats.iter().find_map(|format| match format {
        TimeFormat::EpochSeconds => epoch(text, 1000),
        TimeFormat::EpochMillis => epoch(text, 1),
        TimeFormat::Pattern(pattern) => read(pattern, zone, text),
    })
}

fn read(pattern: &Pattern, zone: Option<chrono_tz::Tz>, text: &str) -> Option<i64> {
    let mut input = Input::new(text);
    let digits = |input: &mut Input<'_>, width: Width| match width {
        Width::Two => input.digits(2),
        Width::OneOrTwo => input.one_or_two_digits(),
    };
    let mut civil = Civil { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millis: 0 };
    let (mut weekday, mut clock_hour, mut pm, mut offset) = (None, None, false, None);
    for item in &pattern.items {
        match item {
            Item::Literal(literal) => input.literal(literal)?,
            Item::Year => civil.year = input.digits(4)?,
            Item::YearOfCentury => civil.year = 2000 + input.digits(2)?,
            Item::Month(width) => civil.month = digits(&mut input, *width)?,
            Item::MonthName(Name::Short) => civil.month = input.month_abbr()?,
            Item::MonthName(Name::Full) => civil.month = input.month_full()?,
            Item::Day(width) => civil.day = digits(&mut input, *width)?,
            Item::Weekday(Name::Short) => weekday = Some(input.weekday_abbr()?),
            Item::Weekday(Name::Full) => weekday = Some(input.weekday_full()?),
            Item::Hour(width) => civil.hour = digits(&mut input, *width)?,
            Item::ClockHour(width) => clock_hour = Some(digits(&mut input, *width)?),
            Item::AmPm => pm = input.am_pm()?,
            Item::Minute(width) => civil.minute = digits(&mut input, *width)?,
            Item::Second(width) => civil.second = digits(&mut input, *width)?,
            Item::Fraction(count) => civil.millis = input.fraction(*count)?,
            Item::Offset(kind) => {
                offset = Some(match kind {
                    Offset::Rfc822 => input.offset_rfc822()?,
                    Offset::IsoHours => input.offset_iso_hours()?,
                    Offset::IsoBasic => input.offset_iso_basic()?,
                    Offset::IsoExtended => input.offset_iso_extended()?,
                });
            }
        }
    }
    input.end()?;
    if let Some(clock_hour) = clock_hour {
        civil.hour = hour_of_day(clock_hour, pm)?;
    }
    if let Some(weekday) = weekday {
        civil.check_weekday(weekday)?;
    }
    match (offset, zone) {
        (Some(offset), _) => civil.at_offset(offset),
        (None, Some(zone)) => civil.in_zone(zone),
        (None, None) => civil.utc(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_format;
    use super::*;

    fn formats(list: &[&str]) -> Vec<TimeFormat> {
        list.iter().map(|f| parse_format(f).unwrap_or_else(|e| panic!("{f}: {e:?}"))).collect()
    }

    #[test]
    fn reads_like_the_generated_parsers() {
        let iso = formats(&["yyyy-MM-dd'T'HH:mm:ssZ"]);
        assert_eq!(evaluate(&iso, None, "2024-10-25T14:30:00+0530"), Some(1_729_846_800_000));
        let kolkata = formats(&["yyyy-MM-dd HH:mm:ss"]);
        assert_eq!(evaluate(&kolkata, Some("Asia/Kolkata"), "2024-10-25 14:30:00"), Some(1_729_846_800_000));
        let list = formats(&["yyyy-MM-dd'T'HH:mm:ssZ", "epoch_seconds", "dd/MM/yyyy"]);
        assert_eq!(evaluate(&list, None, "1704067200"), Some(1_704_067_200_000));
        assert_eq!(evaluate(&list, None, "25/10/2024"), Some(1_729_814_400_000));
        assert_eq!(evaluate(&list, None, "2024-13-45"), None);
        let clock = formats(&["EEE, d MMM yyyy h:mm a"]);
        assert_eq!(evaluate(&clock, None, "Fri, 25 Oct 2024 2:30 PM"), Some(1_729_866_600_000));
        assert_eq!(evaluate(&clock, None, "Mon, 25 Oct 2024 2:30 PM"), None);
    }
}
