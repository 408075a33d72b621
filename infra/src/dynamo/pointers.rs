//! The pointers of the files table: `key#<file id>` -> the file's owner, so that the worker
//! finds a record from an owner-free object key (`uploads/{file}`) alone. Written, expired and
//! removed in the transactions of the record they point to (docs/DESIGN.md section 2.2).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as Av, Delete, Put, TransactWriteItem, Update};
use dropgate_core::keys::{KeyScheme, UploadKey};
use dropgate_core::{CoreError, FileId, FileRecord, OwnerId};

use super::{DynamoLedger, corrupt, get_s, n, s, values};

/// The partition of a file's pointer: `key#{file id}`. `#` is outside every owner id's
/// alphabet, so a pointer never shares a partition (nor a listing, nor a quota) with an owner's
/// records, and one partition per file spreads the pointers as widely as the ids.
const POINTER_PARTITION: &str = "key#";
/// A pointer's attribute naming the file's owner.
pub(crate) const POINTER_OWNER: &str = "file_owner";
/// The key of the pointer from an owner-free object key (`uploads/{file}`) to its record: an
/// item of the files table with no other attribute than the owner (and, once the record is
/// settled away, the same expiry), so no index, listing or quota ever sees it.
pub(crate) fn pointer_key(id: &FileId) -> HashMap<String, Av> {
    HashMap::from([
        (
            "owner".to_string(),
            s(format!("{POINTER_PARTITION}{}", id.as_str())),
        ),
        ("file_id".to_string(), s(id.as_str())),
    ])
}

impl DynamoLedger {
    /// The pointer an owner-free file's record is created with, in the same transaction (never
    /// over another: file ids are unique); `None` for a legacy-keyed file, found by its key.
    pub(crate) fn pointer_put(
        &self,
        file: &FileRecord,
    ) -> Result<Option<TransactWriteItem>, CoreError> {
        if file.key_scheme != KeyScheme::File {
            return Ok(None);
        }
        let mut item = pointer_key(&file.id);
        item.insert(POINTER_OWNER.into(), s(file.owner.as_str()));
        let put = Put::builder()
            .table_name(&self.files_table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(file_id)")
            .build()
            .map_err(CoreError::upstream)?;
        Ok(Some(TransactWriteItem::builder().put(put).build()))
    }

    /// The pointer's share of a write to its record: removed with it, or given the expiry of
    /// a settled-away one (`expires_at` epoch seconds). `None` for a legacy-keyed file.
    pub(crate) fn pointer_follows(
        &self,
        file: &FileRecord,
        expires_at: Option<i64>,
    ) -> Result<Option<TransactWriteItem>, CoreError> {
        if file.key_scheme != KeyScheme::File {
            return Ok(None);
        }
        let item = match expires_at {
            None => TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&self.files_table)
                        .set_key(Some(pointer_key(&file.id)))
                        .build()
                        .map_err(CoreError::upstream)?,
                )
                .build(),
            Some(at) => TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.files_table)
                        .set_key(Some(pointer_key(&file.id)))
                        .update_expression("SET expires_at = :ttl")
                        .set_expression_attribute_values(values(vec![(":ttl", n(at))]))
                        .build()
                        .map_err(CoreError::upstream)?,
                )
                .build(),
        };
        Ok(Some(item))
    }

    /// The owners of the owner-free keys among `keys`, from their pointers in one strongly
    /// consistent read (a pointer is written with its record, so it is there before any event
    /// of its object can be); keys of no pointer are absent.
    pub(crate) async fn pointed_owners(
        &self,
        keys: &[UploadKey],
    ) -> Result<HashMap<FileId, OwnerId>, CoreError> {
        let pointers: Vec<_> = keys
            .iter()
            .filter_map(|k| match k {
                UploadKey::File(f) => Some(pointer_key(f)),
                UploadKey::Owned(..) => None,
            })
            .collect();
        let mut owners: HashMap<FileId, OwnerId> = HashMap::new();
        if !pointers.is_empty() {
            for item in self.batch_get(&self.files_table, pointers).await? {
                // A pointer without its owner (only its expiry, an update racing a removal)
                // points nowhere.
                let (Some(id), Some(owner)) =
                    (get_s(&item, "file_id"), get_s(&item, POINTER_OWNER))
                else {
                    continue;
                };
                let id = FileId::parse(id).map_err(|_| corrupt("pointer file_id"))?;
                let owner = OwnerId::parse(owner).map_err(|_| corrupt(POINTER_OWNER))?;
                owners.insert(id, owner);
            }
        }
        Ok(owners)
    }
}
