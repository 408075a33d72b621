//! Object keys. `uploads/{owner}/{file}` is the only prefix, and the only one notified; ids are
//! from a safe alphabet, so no user text ever reaches a key. Rejected bytes are deleted, not
//! moved, so the pipeline never writes an object and never triggers itself.

use crate::{FileId, OwnerId};

pub const UPLOADS_PREFIX: &str = "uploads/";

pub fn upload_key(owner: &OwnerId, file: &FileId) -> String {
    format!("{UPLOADS_PREFIX}{owner}/{file}")
}

/// Decodes a key as S3 puts it in event notifications: form-URL-encoded, so `+` is a space and
/// `%XX` a byte. `None` when the result is not UTF-8.
pub fn decode_event_key(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Splits a decoded key into its owner and file, if it is exactly `uploads/{owner}/{file}`.
pub fn parse_upload_key(key: &str) -> Option<(OwnerId, FileId)> {
    let rest = key.strip_prefix(UPLOADS_PREFIX)?;
    let (owner, file) = rest.split_once('/')?;
    Some((OwnerId::parse(owner).ok()?, FileId::parse(file).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_are_form_decoded() {
        assert_eq!(
            decode_event_key("uploads%2Fa%2Fb").as_deref(),
            Some("uploads/a/b")
        );
        assert_eq!(decode_event_key("a+b%2Bc").as_deref(), Some("a b+c"));
        assert_eq!(decode_event_key("%E2%9C%93").as_deref(), Some("✓"));
        assert_eq!(decode_event_key("%FF"), None);
    }

    #[test]
    fn only_exact_upload_keys_parse() {
        let (o, f) = parse_upload_key("uploads/owner-1/file-1").unwrap();
        assert_eq!((o.as_str(), f.as_str()), ("owner-1", "file-1"));
        for bad in [
            "uploads/owner-1",
            "uploads/owner-1/file/extra",
            "other/o/f",
            "uploads//f",
            "uploads/o/",
            "uploads/o/../x",
        ] {
            assert!(parse_upload_key(bad).is_none(), "{bad}");
        }
        let o = OwnerId::parse("o").unwrap();
        let f = FileId::parse("f").unwrap();
        assert_eq!(parse_upload_key(&upload_key(&o, &f)), Some((o, f)));
    }
}
