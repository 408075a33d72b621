//! What an owner may change on a live link: the creation fields, each optional, validated by
//! the creation rules themselves, so an edit answers exactly the codes a creation does.

use chrono::{DateTime, Utc};

use super::{Link, NewLink, validate_new_link};
use crate::allowed::TypePolicy;
use crate::{CoreError, Settings};

/// An edit as asked for: `None` leaves a field as it is. `max_total_bytes: Some(None)` removes
/// the total limit and `allowed_types: Some(None)` the link's own list (the deployment's
/// policy applies again); `expires_in` counts from the moment of the edit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkEdit {
    pub label: Option<String>,
    pub expires_in: Option<u64>,
    pub max_uploads: Option<u64>,
    pub max_file_bytes: Option<u64>,
    pub max_total_bytes: Option<Option<u64>>,
    pub max_pending_bytes: Option<u64>,
    pub allowed_types: Option<Option<Vec<String>>>,
    pub require_uploader_name: Option<bool>,
    /// `Some(None)` removes the link's retention (the owner's default applies again).
    pub retain_days: Option<Option<u64>>,
}

/// An edit that passed the rules, ready to apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkChanges {
    pub label: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uploads: Option<u32>,
    pub max_file_bytes: Option<u64>,
    pub max_total_bytes: Option<Option<u64>>,
    pub max_pending_bytes: Option<u64>,
    pub allowed_types: Option<TypePolicy>,
    pub require_uploader_name: Option<bool>,
    pub retain_days: Option<Option<u32>>,
}

/// Validates only the fields given: the others are filled with creation defaults, which the
/// rules always pass, so an error names a field the owner sent.
pub fn validate_link_edit(
    s: &Settings,
    edit: &LinkEdit,
    now: DateTime<Utc>,
) -> Result<LinkChanges, CoreError> {
    let probe = NewLink {
        label: edit.label.clone().unwrap_or_else(|| "-".into()),
        expires_in: edit.expires_in,
        max_uploads: edit.max_uploads,
        max_file_bytes: edit.max_file_bytes,
        max_total_bytes: edit.max_total_bytes.flatten(),
        max_pending_bytes: edit.max_pending_bytes,
        allowed_types: edit.allowed_types.clone().flatten(),
        require_uploader_name: edit.require_uploader_name.unwrap_or(false),
        retain_days: edit.retain_days.flatten(),
    };
    let v = validate_new_link(s, &probe)?;
    Ok(LinkChanges {
        label: edit.label.as_ref().map(|_| v.label),
        expires_at: edit.expires_in.map(|_| crate::time::after(now, v.ttl)),
        max_uploads: edit.max_uploads.map(|_| v.max_uploads),
        max_file_bytes: edit.max_file_bytes.map(|_| v.max_file_bytes),
        max_total_bytes: edit.max_total_bytes.map(|_| v.max_total_bytes),
        max_pending_bytes: edit.max_pending_bytes.map(|_| v.max_pending_bytes),
        allowed_types: edit.allowed_types.as_ref().map(|_| v.allowed_types),
        require_uploader_name: edit.require_uploader_name,
        retain_days: edit.retain_days.map(|_| v.retain_days),
    })
}

impl LinkChanges {
    /// The link with these changes; counters, token and state flags stay as they are.
    pub fn applied_to(&self, link: &Link) -> Link {
        let mut l = link.clone();
        if let Some(v) = &self.label {
            l.label = v.clone();
        }
        if let Some(v) = self.expires_at {
            l.expires_at = v;
        }
        if let Some(v) = self.max_uploads {
            l.max_uploads = v;
        }
        if let Some(v) = self.max_file_bytes {
            l.max_file_bytes = v;
        }
        if let Some(v) = self.max_total_bytes {
            l.max_total_bytes = v;
        }
        if let Some(v) = self.max_pending_bytes {
            l.max_pending_bytes = v;
        }
        if let Some(v) = &self.allowed_types {
            l.allowed_types = v.clone();
        }
        if let Some(v) = self.require_uploader_name {
            l.require_uploader_name = v;
        }
        if let Some(v) = self.retain_days {
            l.retain_days = v;
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    fn s() -> Settings {
        Settings {
            max_file_size: 1000,
            max_link_ttl: Duration::from_secs(7 * 24 * 3600),
            allowed_types: TypePolicy::only(["application/pdf", "image/jpeg"]),
            ..Settings::default()
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap()
    }

    #[test]
    fn only_the_fields_given_change() {
        let c = validate_link_edit(&s(), &LinkEdit::default(), now()).unwrap();
        assert_eq!(c, LinkChanges::default());
        let edit = LinkEdit {
            label: Some(" New  name ".into()),
            expires_in: Some(3600),
            max_total_bytes: Some(None),
            allowed_types: Some(Some(vec!["image/jpg".into()])),
            require_uploader_name: Some(true),
            ..LinkEdit::default()
        };
        let c = validate_link_edit(&s(), &edit, now()).unwrap();
        assert_eq!(c.label.as_deref(), Some("New name"));
        assert_eq!(c.expires_at, Some(now() + chrono::Duration::hours(1)));
        assert_eq!(
            c.max_total_bytes,
            Some(None),
            "null removes the total limit"
        );
        assert_eq!(c.allowed_types, Some(TypePolicy::only(["image/jpeg"])));
        assert_eq!(c.require_uploader_name, Some(true));
        assert_eq!(
            (c.max_uploads, c.max_file_bytes, c.max_pending_bytes),
            (None, None, None)
        );
    }

    #[test]
    fn a_null_list_gives_the_link_back_to_the_deployments_policy() {
        let edit = LinkEdit {
            allowed_types: Some(None),
            ..LinkEdit::default()
        };
        let c = validate_link_edit(&s(), &edit, now()).unwrap();
        let default = validate_new_link(
            &s(),
            &NewLink {
                label: "-".into(),
                expires_in: None,
                max_uploads: None,
                max_file_bytes: None,
                max_total_bytes: None,
                max_pending_bytes: None,
                allowed_types: None,
                require_uploader_name: false,
                retain_days: None,
            },
        )
        .unwrap()
        .allowed_types;
        assert_eq!(c.allowed_types, Some(default));
    }

    #[test]
    fn an_edit_answers_the_creation_codes() {
        let cases: Vec<(LinkEdit, &str)> = vec![
            (
                LinkEdit {
                    label: Some(String::new()),
                    ..LinkEdit::default()
                },
                "invalid_name",
            ),
            (
                LinkEdit {
                    expires_in: Some(0),
                    ..LinkEdit::default()
                },
                "invalid_expires_in",
            ),
            (
                LinkEdit {
                    expires_in: Some(7 * 24 * 3600 + 1),
                    ..LinkEdit::default()
                },
                "invalid_expires_in",
            ),
            (
                LinkEdit {
                    max_uploads: Some(0),
                    ..LinkEdit::default()
                },
                "invalid_max_uploads",
            ),
            (
                LinkEdit {
                    max_file_bytes: Some(1001),
                    ..LinkEdit::default()
                },
                "invalid_max_file_bytes",
            ),
            (
                LinkEdit {
                    max_total_bytes: Some(Some(0)),
                    ..LinkEdit::default()
                },
                "invalid_max_total_bytes",
            ),
            (
                LinkEdit {
                    max_pending_bytes: Some(0),
                    ..LinkEdit::default()
                },
                "invalid_max_pending_bytes",
            ),
            (
                LinkEdit {
                    allowed_types: Some(Some(vec!["text/html".into()])),
                    ..LinkEdit::default()
                },
                "invalid_allowed_types",
            ),
        ];
        for (edit, code) in cases {
            assert_eq!(
                validate_link_edit(&s(), &edit, now()).unwrap_err().code(),
                code,
                "{edit:?}"
            );
        }
    }
}
