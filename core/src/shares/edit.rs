//! What an owner may change on a live share: the creation fields, each optional, validated by
//! the creation rules themselves, so an edit answers exactly the codes a creation does.

use chrono::{DateTime, Utc};

use super::{NewShare, Share, validate_new_share};
use crate::{CoreError, Settings};

/// An edit as asked for: `None` leaves a field as it is; `Some(None)` removes the download
/// limit, the password or the label. `expires_in` counts from the moment of the edit. (Its
/// `Debug` never shows the password.)
#[derive(Clone, Default, PartialEq)]
pub struct ShareEdit {
    pub expires_in: Option<u64>,
    pub max_downloads: Option<Option<u64>>,
    pub password: Option<Option<String>>,
    pub notify_owner: Option<bool>,
    pub label: Option<Option<String>>,
}

impl std::fmt::Debug for ShareEdit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareEdit")
            .field("expires_in", &self.expires_in)
            .field("max_downloads", &self.max_downloads)
            .field(
                "password",
                &self
                    .password
                    .as_ref()
                    .map(|p| p.as_ref().map(|_| "<redacted>")),
            )
            .field("notify_owner", &self.notify_owner)
            .field("label", &self.label)
            .finish()
    }
}

/// An edit that passed the rules. `password: Some(Some(_))` is the new password in clear: the
/// service hashes it before anything is stored.
#[derive(Clone, Default, PartialEq)]
pub struct ShareChanges {
    pub expires_at: Option<DateTime<Utc>>,
    pub max_downloads: Option<Option<u32>>,
    pub password: Option<Option<String>>,
    pub notify_owner: Option<bool>,
    pub label: Option<Option<String>>,
}

/// Validates only the fields given (the others are absent from the probe, which the creation
/// rules always pass), so an error names a field the owner sent.
pub fn validate_share_edit(
    s: &Settings,
    edit: &ShareEdit,
    now: DateTime<Utc>,
) -> Result<ShareChanges, CoreError> {
    let probe = NewShare {
        expires_in: edit.expires_in,
        max_downloads: edit.max_downloads.flatten(),
        password: edit.password.clone().flatten(),
        notify_owner: edit.notify_owner.unwrap_or(false),
        label: edit.label.clone().flatten(),
    };
    let v = validate_new_share(s, &probe)?;
    Ok(ShareChanges {
        expires_at: edit.expires_in.map(|_| crate::time::after(now, v.ttl)),
        max_downloads: edit.max_downloads.map(|_| v.max_downloads),
        password: edit.password.as_ref().map(|_| v.password.clone()),
        notify_owner: edit.notify_owner,
        label: edit.label.as_ref().map(|_| v.label.clone()),
    })
}

impl std::fmt::Debug for ShareChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareChanges")
            .field("expires_at", &self.expires_at)
            .field("max_downloads", &self.max_downloads)
            .field(
                "password",
                &self
                    .password
                    .as_ref()
                    .map(|p| p.as_ref().map(|_| "<redacted>")),
            )
            .field("notify_owner", &self.notify_owner)
            .field("label", &self.label)
            .finish()
    }
}

impl ShareChanges {
    /// The share with these changes, `password_hash` the new password's hash when the
    /// password changes (`None` removes it); counters and flags stay as they are.
    pub fn applied_to(&self, share: &Share, password_hash: Option<String>) -> Share {
        let mut sh = share.clone();
        if let Some(v) = self.expires_at {
            sh.expires_at = v;
        }
        if let Some(v) = self.max_downloads {
            sh.max_downloads = v;
        }
        if self.password.is_some() {
            sh.password_hash = password_hash;
            sh.failures = 0;
            sh.locked_until = None;
        }
        if let Some(v) = self.notify_owner {
            sh.notify_owner = v;
        }
        if let Some(v) = &self.label {
            sh.label = v.clone();
        }
        sh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    fn s() -> Settings {
        Settings {
            max_share_ttl: Duration::from_secs(30 * 24 * 3600),
            ..Settings::default()
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap()
    }

    #[test]
    fn null_removes_and_absent_keeps() {
        let c = validate_share_edit(&s(), &ShareEdit::default(), now()).unwrap();
        assert_eq!(c, ShareChanges::default());
        let edit = ShareEdit {
            max_downloads: Some(None),
            password: Some(None),
            label: Some(Some(" Final  cut ".into())),
            expires_in: Some(60),
            ..ShareEdit::default()
        };
        let c = validate_share_edit(&s(), &edit, now()).unwrap();
        assert_eq!(c.max_downloads, Some(None));
        assert_eq!(c.password, Some(None));
        assert_eq!(c.label, Some(Some("Final cut".to_owned())));
        assert_eq!(c.expires_at, Some(now() + chrono::Duration::seconds(60)));
        assert_eq!(c.notify_owner, None);
        let set = ShareEdit {
            password: Some(Some("hunter22".into())),
            max_downloads: Some(Some(3)),
            ..ShareEdit::default()
        };
        let c = validate_share_edit(&s(), &set, now()).unwrap();
        assert_eq!(c.password, Some(Some("hunter22".to_owned())));
        assert_eq!(c.max_downloads, Some(Some(3)));
        assert!(!format!("{set:?}").contains("hunter22"));
    }

    #[test]
    fn an_edit_answers_the_creation_codes() {
        let cases: Vec<(ShareEdit, &str)> = vec![
            (
                ShareEdit {
                    expires_in: Some(0),
                    ..ShareEdit::default()
                },
                "invalid_expires_in",
            ),
            (
                ShareEdit {
                    max_downloads: Some(Some(0)),
                    ..ShareEdit::default()
                },
                "invalid_max_downloads",
            ),
            (
                ShareEdit {
                    password: Some(Some(String::new())),
                    ..ShareEdit::default()
                },
                "invalid_password",
            ),
            (
                ShareEdit {
                    label: Some(Some("a\u{202e}b".into())),
                    ..ShareEdit::default()
                },
                "invalid_name",
            ),
        ];
        for (edit, code) in cases {
            assert_eq!(
                validate_share_edit(&s(), &edit, now()).unwrap_err().code(),
                code,
                "{edit:?}"
            );
        }
    }
}
