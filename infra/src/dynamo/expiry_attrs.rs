//! The attributes of the expiry index (`due-for-expiry`, see `expiry.rs`) that the links' and
//! shares' own writes set or remove: apart, so that those modules need not import `expiry.rs`.

use aws_sdk_dynamodb::types::AttributeValue as Av;

use super::s;

pub const EXPIRY_INDEX: &str = "due-for-expiry";
pub(crate) const EXPIRY_SHARD: &str = "expiry_shard";
/// The marker of a closed expiry: the `expires_at` it closed.
pub(crate) const EXPIRY_CLOSED_FOR: &str = "expiry_closed_for";
pub(crate) const EXPIRING: &str = "x";
/// Fixed, unlike `PENDING_SHARDS`: a changed setting must not strand items in partitions no
/// run asks. Links and shares are written far less often than files.
pub(crate) const EXPIRY_SHARDS: u32 = 4;

/// The attribute a new link or share carries.
pub(crate) fn expiry_label(id: &str) -> Av {
    s(format!(
        "{EXPIRING}{}",
        dropgate_core::keys::shard_of(id, EXPIRY_SHARDS)
    ))
}
