//! Calendar dates, yearly seasons and daily time windows for inspection rules.
//!
//! Rules ask whether a certificate expires within a month of the inspection,
//! whether the inspection falls in a winter season such as 11-01..05-31, or
//! whether work happened between 22:00 and 02:00. This module owns that
//! arithmetic on the proleptic Gregorian calendar for years 1 to 9999, with no
//! time zones and no clock: the inspection date is always an input, so the
//! same inspection evaluates the same way on any machine and any day.
//!
//! ```
//! use hazcheck::Date;
//!
//! // A drill held on 2025-02-28 is "older than one month" once one month
//! // after it, 2025-03-28, is before the inspection date.
//! let drill = Date::parse("2025-02-28")?;
//! let one_month_on = drill.add_months(1).ok_or("out of range")?;
//! assert_eq!(one_month_on, Date::parse("2025-03-28")?);
//! assert!(one_month_on < Date::parse("2025-03-29")?);
//! assert_eq!(drill.days_until(one_month_on), 28);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

/// Days from 0000-03-01 to 1970-01-01, the offset between the March-based
/// day count used internally and the Unix epoch.
const EPOCH_SHIFT: i64 = 719_468;

/// Days in a 400-year Gregorian cycle, after which the calendar repeats.
const DAYS_PER_ERA: i64 = 146_097;

const MIN_DAYS: i64 = days_from_civil(MIN_YEAR, 1, 1);
const MAX_DAYS: i64 = days_from_civil(MAX_YEAR, 12, 31);

const MONTH_NAMES: [&str; 12] = [
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

fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` of `year`; 0 for a month that does not exist.
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn month_name(month: u32) -> &'static str {
    usize::try_from(month)
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|i| MONTH_NAMES.get(i))
        .copied()
        .unwrap_or("this month")
}

/// Days since 1970-01-01 for a valid date in years 1..=9999.
///
/// Counting years from March puts the leap day at the end of the year, so the
/// day of the year depends only on the month and the leap rules only on the
/// year. All intermediate values stay non-negative for years from 1, which
/// keeps plain integer division correct.
const fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = if month <= 2 {
        year as i64 - 1
    } else {
        year as i64
    };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month_from_march = (month as i64 + 9) % 12;
    // 153 days per five months (31+30+31+30+31) spreads the 30- and
    // 31-day months of March..January in the right pattern.
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
}

/// The inverse of [`days_from_civil`] for day counts within years 1..=9999.
fn civil_from_days(days: i64) -> Option<(i32, u32, u32)> {
    if !(MIN_DAYS..=MAX_DAYS).contains(&days) {
        return None;
    }
    let shifted = days.checked_add(EPOCH_SHIFT)?;
    let era = shifted / DAYS_PER_ERA;
    let day_of_era = shifted - era * DAYS_PER_ERA;
    // Subtracting the leap days seen so far turns the day of the era into a
    // count of 365-day years; the last day of the era is the one 366th day
    // that would otherwise spill into the next era.
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    Some((
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    ))
}

fn is_full_width_digit(c: char) -> bool {
    ('\u{FF10}'..='\u{FF19}').contains(&c)
}

/// The value of a fixed-width run of ASCII digits, or `None` if any byte is
/// not a digit.
fn fixed_digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u32::from(b - b'0'))
        } else {
            None
        }
    })
}

/// A calendar date in the proleptic Gregorian calendar, years 1 to 9999.
///
/// Ordering is chronological.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    // Field order matters: the derived ordering compares year, then month,
    // then day.
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// The date, or `None` if it does not exist (2023-02-29, 2024-04-31,
    /// month 13) or lies outside years 1 to 9999.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let valid =
            (MIN_YEAR..=MAX_YEAR).contains(&year) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// The year, 1 to 9999.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u32 {
        self.day
    }

    /// Parses exactly `YYYY-MM-DD` with ASCII digits, such as `2024-02-29`.
    ///
    /// A date that does not exist is refused with the reason, never moved to
    /// a nearby day.
    ///
    /// ```
    /// use hazcheck::Date;
    /// use hazcheck::date::DateErrorKind;
    ///
    /// let leap_day = Date::parse("2024-02-29")?;
    /// assert_eq!((leap_day.year(), leap_day.month(), leap_day.day()), (2024, 2, 29));
    ///
    /// let error = Date::parse("2023-02-29").unwrap_err();
    /// assert_eq!(error.kind(), DateErrorKind::NotLeapYear { year: 2023 });
    /// assert_eq!(error.to_string(), "invalid date `2023-02-29`: 2023 has no February 29");
    ///
    /// let kind = |text: &str| Date::parse(text).map_err(|e| e.kind());
    /// let format = DateErrorKind::Format { expected: "YYYY-MM-DD" };
    /// assert_eq!(kind("2024-3-1"), Err(format));
    /// assert_eq!(kind("2024/03/01"), Err(format));
    /// assert_eq!(kind("２０２４-03-01"), Err(DateErrorKind::FullWidthDigits));
    /// assert_eq!(kind("2024-13-01"), Err(DateErrorKind::NoSuchMonth { month: 13 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let error = |kind| DateError::new(Subject::Date, s, kind);
        if s.chars().any(is_full_width_digit) {
            return Err(error(DateErrorKind::FullWidthDigits));
        }
        let format = error(DateErrorKind::Format {
            expected: "YYYY-MM-DD",
        });
        let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *s.as_bytes() else {
            return Err(format);
        };
        let (Some(year), Some(month), Some(day)) = (
            fixed_digits(&[y0, y1, y2, y3]),
            fixed_digits(&[m0, m1]),
            fixed_digits(&[d0, d1]),
        ) else {
            return Err(format);
        };
        let year_signed =
            i32::try_from(year).map_err(|_| error(DateErrorKind::YearOutOfRange { year }))?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year_signed) {
            return Err(error(DateErrorKind::YearOutOfRange { year }));
        }
        check_month_and_day(month, day, Some(year_signed)).map_err(error)?;
        Date::new(year_signed, month, day).ok_or_else(|| {
            error(DateErrorKind::Format {
                expected: "YYYY-MM-DD",
            })
        })
    }

    /// Days since 1970-01-01; negative before it.
    pub fn to_days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The date `days` days after 1970-01-01, or `None` outside years 1 to
    /// 9999.
    pub fn from_days(days: i64) -> Option<Date> {
        let (year, month, day) = civil_from_days(days)?;
        Date::new(year, month, day)
    }

    /// The date `days` days later (earlier when negative), or `None` outside
    /// years 1 to 9999.
    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_days(self.to_days().checked_add(days)?)
    }

    /// The same day `months` months later (earlier when negative), moved back
    /// to the last day of the month when that month is shorter: 2024-01-31
    /// plus one month is 2024-02-29, and 2023-01-31 plus one month is
    /// 2023-02-28. `None` outside years 1 to 9999.
    ///
    /// The day is taken from `self` each time, so adding one month twice
    /// can end earlier in the month than adding two months at once.
    ///
    /// ```
    /// use hazcheck::Date;
    ///
    /// let date = |text: &str| Date::parse(text);
    /// let jan_31 = date("2024-01-31")?;
    /// assert_eq!(jan_31.add_months(1), Some(date("2024-02-29")?));
    /// assert_eq!(date("2023-01-31")?.add_months(1), Some(date("2023-02-28")?));
    /// assert_eq!(date("2024-03-31")?.add_months(-1), Some(date("2024-02-29")?));
    ///
    /// assert_eq!(jan_31.add_months(2), Some(date("2024-03-31")?));
    /// let twice = jan_31.add_months(1).and_then(|d| d.add_months(1));
    /// assert_eq!(twice, Some(date("2024-03-29")?));
    ///
    /// assert_eq!(date("9999-12-01")?.add_months(1), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_months(self, months: i64) -> Option<Date> {
        let index = i64::from(self.year)
            .checked_mul(12)?
            .checked_add(i64::from(self.month) - 1)?
            .checked_add(months)?;
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = u32::try_from(index.rem_euclid(12) + 1).ok()?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return None;
        }
        Date::new(year, month, self.day.min(days_in_month(year, month)))
    }

    /// The same day `years` years later (earlier when negative); February 29
    /// becomes February 28 in a common year, so 2024-02-29 plus one year is
    /// 2025-02-28. `None` outside years 1 to 9999.
    pub fn add_years(self, years: i64) -> Option<Date> {
        self.add_months(years.checked_mul(12)?)
    }

    /// Days from this date to `other`: positive when `other` is later.
    pub fn days_until(self, other: Date) -> i64 {
        other.to_days() - self.to_days()
    }

    /// The month and day, without the year.
    pub fn month_day(self) -> MonthDay {
        MonthDay {
            month: self.month,
            day: self.day,
        }
    }
}

/// Checks a month and day, against `year` when given, otherwise against the
/// longest the month can be (February 29 allowed).
fn check_month_and_day(month: u32, day: u32, year: Option<i32>) -> Result<(), DateErrorKind> {
    if !(1..=12).contains(&month) {
        return Err(DateErrorKind::NoSuchMonth { month });
    }
    if day == 0 {
        return Err(DateErrorKind::NoSuchDay { day });
    }
    // 2000 is a leap year, so it gives every month its longest length.
    let days = days_in_month(year.unwrap_or(2000), month);
    if day <= days {
        return Ok(());
    }
    match year {
        Some(year) if month == 2 && day == 29 => Err(DateErrorKind::NotLeapYear { year }),
        _ => Err(DateErrorKind::DayOutOfRange { year, month, days }),
    }
}

impl fmt::Display for Date {
    /// Writes `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        Date::parse(s)
    }
}

/// A day of the year without the year, such as `11-01`, for seasons that
/// repeat every year. February 29 is allowed.
///
/// Ordering is by month, then day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonthDay {
    // Field order matters for the derived ordering.
    month: u32,
    day: u32,
}

impl MonthDay {
    /// The month-day, or `None` if no year has it (04-31, 13-01).
    pub fn new(month: u32, day: u32) -> Option<MonthDay> {
        check_month_and_day(month, day, None)
            .ok()
            .map(|()| MonthDay { month, day })
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u32 {
        self.day
    }

    /// Parses exactly `MM-DD` with ASCII digits, such as `11-01`.
    pub fn parse(s: &str) -> Result<MonthDay, DateError> {
        let error = |kind| DateError::new(Subject::MonthDay, s, kind);
        if s.chars().any(is_full_width_digit) {
            return Err(error(DateErrorKind::FullWidthDigits));
        }
        let format = error(DateErrorKind::Format { expected: "MM-DD" });
        let [m0, m1, b'-', d0, d1] = *s.as_bytes() else {
            return Err(format);
        };
        let (Some(month), Some(day)) = (fixed_digits(&[m0, m1]), fixed_digits(&[d0, d1])) else {
            return Err(format);
        };
        check_month_and_day(month, day, None).map_err(error)?;
        Ok(MonthDay { month, day })
    }
}

impl fmt::Display for MonthDay {
    /// Writes `MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl FromStr for MonthDay {
    type Err = DateError;

    fn from_str(s: &str) -> Result<MonthDay, DateError> {
        MonthDay::parse(s)
    }
}

/// A window of days repeating every year, both ends inclusive.
///
/// When `from` is later in the year than `to` the window crosses New Year:
/// 11-01..05-31 is the winter from November to May. When they are equal the
/// window is that single day, so 02-29..02-29 matches leap days only.
///
/// ```
/// use hazcheck::Date;
/// use hazcheck::date::{MonthDay, Season};
///
/// // A fire-prevention period from November to May.
/// let fire_period = Season {
///     from: MonthDay::parse("11-01")?,
///     to: MonthDay::parse("05-31")?,
/// };
/// for inside in ["2024-11-01", "2024-12-31", "2025-01-02", "2025-05-31"] {
///     assert!(fire_period.contains(Date::parse(inside)?), "{inside}");
/// }
/// for outside in ["2025-06-01", "2025-10-31"] {
///     assert!(!fire_period.contains(Date::parse(outside)?), "{outside}");
/// }
///
/// let leap_day = Season {
///     from: MonthDay::parse("02-29")?,
///     to: MonthDay::parse("02-29")?,
/// };
/// assert!(leap_day.contains(Date::parse("2024-02-29")?));
/// assert!(!leap_day.contains(Date::parse("2025-02-28")?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Season {
    /// The first day of the window.
    pub from: MonthDay,
    /// The last day of the window.
    pub to: MonthDay,
}

impl Season {
    /// Whether `date` falls inside the window.
    pub fn contains(&self, date: Date) -> bool {
        let day = date.month_day();
        if self.from <= self.to {
            self.from <= day && day <= self.to
        } else {
            day >= self.from || day <= self.to
        }
    }
}

/// A time of day to the minute, `00:00` to `23:59`.
///
/// Ordering is chronological within a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeOfDay {
    // Field order matters for the derived ordering.
    hour: u32,
    minute: u32,
}

impl TimeOfDay {
    /// The time, or `None` unless `hour` is 0 to 23 and `minute` 0 to 59.
    pub fn new(hour: u32, minute: u32) -> Option<TimeOfDay> {
        (hour <= 23 && minute <= 59).then_some(TimeOfDay { hour, minute })
    }

    /// The hour, 0 to 23.
    pub fn hour(self) -> u32 {
        self.hour
    }

    /// The minute, 0 to 59.
    pub fn minute(self) -> u32 {
        self.minute
    }

    /// Parses exactly `HH:MM` with ASCII digits, such as `07:30`.
    pub fn parse(s: &str) -> Result<TimeOfDay, DateError> {
        let error = |kind| DateError::new(Subject::TimeOfDay, s, kind);
        if s.chars().any(is_full_width_digit) {
            return Err(error(DateErrorKind::FullWidthDigits));
        }
        let format = error(DateErrorKind::Format { expected: "HH:MM" });
        let [h0, h1, b':', m0, m1] = *s.as_bytes() else {
            return Err(format);
        };
        let (Some(hour), Some(minute)) = (fixed_digits(&[h0, h1]), fixed_digits(&[m0, m1])) else {
            return Err(format);
        };
        if hour > 23 {
            return Err(error(DateErrorKind::NoSuchHour { hour }));
        }
        if minute > 59 {
            return Err(error(DateErrorKind::NoSuchMinute { minute }));
        }
        Ok(TimeOfDay { hour, minute })
    }
}

impl fmt::Display for TimeOfDay {
    /// Writes `HH:MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl FromStr for TimeOfDay {
    type Err = DateError;

    fn from_str(s: &str) -> Result<TimeOfDay, DateError> {
        TimeOfDay::parse(s)
    }
}

/// A window of time repeating every day: `from` inclusive, `to` exclusive.
///
/// The end is exclusive so that back-to-back shifts such as 06:00..14:00 and
/// 14:00..22:00 do not overlap and 14:00 belongs to exactly one of them. When
/// `from` is later than `to` the window crosses midnight (22:00..02:00 holds
/// 23:30 and 01:59 but not 02:00). When they are equal the window is empty,
/// which is what a zero-length half-open interval means.
///
/// ```
/// use hazcheck::date::{TimeOfDay, TimeWindow};
///
/// let at = |text: &str| TimeOfDay::parse(text);
/// let window = |from: &str, to: &str| -> Result<TimeWindow, hazcheck::date::DateError> {
///     Ok(TimeWindow { from: at(from)?, to: at(to)? })
/// };
///
/// // Night work from 22:00 to 02:00 crosses midnight.
/// let night = window("22:00", "02:00")?;
/// for inside in ["22:00", "23:30", "00:00", "01:59"] {
///     assert!(night.contains(at(inside)?), "{inside}");
/// }
/// for outside in ["02:00", "12:00", "21:59"] {
///     assert!(!night.contains(at(outside)?), "{outside}");
/// }
///
/// // 14:00 belongs to the second of two back-to-back shifts only.
/// let (early, late) = (window("06:00", "14:00")?, window("14:00", "22:00")?);
/// assert!(!early.contains(at("14:00")?));
/// assert!(late.contains(at("14:00")?));
///
/// // Equal ends: empty.
/// assert!(!window("08:00", "08:00")?.contains(at("08:00")?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeWindow {
    /// The first minute inside the window.
    pub from: TimeOfDay,
    /// The first minute after the window.
    pub to: TimeOfDay,
}

impl TimeWindow {
    /// Whether `time` falls inside the window.
    pub fn contains(&self, time: TimeOfDay) -> bool {
        if self.from <= self.to {
            self.from <= time && time < self.to
        } else {
            time >= self.from || time < self.to
        }
    }
}

/// Which kind of value a [`DateError`] is about, for its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Subject {
    Date,
    MonthDay,
    TimeOfDay,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Subject::Date => "date",
            Subject::MonthDay => "month-day",
            Subject::TimeOfDay => "time",
        })
    }
}

/// Why a text is not a valid date, month-day or time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DateErrorKind {
    /// The text does not have the required shape.
    Format {
        /// The required shape, such as `YYYY-MM-DD`.
        expected: &'static str,
    },
    /// The text uses full-width digits such as `２０２４`.
    FullWidthDigits,
    /// The year is outside 1 to 9999 (only year 0000 can be written).
    YearOutOfRange {
        /// The year as written.
        year: u32,
    },
    /// The month is not 1 to 12.
    NoSuchMonth {
        /// The month as written.
        month: u32,
    },
    /// The day is 00.
    NoSuchDay {
        /// The day as written.
        day: u32,
    },
    /// February 29 in a common year.
    NotLeapYear {
        /// The year, which has no February 29.
        year: i32,
    },
    /// The day is past the end of the month.
    DayOutOfRange {
        /// The year, when the text has one.
        year: Option<i32>,
        /// The month.
        month: u32,
        /// How many days the month has (at most, without a year).
        days: u32,
    },
    /// The hour is not 00 to 23.
    NoSuchHour {
        /// The hour as written.
        hour: u32,
    },
    /// The minute is not 00 to 59.
    NoSuchMinute {
        /// The minute as written.
        minute: u32,
    },
}

impl fmt::Display for DateErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DateErrorKind::Format { expected } => write!(f, "expected {expected}"),
            DateErrorKind::FullWidthDigits => {
                f.write_str("full-width digits are not accepted, use ASCII digits 0-9")
            }
            DateErrorKind::YearOutOfRange { year } => {
                write!(
                    f,
                    "year {year:04} does not exist, years run from 0001 to 9999"
                )
            }
            DateErrorKind::NoSuchMonth { month } => write!(f, "month {month:02} does not exist"),
            DateErrorKind::NoSuchDay { day } => write!(f, "day {day:02} does not exist"),
            DateErrorKind::NotLeapYear { year } => write!(f, "{year} has no February 29"),
            DateErrorKind::DayOutOfRange { year, month, days } => match year {
                Some(year) if month == 2 => write!(f, "February {year} has {days} days"),
                None if month == 2 => write!(f, "February has at most {days} days"),
                _ => write!(f, "{} has {days} days", month_name(month)),
            },
            DateErrorKind::NoSuchHour { hour } => {
                write!(f, "hour {hour:02} does not exist, hours run from 00 to 23")
            }
            DateErrorKind::NoSuchMinute { minute } => {
                write!(
                    f,
                    "minute {minute:02} does not exist, minutes run from 00 to 59"
                )
            }
        }
    }
}

/// A text that could not be parsed as a [`Date`], [`MonthDay`] or
/// [`TimeOfDay`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {subject} `{input}`: {kind}")]
pub struct DateError {
    subject: Subject,
    input: String,
    kind: DateErrorKind,
}

impl DateError {
    fn new(subject: Subject, input: &str, kind: DateErrorKind) -> DateError {
        DateError {
            subject,
            input: input.to_owned(),
            kind,
        }
    }

    /// The text that was rejected.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why it was rejected.
    pub fn kind(&self) -> DateErrorKind {
        self.kind
    }
}

/// Serializes through `Display` and deserializes from a string through
/// `FromStr`, so that the text form is the only wire format.
macro_rules! string_serde {
    ($ty:ident, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                struct TextVisitor;

                impl Visitor<'_> for TextVisitor {
                    type Value = $ty;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        $ty::parse(v).map_err(E::custom)
                    }
                }

                deserializer.deserialize_str(TextVisitor)
            }
        }
    };
}

string_serde!(Date, "a date as a string, YYYY-MM-DD");
string_serde!(MonthDay, "a month and day as a string, MM-DD");
string_serde!(TimeOfDay, "a time of day as a string, HH:MM");

impl schemars::JsonSchema for Date {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Date")
    }

    fn schema_id() -> Cow<'static, str> {
        Cow::Borrowed(concat!(module_path!(), "::Date"))
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date" })
    }
}

impl schemars::JsonSchema for MonthDay {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("MonthDay")
    }

    fn schema_id() -> Cow<'static, str> {
        Cow::Borrowed(concat!(module_path!(), "::MonthDay"))
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9]{2}-[0-9]{2}$" })
    }
}

impl schemars::JsonSchema for TimeOfDay {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("TimeOfDay")
    }

    fn schema_id() -> Cow<'static, str> {
        Cow::Borrowed(concat!(module_path!(), "::TimeOfDay"))
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$" })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn md(s: &str) -> MonthDay {
        MonthDay::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn time(s: &str) -> TimeOfDay {
        TimeOfDay::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn date_error(s: &str) -> String {
        Date::parse(s)
            .map(|d| format!("parsed as {d}"))
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn parses_valid_dates() {
        let cases = [
            ("2024-02-29", 2024, 2, 29),
            ("2000-02-29", 2000, 2, 29),
            ("2023-02-28", 2023, 2, 28),
            ("2024-04-30", 2024, 4, 30),
            ("2023-12-31", 2023, 12, 31),
            ("0001-01-01", 1, 1, 1),
            ("9999-12-31", 9999, 12, 31),
            ("1970-01-01", 1970, 1, 1),
            ("0004-02-29", 4, 2, 29),
        ];
        for (input, year, month, day) in cases {
            let d = date(input);
            assert_eq!(
                (d.year(), d.month(), d.day()),
                (year, month, day),
                "{input}"
            );
            assert_eq!(Date::new(year, month, day), Some(d));
            assert_eq!(d.to_string(), input);
            assert_eq!(input.parse::<Date>(), Ok(d));
        }
    }

    #[test]
    fn rejects_invalid_dates() {
        use DateErrorKind::*;
        let format = Format {
            expected: "YYYY-MM-DD",
        };
        let cases = [
            ("2023-02-29", NotLeapYear { year: 2023 }),
            ("1900-02-29", NotLeapYear { year: 1900 }),
            (
                "2023-02-30",
                DayOutOfRange {
                    year: Some(2023),
                    month: 2,
                    days: 28,
                },
            ),
            (
                "2024-02-30",
                DayOutOfRange {
                    year: Some(2024),
                    month: 2,
                    days: 29,
                },
            ),
            (
                "2024-04-31",
                DayOutOfRange {
                    year: Some(2024),
                    month: 4,
                    days: 30,
                },
            ),
            (
                "2024-01-32",
                DayOutOfRange {
                    year: Some(2024),
                    month: 1,
                    days: 31,
                },
            ),
            ("2024-13-01", NoSuchMonth { month: 13 }),
            ("2024-00-01", NoSuchMonth { month: 0 }),
            ("2024-01-00", NoSuchDay { day: 0 }),
            ("0000-01-01", YearOutOfRange { year: 0 }),
            ("10000-01-01", format),
            ("2023/01/05", format),
            ("2023-1-05", format),
            ("2023-01-5", format),
            ("23-01-05", format),
            ("2023-01-05 ", format),
            (" 2023-01-05", format),
            ("2023-01-05T00:00", format),
            ("2023_01_05", format),
            ("+023-01-05", format),
            ("-023-01-05", format),
            ("2023-0a-05", format),
            ("", format),
            ("2023-01-0é", format),
            ("２０２３-01-05", FullWidthDigits),
            ("2023-01-０５", FullWidthDigits),
        ];
        for (input, kind) in cases {
            match Date::parse(input) {
                Ok(d) => panic!("{input:?} parsed as {d}"),
                Err(e) => {
                    assert_eq!(e.kind(), kind, "{input:?}");
                    assert_eq!(e.input(), input);
                }
            }
        }
        assert_eq!(Date::new(2023, 2, 29), None);
        assert_eq!(Date::new(2024, 4, 31), None);
        assert_eq!(Date::new(2024, 13, 1), None);
        assert_eq!(Date::new(2024, 0, 1), None);
        assert_eq!(Date::new(2024, 1, 0), None);
        assert_eq!(Date::new(0, 1, 1), None);
        assert_eq!(Date::new(10000, 1, 1), None);
        assert_eq!(Date::new(-1, 1, 1), None);
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            date_error("2023/01/05"),
            "invalid date `2023/01/05`: expected YYYY-MM-DD"
        );
        assert_eq!(
            date_error("2023-02-29"),
            "invalid date `2023-02-29`: 2023 has no February 29"
        );
        assert_eq!(
            date_error("2023-13-01"),
            "invalid date `2023-13-01`: month 13 does not exist"
        );
        assert_eq!(
            date_error("2024-04-31"),
            "invalid date `2024-04-31`: April has 30 days"
        );
        assert_eq!(
            date_error("2023-02-30"),
            "invalid date `2023-02-30`: February 2023 has 28 days"
        );
        assert_eq!(
            date_error("2024-01-00"),
            "invalid date `2024-01-00`: day 00 does not exist"
        );
        assert_eq!(
            date_error("0000-01-01"),
            "invalid date `0000-01-01`: year 0000 does not exist, years run from 0001 to 9999"
        );
        assert_eq!(
            date_error("２０２３-01-05"),
            "invalid date `２０２３-01-05`: full-width digits are not accepted, use ASCII digits 0-9"
        );
        let md_error = MonthDay::parse("02-30").err().map(|e| e.to_string());
        assert_eq!(
            md_error.as_deref(),
            Some("invalid month-day `02-30`: February has at most 29 days")
        );
        let md_error = MonthDay::parse("11/01").err().map(|e| e.to_string());
        assert_eq!(
            md_error.as_deref(),
            Some("invalid month-day `11/01`: expected MM-DD")
        );
        let time_error = TimeOfDay::parse("24:00").err().map(|e| e.to_string());
        assert_eq!(
            time_error.as_deref(),
            Some("invalid time `24:00`: hour 24 does not exist, hours run from 00 to 23")
        );
        let time_error = TimeOfDay::parse("7:00").err().map(|e| e.to_string());
        assert_eq!(
            time_error.as_deref(),
            Some("invalid time `7:00`: expected HH:MM")
        );
        for input in [
            "2023/01/05",
            "2023-02-29",
            "2023-13-01",
            "2024-04-31",
            "0000-01-01",
        ] {
            let message = date_error(input);
            assert!(message.starts_with("invalid date"), "{message}");
            assert!(!message.ends_with('.'), "{message}");
        }
    }

    #[test]
    fn every_month_name_appears_in_messages() {
        for month in 1..=12 {
            let kind = DateErrorKind::DayOutOfRange {
                year: Some(2023),
                month,
                days: 30,
            };
            assert!(!kind.to_string().contains("this month"), "{kind}");
        }
    }

    #[test]
    fn day_counts_match_known_dates() {
        assert_eq!(date("1970-01-01").to_days(), 0);
        assert_eq!(date("1970-01-02").to_days(), 1);
        assert_eq!(date("1969-12-31").to_days(), -1);
        assert_eq!(date("2000-03-01").to_days(), 11_017);
        assert_eq!(date("2024-02-29").to_days(), 19_782);
        assert_eq!(date("0001-01-01").to_days(), -719_162);
        assert_eq!(date("9999-12-31").to_days(), 2_932_896);
        assert_eq!(Date::from_days(0), Some(date("1970-01-01")));
        assert_eq!(Date::from_days(-719_162), Some(date("0001-01-01")));
        assert_eq!(Date::from_days(2_932_896), Some(date("9999-12-31")));
        assert_eq!(Date::from_days(-719_163), None);
        assert_eq!(Date::from_days(2_932_897), None);
        assert_eq!(Date::from_days(i64::MIN), None);
        assert_eq!(Date::from_days(i64::MAX), None);
    }

    #[test]
    fn day_count_walks_every_day_of_the_calendar() {
        // An independent day-by-day walk over the whole supported range
        // checks the closed-form arithmetic against the calendar rules.
        let mut current = date("0001-01-01");
        let mut days = current.to_days();
        loop {
            assert_eq!(Date::from_days(days), Some(current));
            assert_eq!(current.to_days(), days);
            let next = Date::new(current.year, current.month, current.day + 1)
                .or_else(|| Date::new(current.year, current.month + 1, 1))
                .or_else(|| Date::new(current.year + 1, 1, 1));
            let Some(next) = next else { break };
            assert!(next > current);
            current = next;
            days += 1;
        }
        assert_eq!(current, date("9999-12-31"));
        assert_eq!(days, 2_932_896);
    }

    #[test]
    fn adds_days() {
        assert_eq!(date("2024-02-28").add_days(1), Some(date("2024-02-29")));
        assert_eq!(date("2023-02-28").add_days(1), Some(date("2023-03-01")));
        assert_eq!(date("2023-12-31").add_days(1), Some(date("2024-01-01")));
        assert_eq!(date("2024-01-01").add_days(-1), Some(date("2023-12-31")));
        assert_eq!(date("2024-01-01").add_days(366), Some(date("2025-01-01")));
        assert_eq!(date("9999-12-31").add_days(1), None);
        assert_eq!(date("0001-01-01").add_days(-1), None);
        assert_eq!(date("2024-01-01").add_days(i64::MAX), None);
        assert_eq!(date("2024-01-01").add_days(i64::MIN), None);
        assert_eq!(date("2024-01-01").days_until(date("2024-03-01")), 60);
        assert_eq!(date("2024-03-01").days_until(date("2024-01-01")), -60);
        assert_eq!(date("2024-03-01").days_until(date("2024-03-01")), 0);
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        let cases = [
            ("2024-01-31", 1, Some("2024-02-29")),
            ("2023-01-31", 1, Some("2023-02-28")),
            ("2024-03-31", -1, Some("2024-02-29")),
            ("2024-03-31", 1, Some("2024-04-30")),
            ("2024-01-15", 1, Some("2024-02-15")),
            ("2024-12-15", 1, Some("2025-01-15")),
            ("2024-01-15", -1, Some("2023-12-15")),
            ("2024-05-31", 12, Some("2025-05-31")),
            ("2024-05-31", -24, Some("2022-05-31")),
            ("2024-01-31", 0, Some("2024-01-31")),
            ("2024-08-31", 6, Some("2025-02-28")),
            ("9999-12-01", 1, None),
            ("0001-01-31", -1, None),
            ("2024-01-01", i64::MAX, None),
            ("2024-01-01", i64::MIN, None),
        ];
        for (start, months, expected) in cases {
            assert_eq!(
                date(start).add_months(months),
                expected.map(date),
                "{start} + {months}"
            );
        }
    }

    #[test]
    fn add_years_keeps_the_day_or_clamps_leap_days() {
        assert_eq!(date("2024-02-29").add_years(1), Some(date("2025-02-28")));
        assert_eq!(date("2024-02-29").add_years(4), Some(date("2028-02-29")));
        assert_eq!(date("2024-02-29").add_years(-4), Some(date("2020-02-29")));
        assert_eq!(date("2024-02-29").add_years(76), Some(date("2100-02-28")));
        assert_eq!(date("2023-06-15").add_years(5), Some(date("2028-06-15")));
        assert_eq!(date("9999-01-01").add_years(1), None);
        assert_eq!(date("2024-01-01").add_years(i64::MAX), None);
    }

    #[test]
    fn month_days() {
        assert_eq!(md("11-01"), MonthDay { month: 11, day: 1 });
        assert_eq!(md("02-29").to_string(), "02-29");
        assert_eq!("05-31".parse::<MonthDay>(), Ok(md("05-31")));
        assert_eq!(MonthDay::new(2, 29), Some(md("02-29")));
        assert_eq!(MonthDay::new(2, 30), None);
        assert_eq!(MonthDay::new(4, 31), None);
        assert_eq!(MonthDay::new(13, 1), None);
        assert_eq!(MonthDay::new(1, 0), None);
        assert_eq!((md("05-31").month(), md("05-31").day()), (5, 31));
        assert!(md("01-31") < md("02-01"));
        assert!(md("02-28") < md("02-29"));
        assert_eq!(date("2023-11-01").month_day(), md("11-01"));
        use DateErrorKind::*;
        for (input, kind) in [
            (
                "02-30",
                DayOutOfRange {
                    year: None,
                    month: 2,
                    days: 29,
                },
            ),
            (
                "04-31",
                DayOutOfRange {
                    year: None,
                    month: 4,
                    days: 30,
                },
            ),
            ("13-01", NoSuchMonth { month: 13 }),
            ("00-01", NoSuchMonth { month: 0 }),
            ("01-00", NoSuchDay { day: 0 }),
            ("1-01", Format { expected: "MM-DD" }),
            ("11-1", Format { expected: "MM-DD" }),
            ("11-011", Format { expected: "MM-DD" }),
            ("2024-11-01", Format { expected: "MM-DD" }),
            ("11/01", Format { expected: "MM-DD" }),
            ("", Format { expected: "MM-DD" }),
            ("１１-01", FullWidthDigits),
        ] {
            assert_eq!(
                MonthDay::parse(input).err().map(|e| e.kind()),
                Some(kind),
                "{input:?}"
            );
        }
    }

    #[test]
    fn season_crossing_new_year() {
        let winter = Season {
            from: md("11-01"),
            to: md("05-31"),
        };
        for inside in [
            "2023-12-31",
            "2024-01-01",
            "2024-05-31",
            "2024-11-01",
            "2024-02-29",
            "2023-11-30",
        ] {
            assert!(winter.contains(date(inside)), "{inside}");
        }
        for outside in ["2024-06-01", "2024-10-31", "2024-08-15"] {
            assert!(!winter.contains(date(outside)), "{outside}");
        }
    }

    #[test]
    fn season_within_a_year() {
        let summer = Season {
            from: md("06-01"),
            to: md("08-31"),
        };
        for inside in ["2024-06-01", "2024-07-15", "2024-08-31"] {
            assert!(summer.contains(date(inside)), "{inside}");
        }
        for outside in ["2024-05-31", "2024-09-01", "2024-01-01", "2024-12-31"] {
            assert!(!summer.contains(date(outside)), "{outside}");
        }
    }

    #[test]
    fn season_single_day_and_february_edges() {
        let one_day = Season {
            from: md("03-15"),
            to: md("03-15"),
        };
        assert!(one_day.contains(date("2024-03-15")));
        assert!(!one_day.contains(date("2024-03-14")));
        assert!(!one_day.contains(date("2024-03-16")));

        let leap_day = Season {
            from: md("02-29"),
            to: md("02-29"),
        };
        assert!(leap_day.contains(date("2024-02-29")));
        assert!(leap_day.contains(date("2000-02-29")));
        assert!(!leap_day.contains(date("2023-02-28")));
        assert!(!leap_day.contains(date("2023-03-01")));
        assert!(!leap_day.contains(date("2024-02-28")));
        assert!(!leap_day.contains(date("2024-03-01")));

        let to_feb_end = Season {
            from: md("02-01"),
            to: md("02-28"),
        };
        assert!(to_feb_end.contains(date("2023-02-28")));
        assert!(to_feb_end.contains(date("2024-02-28")));
        assert!(!to_feb_end.contains(date("2024-02-29")));

        let through_leap_day = Season {
            from: md("12-01"),
            to: md("02-29"),
        };
        assert!(through_leap_day.contains(date("2023-02-28")));
        assert!(through_leap_day.contains(date("2024-02-29")));
        assert!(!through_leap_day.contains(date("2023-03-01")));
        assert!(!through_leap_day.contains(date("2024-03-01")));

        let from_leap_day = Season {
            from: md("02-29"),
            to: md("03-31"),
        };
        assert!(from_leap_day.contains(date("2024-02-29")));
        assert!(!from_leap_day.contains(date("2023-02-28")));
        assert!(!from_leap_day.contains(date("2024-02-28")));
        assert!(from_leap_day.contains(date("2023-03-01")));
    }

    #[test]
    fn times_of_day() {
        assert_eq!(time("00:00"), TimeOfDay { hour: 0, minute: 0 });
        assert_eq!(time("23:59").to_string(), "23:59");
        assert_eq!(time("07:05").to_string(), "07:05");
        assert_eq!((time("07:05").hour(), time("07:05").minute()), (7, 5));
        assert_eq!("12:30".parse::<TimeOfDay>(), Ok(time("12:30")));
        assert_eq!(TimeOfDay::new(23, 59), Some(time("23:59")));
        assert_eq!(TimeOfDay::new(24, 0), None);
        assert_eq!(TimeOfDay::new(0, 60), None);
        assert!(time("09:59") < time("10:00"));
        use DateErrorKind::*;
        for (input, kind) in [
            ("24:00", NoSuchHour { hour: 24 }),
            ("12:60", NoSuchMinute { minute: 60 }),
            ("7:00", Format { expected: "HH:MM" }),
            ("07:0", Format { expected: "HH:MM" }),
            ("07:00:00", Format { expected: "HH:MM" }),
            ("07.00", Format { expected: "HH:MM" }),
            ("0700", Format { expected: "HH:MM" }),
            (" 07:00", Format { expected: "HH:MM" }),
            ("", Format { expected: "HH:MM" }),
            ("０７:00", FullWidthDigits),
        ] {
            assert_eq!(
                TimeOfDay::parse(input).err().map(|e| e.kind()),
                Some(kind),
                "{input:?}"
            );
        }
    }

    #[test]
    fn time_windows() {
        let early = TimeWindow {
            from: time("02:00"),
            to: time("05:00"),
        };
        assert!(early.contains(time("02:00")));
        assert!(early.contains(time("04:59")));
        assert!(!early.contains(time("05:00")));
        assert!(!early.contains(time("01:59")));

        let night = TimeWindow {
            from: time("22:00"),
            to: time("02:00"),
        };
        for inside in ["22:00", "23:59", "00:00", "01:59"] {
            assert!(night.contains(time(inside)), "{inside}");
        }
        for outside in ["02:00", "12:00", "21:59"] {
            assert!(!night.contains(time(outside)), "{outside}");
        }

        let to_midnight = TimeWindow {
            from: time("18:00"),
            to: time("00:00"),
        };
        assert!(to_midnight.contains(time("23:59")));
        assert!(!to_midnight.contains(time("00:00")));

        let empty = TimeWindow {
            from: time("08:00"),
            to: time("08:00"),
        };
        assert!(!empty.contains(time("08:00")));
        assert!(!empty.contains(time("12:00")));
    }

    #[test]
    fn serde_uses_the_text_form() {
        assert_eq!(
            serde_json::to_string(&date("2024-02-29")).ok().as_deref(),
            Some("\"2024-02-29\"")
        );
        assert_eq!(
            serde_json::to_string(&md("11-01")).ok().as_deref(),
            Some("\"11-01\"")
        );
        assert_eq!(
            serde_json::to_string(&time("07:05")).ok().as_deref(),
            Some("\"07:05\"")
        );
        assert_eq!(
            serde_json::from_str::<Date>("\"2024-02-29\"").ok(),
            Some(date("2024-02-29"))
        );
        assert_eq!(
            serde_json::from_str::<MonthDay>("\"11-01\"").ok(),
            Some(md("11-01"))
        );
        assert_eq!(
            serde_json::from_str::<TimeOfDay>("\"22:00\"").ok(),
            Some(time("22:00"))
        );

        let error = serde_json::from_str::<Date>("\"2023-02-29\"")
            .err()
            .map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(
                |e| e.starts_with("invalid date `2023-02-29`: 2023 has no February 29")
            ),
            "{error:?}"
        );
        let error = serde_json::from_str::<Date>("20230229")
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("a date as a string, YYYY-MM-DD")),
            "{error:?}"
        );
        assert!(serde_json::from_str::<TimeOfDay>("\"25:00\"").is_err());
        assert!(serde_json::from_str::<MonthDay>("\"02-30\"").is_err());
    }

    #[test]
    fn json_schemas() {
        let date_schema = schemars::schema_for!(Date);
        assert_eq!(date_schema.get("type"), Some(&serde_json::json!("string")));
        assert_eq!(date_schema.get("format"), Some(&serde_json::json!("date")));
        let md_schema = schemars::schema_for!(MonthDay);
        assert_eq!(
            md_schema.get("pattern"),
            Some(&serde_json::json!("^[0-9]{2}-[0-9]{2}$"))
        );
        let time_schema = schemars::schema_for!(TimeOfDay);
        assert_eq!(
            time_schema.get("pattern"),
            Some(&serde_json::json!("^[0-9]{2}:[0-9]{2}$"))
        );
    }

    fn date_strategy() -> impl Strategy<Value = Date> {
        (MIN_DAYS..=MAX_DAYS).prop_filter_map("in range", Date::from_days)
    }

    proptest! {
        #[test]
        fn days_round_trip(days in MIN_DAYS..=MAX_DAYS) {
            let d = Date::from_days(days);
            prop_assert!(d.is_some());
            prop_assert_eq!(d.map(Date::to_days), Some(days));
        }

        #[test]
        fn dates_round_trip(year in 1i32..=9999, month in 1u32..=12, day in 1u32..=31) {
            if let Some(d) = Date::new(year, month, day) {
                prop_assert_eq!(Date::from_days(d.to_days()), Some(d));
                prop_assert_eq!(Date::parse(&d.to_string()), Ok(d));
            } else {
                prop_assert!(day > 28);
            }
        }

        #[test]
        fn order_matches_day_count(a in date_strategy(), b in date_strategy()) {
            prop_assert_eq!(a.cmp(&b), a.to_days().cmp(&b.to_days()));
            prop_assert_eq!(a.days_until(b), b.to_days() - a.to_days());
        }

        #[test]
        fn add_days_inverts(d in date_strategy(), n in -1_000_000i64..=1_000_000) {
            if let Some(later) = d.add_days(n) {
                prop_assert_eq!(d.days_until(later), n);
                prop_assert_eq!(later.add_days(-n), Some(d));
            }
        }

        #[test]
        fn add_months_stays_in_target_month(d in date_strategy(), n in -2_000i64..=2_000) {
            if let Some(moved) = d.add_months(n) {
                let months = |x: Date| i64::from(x.year()) * 12 + i64::from(x.month());
                prop_assert_eq!(months(moved) - months(d), n);
                prop_assert!(moved.day() <= d.day());
                if moved.day() < d.day() {
                    prop_assert!(moved.add_days(1).map(Date::month) != Some(moved.month()));
                }
            }
        }

        #[test]
        fn parsers_never_panic(s in any::<String>()) {
            let _ = Date::parse(&s);
            let _ = MonthDay::parse(&s);
            let _ = TimeOfDay::parse(&s);
        }

        #[test]
        fn parsers_never_panic_on_date_like_text(s in "[0-9:\\-]{0,12}") {
            if let Ok(d) = Date::parse(&s) {
                prop_assert_eq!(d.to_string(), s.clone());
            }
            if let Ok(md) = MonthDay::parse(&s) {
                prop_assert_eq!(md.to_string(), s.clone());
            }
            if let Ok(t) = TimeOfDay::parse(&s) {
                prop_assert_eq!(t.to_string(), s);
            }
        }

        #[test]
        fn time_window_contains_whole_minutes(from_h in 0u32..24, from_m in 0u32..60, to_h in 0u32..24, to_m in 0u32..60) {
            // The window holds exactly (to - from) mod 24h minutes.
            let (Some(from), Some(to)) = (TimeOfDay::new(from_h, from_m), TimeOfDay::new(to_h, to_m)) else {
                return Err(TestCaseError::fail("generated an invalid time"));
            };
            let window = TimeWindow { from, to };
            let inside = (0..24 * 60)
                .filter_map(|m| TimeOfDay::new(m / 60, m % 60))
                .filter(|t| window.contains(*t))
                .count();
            let length = (i64::from(to_h * 60 + to_m) - i64::from(from_h * 60 + from_m)).rem_euclid(24 * 60);
            prop_assert_eq!(i64::try_from(inside).ok(), Some(length));
        }
    }
}
