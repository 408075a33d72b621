//! What the API server allows a connection: its timeouts and how many connections at once, with
//! the variables that override the defaults. A leaf: the connection loop and the front both read
//! it.

use std::time::Duration;

use tokio::time::Instant;

/// How long a request's line and headers may take once its first byte has arrived.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may sit with no request in flight and no byte of a next one.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a request's body may take to arrive once its headers are read, and how long a
/// response may wait on a client that reads nothing.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How many connections are served at once; the next one is answered `503 busy` and closed.
pub const MAX_CONNECTIONS: usize = 512;
/// How long, on stop, the requests in flight get to finish before their connections are dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);

/// Overrides [`HEADER_READ_TIMEOUT`], in milliseconds.
pub const HEADER_READ_TIMEOUT_VAR: &str = "LOCAL_HEADER_READ_TIMEOUT_MS";
/// Overrides [`IDLE_TIMEOUT`], in milliseconds.
pub const IDLE_TIMEOUT_VAR: &str = "LOCAL_IDLE_TIMEOUT_MS";
/// Overrides [`BODY_TIMEOUT`], in milliseconds.
pub const BODY_TIMEOUT_VAR: &str = "LOCAL_BODY_TIMEOUT_MS";
/// Overrides [`MAX_CONNECTIONS`].
pub const MAX_CONNECTIONS_VAR: &str = "LOCAL_MAX_CONNECTIONS";

/// The longest timeout a variable can set: larger values count as this, so that no deadline
/// computed from one can overflow the clock.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
/// The most connections a variable can allow (far beyond any descriptor limit; it keeps the
/// semaphore within what it can count).
pub const MAX_MAX_CONNECTIONS: usize = 1 << 20;

/// What [`super::run`] applies to each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub header_read: Duration,
    pub idle: Duration,
    /// For the request body to arrive whole, and for a response write to make progress.
    pub body: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: HEADER_READ_TIMEOUT,
            idle: IDLE_TIMEOUT,
            body: BODY_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

impl Limits {
    /// The defaults, each overridden by its variable when set; a value that is not a positive
    /// whole number is an error naming the variable.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name))
    }

    fn from_lookup(
        var: impl Fn(&str) -> Result<String, std::env::VarError>,
    ) -> Result<Self, String> {
        let millis = |name: &str, default: Duration| {
            positive(name, &var)
                .map(|ms| ms.map_or(default, |ms| Duration::from_millis(ms).min(MAX_TIMEOUT)))
        };
        Ok(Self {
            header_read: millis(HEADER_READ_TIMEOUT_VAR, HEADER_READ_TIMEOUT)?,
            idle: millis(IDLE_TIMEOUT_VAR, IDLE_TIMEOUT)?,
            body: millis(BODY_TIMEOUT_VAR, BODY_TIMEOUT)?,
            max_connections: positive(MAX_CONNECTIONS_VAR, &var)?.map_or(MAX_CONNECTIONS, |n| {
                usize::try_from(n).map_or(MAX_MAX_CONNECTIONS, |n| n.min(MAX_MAX_CONNECTIONS))
            }),
        })
    }
}

/// The variable's value as a positive number, `None` when it is not set.
fn positive(
    name: &str,
    var: impl Fn(&str) -> Result<String, std::env::VarError>,
) -> Result<Option<u64>, String> {
    match var(name) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(format!("{name}: {e}")),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!("{name}={v:?}: expected a positive whole number")),
        },
    }
}

/// When a request's body must have arrived whole: set on each request as its headers are read,
/// read by the front as it reads the body.
#[derive(Clone, Copy, Debug)]
pub struct BodyDeadline(pub Instant);

#[cfg(test)]
mod tests {
    use super::*;
    use std::env::VarError;

    fn limits(vars: &[(&str, &str)]) -> Result<Limits, String> {
        Limits::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
                .ok_or(VarError::NotPresent)
        })
    }

    #[test]
    fn defaults_without_variables() {
        let l = limits(&[]).unwrap();
        assert_eq!(l, Limits::default());
        assert_eq!(l.body, Duration::from_secs(30));
        assert_eq!(l.max_connections, 512);
    }

    #[test]
    fn variables_override_each_limit() {
        let l = limits(&[
            ("LOCAL_HEADER_READ_TIMEOUT_MS", "500"),
            ("LOCAL_IDLE_TIMEOUT_MS", "4000"),
            ("LOCAL_BODY_TIMEOUT_MS", " 300 "),
            ("LOCAL_MAX_CONNECTIONS", "3"),
        ])
        .unwrap();
        assert_eq!(l.header_read, Duration::from_millis(500));
        assert_eq!(l.idle, Duration::from_millis(4000));
        assert_eq!(l.body, Duration::from_millis(300));
        assert_eq!(l.max_connections, 3);
    }

    #[test]
    fn a_malformed_or_zero_value_is_an_error_naming_the_variable() {
        for (name, value) in [
            ("LOCAL_BODY_TIMEOUT_MS", "0"),
            ("LOCAL_BODY_TIMEOUT_MS", "soon"),
            ("LOCAL_BODY_TIMEOUT_MS", "-5"),
            ("LOCAL_MAX_CONNECTIONS", "0"),
            ("LOCAL_MAX_CONNECTIONS", "many"),
            ("LOCAL_MAX_CONNECTIONS", "99999999999999999999999"),
        ] {
            let e = limits(&[(name, value)]).unwrap_err();
            assert!(e.contains(name), "{e}");
        }
    }

    #[test]
    fn huge_values_are_capped_not_overflowing() {
        let l = limits(&[
            ("LOCAL_BODY_TIMEOUT_MS", &u64::MAX.to_string()),
            ("LOCAL_IDLE_TIMEOUT_MS", &u64::MAX.to_string()),
            ("LOCAL_MAX_CONNECTIONS", &u64::MAX.to_string()),
        ])
        .unwrap();
        assert_eq!(l.body, MAX_TIMEOUT);
        assert_eq!(l.idle, MAX_TIMEOUT);
        assert_eq!(l.max_connections, MAX_MAX_CONNECTIONS);
        // The deadlines the server computes from them stay on the clock.
        let _ = Instant::now() + l.body + l.idle;
        let _ = tokio::sync::Semaphore::new(l.max_connections);
    }
}
