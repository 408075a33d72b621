//! [`SeqIds`]: ids and secrets from a counter, increasing and predictable.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::ids::IdSource;
use crate::{CoreError, FileId, LinkId, ShareId, tokens};

/// Ids `f0000000001`, `l0000000002`, ...: increasing, like production's time-ordered ids;
/// secrets distinct and predictable (tests only).
#[derive(Default)]
pub struct SeqIds(AtomicU64);

impl SeqIds {
    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed) + 1
    }
}

impl IdSource for SeqIds {
    fn file_id(&self) -> FileId {
        FileId::parse(&format!("f{:010}", self.next()))
            .unwrap_or_else(|_| unreachable!("ids are alphanumeric"))
    }

    fn link_id(&self) -> LinkId {
        LinkId::parse(&format!("l{:010}", self.next()))
            .unwrap_or_else(|_| unreachable!("ids are alphanumeric"))
    }

    fn share_id(&self) -> ShareId {
        ShareId::parse(&format!("s{:010}", self.next()))
            .unwrap_or_else(|_| unreachable!("ids are alphanumeric"))
    }

    fn webhook_id(&self) -> String {
        format!("w{:010}", self.next())
    }

    fn secret(&self) -> Result<[u8; tokens::SECRET_BYTES], CoreError> {
        let mut b = [0x5a; tokens::SECRET_BYTES];
        b[..8].copy_from_slice(&self.next().to_be_bytes());
        Ok(b)
    }
}
