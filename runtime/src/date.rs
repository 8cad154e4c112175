//! Date and time primitives that compiled `user_time` parsers call.
//!
//! `hookmap-compiler` reads each date pattern of a mapper (`yyyy-MM-dd HH:mm:ss`) at build time
//! and emits a parser made of calls to this module, one per pattern field:
//!
//! ```
//! use hookmap::date::{Civil, Input};
//!
//! // What the compiler emits for `dd/MM/yyyy`.
//! fn parse(text: &str) -> Option<i64> {
//!     let mut input = Input::new(text);
//!     let day = input.digits(2)?;
//!     input.literal("/")?;
//!     let month = input.digits(2)?;
//!     input.literal("/")?;
//!     let year = input.digits(4)?;
//!     input.end()?;
//!     Civil { year, month, day, hour: 0, minute: 0, second: 0, millis: 0 }.utc()
//! }
//!
//! assert_eq!(parse("25/10/2024"), Some(1_729_814_400_000));
//! assert_eq!(parse("31/02/2024"), None);
//! ```
//!
//! Every function returns `None` on input it cannot read; none of them panics or allocates,
//! whatever the text.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

const MILLIS_PER_DAY: i64 = 86_400_000;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Monday first, so that the position plus one is the ISO 8601 day number.
const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// The text being read and how far reading has got.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    /// Starts reading `text` at its beginning.
    pub fn new(text: &'a str) -> Self {
        Input { bytes: text.as_bytes(), pos: 0 }
    }

    /// Takes the next `len` bytes, if there are that many.
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(len)?;
        let taken = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(taken)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Reads exactly `count` ASCII digits (at most 9) as a number.
    pub fn digits(&mut self, count: usize) -> Option<u32> {
        if count > 9 {
            return None;
        }
        let mut start = *self;
        let value = start
            .take(count)?
            .iter()
            .try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))?;
        *self = start;
        Some(value)
    }

    /// Reads one or two ASCII digits, as many as there are (`M`, `d`, `H`, ...).
    pub fn one_or_two_digits(&mut self) -> Option<u32> {
        let first = self.digits(1)?;
        match self.digits(1) {
            Some(second) => Some(first * 10 + second),
            None => Some(first),
        }
    }

    /// Reads a fraction of a second of exactly `count` digits (1 to 9) and returns it in
    /// milliseconds. Digits beyond milliseconds are dropped, not rounded.
    pub fn fraction(&mut self, count: usize) -> Option<u32> {
        if count == 0 {
            return None;
        }
        let kept = count.min(3);
        let mut start = *self;
        let mut millis = start.digits(kept)?;
        start.digits(count - kept)?;
        for _ in kept..3 {
            millis *= 10;
        }
        *self = start;
        Some(millis)
    }

    /// Reads `text` exactly.
    pub fn literal(&mut self, text: &str) -> Option<()> {
        let mut start = *self;
        (start.take(text.len())? == text.as_bytes()).then(|| *self = start)
    }

    /// Reads one of `names` regardless of ASCII case (the first that matches), or its first
    /// three letters when `abbreviated`; returns its position in `names`.
    fn name(&mut self, names: &[&str], abbreviated: bool) -> Option<usize> {
        names.iter().position(|name| {
            let name = if abbreviated { name.get(..3).unwrap_or(name) } else { name };
            let mut start = *self;
            let found = start.take(name.len()).is_some_and(|t| t.eq_ignore_ascii_case(name.as_bytes()));
            if found {
                *self = start;
            }
            found
        })
    }

    /// Reads a month abbreviation, `Jan` to `Dec` in any case (`MMM`); returns 1 to 12.
    pub fn month_abbr(&mut self) -> Option<u32> {
        month_number(self.name(&MONTHS, true)?)
    }

    /// Reads a month name, `January` to `December` in any case (`MMMM`); returns 1 to 12.
    pub fn month_full(&mut self) -> Option<u32> {
        month_number(self.name(&MONTHS, false)?)
    }

    /// Reads a day abbreviation, `Mon` to `Sun` in any case (`EEE`); returns the ISO 8601 day
    /// number, 1 (Monday) to 7 (Sunday).
    pub fn weekday_abbr(&mut self) -> Option<u32> {
        month_number(self.name(&WEEKDAYS, true)?)
    }

    /// Reads a day name, `Monday` to `Sunday` in any case (`EEEE`); returns the ISO 8601 day
    /// number, 1 (Monday) to 7 (Sunday).
    pub fn weekday_full(&mut self) -> Option<u32> {
        month_number(self.name(&WEEKDAYS, false)?)
    }

    /// Reads `AM` or `PM` in any case (`a`); returns whether it is `PM`.
    pub fn am_pm(&mut self) -> Option<bool> {
        self.name(&["AM", "PM"], false).map(|i| i == 1)
    }

    /// Reads `+` or `-`; returns 1 or -1.
    fn sign(&mut self) -> Option<i32> {
        let sign = match self.peek()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.pos += 1;
        Some(sign)
    }

    /// Reads a UTC offset made of a sign, two digits of hours, an optional `separator` and,
    /// unless `hours_only`, two digits of minutes. Returns it in minutes east of UTC.
    fn signed_offset(&mut self, separator: Option<&str>, hours_only: bool) -> Option<i32> {
        let mut start = *self;
        let sign = start.sign()?;
        let hours = start.digits(2).filter(|h| *h <= 23)?;
        let minutes = if hours_only {
            0
        } else {
            if let Some(separator) = separator {
                start.literal(separator)?;
            }
            start.digits(2).filter(|m| *m <= 59)?
        };
        *self = start;
        // Both are at most 23 * 60 + 59, so the conversion cannot fail.
        i32::try_from(hours * 60 + minutes).ok().map(|m| sign * m)
    }

    /// Reads `Z` (UTC) or else runs `offset`.
    fn utc_or(&mut self, offset: impl FnOnce(&mut Self) -> Option<i32>) -> Option<i32> {
        if self.peek() == Some(b'Z') {
            self.pos += 1;
            return Some(0);
        }
        offset(self)
    }

    /// Reads an RFC 822 offset, `+0530` or `-0800` (`Z`); returns minutes east of UTC.
    pub fn offset_rfc822(&mut self) -> Option<i32> {
        self.signed_offset(None, false)
    }

    /// Reads an ISO 8601 offset in hours, `Z` or `+05` (`X`); returns minutes east of UTC.
    pub fn offset_iso_hours(&mut self) -> Option<i32> {
        self.utc_or(|input| input.signed_offset(None, true))
    }

    /// Reads an ISO 8601 basic offset, `Z` or `+0530` (`XX`); returns minutes east of UTC.
    pub fn offset_iso_basic(&mut self) -> Option<i32> {
        self.utc_or(|input| input.signed_offset(None, false))
    }

    /// Reads an ISO 8601 extended offset, `Z` or `+05:30` (`XXX`); returns minutes east of UTC.
    pub fn offset_iso_extended(&mut self) -> Option<i32> {
        self.utc_or(|input| input.signed_offset(Some(":"), false))
    }

    /// Succeeds when the whole text has been read.
    pub fn end(self) -> Option<()> {
        (self.pos == self.bytes.len()).then_some(())
    }
}

/// Position in a table (0-based) to the 1-based number of months and ISO days.
fn month_number(index: usize) -> Option<u32> {
    u32::try_from(index).ok().map(|i| i + 1)
}

/// Turns a 1-12 clock hour (`h`) and its AM/PM marker (`a`) into a 0-23 hour: `12 AM` is 0,
/// `12 PM` is 12.
pub fn hour_of_day(clock_hour: u32, pm: bool) -> Option<u32> {
    if !(1..=12).contains(&clock_hour) {
        return None;
    }
    Some(clock_hour % 12 + if pm { 12 } else { 0 })
}

/// Whether `year` is a leap year of the proleptic Gregorian calendar.
pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` (1-12) of `year`; 0 for a month out of range.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar (negative
/// before). Howard Hinnant's `days_from_civil`; `month` must be 1-12 and `day` 1-31.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = i64::from((month + 9) % 12);
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A date and time of day as read from the text, before it is placed on the time line.
///
/// Fields hold what the text said; [`Civil::utc`], [`Civil::at_offset`] and
/// [`Civil::in_zone`] check them (month 1-12, a day that exists in that month, hour 0-23,
/// minute and second 0-59, milliseconds 0-999) and return `None` when they are out of range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// The year, such as 2024.
    pub year: u32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, from 1.
    pub day: u32,
    /// The hour, 0 to 23.
    pub hour: u32,
    /// The minute, 0 to 59.
    pub minute: u32,
    /// The second, 0 to 59 (leap seconds are not accepted).
    pub second: u32,
    /// The millisecond, 0 to 999.
    pub millis: u32,
}

impl Civil {
    fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && (1..=days_in_month(i64::from(self.year), self.month)).contains(&self.day)
            && self.hour <= 23
            && self.minute <= 59
            && self.second <= 59
            && self.millis <= 999
    }

    /// Milliseconds from the Unix epoch to this time read as UTC.
    pub fn utc(&self) -> Option<i64> {
        if !self.is_valid() {
            return None;
        }
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        let seconds = i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second);
        Some(days * MILLIS_PER_DAY + seconds * 1000 + i64::from(self.millis))
    }

    /// Milliseconds from the Unix epoch to this time read at `offset_minutes` east of UTC
    /// (`+05:30` is 330).
    pub fn at_offset(&self, offset_minutes: i32) -> Option<i64> {
        Some(self.utc()? - i64::from(offset_minutes) * 60_000)
    }

    /// Milliseconds from the Unix epoch to this time read as local time in `zone`.
    ///
    /// A local time that the zone skips (in the gap of a daylight saving change) is `None`; one
    /// that it goes through twice is the earlier instant.
    pub fn in_zone(&self, zone: Tz) -> Option<i64> {
        if !self.is_valid() {
            return None;
        }
        let local = NaiveDate::from_ymd_opt(i32::try_from(self.year).ok()?, self.month, self.day)?
            .and_hms_milli_opt(self.hour, self.minute, self.second, self.millis)?;
        zone.from_local_datetime(&local).earliest().map(|time| time.timestamp_millis())
    }

    /// The ISO 8601 day number of the date, 1 (Monday) to 7 (Sunday). Meaningful for a valid
    /// date only.
    pub fn weekday(&self) -> u32 {
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        // 1970-01-01 was a Thursday (4). The remainder is 0-6, so the conversion cannot fail.
        u32::try_from((days + 3).rem_euclid(7)).map_or(0, |d| d + 1)
    }

    /// Succeeds when the date falls on `weekday` (ISO 8601 day number, as read by `EEE`).
    pub fn check_weekday(&self, weekday: u32) -> Option<()> {
        (self.weekday() == weekday).then_some(())
    }
}

/// Reads a whole string of ASCII digits, with an optional leading `-`, as a count of
/// `millis_per_unit` milliseconds since the Unix epoch (1000 for `epoch_seconds`, 1 for
/// `epoch_millis`). `None` when the text is anything else or the result overflows.
pub fn epoch(text: &str, millis_per_unit: i64) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate towards the sign so that `i64::MIN` milliseconds is readable.
    let units = digits.bytes().try_fold(0i64, |n, b| {
        let digit = i64::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
        let n = n.checked_mul(10)?;
        if negative { n.checked_sub(digit) } else { n.checked_add(digit) }
    })?;
    units.checked_mul(millis_per_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil(year: u32, month: u32, day: u32) -> Civil {
        Civil { year, month, day, hour: 0, minute: 0, second: 0, millis: 0 }
    }

    #[test]
    fn digits_read_exactly_the_count() {
        let mut input = Input::new("20241");
        assert_eq!(input.digits(4), Some(2024));
        assert_eq!(input.digits(2), None, "one digit left");
        assert_eq!(input.digits(1), Some(1), "a failed read consumes nothing");
        assert_eq!(input.end(), Some(()));
        assert_eq!(Input::new("2a24").digits(4), None);
        assert_eq!(Input::new("٢٠٢٤").digits(4), None, "only ASCII digits");
        assert_eq!(Input::new("9999999999").digits(10), None, "more than 9 digits is refused");
        assert_eq!(Input::new("999999999").digits(9), Some(999_999_999));
    }

    #[test]
    fn one_or_two_digits_is_greedy() {
        let mut input = Input::new("7/12");
        assert_eq!(input.one_or_two_digits(), Some(7));
        assert_eq!(input.literal("/"), Some(()));
        assert_eq!(input.one_or_two_digits(), Some(12));
        assert_eq!(input.one_or_two_digits(), None);
        let mut input = Input::new("123");
        assert_eq!(input.one_or_two_digits(), Some(12));
        assert_eq!(input.end(), None);
    }

    #[test]
    fn fractions_are_truncated_to_millis() {
        assert_eq!(Input::new("123456").fraction(6), Some(123));
        assert_eq!(Input::new("999999999").fraction(9), Some(999));
        assert_eq!(Input::new("5").fraction(1), Some(500));
        assert_eq!(Input::new("05").fraction(2), Some(50));
        assert_eq!(Input::new("007").fraction(3), Some(7));
        assert_eq!(Input::new("12345").fraction(6), None, "exactly that many digits");
        assert_eq!(Input::new("12345x").fraction(6), None);
        let mut input = Input::new("1234567");
        assert_eq!(input.fraction(6), Some(123));
        assert_eq!(input.end(), None);
        assert_eq!(Input::new("1").fraction(0), None);
    }

    #[test]
    fn literals_match_bytes_exactly() {
        let mut input = Input::new("T14é");
        assert_eq!(input.literal("t"), None);
        assert_eq!(input.literal("T"), Some(()));
        assert_eq!(input.digits(2), Some(14));
        assert_eq!(input.literal("é"), Some(()));
        assert_eq!(input.end(), Some(()));
        assert_eq!(Input::new("é").literal("e"), None);
        assert_eq!(Input::new("").literal("-"), None);
    }

    #[test]
    fn names_ignore_case() {
        assert_eq!(Input::new("oct").month_abbr(), Some(10));
        assert_eq!(Input::new("DEC").month_abbr(), Some(12));
        assert_eq!(Input::new("September").month_full(), Some(9));
        assert_eq!(Input::new("mAY").month_full(), Some(5));
        assert_eq!(Input::new("Sept").month_full(), None);
        assert_eq!(Input::new("Oc").month_abbr(), None);
        assert_eq!(Input::new("Fri").weekday_abbr(), Some(5));
        assert_eq!(Input::new("sunday").weekday_full(), Some(7));
        assert_eq!(Input::new("pm").am_pm(), Some(true));
        assert_eq!(Input::new("AM").am_pm(), Some(false));
        assert_eq!(Input::new("A").am_pm(), None);
        // A multi-byte character where a name would end must not be split.
        assert_eq!(Input::new("Océ").month_abbr(), None);
        let mut input = Input::new("Janvier");
        assert_eq!(input.month_abbr(), Some(1));
        assert_eq!(input.end(), None);
    }

    #[test]
    fn offsets() {
        assert_eq!(Input::new("+0530").offset_rfc822(), Some(330));
        assert_eq!(Input::new("-0800").offset_rfc822(), Some(-480));
        assert_eq!(Input::new("Z").offset_rfc822(), None);
        assert_eq!(Input::new("+05:30").offset_rfc822(), None);
        assert_eq!(Input::new("+2400").offset_rfc822(), None);
        assert_eq!(Input::new("+0560").offset_rfc822(), None);
        assert_eq!(Input::new("Z").offset_iso_hours(), Some(0));
        assert_eq!(Input::new("-03").offset_iso_hours(), Some(-180));
        assert_eq!(Input::new("+0530").offset_iso_basic(), Some(330));
        assert_eq!(Input::new("z").offset_iso_basic(), None);
        assert_eq!(Input::new("+05:30").offset_iso_extended(), Some(330));
        assert_eq!(Input::new("+0530").offset_iso_extended(), None);
        let mut input = Input::new("+05:3");
        assert_eq!(input.offset_iso_extended(), None);
        assert_eq!(input.literal("+"), Some(()), "a failed read consumes nothing");
    }

    #[test]
    fn clock_hours() {
        assert_eq!(hour_of_day(12, false), Some(0));
        assert_eq!(hour_of_day(12, true), Some(12));
        assert_eq!(hour_of_day(1, true), Some(13));
        assert_eq!(hour_of_day(11, false), Some(11));
        assert_eq!(hour_of_day(0, false), None);
        assert_eq!(hour_of_day(13, true), None);
    }

    #[test]
    fn calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 10, 25), 20_021);
        assert_eq!(days_from_civil(0, 1, 1), -719_528);
        assert!(is_leap_year(2000) && is_leap_year(2024) && !is_leap_year(1900) && !is_leap_year(2023));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2024, 13), 0);
        // Every day of four centuries against chrono.
        let mut expected = NaiveDate::from_ymd_opt(1900, 1, 1)
            .map(|d| d.signed_duration_since(NaiveDate::default()).num_days());
        for year in 1900..2300 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(Some(days_from_civil(year, month, day)), expected, "{year}-{month}-{day}");
                    expected = expected.map(|d| d + 1);
                }
            }
        }
    }

    #[test]
    fn civil_checks_ranges() {
        assert_eq!(civil(2024, 10, 25).utc(), Some(1_729_814_400_000));
        assert_eq!(civil(2024, 2, 29).utc(), Some(1_709_164_800_000));
        assert_eq!(civil(2023, 2, 29).utc(), None);
        assert_eq!(civil(2024, 13, 1).utc(), None);
        assert_eq!(civil(2024, 0, 1).utc(), None);
        assert_eq!(civil(2024, 4, 31).utc(), None);
        assert_eq!(civil(2024, 4, 0).utc(), None);
        let time = Civil { hour: 14, minute: 30, second: 59, millis: 999, ..civil(2024, 10, 25) };
        assert_eq!(time.utc(), Some(1_729_866_659_999));
        assert_eq!(Civil { hour: 24, ..time }.utc(), None);
        assert_eq!(Civil { minute: 60, ..time }.utc(), None);
        assert_eq!(Civil { second: 60, ..time }.utc(), None);
        assert_eq!(Civil { millis: 1000, ..time }.utc(), None);
        assert_eq!(Civil { year: 9999, month: 12, day: 31, ..time }.utc(), Some(253_402_266_659_999));
        assert_eq!(civil(0, 1, 1).utc(), Some(-62_167_219_200_000));
    }

    #[test]
    fn offsets_and_zones() {
        let time = Civil { hour: 14, minute: 30, ..civil(2024, 10, 25) };
        assert_eq!(time.at_offset(330), Some(1_729_846_800_000));
        assert_eq!(time.at_offset(-480), Some(1_729_895_400_000));
        assert_eq!(time.in_zone(Tz::Asia__Kolkata), Some(1_729_846_800_000));
        assert_eq!(time.in_zone(Tz::UTC), time.utc());
        assert_eq!(Civil { month: 2, day: 30, ..time }.in_zone(Tz::UTC), None);
        // New York, spring forward on 2024-03-10: 02:00-02:59 does not exist.
        let gap = Civil { hour: 2, minute: 30, ..civil(2024, 3, 10) };
        assert_eq!(gap.in_zone(Tz::America__New_York), None);
        // Fall back on 2024-11-03: 01:30 happens twice; the first is at -04:00.
        let twice = Civil { hour: 1, minute: 30, ..civil(2024, 11, 3) };
        assert_eq!(twice.in_zone(Tz::America__New_York), twice.at_offset(-240));
        assert_eq!(
            Civil { year: 9999, ..time }.in_zone(Tz::Asia__Kolkata),
            Civil { year: 9999, ..time }.at_offset(330)
        );
    }

    #[test]
    fn weekdays() {
        assert_eq!(civil(1970, 1, 1).weekday(), 4);
        assert_eq!(civil(2024, 10, 25).weekday(), 5);
        assert_eq!(civil(2024, 10, 27).weekday(), 7);
        assert_eq!(civil(1969, 12, 29).weekday(), 1);
        assert_eq!(civil(2024, 10, 25).check_weekday(5), Some(()));
        assert_eq!(civil(2024, 10, 25).check_weekday(4), None);
    }

    #[test]
    fn epochs() {
        assert_eq!(epoch("1704067200", 1000), Some(1_704_067_200_000));
        assert_eq!(epoch("1704067200000", 1), Some(1_704_067_200_000));
        assert_eq!(epoch("-86400", 1000), Some(-86_400_000));
        assert_eq!(epoch("0007", 1), Some(7));
        assert_eq!(epoch("-9223372036854775808", 1), Some(i64::MIN));
        assert_eq!(epoch("9223372036854775808", 1), None);
        assert_eq!(epoch("9223372036854776", 1000), None);
        assert_eq!(epoch("", 1), None);
        assert_eq!(epoch("-", 1), None);
        assert_eq!(epoch("+5", 1), None);
        assert_eq!(epoch(" 5", 1), None);
        assert_eq!(epoch("1.5", 1), None);
        assert_eq!(epoch("１２", 1), None);
    }

    #[test]
    fn never_panics_on_odd_text() {
        for text in ["", "é", "2024-€", "\u{10FFFF}", "+", "-", "Z", "99999999999999999999"] {
            let mut input = Input::new(text);
            let _ = input.digits(4);
            let _ = input.one_or_two_digits();
            let _ = input.fraction(9);
            let _ = input.month_full();
            let _ = input.weekday_abbr();
            let _ = input.am_pm();
            let _ = input.offset_iso_extended();
            let _ = input.offset_rfc822();
            let _ = input.literal("€");
            let _ = input.end();
            let _ = epoch(text, 1000);
        }
    }
}
