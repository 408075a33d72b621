//! What a new API token may be: its name and lifetime.

use chrono::Duration;

use crate::CoreError;

/// An hour: the shortest lifetime.
pub const MIN_TTL_SECS: u64 = 3_600;
/// 365 days: the longest.
pub const MAX_TTL_SECS: u64 = 365 * 86_400;
/// 90 days, when the request names none.
pub const DEFAULT_TTL_SECS: u64 = 90 * 86_400;
/// A name is a label for its owner's list: 1 to 100 characters.
pub const MAX_NAME_CHARS: usize = 100;

fn invalid(message: String) -> CoreError {
    CoreError::invalid("invalid_request", message)
}

/// The lifetime of a token asked to live `expires_in` seconds (the default when `None`).
pub fn ttl(expires_in: Option<u64>) -> Result<Duration, CoreError> {
    let secs = expires_in.unwrap_or(DEFAULT_TTL_SECS);
    if !(MIN_TTL_SECS..=MAX_TTL_SECS).contains(&secs) {
        return Err(invalid(format!(
            "expires_in must be {MIN_TTL_SECS} to {MAX_TTL_SECS} seconds (an hour to 365 days)"
        )));
    }
    Ok(Duration::seconds(secs as i64))
}

/// The name, trimmed: 1 to 100 characters, no control characters.
pub fn name(raw: &str) -> Result<String, CoreError> {
    let name = raw.trim();
    let count = name.chars().count();
    if count == 0 || count > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(invalid(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters, without control characters"
        )));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_run_from_an_hour_to_a_year_and_default_to_90_days() {
        assert_eq!(ttl(None).unwrap(), Duration::days(90));
        assert_eq!(ttl(Some(3_600)).unwrap(), Duration::hours(1));
        assert_eq!(ttl(Some(MAX_TTL_SECS)).unwrap(), Duration::days(365));
        for bad in [0, 3_599, MAX_TTL_SECS + 1, u64::MAX] {
            assert_eq!(ttl(Some(bad)).unwrap_err().code(), "invalid_request");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  ci deploy ").unwrap(), "ci deploy");
        assert!(name(&"é".repeat(100)).is_ok());
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            assert_eq!(name(bad).unwrap_err().code(), "invalid_request");
        }
    }
}
