//! A legal hold's attributes on a file record, and the conditions every deleting write
//! carries (docs/DESIGN.md 2.4); the port's writes are in `holds.rs`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use dropgate_core::CoreError;
use dropgate_core::holds::LegalHold;
use dropgate_core::lifecycle::DeletionCause;
use dropgate_core::time::rfc3339;

use super::{get_s, s};

pub(crate) const HOLD_AT: &str = "legal_hold_at";
pub(crate) const HOLD_BY: &str = "legal_hold_by";
pub(crate) const HOLD_REASON: &str = "legal_hold_reason";
/// In the condition of every write that trashes, purges or removes a file record.
pub(crate) const NOT_HELD: &str = "attribute_not_exists(legal_hold_at)";
pub(crate) const HELD: &str = "attribute_exists(legal_hold_at)";
/// When a deletion for good began: written (on condition [`NOT_HELD`]) before any byte goes,
/// and refused by a hold's placement ([`NOT_DELETING`]), so no hold outlives its bytes.
pub(crate) const DELETING_AT: &str = "deleting_at";
pub(crate) const NOT_DELETING: &str = "attribute_not_exists(deleting_at)";
/// What the receipt of the deletion that wrote the mark says (`<reason>:<by>`), and the key of
/// the sparse `deleting-since` index: both written with the ledger's mark only (`marked.rs`).
pub(crate) const DELETING_FOR: &str = "deleting_for";
pub(crate) const DELETING_SHARD: &str = "deleting_shard";

/// The cause a record's mark carries, from the attribute the ledger's mark writes.
pub(crate) fn cause_of(item: &HashMap<String, Av>) -> Result<Option<DeletionCause>, CoreError> {
    get_s(item, DELETING_FOR)
        .map(|raw| DeletionCause::parse(raw).ok_or_else(|| super::corrupt(DELETING_FOR)))
        .transpose()
}

/// The hold a record carries, from the attributes [`put_hold`] writes.
pub(crate) fn hold_of(item: &HashMap<String, Av>) -> Result<Option<LegalHold>, CoreError> {
    if get_s(item, HOLD_AT).is_none() {
        return Ok(None);
    }
    Ok(Some(LegalHold {
        placed_at: super::get_time(item, HOLD_AT)?,
        placed_by: get_s(item, HOLD_BY).unwrap_or_default().to_owned(),
        reason: get_s(item, HOLD_REASON).unwrap_or_default().to_owned(),
    }))
}

pub(crate) fn put_hold(item: &mut HashMap<String, Av>, hold: Option<&LegalHold>) {
    if let Some(h) = hold {
        item.insert(HOLD_AT.into(), s(rfc3339(h.placed_at)));
        item.insert(HOLD_BY.into(), s(&h.placed_by));
        item.insert(HOLD_REASON.into(), s(&h.reason));
    }
}

/// Removes a hold's attributes, and the deletion mark, from an item (an upload-log entry keeps
/// none of them).
pub(crate) fn strip_hold(item: &mut HashMap<String, Av>) {
    for k in [
        HOLD_AT,
        HOLD_BY,
        HOLD_REASON,
        DELETING_AT,
        DELETING_FOR,
        DELETING_SHARD,
    ] {
        item.remove(k);
    }
}
