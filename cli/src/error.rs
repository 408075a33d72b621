//! The crate's one error type. Every variant displays as one sentence for a person; `code()` is
//! the stable word `--json` prints. No variant holds a token, a password or a presigned URL.

use std::path::PathBuf;

use serde_json::Value;
use thiserror::Error;

use crate::units::bytes;

#[derive(Debug, Error)]
pub enum CliError {
    /// A missing or bad argument found after clap (exit 2, like clap's own).
    #[error("{0}")]
    Usage(String),
    #[error("Not logged in; run `dropgate login`.")]
    NotLoggedIn,
    #[error("Your session has expired; run `dropgate login`.")]
    SessionExpired,
    #[error("Logged in to {session}, not {asked}; run `dropgate login --api {asked}`.")]
    OtherApi { session: String, asked: String },
    #[error("Cannot reach the API at {api} ({cause}).")]
    Unreachable { api: String, cause: String },
    #[error("Cannot reach the storage service ({cause}).")]
    StorageUnreachable { cause: String },
    #[error("The storage service refused the request (HTTP {status}).")]
    Storage { status: u16 },
    #[error("The upload URL expired before the bytes were sent; run the same command again.")]
    UploadUrlExpired,
    #[error("No data for {secs} s; the connection stalled.")]
    Stalled { secs: u64 },
    /// An error answer of the API, `{"error": {code, message, ...figures}}`.
    #[error("{}", api_sentence(code, message, extra))]
    Api {
        status: u16,
        code: String,
        message: String,
        extra: serde_json::Map<String, Value>,
    },
    #[error("The API at {api} answered something unexpected (HTTP {status}).")]
    Protocol { api: String, status: u16 },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
    #[error("No {what}.")]
    NoSuch { what: String },
    #[error("{path} exists; pass --force to overwrite it.")]
    Exists { path: String },
    /// `status`: where the file stands (`pending`, or `scanning` for malware).
    #[error("{name}: no verdict after {secs} s (still {status}); see `dropgate ls` later.")]
    NoVerdict {
        name: String,
        secs: u64,
        status: String,
    },
    #[error("{name}: {message}")]
    Incomplete { name: String, message: String },
    #[error("{name}: the server no longer knows this upload (deleted meanwhile?).")]
    Vanished { name: String },
    #[error("{name} changed during the upload; run the command again to send it anew.")]
    Changed { name: String },
    /// `409 not_ready` to a share: only an accepted file can be shared.
    #[error("{id}: the file is not accepted (yet), so it cannot be shared.")]
    NotShareable { id: String },
    #[error("interrupted")]
    Interrupted,
    /// An error about one file of several: the name first.
    #[error("{name}: {source}")]
    File { name: String, source: Box<CliError> },
}

impl CliError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io {
            path: path.into(),
            source,
        }
    }

    pub fn for_file(self, name: &str) -> Self {
        match self {
            // Already about the whole run, or already named.
            CliError::Interrupted
            | CliError::NotLoggedIn
            | CliError::SessionExpired
            | CliError::File { .. }
            // A local file's failure names its path already.
            | CliError::Io { .. }
            | CliError::NoVerdict { .. }
            | CliError::Incomplete { .. }
            | CliError::Vanished { .. }
            | CliError::Changed { .. } => self,
            other => CliError::File {
                name: name.to_owned(),
                source: Box::new(other),
            },
        }
    }

    /// The stable word for scripts (`--json`): the API's own code when it answered one.
    pub fn code(&self) -> &str {
        match self {
            CliError::Usage(_) => "usage",
            CliError::NotLoggedIn => "not_logged_in",
            CliError::SessionExpired => "session_expired",
            CliError::OtherApi { .. } => "other_api",
            CliError::Unreachable { .. } => "unreachable",
            CliError::StorageUnreachable { .. } => "storage_unreachable",
            CliError::Storage { .. } => "storage_refused",
            CliError::UploadUrlExpired => "upload_url_expired",
            CliError::Stalled { .. } => "stalled",
            CliError::Api { code, .. } => code,
            CliError::Protocol { .. } => "protocol",
            CliError::Io { .. } => "io",
            CliError::Config(_) => "config",
            CliError::NoSuch { .. } => "not_found",
            CliError::Exists { .. } => "exists",
            CliError::NoVerdict { .. } => "no_verdict",
            CliError::Incomplete { .. } => "incomplete_upload",
            CliError::Vanished { .. } => "vanished",
            CliError::Changed { .. } => "changed",
            CliError::NotShareable { .. } => "not_ready",
            CliError::Interrupted => "interrupted",
            CliError::File { source, .. } => source.code(),
        }
    }

    /// The API's status and code, looking through a per-file wrapper.
    pub fn api_code(&self) -> Option<(u16, &str)> {
        match self {
            CliError::Api { status, code, .. } => Some((*status, code)),
            CliError::File { source, .. } => source.api_code(),
            _ => None,
        }
    }

    /// The figures the API gave beside the code, for `--json`.
    pub fn extra(&self) -> Option<&serde_json::Map<String, Value>> {
        match self {
            CliError::Api { extra, .. } if !extra.is_empty() => Some(extra),
            CliError::File { source, .. } => source.extra(),
            _ => None,
        }
    }
}

fn figure(extra: &serde_json::Map<String, Value>, key: &str) -> Option<u64> {
    extra.get(key).and_then(Value::as_u64)
}

/// One sentence for an API error: the codes a person meets most get their own words.
fn api_sentence(code: &str, message: &str, extra: &serde_json::Map<String, Value>) -> String {
    let f = |k| figure(extra, k);
    match code {
        "quota_exceeded" => match (
            f("requested_bytes"),
            f("used_bytes"),
            f("reserved_bytes"),
            f("limit_bytes"),
        ) {
            (Some(req), Some(used), Some(res), Some(limit)) => format!(
                "Quota exceeded: this upload needs {}, and {} of your {} are used ({} more reserved by uploads in progress).",
                bytes(req),
                bytes(used),
                bytes(limit),
                bytes(res)
            ),
            _ => "The storage behind this link is full.".to_owned(),
        },
        "file_too_large" if message.starts_with("This link can take") => format!("{message}."),
        "file_too_large" => match (f("size"), f("max_file_bytes")) {
            (Some(size), Some(max)) => format!(
                "File too large: {} where at most {} is allowed.",
                bytes(size),
                bytes(max)
            ),
            _ => "File too large.".to_owned(),
        },
        "unsupported_type" if extra.contains_key("allowed") => format!(
            "This type of file is not allowed here. Allowed here: {}.",
            allowed_words(&extra["allowed"])
        ),
        // The server names the type: `content type "x/y" is not allowed`.
        "unsupported_type" if !message.trim().is_empty() => {
            format!("{}.", capitalize(trim_period(message)))
        }
        "unsupported_type" => "This type of file is not allowed here.".to_owned(),
        "link_expired" => "This upload link has expired.".to_owned(),
        "link_revoked" => "This upload link was revoked by its owner.".to_owned(),
        "link_used_up" => "This upload link has no uploads or bytes left.".to_owned(),
        "link_not_found" => "No such upload link; check the URL.".to_owned(),
        "receipt_not_found" => "This upload is no longer known to the server.".to_owned(),
        "invalid_credentials" => "Wrong email or password.".to_owned(),
        "user_not_confirmed" => "This account is not confirmed yet.".to_owned(),
        "rate_limited" => match f("retry_after") {
            Some(s) => format!("Too many failed attempts; try again in {s} s."),
            None => "Too many failed attempts; try again later.".to_owned(),
        },
        "unavailable" | "throttled" | "internal" => {
            "The service is not answering properly right now; try again shortly.".to_owned()
        }
        "not_found" => "Not found.".to_owned(),
        "not_ready" => "The file is not accepted (yet), so it cannot be downloaded.".to_owned(),
        "uploader_name_required" => "This link asks for your name: pass --name.".to_owned(),
        _ => format!("{} ({code}).", capitalize(trim_period(message))),
    }
}

/// What is allowed, in words: the list, or everything but active content.
pub fn allowed_words(allowed: &Value) -> String {
    match allowed {
        Value::String(s) if s == "all_but_active_content" => {
            "anything but programs and scripts".to_owned()
        }
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => "(not said)".to_owned(),
    }
}

/// `413 file_too_large` of a drop, said to the uploader (who has no quota): the largest file
/// the link takes now.
pub fn for_link(e: CliError) -> CliError {
    match e {
        CliError::Api {
            status,
            code,
            message,
            extra,
        } if code == "file_too_large" => match figure(&extra, "max_file_bytes") {
            Some(max) => CliError::Api {
                status,
                code,
                message: format!("This link can take files up to {}", bytes(max)),
                extra,
            },
            None => CliError::Api {
                status,
                code,
                message,
                extra,
            },
        },
        CliError::File { name, source } => CliError::File {
            name,
            source: Box::new(for_link(*source)),
        },
        other => other,
    }
}

fn trim_period(s: &str) -> &str {
    s.trim().trim_end_matches('.')
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn api(code: &str, extra: Value) -> CliError {
        CliError::Api {
            status: 413,
            code: code.into(),
            message: "whatever".into(),
            extra: extra.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn quota_exceeded_reads_in_human_units() {
        let e = api(
            "quota_exceeded",
            json!({"requested_bytes": 3_221_225_472u64, "used_bytes": 4_294_967_296u64,
                   "reserved_bytes": 0, "limit_bytes": 5_368_709_120u64}),
        );
        assert_eq!(
            e.for_file("big.iso").to_string(),
            "big.iso: Quota exceeded: this upload needs 3.0 GiB, and 4.0 GiB of your 5.0 GiB are used (0 B more reserved by uploads in progress)."
        );
    }

    #[test]
    fn a_refused_type_is_named() {
        let mut e = api("unsupported_type", json!({}));
        if let CliError::Api { message, .. } = &mut e {
            *message = "content type \"application/x-msdownload\" is not allowed".into();
        }
        assert_eq!(
            e.for_file("cat.exe").to_string(),
            "cat.exe: Content type \"application/x-msdownload\" is not allowed."
        );
    }

    #[test]
    fn a_refused_type_says_what_is_allowed() {
        let e = api(
            "unsupported_type",
            json!({"allowed": "all_but_active_content"}),
        );
        assert_eq!(
            e.for_file("cat.exe").to_string(),
            "cat.exe: This type of file is not allowed here. Allowed here: anything but programs and scripts."
        );
        let e = api(
            "unsupported_type",
            json!({"allowed": ["application/pdf", "image/png"]}),
        );
        assert_eq!(
            e.to_string(),
            "This type of file is not allowed here. Allowed here: application/pdf, image/png."
        );
    }

    #[test]
    fn a_drop_too_large_speaks_to_the_uploader() {
        let e = api(
            "file_too_large",
            json!({"size": 6_000_000_000u64, "max_file_bytes": 4_400_000_000u64}),
        );
        assert_eq!(
            for_link(e.for_file("film.mov")).to_string(),
            "film.mov: This link can take files up to 4.1 GiB."
        );
    }

    #[test]
    fn unknown_codes_keep_the_servers_message_and_code() {
        let e = api("invalid_name", json!({}));
        assert_eq!(e.to_string(), "Whatever (invalid_name).");
        assert_eq!(e.code(), "invalid_name");
    }
}
