//! Quiet hours: whether a send instant falls in a customer's local quiet
//! window `[start, end)`, and if so the instant the window ends. Windows
//! may cross midnight. On DST days a window end that does not exist moves
//! to the first valid instant after it; one that occurs twice uses the
//! first occurrence.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The end of the quiet window holding `at` (ms UTC), or `None` when `at`
/// is outside quiet hours. `start`/`end` are minutes after local midnight.
pub fn deferral(at: i64, start: u16, end: u16, tz: Tz) -> Option<i64> {
    let utc = DateTime::<Utc>::from_timestamp_millis(at)?;
    let local = utc.with_timezone(&tz);
    let minute = (local.hour() * 60 + local.minute()) as u16;
    let date = local.date_naive();
    let end_date = if start < end {
        if minute < start || minute >= end {
            return None;
        }
        date
    } else if minute >= start {
        date.succ_opt()?
    } else if minute < end {
        date
    } else {
        return None;
    };
    let end_ms = local_instant(end_date, end, tz)?;
    // A window end that DST moved before `at` (the clock jumped past it)
    // means the window is already over.
    (end_ms > at).then_some(end_ms)
}

/// The first instant at or after local `date` + `minute` in `tz`.
fn local_instant(date: NaiveDate, minute: u16, tz: Tz) -> Option<i64> {
    let naive: NaiveDateTime =
        date.and_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)?;
    // A gap is at most a few hours; step a minute at a time to its end.
    for step in 0..(24 * 60) {
        let t = naive + Duration::minutes(step);
        match tz.from_local_datetime(&t) {
            LocalResult::Single(d) => return Some(d.timestamp_millis()),
            LocalResult::Ambiguous(first, _) => return Some(first.timestamp_millis()),
            LocalResult::None => continue,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    const NIGHT: (u16, u16) = (21 * 60, 9 * 60);

    #[test]
    fn across_midnight() {
        let tz: Tz = "Europe/Madrid".parse().unwrap();
        // 22:30 local (UTC+1 in January) → 09:00 next day local.
        assert_eq!(
            deferral(ms("2024-01-10T21:30:00Z"), NIGHT.0, NIGHT.1, tz),
            Some(ms("2024-01-11T08:00:00Z"))
        );
        // 03:00 local → 09:00 same day.
        assert_eq!(
            deferral(ms("2024-01-10T02:00:00Z"), NIGHT.0, NIGHT.1, tz),
            Some(ms("2024-01-10T08:00:00Z"))
        );
        // 09:00 local exactly is outside [21:00, 09:00).
        assert_eq!(
            deferral(ms("2024-01-10T08:00:00Z"), NIGHT.0, NIGHT.1, tz),
            None
        );
        // 21:00 local exactly is inside.
        assert!(deferral(ms("2024-01-10T20:00:00Z"), NIGHT.0, NIGHT.1, tz).is_some());
    }

    #[test]
    fn same_day_window() {
        let tz: Tz = "UTC".parse().unwrap();
        assert_eq!(
            deferral(ms("2024-01-10T12:30:00Z"), 12 * 60, 14 * 60, tz),
            Some(ms("2024-01-10T14:00:00Z"))
        );
        assert_eq!(
            deferral(ms("2024-01-10T14:00:00Z"), 12 * 60, 14 * 60, tz),
            None
        );
    }

    #[test]
    fn window_end_in_spring_gap_moves_to_first_valid_instant() {
        // Berlin, 2024-03-31: 02:00 → 03:00. A window ending 02:30 ends at
        // 03:00 CEST = 01:00 UTC.
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            deferral(ms("2024-03-30T23:00:00Z"), 23 * 60, 2 * 60 + 30, tz),
            Some(ms("2024-03-31T01:00:00Z"))
        );
    }

    #[test]
    fn window_end_in_autumn_repeat_uses_first() {
        // Berlin, 2024-10-27: 03:00 CEST → 02:00 CET; 02:30 happens twice,
        // first at 00:30 UTC.
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            deferral(ms("2024-10-26T22:00:00Z"), 23 * 60, 2 * 60 + 30, tz),
            Some(ms("2024-10-27T00:30:00Z"))
        );
    }
}
