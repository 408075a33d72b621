//! The links' own outbox entries over DynamoDB (`link.created`, `link.used_up`,
//! `link.revoked`): each in the transaction of the change it announces. Kept beside
//! `links.rs`, which calls these.

use aws_sdk_dynamodb::types::{AttributeValue as Av, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use dropgate_core::links::{Link, LinkDrop, LinkStore};
use dropgate_core::notify::{EventType, LifecycleEntry};
use dropgate_core::{CoreError, LinkId, OwnerId};

use super::expiry_attrs::EXPIRY_SHARD;
use super::links::link_key;
use super::outbox_lifecycle::lifecycle_put;
use super::{DynamoLedger, Tx, n, put_new_op, s, transact, values};

impl DynamoLedger {
    /// A new link and its `link.created` entry, all or nothing.
    pub(crate) async fn put_link_announced(
        &self,
        link: &Link,
        item: std::collections::HashMap<String, Av>,
    ) -> Result<(), CoreError> {
        let created = LifecycleEntry::of_link(EventType::LinkCreated, link, link.created_at);
        let items = vec![
            put_new_op(&self.links_table, item, "link_id")?,
            lifecycle_put(&self.log_table, &created)?,
        ];
        match transact(&self.client, "put_link", items).await? {
            Tx::Committed => Ok(()),
            Tx::ConditionFailed(_) => Err(CoreError::upstream(format!(
                "put_link: link {} exists",
                link.id
            ))),
        }
    }

    /// Revokes a link not revoked yet, with its `link.revoked` entry: of concurrent
    /// revocations exactly one writes the entry; the others find it revoked.
    pub(crate) async fn revoke_link_announced(
        &self,
        owner: &OwnerId,
        id: &LinkId,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        for _ in 0..3 {
            let Some(link) = self.get_link(owner, id).await? else {
                return Ok(false);
            };
            if link.revoked {
                return Ok(true);
            }
            let revoked = LifecycleEntry::of_link(EventType::LinkRevoked, &link, at);
            let update = Update::builder()
                .table_name(&self.links_table)
                .set_key(Some(link_key(owner, id)))
                .update_expression(format!(
                    "SET revoked = :t, revoked_at = if_not_exists(revoked_at, :at) \
                     REMOVE {EXPIRY_SHARD}"
                ))
                .condition_expression("revoked = :f")
                .set_expression_attribute_values(values(vec![
                    (":t", Av::Bool(true)),
                    (":f", Av::Bool(false)),
                    (":at", s(dropgate_core::time::rfc3339(at))),
                ]))
                .build()
                .map_err(CoreError::upstream)?;
            let items = vec![
                TransactWriteItem::builder().update(update).build(),
                lifecycle_put(&self.log_table, &revoked)?,
            ];
            if let Tx::Committed = transact(&self.client, "revoke_link", items).await? {
                return Ok(true);
            }
        }
        Err(CoreError::Throttled)
    }

    /// What a drop's use of its link adds to the link's condition: with its `link.used_up` entry,
    /// the count read (the drop takes the last use); without, a use left after this one (so no
    /// drop takes the last use unannounced).
    pub(crate) fn used_up_condition(d: &LinkDrop<'_>) -> (&'static str, Vec<(&'static str, Av)>) {
        match d.used_up {
            Some(_) => (
                " AND uploads_used = :read AND max_uploads = :max",
                vec![
                    (":read", n(d.link.uploads_used)),
                    (":max", n(d.link.max_uploads)),
                ],
            ),
            None => (
                " AND uploads_used < :last",
                vec![(":last", n(d.link.max_uploads.saturating_sub(1)))],
            ),
        }
    }

    /// The drop's `link.used_up` put, when it has one.
    pub(crate) fn used_up_put(
        &self,
        d: &LinkDrop<'_>,
    ) -> Result<Option<TransactWriteItem>, CoreError> {
        d.used_up
            .map(|e| lifecycle_put(&self.log_table, e))
            .transpose()
    }
}
