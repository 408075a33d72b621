//! How times are written for clients, in views, notices and log keys, and how a span is added
//! to a time without ever panicking.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

/// RFC 3339 in UTC with milliseconds: fixed width, so that keys built on it sort by time.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A time written in RFC 3339 (any offset), in UTC; `None` when it is not one.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `t + d`, saturating at the latest time chrono can hold instead of panicking: spans come from
/// settings and requests, and no setting or input may crash a function. Settings are clamped
/// far below this (`Settings::clamped`), so saturation is a last guard, not a rule.
pub fn after(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t - d`, saturating at the earliest time chrono can hold.
pub fn before(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_past_the_calendar_saturate_instead_of_panicking() {
        let now = Utc::now();
        assert_eq!(
            after(now, Duration::from_secs(60)),
            now + TimeDelta::seconds(60)
        );
        assert_eq!(
            before(now, Duration::from_secs(60)),
            now - TimeDelta::seconds(60)
        );
        // Beyond TimeDelta's range, and within it but past year 262143.
        for huge in [Duration::MAX, Duration::from_secs(1_000_000_000_000_000)] {
            assert_eq!(after(now, huge), DateTime::<Utc>::MAX_UTC);
            assert_eq!(before(now, huge), DateTime::<Utc>::MIN_UTC);
        }
    }
}
