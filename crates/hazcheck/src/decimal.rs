//! Exact decimal numbers for thresholds in rulesets and values in answers.
//!
//! Legal limits are written as decimals ("19.5 m", "80 % of the rated load"),
//! and a measured value that sits exactly on such a limit must compare as
//! equal to it. Binary floating point cannot promise that, so every number the
//! engine compares or multiplies is a [`Decimal`]: an integer mantissa with a
//! power-of-ten scale, exact for everything that can be written with at most
//! 30 significant digits and 28 decimal places.
//!
//! ```
//! use hazcheck::Decimal;
//!
//! // An oxygen reading of 19.5 % is on the lower limit of 19.5 %, however
//! // either is written.
//! let limit = Decimal::parse("19.5")?;
//! assert_eq!(Decimal::parse("19.50")?, limit);
//! assert_eq!(Decimal::parse("1.95e1")?, limit);
//! assert!(Decimal::parse("19.49")? < limit);
//!
//! // 80 % of a 2.5 m code value is exactly 2.0 m: a 2.0 m exit is not
//! // "less than 80 %".
//! let eighty_percent = Decimal::parse("0.8")?
//!     .checked_mul(Decimal::parse("2.5")?)
//!     .ok_or("out of range")?;
//! assert_eq!(eighty_percent, Decimal::from_i64(2));
//! assert!(Decimal::parse("2.0")? >= eighty_percent);
//! assert!(Decimal::parse("1.99")? < eighty_percent);
//!
//! // Where binary floating point misses by a little, decimals do not.
//! assert_ne!(0.8_f64 * 1.1, 0.88);
//! let product = Decimal::parse("0.8")?.checked_mul(Decimal::parse("1.1")?);
//! assert_eq!(product, Some(Decimal::parse("0.88")?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One more than the largest mantissa magnitude; keeps values to 30 digits,
/// which leaves i128 room to align scales in additions without overflowing.
const MANTISSA_LIMIT: u128 = 10u128.pow(Decimal::MAX_DIGITS);

/// Half the digits of a mantissa, used to multiply in two pieces so that the
/// full product never has to fit in one integer.
const HALF_LIMIT: u128 = 10u128.pow(Decimal::MAX_DIGITS / 2);

/// An exact decimal number: `mantissa / 10^scale`.
///
/// Values are always kept normalized (no trailing zeros in the mantissa of a
/// fractional value, and zero has scale 0), which is what makes the derived
/// equality and hash agree with numeric equality: `19.5` and `19.50` are the
/// same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl Decimal {
    /// The largest number of decimal places a value may have.
    pub const MAX_SCALE: u32 = 28;

    /// The largest number of significant digits a value may have; larger
    /// magnitudes are out of range.
    pub const MAX_DIGITS: u32 = 30;

    /// The number zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// The number one.
    pub const ONE: Decimal = Decimal {
        mantissa: 1,
        scale: 0,
    };

    /// Builds a normalized value, or `None` when it is out of range.
    fn from_parts(mantissa: i128, scale: u32) -> Option<Decimal> {
        let mut mantissa = mantissa;
        let mut scale = scale;
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        if scale > Self::MAX_SCALE || mantissa.unsigned_abs() >= MANTISSA_LIMIT {
            return None;
        }
        Some(Decimal { mantissa, scale })
    }

    /// The integer `v` as a decimal; every `i64` is in range.
    pub const fn from_i64(v: i64) -> Decimal {
        Decimal {
            mantissa: v as i128,
            scale: 0,
        }
    }

    /// The decimal that `v` is written as: the shortest decimal text that
    /// reads back as the same `f64`, so `19.5` gives exactly 19.5 and `0.1`
    /// gives exactly 0.1 rather than the binary value nearest to it.
    ///
    /// Returns `None` for NaN, infinities and values that need more than 30
    /// significant digits or more than 28 decimal places (such as `1e300` or
    /// `1e-40`).
    ///
    /// ```
    /// use hazcheck::Decimal;
    ///
    /// assert_eq!(Decimal::from_f64(0.1), Some(Decimal::parse("0.1")?));
    /// assert_eq!(Decimal::from_f64(19.5), Some(Decimal::parse("19.5")?));
    /// assert_eq!(Decimal::from_f64(f64::NAN), None);
    /// assert_eq!(Decimal::from_f64(1e300), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_f64(v: f64) -> Option<Decimal> {
        if !v.is_finite() {
            return None;
        }
        // `{:e}` prints the shortest round-trip digits, and the exponent form
        // keeps the text short for very large or very small values.
        Decimal::parse(&format!("{v:e}")).ok()
    }

    /// Parses a number written as an optional sign, ASCII digits, an optional
    /// fraction and an optional exponent: `-12.50`, `+3`, `1e3`, `2.5E-2`.
    ///
    /// A fraction needs digits on both sides of the point (`.5` and `5.` are
    /// rejected), and whitespace, thousands separators, `NaN`, `inf` and
    /// full-width digits are not accepted. The value is exact: trailing
    /// zeros and exponents do not change it.
    ///
    /// ```
    /// use hazcheck::Decimal;
    /// use hazcheck::decimal::DecimalErrorKind;
    ///
    /// assert_eq!(Decimal::parse("-12.50")?.to_string(), "-12.5");
    /// assert_eq!(Decimal::parse("2.5E-2")?.to_string(), "0.025");
    /// assert_eq!(Decimal::parse("1e3")?, Decimal::from_i64(1000));
    ///
    /// let kind = |text: &str| Decimal::parse(text).map_err(|e| e.kind());
    /// assert_eq!(kind(" 6.2"), Err(DecimalErrorKind::Whitespace));
    /// assert_eq!(kind(".5"), Err(DecimalErrorKind::Syntax));
    /// assert_eq!(kind("1,000"), Err(DecimalErrorKind::Syntax));
    /// assert_eq!(kind("１２"), Err(DecimalErrorKind::FullWidthDigits));
    /// assert_eq!(kind("1e-29"), Err(DecimalErrorKind::TooManyDecimals));
    ///
    /// let error = Decimal::parse("6.2 m").unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "invalid number `6.2 m`: whitespace is not allowed in a number"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(s: &str) -> Result<Decimal, DecimalError> {
        parse_decimal(s).map_err(|kind| DecimalError {
            input: s.to_owned(),
            kind,
        })
    }

    /// The sum, or `None` when it is out of range.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        // An overflow while aligning means the exact sum has more than 30
        // digits: the operand with the larger scale ends in a non-zero digit,
        // so nothing can cancel back into range.
        let a = self.mantissa.checked_mul(pow10(scale - self.scale)?)?;
        let b = other.mantissa.checked_mul(pow10(scale - other.scale)?)?;
        Decimal::from_parts(a.checked_add(b)?, scale)
    }

    /// The difference, or `None` when it is out of range.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        let negated = Decimal {
            mantissa: other.mantissa.checked_neg()?,
            scale: other.scale,
        };
        self.checked_add(negated)
    }

    /// The exact product, or `None` when it needs more than 30 significant
    /// digits or more than 28 decimal places. Nothing is rounded: a product
    /// that does not fit is refused, and evaluation makes a comparison
    /// with it unknown rather than deciding it on a rounded value.
    ///
    /// ```
    /// use hazcheck::Decimal;
    ///
    /// let factor = Decimal::parse("0.75")?;
    /// let required = Decimal::parse("8.8")?;
    /// assert_eq!(factor.checked_mul(required), Some(Decimal::parse("6.6")?));
    ///
    /// // 10^29 has 30 digits; ten times it has 31.
    /// let big = Decimal::parse("1e29")?;
    /// assert_eq!(big.checked_mul(Decimal::from_i64(10)), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        if self.mantissa == 0 || other.mantissa == 0 {
            return Some(Decimal::ZERO);
        }
        let negative = (self.mantissa < 0) != (other.mantissa < 0);
        let scale = self.scale.checked_add(other.scale)?;
        let (high, low) =
            wide_product(self.mantissa.unsigned_abs(), other.mantissa.unsigned_abs())?;

        // The raw product can have up to 60 digits even when the value fits
        // (2^90 times 5^40 / 10^28 is 2^50 * 10^12), so trailing zeros are
        // dropped from the wide product before it is narrowed to one integer.
        let zeros = if low == 0 {
            trailing_zeros(high).checked_add(Self::MAX_DIGITS)?
        } else {
            trailing_zeros(low)
        };
        let dropped = zeros.min(scale);
        let magnitude = if dropped >= Self::MAX_DIGITS {
            high / upow10(dropped - Self::MAX_DIGITS)?
        } else {
            high.checked_mul(upow10(Self::MAX_DIGITS - dropped)?)?
                .checked_add(low / upow10(dropped)?)?
        };
        if magnitude >= MANTISSA_LIMIT {
            return None;
        }
        let magnitude = i128::try_from(magnitude).ok()?;
        let mantissa = if negative {
            magnitude.checked_neg()?
        } else {
            magnitude
        };
        Decimal::from_parts(mantissa, scale - dropped)
    }

    /// The absolute value.
    pub fn abs(self) -> Decimal {
        // Saturation cannot happen for an in-range mantissa; it only keeps
        // this free of any panicking path.
        Decimal {
            mantissa: self.mantissa.saturating_abs(),
            scale: self.scale,
        }
    }

    /// Whether the value has no fractional part.
    pub fn is_integer(self) -> bool {
        self.scale == 0
    }

    /// Whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// The value as an `i64`, if it is an integer within `i64`'s range.
    pub fn to_i64(self) -> Option<i64> {
        if self.scale != 0 {
            return None;
        }
        i64::try_from(self.mantissa).ok()
    }

    /// The `f64` nearest to the value.
    pub fn to_f64(self) -> f64 {
        // The standard library's parser rounds correctly; dividing the
        // mantissa by a power of ten would round twice.
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The integer part and the fraction scaled to `MAX_SCALE` places, both
    /// truncated towards zero. Comparing these pairs lexicographically orders
    /// values correctly and never needs more than 29 digits.
    fn integer_and_fraction(self) -> (i128, i128) {
        let (Some(unit), Some(widen)) = (
            pow10(self.scale),
            Self::MAX_SCALE.checked_sub(self.scale).and_then(pow10),
        ) else {
            return (self.mantissa, 0);
        };
        (
            self.mantissa / unit,
            (self.mantissa % unit).saturating_mul(widen),
        )
    }
}

fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

fn upow10(exp: u32) -> Option<u128> {
    10u128.checked_pow(exp)
}

/// Number of trailing decimal zeros; zero itself counts as having none so
/// that callers never loop forever.
fn trailing_zeros(mut n: u128) -> u32 {
    let mut count = 0;
    while n != 0 && n.is_multiple_of(10) {
        n /= 10;
        count += 1;
    }
    count
}

/// Multiplies two mantissas below `10^30` and returns the product as
/// `high * 10^30 + low` with both words below `10^30`.
fn wide_product(a: u128, b: u128) -> Option<(u128, u128)> {
    if a >= MANTISSA_LIMIT || b >= MANTISSA_LIMIT {
        return None;
    }
    let (a_high, a_low) = (a / HALF_LIMIT, a % HALF_LIMIT);
    let (b_high, b_low) = (b / HALF_LIMIT, b % HALF_LIMIT);
    // Each partial product is below 2 * 10^30, far inside u128.
    let top = a_high.checked_mul(b_high)?;
    let middle = a_high
        .checked_mul(b_low)?
        .checked_add(a_low.checked_mul(b_high)?)?;
    let bottom = a_low.checked_mul(b_low)?;

    let low_sum = bottom.checked_add((middle % HALF_LIMIT).checked_mul(HALF_LIMIT)?)?;
    let high = top
        .checked_add(middle / HALF_LIMIT)?
        .checked_add(low_sum / MANTISSA_LIMIT)?;
    Some((high, low_sum % MANTISSA_LIMIT))
}

/// Splits off the leading run of ASCII digits.
fn split_digits(bytes: &[u8]) -> (&[u8], &[u8]) {
    let end = bytes
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(bytes.len());
    bytes.split_at_checked(end).unwrap_or((bytes, &[]))
}

/// Splits off an optional leading sign; `true` means negative.
fn split_sign(bytes: &[u8]) -> (bool, &[u8]) {
    match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, bytes),
    }
}

fn is_full_width_digit(c: char) -> bool {
    ('\u{FF10}'..='\u{FF19}').contains(&c)
}

fn parse_decimal(s: &str) -> Result<Decimal, DecimalErrorKind> {
    if s.is_empty() {
        return Err(DecimalErrorKind::Empty);
    }
    // Checked before the syntax so that the message names the real problem
    // instead of a generic "expected digits".
    if s.chars().any(is_full_width_digit) {
        return Err(DecimalErrorKind::FullWidthDigits);
    }
    if s.chars().any(char::is_whitespace) {
        return Err(DecimalErrorKind::Whitespace);
    }

    let (negative, rest) = split_sign(s.as_bytes());
    let (int_digits, rest) = split_digits(rest);
    if int_digits.is_empty() {
        return Err(DecimalErrorKind::Syntax);
    }
    let (frac_digits, rest) = match rest.split_first() {
        Some((b'.', after)) => {
            let (frac, rest) = split_digits(after);
            if frac.is_empty() {
                return Err(DecimalErrorKind::Syntax);
            }
            (frac, rest)
        }
        _ => (&[][..], rest),
    };
    let exponent = match rest.split_first() {
        None => 0,
        Some((b'e' | b'E', after)) => {
            let (exp_negative, after) = split_sign(after);
            let (exp_digits, rest) = split_digits(after);
            if exp_digits.is_empty() || !rest.is_empty() {
                return Err(DecimalErrorKind::Syntax);
            }
            // Saturating is enough: any exponent this large is out of range
            // unless the digits are all zero, and then it does not matter.
            let magnitude = exp_digits.iter().fold(0i64, |acc, &b| {
                acc.saturating_mul(10)
                    .saturating_add(i64::from(b.wrapping_sub(b'0')))
            });
            if exp_negative { -magnitude } else { magnitude }
        }
        Some(_) => return Err(DecimalErrorKind::Syntax),
    };

    // Leading zeros are skipped and zeros after the last non-zero digit are
    // folded into the exponent, so "0001e2" and "100.000" stay cheap and
    // only significant digits count against the limit.
    let mut mantissa: u128 = 0;
    let mut digits: u32 = 0;
    let mut pending_zeros: u32 = 0;
    for &b in int_digits.iter().chain(frac_digits) {
        let digit = u128::from(b.wrapping_sub(b'0'));
        if digit == 0 {
            if digits > 0 {
                pending_zeros = pending_zeros.saturating_add(1);
            }
            continue;
        }
        digits = digits
            .checked_add(pending_zeros)
            .and_then(|d| d.checked_add(1))
            .filter(|&d| d <= Decimal::MAX_DIGITS)
            .ok_or(DecimalErrorKind::OutOfRange)?;
        mantissa = upow10(pending_zeros)
            .and_then(|shift| mantissa.checked_mul(shift))
            .and_then(|m| m.checked_mul(10))
            .and_then(|m| m.checked_add(digit))
            .ok_or(DecimalErrorKind::OutOfRange)?;
        pending_zeros = 0;
    }
    if mantissa == 0 {
        return Ok(Decimal::ZERO);
    }

    let frac_len = i64::try_from(frac_digits.len()).unwrap_or(i64::MAX);
    let exponent = exponent
        .saturating_sub(frac_len)
        .saturating_add(i64::from(pending_zeros));
    let (mantissa, scale) = if exponent >= 0 {
        let total_digits = i64::from(digits).saturating_add(exponent);
        if total_digits > i64::from(Decimal::MAX_DIGITS) {
            return Err(DecimalErrorKind::OutOfRange);
        }
        let shift = u32::try_from(exponent).map_err(|_| DecimalErrorKind::OutOfRange)?;
        let widened = upow10(shift)
            .and_then(|p| mantissa.checked_mul(p))
            .ok_or(DecimalErrorKind::OutOfRange)?;
        (widened, 0)
    } else {
        let scale = exponent
            .checked_neg()
            .and_then(|e| u32::try_from(e).ok())
            .filter(|&e| e <= Decimal::MAX_SCALE)
            .ok_or(DecimalErrorKind::TooManyDecimals)?;
        (mantissa, scale)
    };
    let signed = i128::try_from(mantissa).map_err(|_| DecimalErrorKind::OutOfRange)?;
    let signed = if negative {
        signed.checked_neg().ok_or(DecimalErrorKind::OutOfRange)?
    } else {
        signed
    };
    Decimal::from_parts(signed, scale).ok_or(DecimalErrorKind::OutOfRange)
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        // Thresholds and answers mostly have few digits: aligning them to a
        // common scale is one multiplication. Aligning 30-digit mantissas
        // could need 58 digits, which splitting into integer and fraction
        // parts never does (at the cost of two divisions).
        let aligned = match self.scale.cmp(&other.scale) {
            Ordering::Equal => Some((self.mantissa, other.mantissa)),
            Ordering::Less => pow10(other.scale - self.scale)
                .and_then(|f| self.mantissa.checked_mul(f))
                .map(|m| (m, other.mantissa)),
            Ordering::Greater => pow10(self.scale - other.scale)
                .and_then(|f| other.mantissa.checked_mul(f))
                .map(|m| (self.mantissa, m)),
        };
        match aligned {
            Some((a, b)) => a.cmp(&b),
            None => self
                .integer_and_fraction()
                .cmp(&other.integer_and_fraction()),
        }
    }
}

impl fmt::Display for Decimal {
    /// Writes the canonical form without an exponent: `2.5`, `-3`, `0.002`,
    /// `100`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = usize::try_from(self.scale).map_err(|_| fmt::Error)?;
        let text = if scale == 0 {
            format!("{sign}{digits}")
        } else if let Some(point) = digits.len().checked_sub(scale).filter(|&p| p > 0) {
            let (int, frac) = digits.split_at_checked(point).ok_or(fmt::Error)?;
            format!("{sign}{int}.{frac}")
        } else {
            let zeros = "0".repeat(scale.saturating_sub(digits.len()));
            format!("{sign}0.{zeros}{digits}")
        };
        f.pad(&text)
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Decimal, DecimalError> {
        Decimal::parse(s)
    }
}

/// Why a text is not a valid [`Decimal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecimalErrorKind {
    /// The text is empty.
    Empty,
    /// The text contains whitespace, around or inside the number.
    Whitespace,
    /// The text uses full-width digits such as `１２`.
    FullWidthDigits,
    /// The text is not an optionally signed number with an optional fraction
    /// and exponent.
    Syntax,
    /// The value needs more than [`Decimal::MAX_DIGITS`] significant digits.
    OutOfRange,
    /// The value needs more than [`Decimal::MAX_SCALE`] decimal places.
    TooManyDecimals,
}

impl fmt::Display for DecimalErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecimalErrorKind::Empty => f.write_str("the text is empty, expected a number"),
            DecimalErrorKind::Whitespace => f.write_str("whitespace is not allowed in a number"),
            DecimalErrorKind::FullWidthDigits => {
                f.write_str("full-width digits are not accepted, use ASCII digits 0-9")
            }
            DecimalErrorKind::Syntax => {
                f.write_str("expected digits with an optional sign, fraction and exponent")
            }
            DecimalErrorKind::OutOfRange => write!(
                f,
                "out of range, at most {} significant digits are supported",
                Decimal::MAX_DIGITS
            ),
            DecimalErrorKind::TooManyDecimals => write!(
                f,
                "too many decimal places, at most {} are supported",
                Decimal::MAX_SCALE
            ),
        }
    }
}

/// A text that could not be parsed as a [`Decimal`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid number `{input}`: {kind}")]
pub struct DecimalError {
    input: String,
    kind: DecimalErrorKind,
}

impl DecimalError {
    /// The text that was rejected.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why it was rejected.
    pub fn kind(&self) -> DecimalErrorKind {
        self.kind
    }
}

impl Serialize for Decimal {
    /// Writes a JSON number: an integer when the value is one that fits in
    /// `i64`, otherwise the nearest `f64`, whose shortest form prints the same
    /// digits for values with up to 15 significant digits.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.to_i64() {
            Some(int) => serializer.serialize_i64(int),
            None => serializer.serialize_f64(self.to_f64()),
        }
    }
}

impl<'de> Deserialize<'de> for Decimal {
    /// Reads an integer, a float (by its shortest decimal form) or a string
    /// holding a number.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(DecimalVisitor)
    }
}

struct DecimalVisitor;

impl DecimalVisitor {
    fn out_of_range<E: de::Error>(value: impl fmt::Display) -> E {
        E::custom(format_args!(
            "number {value} is out of range: at most {} significant digits and {} decimal places are supported",
            Decimal::MAX_DIGITS,
            Decimal::MAX_SCALE
        ))
    }
}

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a string holding a number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from_i64(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Decimal::from_parts(i128::from(v), 0).ok_or_else(|| Self::out_of_range(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Decimal, E> {
        Decimal::from_parts(v, 0).ok_or_else(|| Self::out_of_range(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Decimal, E> {
        i128::try_from(v)
            .ok()
            .and_then(|v| Decimal::from_parts(v, 0))
            .ok_or_else(|| Self::out_of_range(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom(format_args!(
                "expected a finite number, found {v}"
            )));
        }
        // Exponent form keeps 1e300 from printing as 301 digits.
        Decimal::from_f64(v).ok_or_else(|| Self::out_of_range(format!("{v:e}")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        Decimal::parse(v).map_err(E::custom)
    }
}

impl schemars::JsonSchema for Decimal {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Decimal")
    }

    fn schema_id() -> Cow<'static, str> {
        Cow::Borrowed(concat!(module_path!(), "::Decimal"))
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "number" })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    use proptest::prelude::*;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn hash_of(d: Decimal) -> u64 {
        let mut hasher = DefaultHasher::new();
        d.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn parses_valid_numbers() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("+0.000", "0"),
            ("0e999999999999999999999", "0"),
            ("3", "3"),
            ("+3", "3"),
            ("-12.50", "-12.5"),
            ("007", "7"),
            ("1e3", "1000"),
            ("1E3", "1000"),
            ("1e+3", "1000"),
            ("2.5E-2", "0.025"),
            ("2.5e-7", "0.00000025"),
            ("100", "100"),
            ("100.000", "100"),
            ("0.002", "0.002"),
            ("-0.1", "-0.1"),
            ("12345.678e-2", "123.45678"),
            ("1000e-3", "1"),
            (
                "999999999999999999999999999999",
                "999999999999999999999999999999",
            ),
            (
                "-999999999999999999999999999999",
                "-999999999999999999999999999999",
            ),
            ("1e29", "100000000000000000000000000000"),
            ("1e-28", "0.0000000000000000000000000001"),
            (
                "123456789012345678901234567890e-28",
                "12.3456789012345678901234567890",
            ),
            (
                "0.00000000000000000000000000010000",
                "0.0000000000000000000000000001",
            ),
            (
                "1000000000000000000000000000000e-1",
                "100000000000000000000000000000",
            ),
        ];
        for (input, expected) in cases {
            let parsed = Decimal::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            // The expected text may itself be non-canonical; compare values.
            assert_eq!(parsed, dec(expected), "{input}");
        }
    }

    #[test]
    fn rejects_invalid_numbers() {
        use DecimalErrorKind::*;
        let cases = [
            ("", Empty),
            (" 1", Whitespace),
            ("1 ", Whitespace),
            ("1 000", Whitespace),
            ("\t2", Whitespace),
            ("１２", FullWidthDigits),
            ("1２", FullWidthDigits),
            ("abc", Syntax),
            ("1.2.3", Syntax),
            (".5", Syntax),
            ("5.", Syntax),
            ("-.5", Syntax),
            ("-", Syntax),
            ("+", Syntax),
            ("--1", Syntax),
            ("+-1", Syntax),
            ("1e", Syntax),
            ("1e+", Syntax),
            ("e5", Syntax),
            ("1e5.0", Syntax),
            ("1e5e5", Syntax),
            ("NaN", Syntax),
            ("nan", Syntax),
            ("inf", Syntax),
            ("-inf", Syntax),
            ("Infinity", Syntax),
            ("1,000", Syntax),
            ("1_000", Syntax),
            ("1'000", Syntax),
            ("0x10", Syntax),
            ("1.5%", Syntax),
            ("٣", Syntax),
            ("1000000000000000000000000000000", OutOfRange),
            ("1234567890123456789012345678901", OutOfRange),
            ("0.1234567890123456789012345678901", OutOfRange),
            ("1e30", OutOfRange),
            ("1e300", OutOfRange),
            ("1e99999999999999999999999", OutOfRange),
            ("1e-29", TooManyDecimals),
            ("1e-40", TooManyDecimals),
            ("0.00000000000000000000000000001", TooManyDecimals),
            ("1e-99999999999999999999999", TooManyDecimals),
        ];
        for (input, kind) in cases {
            match Decimal::parse(input) {
                Ok(d) => panic!("{input:?} parsed as {d}"),
                Err(e) => {
                    assert_eq!(e.kind(), kind, "{input:?}");
                    assert_eq!(e.input(), input);
                }
            }
        }
    }

    #[test]
    fn error_messages() {
        let message = |s: &str| {
            Decimal::parse(s)
                .map(|_| String::new())
                .unwrap_or_else(|e| e.to_string())
        };
        assert_eq!(
            message("abc"),
            "invalid number `abc`: expected digits with an optional sign, fraction and exponent"
        );
        assert_eq!(
            message("１２"),
            "invalid number `１２`: full-width digits are not accepted, use ASCII digits 0-9"
        );
        assert_eq!(
            message("1e40"),
            "invalid number `1e40`: out of range, at most 30 significant digits are supported"
        );
        assert_eq!(
            message("1e-40"),
            "invalid number `1e-40`: too many decimal places, at most 28 are supported"
        );
        assert_eq!(
            message(""),
            "invalid number ``: the text is empty, expected a number"
        );
        assert_eq!(
            message(" 1"),
            "invalid number ` 1`: whitespace is not allowed in a number"
        );
        for input in ["abc", "１２", "1e40", "1e-40", "", " 1"] {
            let text = message(input);
            assert!(!text.ends_with('.'), "{text}");
            assert!(text.starts_with("invalid number"), "{text}");
        }
    }

    #[test]
    fn from_str_matches_parse() {
        assert_eq!("19.50".parse::<Decimal>(), Ok(dec("19.5")));
        assert!("x".parse::<Decimal>().is_err());
    }

    #[test]
    fn displays_canonical_form() {
        let cases = [
            ("2.50", "2.5"),
            ("-3", "-3"),
            ("-3.000", "-3"),
            ("0.002", "0.002"),
            ("-0.002", "-0.002"),
            ("1e2", "100"),
            ("0", "0"),
            ("-0.0", "0"),
            ("12.034", "12.034"),
            ("0.5", "0.5"),
            ("10.5", "10.5"),
            ("1e-28", "0.0000000000000000000000000001"),
            (
                "-999999999999999999999999999999",
                "-999999999999999999999999999999",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(dec(input).to_string(), expected, "{input}");
        }
        assert_eq!(format!("{:>6}", dec("2.5")), "   2.5");
    }

    #[test]
    fn eighty_percent_of_two_and_a_half_is_exactly_two() {
        let product = dec("0.8").checked_mul(dec("2.5"));
        assert_eq!(product, Some(dec("2")));
        assert_eq!(product, Some(Decimal::from_i64(2)));
        assert!(product.is_some_and(Decimal::is_integer));
    }

    #[test]
    fn equal_values_are_equal_and_hash_alike() {
        assert_eq!(dec("19.5"), dec("19.50"));
        assert_eq!(dec("19.5").cmp(&dec("19.50")), Ordering::Equal);
        assert_eq!(hash_of(dec("19.5")), hash_of(dec("19.50")));
        assert_eq!(dec("100"), dec("1e2"));
        assert_eq!(hash_of(dec("0")), hash_of(dec("-0.00")));
        assert_eq!(Decimal::from_f64(19.5), Some(dec("19.50")));
        assert_eq!(dec("0.1").checked_add(dec("0.2")), Some(dec("0.3")));
    }

    #[test]
    fn orders_numerically() {
        let ascending = [
            "-999999999999999999999999999999",
            "-100",
            "-19.5",
            "-19.4999999999999999999999999999",
            "-2",
            "-1.5",
            "-1.2",
            "-1",
            "-0.5",
            "-0.0000000000000000000000000001",
            "0",
            "0.0000000000000000000000000001",
            "0.3",
            "0.5",
            "1",
            "1.0000000000000000000000000001",
            "1.2",
            "2",
            "19.4999999999999999999999999999",
            "19.5",
            "19.51",
            "100",
            "99999999999999999999999999999.9",
            "999999999999999999999999999999",
        ];
        let values: Vec<Decimal> = ascending.iter().map(|s| dec(s)).collect();
        for (i, a) in values.iter().enumerate() {
            for (j, b) in values.iter().enumerate() {
                assert_eq!(a.cmp(b), i.cmp(&j), "{a} vs {b}");
                assert_eq!(a.partial_cmp(b), Some(i.cmp(&j)));
            }
        }
        assert!(dec("19.5") <= dec("19.50"));
        assert!(dec("19.5") >= dec("19.50"));
    }

    #[test]
    fn from_f64_uses_shortest_decimal() {
        assert_eq!(Decimal::from_f64(0.1), Some(dec("0.1")));
        assert_eq!(Decimal::from_f64(19.5), Some(dec("19.5")));
        assert_eq!(Decimal::from_f64(1e-7), Some(dec("0.0000001")));
        assert_eq!(Decimal::from_f64(2.5e-7), Some(dec("0.00000025")));
        assert_eq!(Decimal::from_f64(-3.0), Some(dec("-3")));
        assert_eq!(Decimal::from_f64(0.0), Some(Decimal::ZERO));
        assert_eq!(Decimal::from_f64(-0.0), Some(Decimal::ZERO));
        assert_eq!(Decimal::from_f64(1e20), Some(dec("100000000000000000000")));
        assert_eq!(
            Decimal::from_f64(0.1 + 0.2),
            Some(dec("0.30000000000000004"))
        );
        assert_eq!(Decimal::from_f64(1e300), None);
        assert_eq!(Decimal::from_f64(1e-40), None);
        assert_eq!(Decimal::from_f64(f64::NAN), None);
        assert_eq!(Decimal::from_f64(f64::INFINITY), None);
        assert_eq!(Decimal::from_f64(f64::NEG_INFINITY), None);
        assert_eq!(Decimal::from_f64(f64::MAX), None);
        assert_eq!(Decimal::from_f64(f64::MIN_POSITIVE), None);
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(dec("19.5").checked_sub(dec("19.50")), Some(Decimal::ZERO));
        assert_eq!(dec("1.05").checked_add(dec("-0.05")), Some(dec("1")));
        assert_eq!(dec("-2.5").checked_mul(dec("4")), Some(dec("-10")));
        assert_eq!(dec("-2.5").checked_mul(dec("-0.4")), Some(dec("1")));
        assert_eq!(
            dec("0.001").checked_mul(dec("0.001")),
            Some(dec("0.000001"))
        );
        assert_eq!(dec("123").checked_mul(Decimal::ZERO), Some(Decimal::ZERO));
        assert_eq!(dec("123.4").checked_mul(Decimal::ONE), Some(dec("123.4")));
        assert_eq!(dec("1e-14").checked_mul(dec("1e-14")), Some(dec("1e-28")));
    }

    #[test]
    fn multiplication_cancels_trailing_zeros_of_wide_products() {
        // 2^90 * 5^40 / 10^28 = 2^50 * 10^12: the raw product has 55 digits,
        // the value only 28.
        let a = dec("1237940039285380274899124224");
        let b = dec("0.9094947017729282379150390625");
        let expected = dec("1125899906842624000000000000");
        assert_eq!(a.checked_mul(b), Some(expected));
        assert_eq!(b.checked_mul(a), Some(expected));
        assert_eq!(
            a.checked_mul(b.checked_mul(dec("-1")).unwrap_or(b)),
            Some(dec("-1125899906842624e12"))
        );

        // 2^99 * 5^40 / 10^27 = 2^59 * 10^13 has 31 digits even after
        // cancelling, so it is out of range.
        let c = dec("633825300114114700748351602688");
        let d = dec("9.094947017729282379150390625");
        assert_eq!(c.checked_mul(d), None);

        // 2^40 / 10^14 * 5^40 / 10^28 = 10^40 / 10^42: the whole low word of
        // the wide product is zeros.
        let e = dec("0.01099511627776");
        assert_eq!(e.checked_mul(b), Some(dec("0.01")));
        assert_eq!(b.checked_mul(e), Some(dec("0.01")));
    }

    #[test]
    fn overflow_returns_none() {
        let max = dec("999999999999999999999999999999");
        let min = dec("-999999999999999999999999999999");
        let tiny = dec("1e-28");
        assert_eq!(max.checked_add(Decimal::ONE), None);
        assert_eq!(min.checked_sub(Decimal::ONE), None);
        assert_eq!(max.checked_add(tiny), None);
        assert_eq!(max.checked_mul(max), None);
        assert_eq!(max.checked_mul(min), None);
        assert_eq!(max.checked_mul(dec("1.1")), None);
        assert_eq!(tiny.checked_mul(tiny), None);
        assert_eq!(tiny.checked_mul(dec("0.1")), None);
        assert_eq!(dec("1e15").checked_mul(dec("1e15")), None);
        assert_eq!(max.checked_sub(max), Some(Decimal::ZERO));
        assert_eq!(max.checked_add(min), Some(Decimal::ZERO));
        assert_eq!(
            max.checked_mul(dec("0.1")),
            Some(dec("99999999999999999999999999999.9"))
        );
        assert_eq!(max.abs(), max);
        assert_eq!(min.abs(), max);
    }

    #[test]
    fn conversions() {
        assert_eq!(dec("-3").to_i64(), Some(-3));
        assert_eq!(dec("3.5").to_i64(), None);
        assert_eq!(dec("1e20").to_i64(), None);
        assert_eq!(Decimal::from_i64(i64::MIN).to_i64(), Some(i64::MIN));
        assert_eq!(
            Decimal::from_i64(i64::MAX).to_string(),
            i64::MAX.to_string()
        );
        assert_eq!(dec("19.5").to_f64(), 19.5);
        assert_eq!(dec("0.1").to_f64(), 0.1);
        assert_eq!(dec("-2.5e-7").to_f64(), -2.5e-7);
        assert!(dec("-0.5").is_negative());
        assert!(!Decimal::ZERO.is_negative());
        assert!(dec("100").is_integer());
        assert!(!dec("100.5").is_integer());
        assert_eq!(dec("-0.5").abs(), dec("0.5"));
        assert_eq!(Decimal::ONE.to_string(), "1");
    }

    #[test]
    fn serializes_as_json_numbers() {
        let json = |s: &str| serde_json::to_string(&dec(s)).unwrap_or_default();
        assert_eq!(json("2.5"), "2.5");
        assert_eq!(json("3"), "3");
        assert_eq!(json("-3"), "-3");
        assert_eq!(json("0.1"), "0.1");
        assert_eq!(json("19.5"), "19.5");
        assert_eq!(json("0"), "0");
        assert_eq!(json("9223372036854775807"), "9223372036854775807");
    }

    #[test]
    fn deserializes_numbers_and_strings() {
        let read = |text: &str| serde_json::from_str::<Decimal>(text);
        assert_eq!(read("19.5").ok(), Some(dec("19.5")));
        assert_eq!(read("0.1").ok(), Some(dec("0.1")));
        assert_eq!(read("-7").ok(), Some(dec("-7")));
        assert_eq!(
            read("18446744073709551615").ok(),
            Some(dec("18446744073709551615"))
        );
        assert_eq!(read("\"19.50\"").ok(), Some(dec("19.5")));
        assert_eq!(read("\"1e3\"").ok(), Some(dec("1000")));

        let error = |text: &str| read(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            error("\"abc\"").starts_with("invalid number `abc`: expected digits"),
            "{}",
            error("\"abc\"")
        );
        assert!(error("\"１２\"").contains("full-width digits"));
        assert!(
            error("1e300").starts_with("number 1e300 is out of range"),
            "{}",
            error("1e300")
        );
        assert!(
            error("true").contains("a number, or a string holding a number"),
            "{}",
            error("true")
        );
        assert!(error("null").contains("a number, or a string holding a number"));
    }

    #[test]
    fn visitor_rejects_non_finite_and_huge_integers() {
        use serde::de::value::Error as ValueError;
        let nan: Result<Decimal, ValueError> = DecimalVisitor.visit_f64(f64::NAN);
        assert_eq!(
            nan.err().map(|e| e.to_string()),
            Some("expected a finite number, found NaN".to_owned())
        );
        let huge: Result<Decimal, ValueError> = DecimalVisitor.visit_u128(u128::MAX);
        assert!(huge.is_err());
        let huge: Result<Decimal, ValueError> = DecimalVisitor.visit_i128(i128::MIN);
        assert!(huge.is_err());
        let fits: Result<Decimal, ValueError> = DecimalVisitor.visit_i128(-5);
        assert_eq!(fits, Ok(dec("-5")));
    }

    #[test]
    fn json_schema_is_a_number() {
        let schema = schemars::schema_for!(Decimal);
        assert_eq!(schema.get("type"), Some(&serde_json::json!("number")));
        assert!(<Decimal as schemars::JsonSchema>::inline_schema());
    }

    fn decimal_strategy() -> impl Strategy<Value = Decimal> {
        (1u32..=Decimal::MAX_DIGITS, 0u32..=Decimal::MAX_SCALE)
            .prop_flat_map(|(digits, scale)| {
                let limit = 10i128.pow(digits);
                (-limit + 1..limit, Just(scale))
            })
            .prop_filter_map("in range", |(m, s)| Decimal::from_parts(m, s))
    }

    proptest! {
        #[test]
        fn display_round_trips(x in decimal_strategy()) {
            prop_assert_eq!(Decimal::parse(&x.to_string()), Ok(x));
        }

        #[test]
        fn f64_round_trips_through_shortest_form(v in proptest::num::f64::NORMAL | proptest::num::f64::ZERO) {
            if let Some(d) = Decimal::from_f64(v) {
                prop_assert_eq!(d.to_f64(), v);
            }
        }

        #[test]
        fn ordering_agrees_with_f64_for_small_values(
            a in -999_999_999_999_999i64..=999_999_999_999_999,
            sa in 0u32..6,
            b in -999_999_999_999_999i64..=999_999_999_999_999,
            sb in 0u32..6,
        ) {
            // Up to 15 significant digits every decimal maps to a distinct
            // f64, so the orders must agree exactly.
            let x = Decimal::from_parts(i128::from(a), sa);
            let y = Decimal::from_parts(i128::from(b), sb);
            prop_assert!(x.is_some() && y.is_some());
            if let (Some(x), Some(y)) = (x, y) {
                prop_assert_eq!(Some(x.cmp(&y)), x.to_f64().partial_cmp(&y.to_f64()));
            }
        }

        #[test]
        fn ordering_is_monotone_with_f64_for_any_i64(a: i64, sa in 0u32..6, b: i64, sb in 0u32..6) {
            if let (Some(x), Some(y)) = (Decimal::from_parts(i128::from(a), sa), Decimal::from_parts(i128::from(b), sb)) {
                if x < y {
                    prop_assert!(x.to_f64() <= y.to_f64());
                }
                if x.to_f64() < y.to_f64() {
                    prop_assert!(x < y);
                }
            }
        }

        #[test]
        fn aligned_ordering_agrees_with_integer_and_fraction(x in decimal_strategy(), y in decimal_strategy()) {
            // The quick comparison (one multiplication) and the one that
            // never overflows must always agree.
            prop_assert_eq!(
                x.cmp(&y),
                x.integer_and_fraction().cmp(&y.integer_and_fraction())
            );
        }

        #[test]
        fn ordering_agrees_with_subtraction(x in decimal_strategy(), y in decimal_strategy()) {
            if let Some(diff) = x.checked_sub(y) {
                prop_assert_eq!(x.cmp(&y), diff.cmp(&Decimal::ZERO));
            }
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
            prop_assert_eq!(x == y, x.cmp(&y) == Ordering::Equal);
        }

        #[test]
        fn checked_mul_is_commutative(x in decimal_strategy(), y in decimal_strategy()) {
            prop_assert_eq!(x.checked_mul(y), y.checked_mul(x));
        }

        #[test]
        fn checked_mul_matches_integer_arithmetic(a: i64, b: i64, sa in 0u32..=14, sb in 0u32..=14) {
            // Small operands always fit, so the product must be exact.
            let (a, b) = (a / 1000, b / 1000);
            let x = Decimal::from_parts(i128::from(a), sa);
            let y = Decimal::from_parts(i128::from(b), sb);
            let expected = Decimal::from_parts(i128::from(a) * i128::from(b), sa + sb);
            if let (Some(x), Some(y)) = (x, y) {
                prop_assert_eq!(x.checked_mul(y), expected);
            }
        }

        #[test]
        fn add_then_sub_restores(x in decimal_strategy(), y in decimal_strategy()) {
            if let Some(sum) = x.checked_add(y) {
                prop_assert_eq!(sum.checked_sub(y), Some(x));
                prop_assert_eq!(y.checked_add(x), Some(sum));
            }
        }

        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = Decimal::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_number_like_text(s in "[-+0-9.eE]{0,45}") {
            if let Ok(d) = Decimal::parse(&s) {
                prop_assert_eq!(Decimal::parse(&d.to_string()), Ok(d));
            }
        }
    }
}
