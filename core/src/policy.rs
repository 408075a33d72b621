//! The type policy: which declared types a client may upload, which detected types agree with
//! them, and the verdict on an uploaded object.

use serde::Serialize;

// The type names and their families live with the extension table, a leaf module; the allowed
// types with their policy.
use crate::allowed::OCTET_STREAM;
pub use crate::allowed::{TypePolicy, admits, allowed_spelling, is_allowed};
pub use crate::kinds::{family, normalize_type};

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
        || t == "application/json"
        || crate::kinds::is_active_type(&t);
    if active { OPAQUE.to_owned() } else { t }
}

/// Why an object was rejected. The codes are part of the API and the notification schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The bytes are of a known type that is not on the allow-list.
    TypeNotAllowed,
    /// The bytes are not what the declared type, or the name's extension, says.
    TypeMismatch,
    /// Nothing recognisable in the first bytes.
    TypeUnrecognized,
    /// The stored object's size differs from the declared size.
    SizeMismatch,
    /// The name is of active content (a page, a script, a program) that the allow-list does
    /// not name explicitly.
    ActiveContent,
    /// The object was stored with a `Content-Encoding`: a browser would decode it into other
    /// bytes than the ones judged.
    ContentEncoding,
}

impl RejectReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::TypeNotAllowed => "type_not_allowed",
            Self::TypeMismatch => "type_mismatch",
            Self::TypeUnrecognized => "type_unrecognized",
            Self::SizeMismatch => "size_mismatch",
            Self::ActiveContent => "active_content",
            Self::ContentEncoding => "content_encoding",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Rejected(RejectReason),
}

pub struct Observed<'a> {
    /// The file's name: its extension must agree with the bytes.
    pub name: &'a str,
    pub declared_type: &'a str,
    pub detected_type: Option<&'a str>,
    pub declared_size: u64,
    pub actual_size: u64,
    /// The `Content-Encoding` the object was stored with, if any.
    pub content_encoding: Option<&'a str>,
}

/// Whether a stored `Content-Encoding` leaves the bytes as they are.
fn is_identity(encoding: Option<&str>) -> bool {
    encoding.is_none_or(|e| {
        let e = e.trim();
        e.is_empty() || e.eq_ignore_ascii_case("identity")
    })
}

/// The verdict, first reason first: the bytes that arrived are not the announced ones
/// (`size_mismatch`), or would not be served as judged (`content_encoding`); the name is of
/// active content not admitted by name (`active_content`); nothing is recognised where the name
/// or the declaration claims a format, or where unknown bytes are not allowed
/// (`type_unrecognized`); the
/// bytes are not what the name's extension says (`type_mismatch`); their type is not allowed
/// (`type_not_allowed`); they are not the declared type (`type_mismatch`).
///
/// Bytes nothing recognises under a name the table does not know are judged to be
/// `application/octet-stream`: allowed by default, and by a list that names that type.
pub fn verdict(allowed: &TypePolicy, o: &Observed<'_>) -> Verdict {
    use RejectReason::*;
    if o.actual_size != o.declared_size {
        return Verdict::Rejected(SizeMismatch);
    }
    if !is_identity(o.content_encoding) {
        return Verdict::Rejected(ContentEncoding);
    }
    let kind = crate::kinds::of_name(o.name);
    if kind.is_some_and(|k| k.active && !allowed.names_active(k)) {
        return Verdict::Rejected(ActiveContent);
    }
    let declared = normalize_type(o.declared_type);
    let Some(detected) = o.detected_type.map(normalize_type) else {
        // Unknown bytes pass only where nothing claims a format a sniffer would have
        // recognised: neither the name's extension nor the declared type.
        let claimed = kind.is_some() || crate::kinds::is_recognisable(&declared);
        if claimed || !allowed.admits(OCTET_STREAM) {
            return Verdict::Rejected(TypeUnrecognized);
        }
        return Verdict::Accepted;
    };
    if kind.is_some_and(|k| !k.carries(&detected)) {
        return Verdict::Rejected(TypeMismatch);
    }
    let judged = judged_type(o.name, &declared, &detected);
    if !allowed.admits(&judged) {
        return Verdict::Rejected(TypeNotAllowed);
    }
    // Declaring a format's container is honest (a `.docx` sent as `application/zip`), and so
    // is claiming nothing (`application/octet-stream`, what a browser sends for a type it does
    // not know).
    if declared != OCTET_STREAM && !admits(&declared, &judged) {
        return Verdict::Rejected(TypeMismatch);
    }
    Verdict::Accepted
}

/// The type the bytes are judged to be: what was detected (normalized), except where a
/// sniffer sees only a carrier and the name's extension and the declaration agree on the format
/// it carries: text under a text-based format (`.svg` declared `image/svg+xml`, `.json`
/// declared `application/json`), or a bare ZIP under a format built on ZIP (`.docx` declared
/// as Word, whose first entry did not name it).
fn judged_type(name: &str, declared: &str, detected: &str) -> String {
    let declared = normalize_type(declared);
    let bare_carrier = detected.starts_with("text/") || family(detected) == "application/zip";
    match crate::kinds::of_name(name) {
        Some(k) if bare_carrier && k.carries(detected) && k.types.contains(&declared.as_str()) => {
            declared
        }
        _ => normalize_type(detected),
    }
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

    /// A narrowed deployment's list (what `ALLOWED_TYPES` may say).
    fn allowed() -> Vec<String> {
        [
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "application/pdf",
            "audio/mpeg",
            "audio/wav",
            "video/mp4",
            "application/zip",
            "text/plain",
            "text/csv",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn v(declared: &str, detected: Option<&str>, size: (u64, u64)) -> Verdict {
        verdict(
            &TypePolicy::Only(allowed()),
            &Observed {
                name: "upload",
                declared_type: declared,
                detected_type: detected,
                declared_size: size.0,
                actual_size: size.1,
                content_encoding: None,
            },
        )
    }

    /// The verdict on `bytes` (detected as the pipeline does) named `name`, declared `declared`,
    /// against the default allow-list plus `extra`.
    fn named(name: &str, declared: &str, bytes: &[u8], extra: &[&str]) -> Verdict {
        let mut allowed = allowed();
        allowed.extend(extra.iter().map(|s| s.to_string()));
        judge(&TypePolicy::Only(allowed), name, declared, bytes)
    }

    /// The verdict on `bytes` named `name`, declared `declared`, under `allowed`.
    fn judge(allowed: &TypePolicy, name: &str, declared: &str, bytes: &[u8]) -> Verdict {
        let detected = crate::sniff::detect(bytes, false);
        verdict(
            allowed,
            &Observed {
                name,
                declared_type: declared,
                detected_type: detected.as_deref(),
                declared_size: bytes.len() as u64,
                actual_size: bytes.len() as u64,
                content_encoding: None,
            },
        )
    }

    /// A ZIP whose first entry is `entry` holding `data` (stored, not compressed).
    fn zip_with(entry: &str, data: &[u8]) -> Vec<u8> {
        let mut v = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        let n = (data.len() as u32).to_le_bytes();
        v.extend_from_slice(&n);
        v.extend_from_slice(&n);
        v.extend_from_slice(&(entry.len() as u16).to_le_bytes());
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(entry.as_bytes());
        v.extend_from_slice(data);
        v.extend_from_slice(b"PK\x03\x04");
        v.resize(v.len() + 64, 0);
        v
    }

    fn iso_media(brand: &[u8; 4]) -> Vec<u8> {
        let mut v = b"\0\0\0\x1cftyp".to_vec();
        v.extend_from_slice(brand);
        v.extend_from_slice(b"\0\0\0\0mif1miaf");
        v.extend_from_slice(brand);
        v.resize(64, 0);
        v
    }

    fn pe() -> Vec<u8> {
        let mut v = vec![0u8; 256];
        v[..2].copy_from_slice(b"MZ");
        v[0x3c] = 0x80;
        v[0x80..0x84].copy_from_slice(b"PE\0\0");
        v
    }

    #[test]
    fn honest_names_pass() {
        let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".repeat(4);
        for name in ["photo.jpg", "photo.JPEG", "photo.jfif", "photo"] {
            assert_eq!(
                named(name, "image/jpeg", &jpeg, &[]),
                Verdict::Accepted,
                "{name}"
            );
        }
        let docx = zip_with("[Content_Types].xml", b"<Types/>word/document.xml");
        let xlsx = zip_with("[Content_Types].xml", b"<Types/>xl/workbook.xml");
        let epub = zip_with("mimetype", b"application/epub+zip");
        for (name, bytes) in [
            ("cv.docx", &docx),
            ("sums.xlsx", &xlsx),
            ("book.epub", &epub),
            ("all.zip", &docx),
        ] {
            assert_eq!(
                named(name, "application/zip", bytes, &[]),
                Verdict::Accepted,
                "{name} as {:?}",
                crate::sniff::detect(bytes, false)
            );
        }
        let heic = iso_media(b"heic");
        let avif = iso_media(b"avif");
        let more = ["image/heic", "image/avif"];
        assert_eq!(
            named("p.heic", "image/heic", &heic, &more),
            Verdict::Accepted
        );
        assert_eq!(
            named("p.HEIF", "image/heic", &heic, &more),
            Verdict::Accepted
        );
        assert_eq!(
            named("p.avif", "image/avif", &avif, &more),
            Verdict::Accepted
        );
        // Text under text names, and any bytes under a name the table does not know.
        assert_eq!(
            named("notes.md", "text/plain", b"# hi\n", &[]),
            Verdict::Accepted
        );
        assert_eq!(
            named("data.csv", "text/csv", b"a,b\n1,2\n", &[]),
            Verdict::Accepted
        );
        assert_eq!(
            named("x.bin", "application/zip", &docx, &[]),
            Verdict::Accepted
        );
        assert_eq!(
            named(".profile", "text/plain", b"x=1\n", &[]),
            Verdict::Accepted
        );
    }

    #[test]
    fn a_name_that_disagrees_with_its_bytes_is_a_type_mismatch() {
        use RejectReason::*;
        let zip = zip_with("a.txt", b"hello");
        let rejected = Verdict::Rejected(TypeMismatch);
        // Declared as what the bytes are, named as something else.
        assert_eq!(named("invoice.pdf", "application/zip", &zip, &[]), rejected);
        assert_eq!(named("invoice.pdf", "application/pdf", &zip, &[]), rejected);
        assert_eq!(named("photo.jpg", "image/jpeg", &pe(), &[]), rejected);
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".repeat(4);
        assert_eq!(named("photo.jpg", "image/png", &png, &[]), rejected);
        assert_eq!(named("notes.txt", "text/plain", &zip, &[]), rejected);
        // HTML behind a text name: the name does not say what the bytes are.
        let html = b"<html><body><script>alert(1)</script></body></html>";
        assert_eq!(named("notes.txt", "text/plain", html, &[]), rejected);
    }

    #[test]
    fn active_content_passes_only_when_its_type_is_allowed_by_name() {
        use RejectReason::*;
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(document.domain)\"/>";
        let html = b"<html><body><script>alert(1)</script></body></html>";
        let hta = b"<HTA:APPLICATION ID=\"x\"><script>new ActiveXObject('WScript.Shell')</script>";
        let active = Verdict::Rejected(ActiveContent);
        // Today's text passes as text; under these names it is refused.
        assert_eq!(named("x.svg", "text/plain", svg, &[]), active);
        assert_eq!(named("X.SVG", "image/svg+xml", svg, &[]), active);
        assert_eq!(named("page.html", "text/plain", html, &[]), active);
        assert_eq!(
            named("page.htm", "text/html", html, &["text/plain"]),
            active
        );
        assert_eq!(named("run.hta", "text/plain", hta, &[]), active);
        assert_eq!(named("a.js", "text/plain", b"alert(1)", &[]), active);
        assert_eq!(named("setup.exe", "application/zip", &pe(), &[]), active);
        assert_eq!(
            named(
                "lib.jar",
                "application/zip",
                &zip_with("META-INF/x", b""),
                &[]
            ),
            active
        );
        // Named explicitly, they pass (and are still served as opaque bytes).
        let svg_ok = ["image/svg+xml"];
        assert_eq!(
            named("x.svg", "image/svg+xml", svg, &svg_ok),
            Verdict::Accepted
        );
        assert_eq!(
            named("x.svg", "text/plain", svg, &svg_ok),
            Verdict::Accepted
        );
        assert_eq!(
            named("page.html", "text/html", html, &["text/html"]),
            Verdict::Accepted
        );
        assert_eq!(
            named("run.hta", "application/hta", hta, &["application/hta"]),
            Verdict::Accepted
        );
        let exe = ["application/vnd.microsoft.portable-executable"];
        assert_eq!(named("setup.exe", exe[0], &pe(), &exe), Verdict::Accepted);
        assert_eq!(
            served_type(Some("image/svg+xml")),
            "application/octet-stream"
        );
        assert_eq!(served_type(Some(exe[0])), "application/octet-stream");
        // Explicitly allowed, the bytes must still be what the name says.
        assert_eq!(
            named("x.svg", "image/svg+xml", &pe(), &svg_ok),
            Verdict::Rejected(TypeMismatch)
        );
    }

    #[test]
    fn a_stored_content_encoding_is_refused() {
        let o = |e| Observed {
            name: "a.txt",
            declared_type: "text/plain",
            detected_type: Some("text/plain"),
            declared_size: 5,
            actual_size: 5,
            content_encoding: e,
        };
        let a = TypePolicy::Only(allowed());
        for ok in [None, Some(""), Some("identity"), Some(" Identity ")] {
            assert_eq!(verdict(&a, &o(ok)), Verdict::Accepted, "{ok:?}");
        }
        for bad in ["br", "gzip", "deflate", "gzip, identity"] {
            assert_eq!(
                verdict(&a, &o(Some(bad))),
                Verdict::Rejected(RejectReason::ContentEncoding),
                "{bad}"
            );
        }
        // The size is checked first; the encoding before anything the name or bytes say.
        let o2 = Observed {
            actual_size: 6,
            ..o(Some("br"))
        };
        assert_eq!(
            verdict(&a, &o2),
            Verdict::Rejected(RejectReason::SizeMismatch)
        );
        let o3 = Observed {
            name: "x.svg",
            ..o(Some("br"))
        };
        assert_eq!(
            verdict(&a, &o3),
            Verdict::Rejected(RejectReason::ContentEncoding)
        );
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
    fn a_container_admits_what_is_built_on_it_and_never_the_reverse() {
        const DOCX: &str =
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        let zip_only = vec!["application/zip".to_string()];
        let docx_only = vec![DOCX.to_string()];
        let (zip_p, docx_p) = (
            TypePolicy::Only(zip_only.clone()),
            TypePolicy::Only(docx_only.clone()),
        );
        assert!(is_allowed(&zip_only, DOCX));
        assert!(!is_allowed(&docx_only, "application/zip"));
        assert_eq!(allowed_spelling(&zip_only, DOCX).as_deref(), Some(DOCX));
        assert_eq!(allowed_spelling(&docx_only, "application/zip"), None);
        let docx = zip_with("[Content_Types].xml", b"<Types/>word/document.xml");
        // A ZIP whose first entry does not name the format: the name and declaration say.
        let bare = zip_with("customXml/item1.xml", b"<root/>");
        assert_eq!(
            crate::sniff::detect(&bare, false).as_deref(),
            Some("application/zip")
        );
        for bytes in [&docx, &bare] {
            assert_eq!(judge(&docx_p, "cv.docx", DOCX, bytes), Verdict::Accepted);
            assert_eq!(judge(&zip_p, "cv.docx", DOCX, bytes), Verdict::Accepted);
        }
        // Allowing Word documents does not let any ZIP in.
        assert_eq!(
            judge(&docx_p, "all.zip", "application/zip", &bare),
            Verdict::Rejected(RejectReason::TypeNotAllowed)
        );
        assert_eq!(
            judge(&docx_p, "all.zip", DOCX, &bare),
            Verdict::Rejected(RejectReason::TypeNotAllowed)
        );
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
