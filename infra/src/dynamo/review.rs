//! The operator's review over DynamoDB: files across owners through the files table's
//! `by-status` index (partition `status`, sorted by `created_at`), within one owner through
//! their partition, within one link through `by-link`; a file by id alone through its pointer;
//! links by id alone through the links table's `by-link-id` index, and every link by a paged
//! scan of the links table (only an operator lists them all).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use dropgate_core::files::FileLookup;
use dropgate_core::links::{Link, LinkStore};
use dropgate_core::review::{
    LinkSlice, ReviewCursor, ReviewFilter, ReviewPage, ReviewScope, ReviewStore,
};
use dropgate_core::{CoreError, FileId, LinkId, OwnerId};

use super::files::{file_key, from_item as file_from_item};
use super::links::{LINK_FILES_INDEX, LINK_PREFIX, from_item as link_from_item, link_key};
use super::paged::NewestFirst;
use super::pointers::{POINTER_OWNER, pointer_key};
use super::{DynamoLedger, s, values};
use crate::error::sdk_error;

/// The files table's index of every file by its status, newest first.
pub const STATUS_INDEX: &str = "by-status";
/// The links table's index of links (and their receipts) by link id.
pub const LINK_ID_INDEX: &str = "by-link-id";

const STATUS_NAMES: &[(&str, &str)] = &[("#st", "status")];

#[async_trait]
impl ReviewStore for DynamoLedger {
    async fn review_files(
        &self,
        filter: &ReviewFilter,
        limit: usize,
        after: Option<&ReviewCursor>,
    ) -> Result<ReviewPage, CoreError> {
        let status = filter.status.as_str();
        // The last item's key in the index read: the table's key and the index's.
        let start = after.map(|c| {
            let mut key = file_key(&c.owner, &c.file);
            match &filter.scope {
                ReviewScope::All => {
                    key.insert("status".into(), s(status));
                    key.insert("created_at".into(), s(&c.created_at));
                }
                ReviewScope::Owner(_) => {}
                ReviewScope::Link(l) => {
                    key.insert("via_link".into(), s(l.as_str()));
                }
            }
            key
        });
        let query = match &filter.scope {
            ReviewScope::All => NewestFirst::new(
                &self.client,
                &self.files_table,
                "#st = :s",
                vec![(":s", s(status))],
            )
            .index(Some(STATUS_INDEX)),
            ReviewScope::Owner(o) => NewestFirst::new(
                &self.client,
                &self.files_table,
                "#o = :o",
                vec![(":o", s(o.as_str())), (":s", s(status))],
            )
            .filter("#st = :s"),
            ReviewScope::Link(l) => NewestFirst::new(
                &self.client,
                &self.files_table,
                "via_link = :l",
                vec![(":l", s(l.as_str())), (":s", s(status))],
            )
            .index(Some(LINK_FILES_INDEX))
            .filter("#st = :s"),
        };
        let names: &[(&str, &str)] = match filter.scope {
            ReviewScope::Owner(_) => &[("#st", "status"), ("#o", "owner")],
            _ => STATUS_NAMES,
        };
        let items = query.names(names).start_after(start).fetch(limit).await?;
        let files = items
            .iter()
            .map(file_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ReviewPage::from_overfetch(files, limit))
    }

    async fn find_file(&self, id: &FileId) -> Result<Option<dropgate_core::FileRecord>, CoreError> {
        // Its pointer names its owner (files keyed by owner before pointers existed have none:
        // they are found through a listing, not by id alone).
        let pointer = super::get_item(&self.client, &self.files_table, pointer_key(id)).await?;
        let Some(owner) = pointer
            .as_ref()
            .and_then(|p| super::get_s(p, POINTER_OWNER))
        else {
            return Ok(None);
        };
        let owner = OwnerId::parse(owner).map_err(|_| super::corrupt(POINTER_OWNER))?;
        self.get_file(&owner, id).await
    }

    async fn all_links(
        &self,
        limit: usize,
        after: Option<&(OwnerId, LinkId)>,
    ) -> Result<LinkSlice, CoreError> {
        let mut found: Vec<Link> = Vec::new();
        let mut start = after.map(|(o, l)| link_key(o, l));
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.links_table)
                .filter_expression("begins_with(#i, :p)")
                .set_expression_attribute_names(super::names(&[("#i", "item")]))
                .set_expression_attribute_values(values(vec![(":p", s(LINK_PREFIX))]))
                .set_exclusive_start_key(start)
                .limit(limit as i32 + 1)
                .send()
                .await
                .map_err(|e| sdk_error("Scan", e))?;
            for item in out.items.unwrap_or_default() {
                found.push(link_from_item(&item)?);
            }
            start = out.last_evaluated_key;
            if found.len() > limit || start.is_none() {
                break;
            }
        }
        let next = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|l| (l.owner.clone(), l.id.clone()))
        } else {
            None
        };
        Ok(LinkSlice { links: found, next })
    }

    async fn link_by_id(&self, id: &LinkId) -> Result<Option<Link>, CoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.links_table)
            .index_name(LINK_ID_INDEX)
            .key_condition_expression("link_id = :l")
            .filter_expression("begins_with(#i, :p)")
            .set_expression_attribute_names(super::names(&[("#i", "item")]))
            .set_expression_attribute_values(values(vec![
                (":l", s(id.as_str())),
                (":p", s(LINK_PREFIX)),
            ]))
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let items: Vec<HashMap<String, Av>> = out.items.unwrap_or_default();
        // The index is eventually consistent: the link itself is read from the table.
        let Some(link) = items.first().map(link_from_item).transpose()? else {
            return Ok(None);
        };
        self.get_link(&link.owner, &link.id).await
    }
}
