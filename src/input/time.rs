//! Event times in input: text and JSON values to milliseconds since the
//! Unix epoch, UTC.
//!
//! # The rule
//!
//! A time is read as the first of these forms it matches:
//!
//! 1. **A date and time**, RFC 3339 and the common variants around it:
//!    `YYYY-MM-DD`, then optionally `T` (or `t`, or one space) and
//!    `HH:MM[:SS[.fraction]]`, then optionally an offset: `Z`, `±HH:MM`,
//!    `±HHMM`, `±HH` or `UTC`/`GMT` (one space may come before the
//!    offset). Without an offset the time is UTC; a date alone is midnight
//!    UTC. Fractions of a second are cut to the millisecond (toward the
//!    past); a leap second `:60` counts as the next second.
//!    Examples: `2024-05-01T09:30:00.250+02:00`, `2024-05-01 07:30:00 UTC`,
//!    `2024-05-01T07:30:00`, `2024-05-01`.
//! 2. **Exactly eight digits** `YYYYMMDD` that form a valid date (a string,
//!    or an integer JSON number): midnight UTC of that day. `19970101` is
//!    1 January 1997, not 19,970,101 seconds after 1970. Eight digits that
//!    start with `19` or `20` but are no valid date (`19970230`) are an
//!    error rather than a time in 1970.
//! 3. **A number of seconds or milliseconds since 1970-01-01 UTC**, an
//!    integer or a decimal (a JSON number, or a string holding one; an
//!    exponent such as `1.5e9` is accepted): when its absolute value is at
//!    least 100,000,000,000 (10^11) it is milliseconds, otherwise seconds.
//!    Seconds keep their fraction to the millisecond. So `1511658000` and
//!    `1511658000000` are the same instant (2017-11-26T01:00:00Z), while
//!    `99999999999` is seconds (year 5138). Negative values are times
//!    before 1970.
//!
//! Anything else is an error, and so is a time outside the years 0000 to
//! 9999. Text is trimmed of surrounding spaces first. Finer than a
//! millisecond is always truncated toward negative infinity.

const EXPECTED: &str =
    "expected RFC 3339, YYYY-MM-DD HH:MM:SS, YYYYMMDD or epoch seconds/milliseconds";

const MS_PER_DAY: i64 = 86_400_000;
/// 0000-01-01T00:00:00.000Z.
const MIN_MS: i64 = -62_167_219_200_000;
/// 9999-12-31T23:59:59.999Z.
const MAX_MS: i64 = 253_402_300_799_999;

/// Parses a time written as text; see the module documentation for the
/// forms. The error says what was wrong, without naming the field (the
/// caller adds it): `"yesterday" is not a time (expected …)`.
pub fn parse_time_str(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if let Some(result) = parse_datetime(t) {
        return result.map_err(|why| format!("{} is not a valid time: {why}", quote(t)));
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        if let Some(ms) = eight_digits(t)? {
            return Ok(ms);
        }
    }
    match parse_epoch(t) {
        Some(Ok(ms)) => Ok(ms),
        Some(Err(why)) => Err(format!("{} is {why}", quote(t))),
        None => {
            let lower = t.to_ascii_lowercase();
            let lower = lower.trim_start_matches(['+', '-']);
            if matches!(lower, "nan" | "inf" | "infinity") {
                Err(format!(
                    "{} is not a finite number, so not a time",
                    quote(t)
                ))
            } else {
                Err(format!("{} is not a time ({EXPECTED})", quote(t)))
            }
        }
    }
}

/// Parses a time from a JSON value: a string as [`parse_time_str`], a
/// number by the eight-digit and epoch rules (module documentation).
/// Anything else (null, a bool, an array, an object) is an error.
pub fn parse_time_json(v: &serde_json::Value) -> Result<i64, String> {
    match v {
        serde_json::Value::String(s) => parse_time_str(s),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if (10_000_000..=99_999_999).contains(&i) {
                    if let Some(ms) = eight_digits(&i.to_string())? {
                        return Ok(ms);
                    }
                }
            }
            // Integers print exactly; floats print in Rust's shortest
            // round-trip decimal form (never with an exponent), which the
            // exact decimal reader below takes digit by digit.
            let text = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => i.to_string(),
                (None, Some(u), _) => u.to_string(),
                (None, None, Some(f)) if f.is_finite() => format!("{f}"),
                _ => return Err(format!("{n} is not a finite number, so not a time")),
            };
            match parse_epoch(&text) {
                Some(Ok(ms)) => Ok(ms),
                Some(Err(why)) => Err(format!("{n} is {why}")),
                None => Err(format!("{n} is not a time ({EXPECTED})")),
            }
        }
        other => Err(format!(
            "{} is not a time ({EXPECTED})",
            super::json::describe(other)
        )),
    }
}

/// A string for an error message: quoted and escaped, cut if long.
pub(crate) fn quote(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{:?}…", cut)
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard
/// Hinnant's `days_from_civil`). Total for any `i64` year that fits.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            if leap {
                29
            } else {
                28
            }
        }
    }
}

/// Checks a date; the error says which part is wrong.
fn check_date(y: i64, m: i64, d: i64) -> Result<(), String> {
    if !(1..=12).contains(&m) {
        return Err(format!("there is no month {m}"));
    }
    if d < 1 || d > days_in_month(y, m) {
        return Err(format!("there is no day {d} in {y:04}-{m:02}"));
    }
    Ok(())
}

/// Eight digits: a `YYYYMMDD` date when valid; an error when they start
/// like a year 1900–2099 but are no valid date (`19970230` is a typo, not
/// 19,970,230 seconds after 1970); otherwise `None` (epoch seconds).
fn eight_digits(t: &str) -> Result<Option<i64>, String> {
    if let Some(ms) = yyyymmdd(t) {
        return Ok(Some(ms));
    }
    if t.starts_with("19") || t.starts_with("20") {
        return Err(format!(
            "{} looks like a YYYYMMDD date but is not a valid one",
            quote(t)
        ));
    }
    Ok(None)
}

/// Eight ASCII digits as `YYYYMMDD`, when they form a valid date.
fn yyyymmdd(t: &str) -> Option<i64> {
    let n = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    check_date(y, m, d).ok()?;
    Some(days_from_civil(y, m, d) * MS_PER_DAY)
}

/// A cursor over ASCII bytes for the date-time form.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<i64> {
        let part = self.b.get(self.i..self.i + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(part.iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn rest(&self) -> &[u8] {
        self.b.get(self.i..).unwrap_or(&[])
    }
}

/// The date-time form. `None` when the text does not start like a date
/// (`YYYY-`), so that other forms are tried; `Some(Err)` when it does but
/// is not a valid date-time.
fn parse_datetime(t: &str) -> Option<Result<i64, String>> {
    let mut c = Cursor {
        b: t.as_bytes(),
        i: 0,
    };
    let y = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    Some(datetime_after_year(&mut c, y))
}

fn datetime_after_year(c: &mut Cursor, y: i64) -> Result<i64, String> {
    let shape = || EXPECTED.to_string();
    let m = c.digits(2).ok_or_else(shape)?;
    if !c.eat(b'-') {
        return Err(shape());
    }
    let d = c.digits(2).ok_or_else(shape)?;
    check_date(y, m, d)?;
    let days = days_from_civil(y, m, d);
    if c.peek().is_none() {
        return in_range(days * MS_PER_DAY);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return Err(shape());
    }
    let hh = c.digits(2).ok_or_else(shape)?;
    if !c.eat(b':') {
        return Err(shape());
    }
    let mm = c.digits(2).ok_or_else(shape)?;
    let mut ss = 0;
    let mut frac_ms = 0;
    if c.eat(b':') {
        ss = c.digits(2).ok_or_else(shape)?;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.i;
            while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                c.i += 1;
            }
            let digits = &c.b[start..c.i];
            if digits.is_empty() {
                return Err(shape());
            }
            // The first three digits are the milliseconds; the rest is cut.
            for k in 0..3 {
                let digit = digits.get(k).map_or(0, |d| i64::from(d - b'0'));
                frac_ms = frac_ms * 10 + digit;
            }
        }
    }
    if hh > 23 {
        return Err(format!("there is no hour {hh}"));
    }
    if mm > 59 {
        return Err(format!("there is no minute {mm}"));
    }
    if ss > 60 {
        return Err(format!("there is no second {ss}"));
    }
    let offset_s = offset(c)?;
    let secs = days * 86_400 + hh * 3_600 + mm * 60 + ss - offset_s;
    in_range(secs * 1_000 + frac_ms)
}

/// The offset after a time, in seconds east of UTC (what to subtract).
fn offset(c: &mut Cursor) -> Result<i64, String> {
    let shape = || EXPECTED.to_string();
    if c.peek().is_none() {
        return Ok(0);
    }
    c.eat(b' ');
    match c.rest() {
        b"Z" | b"z" | b"UTC" | b"utc" | b"GMT" | b"gmt" => return Ok(0),
        _ => {}
    }
    let sign = match c.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(shape()),
    };
    c.i += 1;
    let oh = c.digits(2).ok_or_else(shape)?;
    let om = if c.peek().is_none() {
        0
    } else {
        c.eat(b':');
        c.digits(2).ok_or_else(shape)?
    };
    if c.peek().is_some() {
        return Err(shape());
    }
    if oh > 23 || om > 59 {
        return Err(format!("the offset {oh:02}:{om:02} is out of range"));
    }
    Ok(sign * (oh * 3_600 + om * 60))
}

fn in_range(ms: i64) -> Result<i64, String> {
    if (MIN_MS..=MAX_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err("outside the years 0000 to 9999".to_string())
    }
}

/// An optional `+` or `-` at `b[*i]`, consumed; true for `-`.
fn sign(b: &[u8], i: &mut usize) -> bool {
    match b.get(*i) {
        Some(b'-') => {
            *i += 1;
            true
        }
        Some(b'+') => {
            *i += 1;
            false
        }
        _ => false,
    }
}

/// A decimal number (optional sign, digits, optional fraction, optional
/// exponent) read exactly as epoch seconds or milliseconds. `None` when
/// the text is not such a number; `Some(Err)` with the end of a sentence
/// (`too far from 1970 …`) when it is but cannot be a time.
fn parse_epoch(t: &str) -> Option<Result<i64, String>> {
    let b = t.as_bytes();
    let mut i = 0;
    let negative = sign(b, &mut i);
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = &b[int_start..i];
    let mut frac_digits: &[u8] = &[];
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        frac_digits = &b[start..i];
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let mut exponent: i64 = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = sign(b, &mut i);
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            // Saturate: anything this large is out of range anyway.
            exponent = (exponent * 10 + i64::from(b[i] - b'0')).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != b.len() {
        return None;
    }
    Some(epoch_from_digits(
        negative,
        int_digits,
        frac_digits,
        exponent,
    ))
}

/// Exact conversion of `±int.frac × 10^exponent` seconds or milliseconds.
fn epoch_from_digits(
    negative: bool,
    int_digits: &[u8],
    frac_digits: &[u8],
    exponent: i64,
) -> Result<i64, String> {
    let too_far = || "too far from 1970 to be a time (years 0000 to 9999)".to_string();
    // All significant digits, and where the decimal point falls in them.
    let mut digits: Vec<u8> = int_digits.iter().chain(frac_digits).copied().collect();
    let mut point = int_digits.len() as i64 + exponent;
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..leading);
    point -= leading as i64;
    if digits.is_empty() {
        return Ok(0);
    }
    // With the first digit non-zero, the integer part has `point` digits:
    // 12 or more means at least 10^11, so milliseconds.
    if point < 12 {
        point += 3; // seconds → milliseconds
    }
    if point > 18 {
        return Err(too_far());
    }
    let mut whole: i128 = 0;
    for k in 0..point.max(0) {
        let d = digits.get(k as usize).map_or(0, |d| i128::from(d - b'0'));
        whole = whole * 10 + d;
    }
    let cut = point.max(0) as usize;
    let has_fraction = digits
        .get(cut..)
        .is_some_and(|f| f.iter().any(|&d| d != b'0'));
    let ms = if negative {
        // Truncation toward negative infinity.
        -whole - i128::from(has_fraction)
    } else {
        whole
    };
    let ms = i64::try_from(ms).map_err(|_| too_far())?;
    if (MIN_MS..=MAX_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(too_far())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(s: &str) -> i64 {
        match parse_time_str(s) {
            Ok(ms) => ms,
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    fn err(s: &str) -> String {
        match parse_time_str(s) {
            Ok(ms) => panic!("{s:?} parsed as {ms}"),
            Err(e) => e,
        }
    }

    const T: i64 = 1_511_658_000_000; // 2017-11-26T01:00:00Z

    #[test]
    fn rfc3339_and_variants() {
        assert_eq!(ok("2017-11-26T01:00:00Z"), T);
        assert_eq!(ok("2017-11-26t01:00:00z"), T);
        assert_eq!(ok("2017-11-26T01:00:00.123Z"), T + 123);
        assert_eq!(ok("2017-11-26T01:00:00.1239999Z"), T + 123);
        assert_eq!(ok("2017-11-26T01:00:00.1Z"), T + 100);
        assert_eq!(ok("2017-11-26T03:00:00+02:00"), T);
        assert_eq!(ok("2017-11-25T23:30:00-01:30"), T);
        assert_eq!(ok("2017-11-26T06:30:00+0530"), T);
        assert_eq!(ok("2017-11-26T03:00:00+02"), T);
        assert_eq!(ok("2017-11-26 01:00:00"), T);
        assert_eq!(ok("2017-11-26 01:00:00 UTC"), T);
        assert_eq!(ok("2017-11-26 01:00:00.5 UTC"), T + 500);
        assert_eq!(ok("2017-11-26 01:00:00,5"), T + 500);
        assert_eq!(ok("2017-11-26T01:00:00"), T);
        assert_eq!(ok("2017-11-26T01:00"), T);
        assert_eq!(ok("2017-11-26 03:00:00 +02:00"), T);
        assert_eq!(ok("  2017-11-26T01:00:00Z \t"), T);
        assert_eq!(ok("2017-11-26"), T - 3_600_000);
        assert_eq!(ok("2019-09-01T15:46:51.693229+05:30"), 1_567_333_011_693);
        assert_eq!(ok("2016-12-31T23:59:60Z"), 1_483_228_800_000);
        assert_eq!(ok("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ok("1969-12-31T23:59:59.999Z"), -1);
        assert_eq!(ok("0000-01-01T00:00:00Z"), MIN_MS);
        assert_eq!(ok("9999-12-31T23:59:59.999Z"), MAX_MS);
    }

    #[test]
    fn bad_dates_say_why() {
        assert!(err("2017-13-01").contains("there is no month 13"));
        assert!(err("2017-02-29").contains("there is no day 29 in 2017-02"));
        assert_eq!(ok("2016-02-29"), 1_456_704_000_000);
        assert!(err("2017-11-26T24:00:00Z").contains("there is no hour 24"));
        assert!(err("2017-11-26T01:60:00Z").contains("there is no minute 60"));
        assert!(err("2017-11-26T01:00:00+24:00").contains("offset"));
        assert!(err("0000-01-01T00:00:00+01:00").contains("outside the years"));
        assert!(err("2017-11-26T01:00:00 PST").contains("is not a valid time"));
        assert!(err("2017-11-26T").contains("expected RFC 3339"));
        assert!(err("2017-11-26T01:00:00.Z").contains("expected RFC 3339"));
        assert!(err("2017-11-26X").contains("expected RFC 3339"));
        assert!(err("2017-1-26").contains("expected RFC 3339"));
    }

    #[test]
    fn eight_digits_are_dates_when_valid() {
        assert_eq!(ok("19970101"), 852_076_800_000);
        assert_eq!(ok("20171126"), T - 3_600_000);
        // Looks like a date but is none: an error, not 1970.
        assert!(parse_time_str("19971301")
            .unwrap_err()
            .contains("not a valid one"));
        assert!(parse_time_json(&json!(19970230)).is_err());
        // Not date-like: seconds.
        assert_eq!(ok("00000000"), 0);
        assert_eq!(ok("12345678"), 12_345_678_000);
        assert_eq!(parse_time_json(&json!(19970101)), Ok(852_076_800_000));
    }

    #[test]
    fn epoch_seconds_and_milliseconds() {
        assert_eq!(ok("1511658000"), T);
        assert_eq!(ok("1511658000000"), T);
        assert_eq!(ok("1511658000.123456"), T + 123);
        assert_eq!(ok("1396860669.277"), 1_396_860_669_277);
        assert_eq!(ok("99999999999"), 99_999_999_999_000);
        assert_eq!(ok("100000000000"), 100_000_000_000);
        assert_eq!(ok("-1"), -1_000);
        assert_eq!(ok("-0.0001"), -1);
        assert_eq!(ok("-1.5"), -1_500);
        assert_eq!(ok("-100000000000.5"), -100_000_000_001);
        assert_eq!(ok("+12"), 12_000);
        assert_eq!(ok("0"), 0);
        assert_eq!(ok(".5"), 500);
        assert_eq!(ok("1.5e9"), 1_500_000_000_000);
        assert_eq!(ok("1.5E12"), 1_500_000_000_000);
        assert_eq!(ok("15e-1"), 1_500);
        assert_eq!(ok("0.0000000001"), 0);
        assert!(err("1e20").contains("too far from 1970"));
        assert!(err("1e999999999999").contains("too far from 1970"));
        assert!(err("99999999999999999999999").contains("too far from 1970"));
        assert!(err("NaN").contains("not a finite number"));
        assert!(err("-inf").contains("not a finite number"));
        assert_eq!(ok("1."), 1_000);
    }

    #[test]
    fn json_numbers() {
        assert_eq!(parse_time_json(&json!(1511658000)), Ok(T));
        assert_eq!(parse_time_json(&json!(1511658000123u64)), Ok(T + 123));
        assert_eq!(
            parse_time_json(&json!(1396860669.277)),
            Ok(1_396_860_669_277)
        );
        assert_eq!(parse_time_json(&json!(-1.5)), Ok(-1_500));
        assert_eq!(
            parse_time_json(&json!(1675692865495u64)),
            Ok(1_675_692_865_495)
        );
        assert!(parse_time_json(&json!(1e300))
            .unwrap_err()
            .contains("too far from 1970"));
        assert!(parse_time_json(&json!(u64::MAX))
            .unwrap_err()
            .contains("too far from 1970"));
        assert_eq!(
            parse_time_json(&json!(true)).unwrap_err(),
            format!("true is not a time ({EXPECTED})")
        );
        assert!(parse_time_json(&json!(null))
            .unwrap_err()
            .starts_with("null is not a time"));
        assert!(parse_time_json(&json!({"a": 1}))
            .unwrap_err()
            .starts_with("an object is not a time"));
    }

    #[test]
    fn words_are_not_times() {
        assert_eq!(
            err("yesterday"),
            format!("\"yesterday\" is not a time ({EXPECTED})")
        );
        assert!(err("").contains("is not a time"));
        assert!(err("NOW").contains("is not a time"));
        assert!(err("1,5").contains("is not a time"));
        assert!(err("12:00").contains("is not a time"));
        assert!(err(&"x".repeat(500)).len() < 200);
    }

    #[test]
    fn civil_days_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(0, 1, 1) * MS_PER_DAY, MIN_MS);
        assert_eq!(days_from_civil(10_000, 1, 1) * MS_PER_DAY - 1, MAX_MS);
    }
}
