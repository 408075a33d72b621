//! Object keys. `uploads/{owner}/{file}` is the only prefix, and the only one notified; ids are
//! from a safe alphabet, so no user text ever reaches a key. Rejected bytes are deleted, not
//! moved, so the pipeline never writes an object and never triggers itself.

use crate::{FileId, OwnerId};

pub const UPLOADS_PREFIX: &str = "uploads/";

pub fn upload_key(owner: &OwnerId, file: &FileId) -> String {
    format!("{UPLOADS_PREFIX}{owner}/{file}")
}

/// The shard of the pending-files index a file's record goes to: a stable hash of its id, so
/// that the index's writes spread over `shards` partitions instead of one hot key. Stable
/// across processes and versions (FNV-1a), never `std`'s randomly seeded hasher.
pub fn pending_shard(file: &FileId, shards: u32) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in file.as_str().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % shards.max(1)
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
    fn pending_shards_are_stable_and_spread() {
        let id = FileId::parse("0192f1c2-7a3b-7c4d-8e5f-0123456789ab").unwrap();
        assert_eq!(pending_shard(&id, 16), pending_shard(&id, 16));
        assert_eq!(pending_shard(&id, 1), 0);
        assert_eq!(pending_shard(&id, 0), 0, "no shards means one");
        let mut seen = [0u32; 16];
        for i in 0..1600 {
            let id = FileId::parse(&format!("0192f1c2-7a3b-7c4d-8e5f-{i:012}")).unwrap();
            seen[pending_shard(&id, 16) as usize] += 1;
        }
        // Time-ordered ids that differ only in their last digits still spread out.
        assert!(seen.iter().all(|&n| (50..=150).contains(&n)), "{seen:?}");
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
