//! Object keys. Everything lives under `uploads/`, the only prefix, and the only one notified;
//! ids are from a safe alphabet, so no user text ever reaches a key. Rejected bytes are
//! deleted, not moved, so the pipeline never writes an object and never triggers itself.
//!
//! A file's key is handed to strangers (a link uploader's PUT and part URLs, a share
//! recipient's GET), so it must say nothing of the owner: new files are keyed
//! `uploads/{file}` ([`KeyScheme::File`]; file ids are server-made and say nothing of anyone),
//! and the owner is found through the ledger's pointer from the file id. Files created before
//! that keep `uploads/{owner}/{file}` ([`KeyScheme::Owner`]) and are read, judged, served and
//! removed under it: nothing was moved.

use crate::{FileId, OwnerId};

pub const UPLOADS_PREFIX: &str = "uploads/";

/// How a file's object is keyed: fixed when its record is created, kept with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyScheme {
    /// `uploads/{owner}/{file}`: files created before keys were made owner-free.
    Owner,
    /// `uploads/{file}`: every new file.
    File,
}

/// What an object key names, parsed: the pipeline looks its record up from this alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UploadKey {
    /// `uploads/{owner}/{file}` (a [`KeyScheme::Owner`] file).
    Owned(OwnerId, FileId),
    /// `uploads/{file}` (a [`KeyScheme::File`] file): the owner is in the ledger, not the key.
    File(FileId),
}

impl UploadKey {
    pub fn file(&self) -> &FileId {
        match self {
            Self::Owned(_, f) | Self::File(f) => f,
        }
    }

    /// The owner when the key names one (legacy keys only).
    pub fn owner(&self) -> Option<&OwnerId> {
        match self {
            Self::Owned(o, _) => Some(o),
            Self::File(_) => None,
        }
    }

    /// The key as stored.
    pub fn render(&self) -> String {
        match self {
            Self::Owned(o, f) => format!("{UPLOADS_PREFIX}{o}/{f}"),
            Self::File(f) => format!("{UPLOADS_PREFIX}{f}"),
        }
    }

    /// The key of `file` of `owner` under `scheme`.
    pub fn of(scheme: KeyScheme, owner: &OwnerId, file: &FileId) -> Self {
        match scheme {
            KeyScheme::Owner => Self::Owned(owner.clone(), file.clone()),
            KeyScheme::File => Self::File(file.clone()),
        }
    }
}

/// The legacy key `uploads/{owner}/{file}`: only files created before owner-free keys have it.
pub fn owner_upload_key(owner: &OwnerId, file: &FileId) -> String {
    UploadKey::Owned(owner.clone(), file.clone()).render()
}

/// The key of a new file: `uploads/{file}`, nothing of its owner.
pub fn file_upload_key(file: &FileId) -> String {
    UploadKey::File(file.clone()).render()
}

/// The shard of the pending-files index a file's record goes to: a stable hash of its id, so
/// that the index's writes spread over `shards` partitions instead of one hot key. Stable
/// across processes and versions (FNV-1a), never `std`'s randomly seeded hasher.
pub fn pending_shard(file: &FileId, shards: u32) -> u32 {
    shard_of(file.as_str(), shards)
}

/// The shard of any id among `shards` (FNV-1a, stable as [`pending_shard`]).
pub fn shard_of(id: &str, shards: u32) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
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

/// Parses a decoded key: exactly `uploads/{file}` or `uploads/{owner}/{file}`, else `None`.
pub fn parse_upload_key(key: &str) -> Option<UploadKey> {
    let rest = key.strip_prefix(UPLOADS_PREFIX)?;
    match rest.split_once('/') {
        None => Some(UploadKey::File(FileId::parse(rest).ok()?)),
        Some((owner, file)) => Some(UploadKey::Owned(
            OwnerId::parse(owner).ok()?,
            FileId::parse(file).ok()?,
        )),
    }
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
        let o = OwnerId::parse("owner-1").unwrap();
        let f = FileId::parse("file-1").unwrap();
        assert_eq!(
            parse_upload_key("uploads/owner-1/file-1"),
            Some(UploadKey::Owned(o.clone(), f.clone()))
        );
        assert_eq!(
            parse_upload_key("uploads/file-1"),
            Some(UploadKey::File(f.clone()))
        );
        for bad in [
            "uploads/",
            "uploads/owner-1/file/extra",
            "other/o/f",
            "other/f",
            "uploads//f",
            "uploads/o/",
            "uploads/o/../x",
            "uploads/../x",
            "uploads/a b",
            "Uploads/f",
        ] {
            assert!(parse_upload_key(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn both_schemes_round_trip_and_only_the_legacy_one_names_the_owner() {
        let o = OwnerId::parse("sub-0001").unwrap();
        let f = FileId::parse("0192f1c2-7a3b-7c4d-8e5f-0123456789ab").unwrap();
        let legacy = owner_upload_key(&o, &f);
        assert_eq!(legacy, format!("uploads/{o}/{f}"));
        let new = file_upload_key(&f);
        assert_eq!(new, format!("uploads/{f}"));
        assert!(
            !new.contains(o.as_str()),
            "a new key says nothing of its owner"
        );
        for scheme in [KeyScheme::Owner, KeyScheme::File] {
            let k = UploadKey::of(scheme, &o, &f);
            assert_eq!(parse_upload_key(&k.render()), Some(k.clone()));
            assert_eq!(k.file(), &f);
            assert_eq!(k.owner().is_some(), scheme == KeyScheme::Owner);
        }
        assert_eq!(
            UploadKey::of(KeyScheme::File, &o, &f).render(),
            new,
            "the scheme, not the caller, decides"
        );
        assert!(new.starts_with(UPLOADS_PREFIX) && legacy.starts_with(UPLOADS_PREFIX));
    }
}
