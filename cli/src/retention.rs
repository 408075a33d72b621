//! `--delete-after`: a span from now (`30d`, `12h`, `45m`, `90s`, `2w`) or an RFC 3339 time,
//! sent as the RFC 3339 time the server takes (it checks the time is in the future).

use chrono::{DateTime, Duration, Utc};

use crate::error::{CliError, Result};

/// The RFC 3339 time `raw` names, spans counted from `now`.
pub fn delete_after(raw: &str, now: DateTime<Utc>) -> Result<String> {
    let raw = raw.trim();
    let bad = || {
        CliError::Usage(format!(
            "--delete-after takes a span like 30d, 12h, 45m or an RFC 3339 time, not {raw:?}"
        ))
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(dropgate_core::time::rfc3339(t.with_timezone(&Utc)));
    }
    let unit = raw.chars().last().ok_or_else(bad)?;
    let n: i64 = raw[..raw.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    let span = match unit {
        's' => Duration::try_seconds(n),
        'm' => Duration::try_minutes(n),
        'h' => Duration::try_hours(n),
        'd' => Duration::try_days(n),
        'w' => Duration::try_weeks(n),
        _ => None,
    }
    .ok_or_else(bad)?;
    let at = now.checked_add_signed(span).ok_or_else(bad)?;
    Ok(dropgate_core::time::rfc3339(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_count_from_now_and_times_pass_through() {
        let now: DateTime<Utc> = "2026-12-04T10:00:00Z".parse().unwrap();
        assert_eq!(
            delete_after("30d", now).unwrap(),
            "2027-01-03T10:00:00.000Z"
        );
        assert_eq!(
            delete_after("12h", now).unwrap(),
            "2026-12-04T22:00:00.000Z"
        );
        assert_eq!(
            delete_after(" 2w ", now).unwrap(),
            "2026-12-18T10:00:00.000Z"
        );
        assert_eq!(
            delete_after("2027-01-01T00:00:00+01:00", now).unwrap(),
            "2026-12-31T23:00:00.000Z"
        );
        for bad in [
            "",
            "d",
            "0d",
            "-1d",
            "3y",
            "soon",
            "1.5h",
            "99999999999999999w",
        ] {
            assert!(
                matches!(delete_after(bad, now), Err(CliError::Usage(_))),
                "{bad}"
            );
        }
    }
}
