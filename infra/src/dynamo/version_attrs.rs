//! A file record's versions as DynamoDB attributes (see `versions.rs`): a version's
//! `version_of` and `version_n`; a file's `versions_last`, `versions_kept` (a string set of
//! `n:id`), `current_*` and `first_removed`. Written and read with the rest of the record.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use dropgate_core::versions::{
    CurrentVersion, VersionHead, VersionOf, Versioning, kept_member, parse_kept,
};
use dropgate_core::{CoreError, FileId};

use super::{corrupt, get_n, get_s, n, s};

pub(crate) const VERSION_OF: &str = "version_of";
pub(crate) const VERSION_N: &str = "version_n";
pub(crate) const LAST: &str = "versions_last";
pub(crate) const KEPT: &str = "versions_kept";
pub(crate) const CUR_N: &str = "current_n";
pub(crate) const CUR_ID: &str = "current_id";
pub(crate) const CUR_SIZE: &str = "current_size";
pub(crate) const CUR_TYPE: &str = "current_type";
pub(crate) const CUR_ETAG: &str = "current_etag";
pub(crate) const FIRST_REMOVED: &str = "first_removed";

/// Writes what `v` says into a record's item (as `files::to_item` does for the rest).
pub(crate) fn put_versioning(item: &mut HashMap<String, Av>, v: &Versioning) {
    if let Some(of) = &v.of {
        item.insert(VERSION_OF.into(), s(of.file.as_str()));
        item.insert(VERSION_N.into(), n(u64::from(of.n)));
    }
    let h = &v.head;
    if h.last_n > 1 {
        item.insert(LAST.into(), n(u64::from(h.last_n)));
    }
    if !h.kept.is_empty() {
        let members = h.kept.iter().map(|(n, id)| kept_member(*n, id)).collect();
        item.insert(KEPT.into(), Av::Ss(members));
    }
    if let Some(c) = &h.current {
        item.extend(current_attrs(c));
    }
    if h.first_removed {
        item.insert(FIRST_REMOVED.into(), Av::Bool(true));
    }
}

pub(crate) fn current_attrs(c: &CurrentVersion) -> Vec<(String, Av)> {
    let mut out = vec![
        (CUR_N.to_owned(), n(u64::from(c.n))),
        (CUR_ID.to_owned(), s(c.id.as_str())),
        (CUR_SIZE.to_owned(), n(c.size)),
    ];
    if let Some(t) = &c.detected_type {
        out.push((CUR_TYPE.to_owned(), s(t)));
    }
    if let Some(e) = &c.etag {
        out.push((CUR_ETAG.to_owned(), s(e)));
    }
    out
}

fn num(item: &HashMap<String, Av>, k: &str) -> Option<u64> {
    get_n(item, k).and_then(|v| u64::try_from(v).ok())
}

/// A record's versioning, from the attributes [`put_versioning`] writes.
pub(crate) fn versioning_of(item: &HashMap<String, Av>) -> Result<Versioning, CoreError> {
    let of = match get_s(item, VERSION_OF) {
        None => None,
        Some(f) => Some(VersionOf {
            file: FileId::parse(f).map_err(|_| corrupt(VERSION_OF))?,
            n: num(item, VERSION_N)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| corrupt(VERSION_N))?,
        }),
    };
    let mut kept = match item.get(KEPT) {
        None => Vec::new(),
        Some(Av::Ss(members)) => members
            .iter()
            .map(|m| parse_kept(m).ok_or_else(|| corrupt(KEPT)))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(corrupt(KEPT)),
    };
    kept.sort();
    let current = match get_s(item, CUR_ID) {
        None => None,
        Some(id) => Some(CurrentVersion {
            n: num(item, CUR_N)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| corrupt(CUR_N))?,
            id: FileId::parse(id).map_err(|_| corrupt(CUR_ID))?,
            size: num(item, CUR_SIZE).ok_or_else(|| corrupt(CUR_SIZE))?,
            detected_type: get_s(item, CUR_TYPE).map(str::to_owned),
            etag: get_s(item, CUR_ETAG).map(str::to_owned),
        }),
    };
    Ok(Versioning {
        of,
        head: VersionHead {
            last_n: num(item, LAST)
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0),
            kept,
            current,
            first_removed: matches!(item.get(FIRST_REMOVED), Some(Av::Bool(true))),
        },
    })
}
