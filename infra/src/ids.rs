use dropgate_core::FileId;
use dropgate_core::ports::IdSource;

/// UUID v7 ids: random enough to be unguessable, time-ordered so that listing by id is
/// listing by creation time.
pub struct UuidV7Ids;

impl IdSource for UuidV7Ids {
    fn file_id(&self) -> FileId {
        let id = uuid::Uuid::now_v7().hyphenated().to_string();
        FileId::parse(&id).unwrap_or_else(|_| unreachable!("a hyphenated uuid is a valid id"))
    }
}
