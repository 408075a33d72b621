//! The domain's one error type. Each variant carries a stable machine code; the edge (the API
//! handler) maps the [`ErrorKind`] to an HTTP status.

use thiserror::Error;

use crate::allowed::TypePolicy;

/// What kind of failure, for the edge to pick a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The client sent something invalid (400).
    BadRequest,
    /// Credentials missing or wrong (401).
    Unauthorized,
    /// Authenticated but not allowed yet (403).
    Forbidden,
    /// No such resource for this caller (404).
    NotFound,
    /// The resource is not in a state that allows this (409).
    Conflict,
    /// The resource existed but is no longer usable: expired, revoked, used up (410).
    Gone,
    /// Over quota or over the size limit (413).
    TooLarge,
    /// Content type not accepted (415).
    UnsupportedType,
    /// Rate limited upstream (503: not the client's doing).
    TooManyRequests,
    /// The client made too many failed attempts (429, with Retry-After).
    RateLimited,
    /// Something on our side failed (500); never the client's fault.
    Internal,
    /// A dependency did not answer in time or answered 5xx (503): retry later.
    Unavailable,
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error(
        "quota exceeded: {requested} bytes requested, {used} used, {reserved} reserved of {limit}"
    )]
    QuotaExceeded {
        requested: u64,
        used: u64,
        reserved: u64,
        limit: u64,
    },
    #[error("file too large: {size} bytes, the maximum is {max}")]
    FileTooLarge { size: u64, max: u64 },
    /// A drop larger than the link can take now (its limits and the owner's free space
    /// together): the uploader is told that one figure, never anything of the owner's storage.
    #[error("this link can take files up to {}", up_to(*.max))]
    DropTooLarge { size: u64, max: u64 },
    /// A declared type the policy refuses; the answer says what is allowed.
    #[error("files of type {content_type:?} are not allowed here; allowed: {}", .allowed.describe())]
    TypeNotAllowed {
        content_type: String,
        allowed: TypePolicy,
    },
    /// A link's `allowed_types` that the deployment does not allow (400).
    #[error("{message}")]
    InvalidAllowedTypes {
        message: String,
        allowed: TypePolicy,
    },
    #[error("not found")]
    NotFound,
    /// Not found, with a code of its own (`link_not_found`, `receipt_not_found`).
    #[error("{message}")]
    Missing { code: &'static str, message: String },
    /// No longer usable (`link_expired`, `link_revoked`, `link_used_up`).
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// Too many wrong passwords for one share, from every address together: every password
    /// attempt on it is refused until the lockout ends.
    #[error("this share is locked after too many wrong passwords; retry in {retry_after_secs} s")]
    ShareLocked { retry_after_secs: u64 },
    /// An upload link's pending drops hold all the bytes it may have pending (409, with
    /// Retry-After: the seconds until the first of them is released).
    #[error("this upload link has too many uploads in progress; retry in {retry_after_secs} s")]
    LinkBusy { retry_after_secs: u64 },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("part {number} is not a part of this upload (1 to {part_count})")]
    InvalidPartNumber { number: u32, part_count: u32 },
    /// A completion refused: the store does not hold every part at its planned size.
    #[error("the upload is incomplete: some parts are missing or differ from the plan")]
    IncompleteUpload(crate::multipart::Incomplete),
    /// The store is assembling the object of a completion: neither the upload nor the object
    /// is visible yet. Retrying the completion shortly finds the object.
    #[error("the upload is being completed; retry shortly")]
    Completing,
    #[error("upstream throttled the request")]
    Throttled,
    /// A failure of an adapter that retrying will not mend (a malformed request, a corrupt
    /// record, ...). The text is for logs, not for clients.
    #[error("upstream failure: {0}")]
    Upstream(String),
    /// A dependency timed out, could not be reached, or answered 5xx, after bounded retries.
    /// The text (operation, error code, request id) is for logs, not for clients.
    #[error("dependency unavailable: {0}")]
    Unavailable(String),
}

impl CoreError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            message: message.into(),
        }
    }

    pub fn missing(code: &'static str, message: impl Into<String>) -> Self {
        Self::Missing {
            code,
            message: message.into(),
        }
    }

    pub fn gone(code: &'static str, message: impl Into<String>) -> Self {
        Self::Gone {
            code,
            message: message.into(),
        }
    }

    pub fn upstream(e: impl std::fmt::Display) -> Self {
        Self::Upstream(e.to_string())
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid { .. }
            | Self::InvalidPartNumber { .. }
            | Self::InvalidAllowedTypes { .. } => ErrorKind::BadRequest,
            Self::IncompleteUpload(_) | Self::LinkBusy { .. } => ErrorKind::Conflict,
            Self::QuotaExceeded { .. } | Self::FileTooLarge { .. } | Self::DropTooLarge { .. } => {
                ErrorKind::TooLarge
            }
            Self::Missing { .. } => ErrorKind::NotFound,
            Self::Gone { .. } => ErrorKind::Gone,
            Self::RateLimited { .. } | Self::ShareLocked { .. } => ErrorKind::RateLimited,
            Self::TypeNotAllowed { .. } => ErrorKind::UnsupportedType,
            Self::NotFound => ErrorKind::NotFound,
            Self::Conflict { .. } => ErrorKind::Conflict,
            Self::Unauthorized { .. } => ErrorKind::Unauthorized,
            Self::Forbidden { .. } => ErrorKind::Forbidden,
            Self::Throttled => ErrorKind::TooManyRequests,
            Self::Upstream(_) => ErrorKind::Internal,
            Self::Unavailable(_) | Self::Completing => ErrorKind::Unavailable,
        }
    }

    /// The stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Missing { code, .. }
            | Self::Gone { code, .. } => code,
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::InvalidAllowedTypes { .. } => "invalid_allowed_types",
            Self::RateLimited { .. } => "rate_limited",
            Self::ShareLocked { .. } => "share_locked",
            Self::LinkBusy { .. } => "link_busy",
            Self::FileTooLarge { .. } | Self::DropTooLarge { .. } => "file_too_large",
            Self::InvalidPartNumber { .. } => "invalid_part_number",
            Self::IncompleteUpload(_) => "incomplete_upload",
            Self::TypeNotAllowed { .. } => "unsupported_type",
            Self::NotFound => "not_found",
            Self::Throttled => "throttled",
            Self::Upstream(_) => "internal",
            Self::Unavailable(_) => "unavailable",
            Self::Completing => "upload_completing",
        }
    }

    /// Whether retrying the same operation later may succeed (throttling, 5xx, network).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Throttled | Self::Upstream(_) | Self::Unavailable(_) | Self::Completing
        )
    }
}

/// `4.4 GiB (4724464025 bytes)`: the rounded figure and the exact one.
fn up_to(max: u64) -> String {
    match size(max) {
        shown if max < 1024 => shown,
        shown => format!("{shown} ({max} bytes)"),
    }
}

/// A size as people read it everywhere Dropgate prints one (the web client and the CLI too):
/// binary units labelled as such, one decimal (`16 B`, `1.5 KiB`, `4.4 GiB`).
pub fn size(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let (mut v, mut i) = (n as f64 / 1024.0, 0);
    // 1023.96 KiB would print as "1024.0 KiB": move up a unit once rounding reaches 1024.
    while v >= 1023.95 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", UNITS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The web client and the CLI print sizes from the same table: one convention.
    #[test]
    fn sizes_read_as_the_web_and_the_cli_print_them() {
        let table: Vec<(u64, String)> =
            serde_json::from_str(include_str!("../../web/tests/size-units.json"))
                .expect("size-units.json");
        for (n, shown) in table {
            assert_eq!(size(n), shown, "{n}");
        }
        let e = CoreError::DropTooLarge {
            size: 6_000_000_000,
            max: 4_724_464_025,
        };
        assert_eq!(e.code(), "file_too_large");
        assert_eq!(
            e.to_string(),
            "this link can take files up to 4.4 GiB (4724464025 bytes)"
        );
    }
}
