//! What an owner may ask of a new share.

use std::time::Duration;

use crate::{CoreError, Settings, names};

pub const DEFAULT_SHARE_TTL_SECS: u64 = 7 * 24 * 3600;
pub const MAX_MAX_DOWNLOADS: u64 = 100_000;
/// Passwords: any text of 1 to this many bytes (a passphrase is welcome; Argon2id takes it all).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// At most one mail per share per this long, however many downloads.
pub const MAIL_EVERY: chrono::Duration = chrono::Duration::minutes(10);

/// A share as asked for; numbers are already known to be non-negative integers or absent.
/// (Its `Debug` never shows the password.)
#[derive(Clone, Default, PartialEq)]
pub struct NewShare {
    pub expires_in: Option<u64>,
    pub max_downloads: Option<u64>,
    pub password: Option<String>,
    pub notify_owner: bool,
    pub label: Option<String>,
}

#[derive(Clone, PartialEq)]
pub struct ValidShare {
    pub ttl: Duration,
    pub max_downloads: Option<u32>,
    pub password: Option<String>,
    pub notify_owner: bool,
    pub label: Option<String>,
}

impl std::fmt::Debug for NewShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewShare")
            .field("expires_in", &self.expires_in)
            .field("max_downloads", &self.max_downloads)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("notify_owner", &self.notify_owner)
            .field("label", &self.label)
            .finish()
    }
}

impl std::fmt::Debug for ValidShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidShare")
            .field("ttl", &self.ttl)
            .field("max_downloads", &self.max_downloads)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("notify_owner", &self.notify_owner)
            .field("label", &self.label)
            .finish()
    }
}

pub fn validate_new_share(s: &Settings, req: &NewShare) -> Result<ValidShare, CoreError> {
    let max_ttl = s.max_share_ttl.as_secs().max(1);
    let ttl = req
        .expires_in
        .unwrap_or(DEFAULT_SHARE_TTL_SECS.min(max_ttl));
    if !(1..=max_ttl).contains(&ttl) {
        return Err(CoreError::invalid(
            "invalid_expires_in",
            format!("expires_in (seconds) must be an integer from 1 to {max_ttl}"),
        ));
    }
    let max_downloads = match req.max_downloads {
        None => None,
        Some(n) if (1..=MAX_MAX_DOWNLOADS).contains(&n) => Some(n as u32),
        Some(_) => {
            return Err(CoreError::invalid(
                "invalid_max_downloads",
                format!(
                    "max_downloads must be an integer from 1 to {MAX_MAX_DOWNLOADS}, or null for no limit"
                ),
            ));
        }
    };
    let password = match &req.password {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= MAX_PASSWORD_BYTES => Some(p.clone()),
        Some(_) => {
            return Err(CoreError::invalid(
                "invalid_password",
                format!("password must be 1 to {MAX_PASSWORD_BYTES} bytes"),
            ));
        }
    };
    let label = match &req.label {
        None => None,
        Some(l) => Some(names::clean_text("label", l, names::MAX_LABEL_BYTES)?),
    };
    Ok(ValidShare {
        ttl: Duration::from_secs(ttl),
        max_downloads,
        password,
        notify_owner: req.notify_owner,
        label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s() -> Settings {
        Settings {
            max_share_ttl: Duration::from_secs(30 * 24 * 3600),
            ..Settings::default()
        }
    }

    #[test]
    fn defaults_and_limits() {
        let v = validate_new_share(&s(), &NewShare::default()).unwrap();
        assert_eq!(v.ttl, Duration::from_secs(DEFAULT_SHARE_TTL_SECS));
        assert_eq!(v.max_downloads, None);
        assert_eq!(v.password, None);
        let short = Settings {
            max_share_ttl: Duration::from_secs(60),
            ..s()
        };
        assert_eq!(
            validate_new_share(&short, &NewShare::default())
                .unwrap()
                .ttl,
            Duration::from_secs(60)
        );
        let cases = [
            (
                NewShare {
                    expires_in: Some(0),
                    ..NewShare::default()
                },
                "invalid_expires_in",
            ),
            (
                NewShare {
                    expires_in: Some(30 * 24 * 3600 + 1),
                    ..NewShare::default()
                },
                "invalid_expires_in",
            ),
            (
                NewShare {
                    max_downloads: Some(0),
                    ..NewShare::default()
                },
                "invalid_max_downloads",
            ),
            (
                NewShare {
                    max_downloads: Some(100_001),
                    ..NewShare::default()
                },
                "invalid_max_downloads",
            ),
            (
                NewShare {
                    password: Some(String::new()),
                    ..NewShare::default()
                },
                "invalid_password",
            ),
            (
                NewShare {
                    password: Some("x".repeat(1025)),
                    ..NewShare::default()
                },
                "invalid_password",
            ),
            (
                NewShare {
                    label: Some("a\u{202e}b".into()),
                    ..NewShare::default()
                },
                "invalid_name",
            ),
        ];
        for (req, code) in cases {
            assert_eq!(
                validate_new_share(&s(), &req).unwrap_err().code(),
                code,
                "{req:?}"
            );
        }
        let ok = NewShare {
            max_downloads: Some(100_000),
            password: Some("correct horse".into()),
            label: Some(" Release 1.0 ".into()),
            ..NewShare::default()
        };
        let v = validate_new_share(&s(), &ok).unwrap();
        assert_eq!(v.max_downloads, Some(100_000));
        assert_eq!(v.label.as_deref(), Some("Release 1.0"));
    }
}
