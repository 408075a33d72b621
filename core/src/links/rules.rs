//! What an owner may ask of a new link, and the give-back rule.

use std::time::Duration;

use crate::allowed::NotASubset;
use crate::{CoreError, FileStatus, Settings, names};

pub const DEFAULT_LINK_TTL_SECS: u64 = 3 * 24 * 3600;
pub const DEFAULT_MAX_UPLOADS: u64 = 10;
pub const MAX_MAX_UPLOADS: u64 = 1000;
/// The largest total a link may allow: 2^53 - 1, the largest integer every JSON reader (the web
/// client's JavaScript included) holds exactly, and far beyond any real total.
pub const MAX_MAX_TOTAL_BYTES: u64 = (1 << 53) - 1;

/// A link as asked for; numbers are already known to be non-negative integers (the edge
/// answers the same codes for anything else).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewLink {
    pub label: String,
    pub expires_in: Option<u64>,
    pub max_uploads: Option<u64>,
    pub max_file_bytes: Option<u64>,
    pub max_total_bytes: Option<u64>,
    pub max_pending_bytes: Option<u64>,
    pub allowed_types: Option<Vec<String>>,
    pub require_uploader_name: bool,
    /// Days each file received is kept (1 to `lifecycle::MAX_RETENTION_DAYS`); `None`: the
    /// owner's default.
    pub retain_days: Option<u64>,
}

/// A request that passed every rule, with the defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidLink {
    pub label: String,
    pub ttl: Duration,
    pub max_uploads: u32,
    pub max_file_bytes: u64,
    pub max_total_bytes: Option<u64>,
    pub max_pending_bytes: u64,
    pub allowed_types: crate::allowed::TypePolicy,
    pub require_uploader_name: bool,
    pub retain_days: Option<u32>,
}

fn in_range(
    v: Option<u64>,
    default: u64,
    lo: u64,
    hi: u64,
    code: &'static str,
    what: &str,
) -> Result<u64, CoreError> {
    let v = v.unwrap_or(default);
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(CoreError::invalid(
            code,
            format!("{what} must be an integer from {lo} to {hi}"),
        ))
    }
}

pub fn validate_new_link(s: &Settings, req: &NewLink) -> Result<ValidLink, CoreError> {
    let label = names::clean_text("label", &req.label, names::MAX_LABEL_BYTES)?;
    let max_ttl = s.max_link_ttl.as_secs().max(1);
    let ttl = in_range(
        req.expires_in,
        DEFAULT_LINK_TTL_SECS.min(max_ttl),
        1,
        max_ttl,
        "invalid_expires_in",
        "expires_in (seconds)",
    )?;
    let max_uploads = in_range(
        req.max_uploads,
        DEFAULT_MAX_UPLOADS,
        1,
        MAX_MAX_UPLOADS,
        "invalid_max_uploads",
        "max_uploads",
    )?;
    let max_file_bytes = in_range(
        req.max_file_bytes,
        s.max_file_size,
        1,
        s.max_file_size,
        "invalid_max_file_bytes",
        "max_file_bytes",
    )?;
    let max_total_bytes = match req.max_total_bytes {
        None => None,
        Some(n) if (1..=MAX_MAX_TOTAL_BYTES).contains(&n) => Some(n),
        Some(_) => {
            return Err(CoreError::invalid(
                "invalid_max_total_bytes",
                format!(
                    "max_total_bytes must be an integer from 1 to {MAX_MAX_TOTAL_BYTES}, or null \
                     for no total limit"
                ),
            ));
        }
    };
    // Bytes reserved and not yet judged through the link, together: one file's worth unless
    // the owner allows more. Never above what a JSON reader holds exactly.
    let max_pending_bytes = in_range(
        req.max_pending_bytes,
        max_file_bytes,
        1,
        MAX_MAX_TOTAL_BYTES,
        "invalid_max_pending_bytes",
        "max_pending_bytes",
    )?;
    let allowed_types = match &req.allowed_types {
        None => s.allowed_types.clone(),
        Some(list) => s
            .allowed_types
            .subset(list)
            .map_err(|e| CoreError::InvalidAllowedTypes {
                message: match e {
                    NotASubset::Empty => "allowed_types must name at least one type \
                                              (omit it to allow every type)"
                        .to_owned(),
                    NotASubset::NotAllowed(raw) => format!(
                        "{} is not allowed here; allowed: {}",
                        names::quote(&raw),
                        s.allowed_types.describe()
                    ),
                },
                allowed: s.allowed_types.clone(),
            })?,
    };
    Ok(ValidLink {
        label,
        ttl: Duration::from_secs(ttl),
        max_uploads: max_uploads as u32,
        max_file_bytes,
        max_total_bytes,
        max_pending_bytes,
        allowed_types,
        require_uploader_name: req.require_uploader_name,
        retain_days: req
            .retain_days
            .map(|d| crate::lifecycle::retention_days(d, "invalid_retain_days", "retain_days"))
            .transpose()?,
    })
}

/// Whether a link file that ends in `status` gives its use and its bytes back to the link.
///
/// Only `expired` does: its bytes never came, so nothing was tried, and an honest uploader
/// whose connection dropped can try again. A `rejected` file keeps its use: its bytes were
/// judged, and keeping the use bounds how many tries a hostile holder of the link gets.
/// Deleting a file gives nothing back either (the owner can make a new link). Nor does an
/// expiry once the link has given back `LINK_GIVEBACKS` uses ([`super::Link::can_give_back`]):
/// a holder who never sends cannot hold the owner's quota for ever.
pub fn gives_back_on(status: FileStatus) -> bool {
    status == FileStatus::Expired
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s() -> Settings {
        Settings {
            max_file_size: 1000,
            max_link_ttl: Duration::from_secs(7 * 24 * 3600),
            ..Settings::default()
        }
    }

    fn new(label: &str) -> NewLink {
        NewLink {
            label: label.into(),
            ..NewLink::default()
        }
    }

    #[test]
    fn defaults_fill_in() {
        let v = validate_new_link(&s(), &new(" Q3 receipts ")).unwrap();
        assert_eq!(v.label, "Q3 receipts");
        assert_eq!(v.ttl, Duration::from_secs(DEFAULT_LINK_TTL_SECS));
        assert_eq!(v.max_uploads, 10);
        assert_eq!(v.max_file_bytes, 1000);
        assert_eq!(v.max_total_bytes, None);
        assert_eq!(v.max_pending_bytes, 1000, "one file's worth");
        let small = NewLink {
            max_file_bytes: Some(300),
            ..new("x")
        };
        assert_eq!(
            validate_new_link(&s(), &small).unwrap().max_pending_bytes,
            300
        );
        let more = NewLink {
            max_pending_bytes: Some(5000),
            ..new("x")
        };
        assert_eq!(
            validate_new_link(&s(), &more).unwrap().max_pending_bytes,
            5000
        );
        assert_eq!(v.allowed_types, s().allowed_types);
        // A deployment whose longest link is shorter than the default gets its longest.
        let short = Settings {
            max_link_ttl: Duration::from_secs(60),
            ..s()
        };
        assert_eq!(
            validate_new_link(&short, &new("x")).unwrap().ttl,
            Duration::from_secs(60)
        );
    }

    #[test]
    fn out_of_range_has_a_code_per_field() {
        let cases: Vec<(NewLink, &str)> = vec![
            (new(""), "invalid_name"),
            (new("a\u{202e}b"), "invalid_name"),
            (
                NewLink {
                    expires_in: Some(0),
                    ..new("x")
                },
                "invalid_expires_in",
            ),
            (
                NewLink {
                    expires_in: Some(7 * 24 * 3600 + 1),
                    ..new("x")
                },
                "invalid_expires_in",
            ),
            (
                NewLink {
                    max_uploads: Some(0),
                    ..new("x")
                },
                "invalid_max_uploads",
            ),
            (
                NewLink {
                    max_uploads: Some(1001),
                    ..new("x")
                },
                "invalid_max_uploads",
            ),
            (
                NewLink {
                    max_file_bytes: Some(1001),
                    ..new("x")
                },
                "invalid_max_file_bytes",
            ),
            (
                NewLink {
                    max_total_bytes: Some(0),
                    ..new("x")
                },
                "invalid_max_total_bytes",
            ),
            // Past 2^53 - 1 a JSON reader may round it; past 2^63 - 1 it could not be stored.
            (
                NewLink {
                    max_total_bytes: Some(MAX_MAX_TOTAL_BYTES + 1),
                    ..new("x")
                },
                "invalid_max_total_bytes",
            ),
            (
                NewLink {
                    max_total_bytes: Some(u64::MAX),
                    ..new("x")
                },
                "invalid_max_total_bytes",
            ),
            (
                NewLink {
                    max_pending_bytes: Some(0),
                    ..new("x")
                },
                "invalid_max_pending_bytes",
            ),
            (
                NewLink {
                    max_pending_bytes: Some(MAX_MAX_TOTAL_BYTES + 1),
                    ..new("x")
                },
                "invalid_max_pending_bytes",
            ),
            (
                NewLink {
                    allowed_types: Some(vec![]),
                    ..new("x")
                },
                "invalid_allowed_types",
            ),
            (
                NewLink {
                    allowed_types: Some(vec!["application/x-msdownload".into()]),
                    ..new("x")
                },
                "invalid_allowed_types",
            ),
        ];
        for (req, code) in cases {
            assert_eq!(
                validate_new_link(&s(), &req).unwrap_err().code(),
                code,
                "{req:?}"
            );
        }
    }

    /// A deployment narrowed by `ALLOWED_TYPES`.
    fn narrowed() -> Settings {
        Settings {
            allowed_types: crate::allowed::TypePolicy::only([
                "application/pdf",
                "image/png",
                "image/jpeg",
                "text/plain",
            ]),
            ..s()
        }
    }

    #[test]
    fn allowed_types_are_normalized_and_deduplicated() {
        let v = validate_new_link(
            &narrowed(),
            &NewLink {
                allowed_types: Some(vec![
                    "Application/PDF".into(),
                    "application/pdf; x=y".into(),
                    "image/png".into(),
                    "image/jpg".into(),
                    "IMAGE/JPEG".into(),
                ]),
                ..new("x")
            },
        )
        .unwrap();
        assert_eq!(
            v.allowed_types,
            crate::allowed::TypePolicy::only(["application/pdf", "image/png", "image/jpeg"]),
            "aliases are kept as the deployment spells them, once"
        );
        // Under the default, a link narrows to what it asks, each family once.
        let v = validate_new_link(
            &s(),
            &NewLink {
                allowed_types: Some(vec!["image/heic".into(), "IMAGE/HEIF".into()]),
                ..new("x")
            },
        )
        .unwrap();
        assert_eq!(
            v.allowed_types,
            crate::allowed::TypePolicy::only(["image/heic"])
        );
        let biggest = NewLink {
            max_total_bytes: Some(MAX_MAX_TOTAL_BYTES),
            ..new("x")
        };
        assert_eq!(
            validate_new_link(&s(), &biggest).unwrap().max_total_bytes,
            Some(MAX_MAX_TOTAL_BYTES)
        );
    }

    #[test]
    fn a_refused_type_is_quoted_once_in_the_message() {
        for (settings, says) in [
            (s(), "all_but_active_content"),
            (
                narrowed(),
                "application/pdf, image/png, image/jpeg, text/plain",
            ),
        ] {
            let e = validate_new_link(
                &settings,
                &NewLink {
                    allowed_types: Some(vec!["application/x-msdownload".into()]),
                    ..new("x")
                },
            )
            .unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("\u{201c}application/x-msdownload\u{201d} is not allowed here"),
                "{e}"
            );
            assert!(e.to_string().contains(says), "{e}");
            assert!(
                matches!(&e, CoreError::InvalidAllowedTypes { allowed, .. } if *allowed == settings.allowed_types),
                "{e:?}"
            );
        }
    }

    #[test]
    fn only_expiry_gives_back() {
        assert!(gives_back_on(FileStatus::Expired));
        for st in [
            FileStatus::Rejected,
            FileStatus::Accepted,
            FileStatus::Pending,
        ] {
            assert!(!gives_back_on(st));
        }
    }
}
