//! The newest-first page query every listing makes: a key condition (narrowed below the
//! previous page's last sort key, or started after its last full key), sort keys descending,
//! and one item more than the page holds, which tells the core's `from_overfetch` whether
//! another page exists. Strongly consistent on a table; an index cannot be. And
//! [`OwnerPrefix`]: the items of an owner's partition under a sort-key prefix, page by page.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use dropgate_core::{CoreError, OwnerId};

use super::{names, s, values};
use crate::error::sdk_error;

pub(crate) type Item = HashMap<String, Av>;

/// One newest-first query, built up and then sent by [`NewestFirst::fetch`].
pub(crate) struct NewestFirst<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    index: Option<&'a str>,
    cond: String,
    names: &'a [(&'a str, &'a str)],
    vals: Vec<(&'a str, Av)>,
    start: Option<Item>,
    filter: Option<&'a str>,
}

impl<'a> NewestFirst<'a> {
    /// The items of `table` under the key condition `cond`, whose placeholders `vals` fills.
    pub(crate) fn new(
        client: &'a aws_sdk_dynamodb::Client,
        table: &'a str,
        cond: impl Into<String>,
        vals: Vec<(&'a str, Av)>,
    ) -> Self {
        Self {
            client,
            table,
            index: None,
            cond: cond.into(),
            names: &[],
            vals,
            start: None,
            filter: None,
        }
    }

    /// Queries the index `index` of the table instead, when there is one.
    pub(crate) fn index(mut self, index: Option<&'a str>) -> Self {
        self.index = index;
        self
    }

    /// The `#placeholders` of attribute names the condition uses.
    pub(crate) fn names(mut self, names: &'a [(&'a str, &'a str)]) -> Self {
        self.names = names;
        self
    }

    /// Narrows the key condition to the sort keys (`attr`) below the cursor `after`, the last
    /// key of the previous page, when there is one.
    pub(crate) fn below(mut self, attr: &str, after: Option<&str>) -> Self {
        if let Some(a) = after {
            self.cond.push_str(&format!(" AND {attr} < :after"));
            self.vals.push((":after", s(a)));
        }
        self
    }

    /// Starts after the item under `key`, the last of the previous page, when there is one.
    pub(crate) fn start_after(mut self, key: Option<Item>) -> Self {
        self.start = key;
        self
    }

    /// Keeps only the items that match `filter` (a filter expression over the same
    /// placeholders): the query then reads on until the page is full or the key range ends,
    /// since DynamoDB filters after it reads.
    pub(crate) fn filter(mut self, filter: &'a str) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Up to `limit + 1` items, newest first.
    pub(crate) async fn fetch(self, limit: usize) -> Result<Vec<Item>, CoreError> {
        let mut found: Vec<Item> = Vec::new();
        let mut start = self.start;
        loop {
            let out = self
                .client
                .query()
                .table_name(self.table)
                .set_index_name(self.index.map(str::to_owned))
                .key_condition_expression(&self.cond)
                .set_filter_expression(self.filter.map(str::to_owned))
                .set_expression_attribute_names(if self.names.is_empty() {
                    None
                } else {
                    names(self.names)
                })
                .set_expression_attribute_values(values(self.vals.clone()))
                .set_exclusive_start_key(start)
                .scan_index_forward(false)
                .consistent_read(self.index.is_none())
                // One more than asked tells whether another page exists.
                .limit(limit as i32 + 1)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            found.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            // Without a filter one read is the page, as it always was.
            if self.filter.is_none() || found.len() > limit || start.is_none() {
                found.truncate(limit + 1);
                return Ok(found);
            }
        }
    }
}

/// The items of one owner's partition (the key attribute `owner`) whose sort key `sk` starts
/// with a prefix, a Query page at a time: the webhooks, a webhook's delivery log and its parked
/// jobs. Key order and strongly consistent unless told otherwise.
pub(crate) struct OwnerPrefix<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    owner: &'a OwnerId,
    prefix: &'a str,
    newest_first: bool,
    consistent: bool,
    start: Option<Item>,
}

impl<'a> OwnerPrefix<'a> {
    pub(crate) fn new(
        client: &'a aws_sdk_dynamodb::Client,
        table: &'a str,
        owner: &'a OwnerId,
        prefix: &'a str,
    ) -> Self {
        Self {
            client,
            table,
            owner,
            prefix,
            newest_first: false,
            consistent: true,
            start: None,
        }
    }

    /// Sort keys descending.
    pub(crate) fn newest_first(mut self) -> Self {
        self.newest_first = true;
        self
    }

    /// Eventually consistent reads (half the cost), where a moment's lag is no harm.
    pub(crate) fn eventually(mut self) -> Self {
        self.consistent = false;
        self
    }

    /// Starts after the item under `key`, the last of the previous page, when there is one.
    pub(crate) fn start_after(mut self, key: Option<Item>) -> Self {
        self.start = key;
        self
    }

    /// Every item of the range.
    pub(crate) async fn all(self) -> Result<Vec<Item>, CoreError> {
        self.read(None).await
    }

    /// The first `max` items of the range (fewer where it ends sooner).
    pub(crate) async fn fetch(self, max: usize) -> Result<Vec<Item>, CoreError> {
        self.read(Some(max)).await
    }

    async fn read(self, max: Option<usize>) -> Result<Vec<Item>, CoreError> {
        if max == Some(0) {
            return Ok(Vec::new());
        }
        let mut found: Vec<Item> = Vec::new();
        let mut start = self.start;
        loop {
            // Each page asks for no more than is still wanted.
            let left = max.map(|m| i32::try_from(m - found.len()).unwrap_or(i32::MAX));
            let out = self
                .client
                .query()
                .table_name(self.table)
                .key_condition_expression("#o = :o AND begins_with(sk, :p)")
                .set_expression_attribute_names(names(&[("#o", "owner")]))
                .set_expression_attribute_values(values(vec![
                    (":o", s(self.owner.as_str())),
                    (":p", s(self.prefix)),
                ]))
                .scan_index_forward(!self.newest_first)
                .consistent_read(self.consistent)
                .set_limit(left)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            found.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() || max.is_some_and(|m| found.len() >= m) {
                return Ok(found);
            }
        }
    }
}
