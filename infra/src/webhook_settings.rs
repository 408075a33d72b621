//! The deliverer's settings read from the environment: the retry ladder's multiplier
//! (`WEBHOOK_BACKOFF_SCALE`) and the failures in a row that pause a webhook
//! (`WEBHOOK_DISABLE_AFTER`), one webhook's attempts in flight at most
//! (`WEBHOOK_MAX_IN_FLIGHT`), with the code's defaults (what the template's parameters hold).

use crate::InfraError;

/// The retry ladder's multiplier; 1 unless set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffScale(pub f64);

impl Default for BackoffScale {
    fn default() -> Self {
        Self(1.0)
    }
}

/// Failed attempts in a row that pause a webhook; `DEFAULT_DISABLE_AFTER` unless set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisableAfter(pub u32);

impl Default for DisableAfter {
    fn default() -> Self {
        Self(dropgate_core::webhooks::delivery::DEFAULT_DISABLE_AFTER)
    }
}

/// One webhook's attempts in flight at most; `DEFAULT_MAX_IN_FLIGHT` unless set, 0 for no cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxInFlight(pub u32);

impl Default for MaxInFlight {
    fn default() -> Self {
        Self(dropgate_core::webhooks::inflight::DEFAULT_MAX_IN_FLIGHT)
    }
}

impl MaxInFlight {
    /// The setting as read; past `MAX_IN_FLIGHT_LIMIT` it is refused (each slot is a write to
    /// find a full cap, and a cap at the deliverer's concurrency caps nothing).
    pub fn from_env(n: u64) -> Result<Self, InfraError> {
        use dropgate_core::webhooks::inflight::MAX_IN_FLIGHT_LIMIT;
        match u32::try_from(n) {
            Ok(n) if n <= MAX_IN_FLIGHT_LIMIT => Ok(Self(n)),
            _ => Err(InfraError::BadEnv {
                name: "WEBHOOK_MAX_IN_FLIGHT",
                why: format!("{n} is more than {MAX_IN_FLIGHT_LIMIT}"),
            }),
        }
    }
}

/// A non-negative finite multiplier, 1 when unset or empty.
pub(crate) fn scale(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<f64, InfraError> {
    match env(name) {
        None => Ok(1.0),
        Some(v) if v.trim().is_empty() => Ok(1.0),
        Some(v) => match v.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(InfraError::BadEnv {
                name,
                why: format!("{v:?} is not a non-negative number"),
            }),
        },
    }
}
