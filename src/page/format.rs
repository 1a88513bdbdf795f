//! Times as a release manager reads them: UTC dates and clock times, and "in 3 days" or "12
//! minutes ago" measured from the page's `now` (never from the system clock).

use chrono::DateTime;

const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// `2026-12-09`.
pub(crate) fn date(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "(date out of range)".to_string())
}

/// `2026-11-25 12:00 UTC`.
pub(crate) fn date_time(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "(time out of range)".to_string())
}

/// `23:10 UTC` on the day of `now`, else the full date and time.
pub(crate) fn clock(ts: i64, now: i64) -> String {
    if ts.div_euclid(DAY) == now.div_euclid(DAY) {
        DateTime::from_timestamp(ts, 0)
            .map(|t| t.format("%H:%M UTC").to_string())
            .unwrap_or_else(|| date_time(ts))
    } else {
        date_time(ts)
    }
}

/// A length of time in the largest unit that keeps it readable: `40 seconds`, `12 minutes`,
/// `5 hours`, `3 days`.
pub(crate) fn span(seconds: i64) -> String {
    let seconds = seconds.saturating_abs();
    let (count, unit) = if seconds < MINUTE {
        (seconds, "second")
    } else if seconds < HOUR {
        (seconds / MINUTE, "minute")
    } else if seconds < 36 * HOUR {
        ((seconds + HOUR / 2) / HOUR, "hour")
    } else {
        (seconds / DAY, "day")
    };
    plural(count, unit)
}

/// `in 5 minutes`, `2 hours ago`, `just now`: an instant against `now`.
pub(crate) fn relative(ts: i64, now: i64) -> String {
    let delta = ts.saturating_sub(now);
    if delta.saturating_abs() < MINUTE {
        "just now".to_string()
    } else if delta > 0 {
        format!("in {}", span(delta))
    } else {
        format!("{} ago", span(delta))
    }
}

/// `today`, `tomorrow`, `in 3 days`, `2 days ago`: a date (the schedule's, at 00:00 UTC)
/// against the calendar day of `now`.
pub(crate) fn relative_day(ts: i64, now: i64) -> String {
    match ts.div_euclid(DAY) - now.div_euclid(DAY) {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        -1 => "yesterday".to_string(),
        days if days > 0 => format!("in {}", plural(days, "day")),
        days => format!("{} ago", plural(-days, "day")),
    }
}

/// A compact age for dense tables: `40 s`, `12 min`, `5 h`, `3 d`.
pub(crate) fn age(ts: i64, now: i64) -> String {
    let seconds = now.saturating_sub(ts).max(0);
    if seconds < MINUTE {
        format!("{seconds} s")
    } else if seconds < HOUR {
        format!("{} min", seconds / MINUTE)
    } else if seconds < 2 * DAY {
        format!("{} h", seconds / HOUR)
    } else {
        format!("{} d", seconds / DAY)
    }
}

/// `1 day`, `3 days`.
pub(crate) fn plural(count: i64, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25T12:00:00Z.
    const NOW: i64 = 1_795_608_000;

    #[test]
    fn instants_read_against_now() {
        assert_eq!(relative(NOW + 3 * DAY, NOW), "in 3 days");
        assert_eq!(relative(NOW - 2 * DAY - 5 * HOUR, NOW), "2 days ago");
        assert_eq!(relative(NOW - 12 * MINUTE, NOW), "12 minutes ago");
        assert_eq!(relative(NOW + 70 * MINUTE, NOW), "in 1 hour");
        assert_eq!(relative(NOW - 59 * MINUTE - 59, NOW), "59 minutes ago");
        assert_eq!(relative(NOW - 100 * MINUTE, NOW), "2 hours ago");
        assert_eq!(relative(NOW - 5 * HOUR, NOW), "5 hours ago");
        assert_eq!(relative(NOW - 20, NOW), "just now");
        assert_eq!(relative(NOW - MINUTE, NOW), "1 minute ago");
        assert_eq!(
            relative(i64::MIN, NOW),
            format!("{} days ago", i64::MAX / DAY)
        );
    }

    #[test]
    fn schedule_dates_count_calendar_days() {
        // 00:00 UTC of 2026-11-28 is "in 3 days" at noon on the 25th, not "in 2 days".
        let midnight = NOW - 12 * HOUR;
        assert_eq!(relative_day(midnight + 3 * DAY, NOW), "in 3 days");
        assert_eq!(relative_day(midnight + DAY, NOW), "tomorrow");
        assert_eq!(relative_day(midnight, NOW), "today");
        assert_eq!(relative_day(midnight - DAY, NOW), "yesterday");
        assert_eq!(relative_day(midnight - 2 * DAY, NOW), "2 days ago");
    }

    #[test]
    fn dates_and_clock_times_are_utc() {
        assert_eq!(date(NOW), "2026-11-25");
        assert_eq!(date_time(NOW + 90), "2026-11-25 12:01 UTC");
        assert_eq!(clock(NOW + 11 * HOUR + 10 * MINUTE, NOW), "23:10 UTC");
        assert_eq!(clock(NOW + 12 * HOUR, NOW), "2026-11-26 00:00 UTC");
        assert_eq!(date(i64::MAX), "(date out of range)");
    }

    #[test]
    fn ages_are_compact() {
        assert_eq!(age(NOW - 30, NOW), "30 s");
        assert_eq!(age(NOW - 12 * MINUTE, NOW), "12 min");
        assert_eq!(age(NOW - 30 * HOUR, NOW), "30 h");
        assert_eq!(age(NOW - 12 * DAY, NOW), "12 d");
        assert_eq!(age(NOW + DAY, NOW), "0 s");
    }
}
