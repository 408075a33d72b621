use dropgate_core::ids::IdSource;
use dropgate_core::tokens::SECRET_BYTES;
use dropgate_core::{CoreError, FileId, LinkId, ShareId};

/// UUID v7 ids: random enough to be unguessable, time-ordered so that listing by id is
/// listing by creation time. Secrets straight from the OS's CSPRNG.
pub struct UuidV7Ids;

fn v7() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

impl IdSource for UuidV7Ids {
    fn file_id(&self) -> FileId {
        FileId::parse(&v7()).unwrap_or_else(|_| unreachable!("a hyphenated uuid is a valid id"))
    }

    fn link_id(&self) -> LinkId {
        LinkId::parse(&v7()).unwrap_or_else(|_| unreachable!("a hyphenated uuid is a valid id"))
    }

    fn share_id(&self) -> ShareId {
        ShareId::parse(&v7()).unwrap_or_else(|_| unreachable!("a hyphenated uuid is a valid id"))
    }

    fn webhook_id(&self) -> String {
        v7()
    }

    fn secret(&self) -> Result<[u8; SECRET_BYTES], CoreError> {
        let mut b = [0u8; SECRET_BYTES];
        getrandom::fill(&mut b)
            .map_err(|e| CoreError::upstream(format!("OS random source: {e}")))?;
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_differ_and_ids_order_by_time() {
        let ids = UuidV7Ids;
        assert_ne!(ids.secret().unwrap(), ids.secret().unwrap());
        let (a, b) = (ids.link_id(), ids.link_id());
        assert!(a < b);
    }
}
