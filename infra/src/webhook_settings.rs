//! The deliverer's settings read from the environment: the retry ladder's multiplier
//! (`WEBHOOK_BACKOFF_SCALE`) and the failures in a row that pause a webhook
//! (`WEBHOOK_DISABLE_AFTER`), with the code's defaults (what the template's parameters hold).

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
