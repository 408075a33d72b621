//! The type policy: which declared types a client may upload, which detected types agree with
//! them, and the verdict on an uploaded object.

use serde::Serialize;

/// Lowercase, without parameters (`text/plain; charset=utf-8` -> `text/plain`).
pub fn normalize_type(raw: &str) -> String {
    raw.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// What a download is served as: the type the verdict detected, so a browser never takes the
/// uploader's declaration for it, except text and anything unknown, which go out as opaque
/// bytes (`application/octet-stream`), and every type a browser would run or render as a page.
pub fn served_type(detected: Option<&str>) -> String {
    const OPAQUE: &str = "application/octet-stream";
    let Some(t) = detected.map(normalize_type).filter(|t| !t.is_empty()) else {
        return OPAQUE.to_owned();
    };
    let active = t.starts_with("text/")
        || t.contains("html")
        || t.contains("xml")
        || t.contains("javascript")
        || t.contains("ecmascript")
        || t.ends_with("+json")
        || t == "application/json";
    if active { OPAQUE.to_owned() } else { t }
}

/// The canonical name of a type's alias family. Families are documented in docs/API.md:
/// several spellings of one format, and CSV being plain text to a sniffer.
pub fn family(t: &str) -> &str {
    match t {
        "image/jpg" | "image/pjpeg" => "image/jpeg",
        "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "audio/wav",
        "audio/mp3" | "audio/x-mpeg" => "audio/mpeg",
        "application/x-zip-compressed" => "application/zip",
        "text/csv" => "text/plain",
        other => other,
    }
}

/// Whether `content_type` (normalized) is on the allow-list, directly or through its family.
pub fn is_allowed(allowed: &[String], content_type: &str) -> bool {
    let wanted = family(content_type);
    allowed.iter().any(|a| family(a) == wanted)
}

/// The allow-list's own entry for `content_type` (normalized), matched directly or through its
/// family; `None` when it is not allowed.
pub fn allowed_spelling<'a>(allowed: &'a [String], content_type: &str) -> Option<&'a str> {
    if content_type.is_empty() {
        return None;
    }
    let wanted = family(content_type);
    allowed
        .iter()
        .find(|a| a.as_str() == content_type)
        .or_else(|| allowed.iter().find(|a| family(a) == wanted))
        .map(String::as_str)
}

/// Why an object was rejected. The codes are part of the API and the notification schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The bytes are of a known type that is not on the allow-list.
    TypeNotAllowed,
    /// The bytes are of an allowed type, but not the declared one.
    TypeMismatch,
    /// Nothing recognisable in the first bytes.
    TypeUnrecognized,
    /// The stored object's size differs from the declared size.
    SizeMismatch,
}

impl RejectReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::TypeNotAllowed => "type_not_allowed",
            Self::TypeMismatch => "type_mismatch",
            Self::TypeUnrecognized => "type_unrecognized",
            Self::SizeMismatch => "size_mismatch",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Rejected(RejectReason),
}

pub struct Observed<'a> {
    pub declared_type: &'a str,
    pub detected_type: Option<&'a str>,
    pub declared_size: u64,
    pub actual_size: u64,
}

pub fn verdict(allowed: &[String], o: &Observed<'_>) -> Verdict {
    if o.actual_size != o.declared_size {
        return Verdict::Rejected(RejectReason::SizeMismatch);
    }
    let Some(detected) = o.detected_type else {
        return Verdict::Rejected(RejectReason::TypeUnrecognized);
    };
    let detected_family = family(detected);
    if !allowed.iter().any(|a| family(a) == detected_family) {
        return Verdict::Rejected(RejectReason::TypeNotAllowed);
    }
    if family(o.declared_type) != detected_family {
        return Verdict::Rejected(RejectReason::TypeMismatch);
    }
    Verdict::Accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_served_as_judged_and_text_as_opaque_bytes() {
        assert_eq!(served_type(Some("image/png")), "image/png");
        assert_eq!(served_type(Some("application/pdf")), "application/pdf");
        for opaque in [
            None,
            Some(""),
            Some("text/plain"),
            Some("text/html"),
            Some("image/svg+xml"),
            Some("application/xhtml+xml"),
            Some("application/javascript"),
            Some("application/json"),
        ] {
            assert_eq!(
                served_type(opaque),
                "application/octet-stream",
                "{opaque:?}"
            );
        }
    }

    fn allowed() -> Vec<String> {
        crate::settings::DEFAULT_ALLOWED_TYPES
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn v(declared: &str, detected: Option<&str>, size: (u64, u64)) -> Verdict {
        verdict(
            &allowed(),
            &Observed {
                declared_type: declared,
                detected_type: detected,
                declared_size: size.0,
                actual_size: size.1,
            },
        )
    }

    #[test]
    fn normalizes_declared_types() {
        assert_eq!(normalize_type(" Text/CSV; charset=UTF-8"), "text/csv");
        assert_eq!(normalize_type(""), "");
    }

    #[test]
    fn allow_list_admits_aliases_of_allowed_types() {
        let a = allowed();
        assert!(is_allowed(&a, "image/png"));
        assert!(is_allowed(&a, "image/jpg"));
        assert!(is_allowed(&a, "audio/x-wav"));
        assert!(!is_allowed(&a, "application/x-msdownload"));
        assert!(!is_allowed(&a, "text/html"));
        assert!(!is_allowed(&["image/png".to_string()], "image/jpeg"));
    }

    #[test]
    fn verdicts() {
        use RejectReason::*;
        assert_eq!(v("image/png", Some("image/png"), (5, 5)), Verdict::Accepted);
        assert_eq!(
            v("audio/wav", Some("audio/x-wav"), (5, 5)),
            Verdict::Accepted
        );
        assert_eq!(v("text/csv", Some("text/plain"), (5, 5)), Verdict::Accepted);
        assert_eq!(
            v("image/png", Some("image/png"), (5, 6)),
            Verdict::Rejected(SizeMismatch)
        );
        assert_eq!(
            v("image/png", Some("application/x-executable"), (5, 5)),
            Verdict::Rejected(TypeNotAllowed)
        );
        assert_eq!(
            v("text/plain", Some("application/zip"), (5, 5)),
            Verdict::Rejected(TypeMismatch)
        );
        assert_eq!(
            v("image/png", None, (5, 5)),
            Verdict::Rejected(TypeUnrecognized)
        );
    }
}
