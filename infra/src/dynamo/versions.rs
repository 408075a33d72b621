//! File versions over DynamoDB. A version is a files-table record of its own (`version_of`,
//! `version_n`); its file's record keeps the numbers given (`versions_last`), the version
//! records kept (`versions_kept`, a string set of `n:id`), the one served (`current_*`) and
//! whether its own first bytes were removed (`first_removed`). Every write that moves quota is
//! one transaction with the records it concerns.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, Delete, TransactWriteItem, Update};
use dropgate_core::files::QuotaDelta;
use dropgate_core::versions::{CurrentVersion, VersionLedger, VersionReservation, kept_member};
use dropgate_core::{CoreError, FileRecord, FileStatus};

use super::files::{file_key, from_item};
use super::hold_attrs::NOT_HELD;
use super::own_quota::Try;
use super::version_attrs::{
    CUR_ETAG, CUR_ID, CUR_N, CUR_SIZE, CUR_TYPE, FIRST_REMOVED, KEPT, LAST, current_attrs,
};
use super::{DynamoLedger, Tx, n, names, s, transact, values};

impl DynamoLedger {
    /// The write a version's settlement to `accepted` adds: its file serves it from then on.
    /// Conditional on the file still being there (a file purged meanwhile took its versions).
    pub(crate) fn switch_current(
        &self,
        settled: &FileRecord,
    ) -> Result<Option<TransactWriteItem>, CoreError> {
        let Some((parent, current)) = dropgate_core::versions::switch_on_accept(settled) else {
            return Ok(None);
        };
        let attrs = current_attrs(&current);
        let mut set = Vec::new();
        let mut vals = Vec::new();
        for (i, (k, v)) in attrs.into_iter().enumerate() {
            set.push(format!("{k} = :c{i}"));
            vals.push((format!(":c{i}"), v));
        }
        let mut expr = format!("SET {}", set.join(", "));
        // A version of no type or ETag leaves none of the previous current's.
        let gone: Vec<&str> = [
            (current.detected_type.is_none(), CUR_TYPE),
            (current.etag.is_none(), CUR_ETAG),
        ]
        .into_iter()
        .filter_map(|(g, k)| g.then_some(k))
        .collect();
        if !gone.is_empty() {
            expr.push_str(&format!(" REMOVE {}", gone.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&settled.owner, &parent)))
            .update_expression(expr)
            .condition_expression("attribute_exists(file_id)")
            .set_expression_attribute_values(Some(vals.into_iter().collect()))
            .build()
            .map_err(CoreError::upstream)?;
        Ok(Some(TransactWriteItem::builder().update(update).build()))
    }

    /// An update of `file`'s record with `expr`, conditional on `cond`.
    fn file_update(
        &self,
        file: &FileRecord,
        expr: &str,
        cond: &str,
        vals: Vec<(&str, Av)>,
    ) -> Result<TransactWriteItem, CoreError> {
        let uses_status = expr.contains("#st") || cond.contains("#st");
        let update = Update::builder()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression(expr)
            .condition_expression(cond)
            .set_expression_attribute_names(
                uses_status.then(|| names(&[("#st", "status")])).flatten(),
            )
            .set_expression_attribute_values((!vals.is_empty()).then(|| values(vals)).flatten())
            .build()
            .map_err(CoreError::upstream)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

/// The file still serves the version it did as read.
fn serves_as_read(file: &FileRecord) -> (String, Vec<(&'static str, Av)>) {
    match &file.versioning.head.current {
        None => (format!("attribute_not_exists({CUR_ID})"), vec![]),
        Some(c) => (format!("{CUR_ID} = :was"), vec![(":was", s(c.id.as_str()))]),
    }
}

#[async_trait]
impl VersionLedger for DynamoLedger {
    async fn create_version(
        &self,
        file: &FileRecord,
        version: &FileRecord,
        limit: u64,
    ) -> Result<VersionReservation, CoreError> {
        let Some(of) = &version.versioning.of else {
            return Err(CoreError::upstream("a version without its file"));
        };
        let last = file.versioning.head.last_n;
        let was = if last > 1 {
            format!("{LAST} = :last")
        } else {
            format!("attribute_not_exists({LAST})")
        };
        // Not once its deletion began (`deleting_at`): the purge removes the bytes it read.
        let cond = format!(
            "#st = :acc AND attribute_not_exists(trashed_at) AND attribute_not_exists(deleting_at) AND {was}"
        );
        let mut vals = vec![
            (":acc", s(FileStatus::Accepted.as_str())),
            (":n", n(u64::from(of.n))),
            (":member", Av::Ss(vec![kept_member(of.n, &version.id)])),
        ];
        if last > 1 {
            vals.push((":last", n(u64::from(last))));
        }
        let head = self.file_update(
            file,
            &format!("SET {LAST} = :n ADD {KEPT} :member"),
            &cond,
            vals,
        )?;
        self.within_limit(
            &version.owner,
            limit,
            VersionReservation::QuotaExceeded,
            |bound| {
                let head = head.clone();
                async move {
                    let Some(reserve) = self.reserve_and_put(version, bound)? else {
                        return Ok(Try::OverQuota);
                    };
                    let mut items = reserve.to_vec();
                    items.extend(self.pointer_put(version)?);
                    let at = items.len();
                    items.push(head);
                    match transact(&self.client, "create_version", items).await? {
                        Tx::Committed => Ok(Try::Done(VersionReservation::Reserved)),
                        Tx::ConditionFailed(which) if which.get(at) == Some(&true) => {
                            Ok(Try::Done(VersionReservation::FileChanged))
                        }
                        Tx::ConditionFailed(which) if which.first() == Some(&true) => {
                            Ok(Try::OverQuota)
                        }
                        Tx::ConditionFailed(_) => Err(CoreError::upstream("file id collision")),
                    }
                }
            },
        )
        .await
    }

    async fn versions_of(&self, file: &FileRecord) -> Result<Vec<FileRecord>, CoreError> {
        let keys: Vec<_> = file
            .versioning
            .head
            .kept
            .iter()
            .map(|(_, id)| file_key(&file.owner, id))
            .collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut found = self
            .batch_get(&self.files_table, keys)
            .await?
            .iter()
            .map(from_item)
            .collect::<Result<Vec<_>, _>>()?;
        found.retain(|v| v.versioning.of.as_ref().is_some_and(|o| o.file == file.id));
        found.sort_by_key(|v| v.versioning.of.as_ref().map_or(0, |o| o.n));
        Ok(found)
    }

    async fn make_current(
        &self,
        file: &FileRecord,
        to: Option<&FileRecord>,
    ) -> Result<bool, CoreError> {
        let (was, mut vals) = serves_as_read(file);
        let cond = format!("attribute_not_exists(trashed_at) AND {was}");
        let expr = match to {
            None => {
                let cond = format!("{cond} AND attribute_not_exists({FIRST_REMOVED})");
                let item = self.file_update(
                    file,
                    &format!("REMOVE {CUR_N}, {CUR_ID}, {CUR_SIZE}, {CUR_TYPE}, {CUR_ETAG}"),
                    &cond,
                    vals,
                )?;
                return Ok(matches!(
                    transact(&self.client, "make_current", vec![item]).await?,
                    Tx::Committed
                ));
            }
            Some(v) => {
                let Some(c) = CurrentVersion::of(v) else {
                    return Ok(false);
                };
                let mut set = Vec::new();
                let mut remove = vec![CUR_TYPE, CUR_ETAG];
                let attrs = current_attrs(&c);
                let placeholders = [":c0", ":c1", ":c2", ":c3", ":c4"];
                for (i, (k, v)) in attrs.into_iter().enumerate() {
                    remove.retain(|r| *r != k);
                    set.push(format!("{k} = {}", placeholders[i]));
                    vals.push((placeholders[i], v));
                }
                let mut e = format!("SET {}", set.join(", "));
                if !remove.is_empty() {
                    e.push_str(&format!(" REMOVE {}", remove.join(", ")));
                }
                e
            }
        };
        let head = self.file_update(file, &expr, &cond, vals)?;
        // The version must still be accepted (and there) as it becomes current.
        let v = to.expect("a version to make current");
        // An update that changes nothing, for its condition (UpdateItem is what the api may
        // do to records; a ConditionCheck item would need an action of its own).
        let check = self.file_update(
            v,
            "SET #st = :acc",
            "#st = :acc",
            vec![(":acc", s(FileStatus::Accepted.as_str()))],
        )?;
        Ok(matches!(
            transact(&self.client, "make_current", vec![head, check]).await?,
            Tx::Committed
        ))
    }

    async fn remove_version(
        &self,
        file: &FileRecord,
        version: &FileRecord,
    ) -> Result<bool, CoreError> {
        let delete = Delete::builder()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&version.owner, &version.id)))
            .condition_expression("#st = :st")
            .set_expression_attribute_names(names(&[("#st", "status")]))
            .set_expression_attribute_values(values(vec![(":st", s(version.status.as_str()))]))
            .build()
            .map_err(CoreError::upstream)?;
        let Some(of) = &version.versioning.of else {
            return Ok(false);
        };
        let head = self.file_update(
            file,
            &format!("DELETE {KEPT} :member"),
            &format!(
                "attribute_exists(file_id) AND (attribute_not_exists({CUR_ID}) OR {CUR_ID} <> :vid) AND {NOT_HELD}"
            ),
            vec![
                (":member", Av::Ss(vec![kept_member(of.n, &version.id)])),
                (":vid", s(version.id.as_str())),
            ],
        )?;
        let mut items = vec![TransactWriteItem::builder().delete(delete).build(), head];
        let delta = QuotaDelta::remove(version.status, version.size);
        if !delta.is_zero() {
            items.push(self.quota_update(&version.owner, delta)?);
        }
        items.extend(self.pointer_follows(version, None)?);
        Ok(matches!(
            transact(&self.client, "remove_version", items).await?,
            Tx::Committed
        ))
    }

    async fn remove_first(&self, file: &FileRecord) -> Result<bool, CoreError> {
        let head = self.file_update(
            file,
            &format!("SET {FIRST_REMOVED} = :yes"),
            &format!(
                "#st = :acc AND attribute_exists({CUR_ID}) AND attribute_not_exists({FIRST_REMOVED}) AND {NOT_HELD}"
            ),
            vec![
                (":yes", Av::Bool(true)),
                (":acc", s(FileStatus::Accepted.as_str())),
            ],
        )?;
        let quota = self.quota_update(
            &file.owner,
            QuotaDelta::remove(FileStatus::Accepted, file.size),
        )?;
        Ok(matches!(
            transact(&self.client, "remove_first", vec![head, quota]).await?,
            Tx::Committed
        ))
    }
}
