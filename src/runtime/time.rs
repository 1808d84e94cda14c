//! Event time: milliseconds since the Unix epoch, UTC, as `i64`.

use chrono::{DateTime, SecondsFormat, Utc};

/// RFC 3339 UTC with milliseconds: `2024-05-01T09:00:00.000Z`, the form
/// every output uses.
pub fn format_rfc3339(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => format!("{ms}ms"),
    }
}

/// A duration in trig's own notation (`1h30m`), for messages and traces.
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let sign = if ms < 0 { "-" } else { "" };
    let mut rest = ms.unsigned_abs();
    let mut out = String::from(sign);
    for (unit, size) in [
        ("w", 604_800_000u64),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339(1_511_658_000_123),
            "2017-11-26T01:00:00.123Z"
        );
        assert_eq!(format_duration(5_400_000), "1h30m");
        assert_eq!(format_duration(1_001), "1s1ms");
    }
}
