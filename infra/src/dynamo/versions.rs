//! File versions over DynamoDB. A version is a files-table record of its own (`version_of`,
//! `version_n`); its file's record keeps the numbers given (`versions_last`), the version
//! records kept (`versions_kept`, a string set of `n:id`), the one served (`current_*`) and
//! whether its own first bytes were removed (`first_removed`). Every write that moves quota is
//! one transaction with the records it concerns.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, Delete, TransactWriteItem, Update};
use dropgate_core::files::QuotaDelta;
use dropgate_core::versions::{
    CurrentVersion, VersionHead, VersionLedger, VersionOf, VersionReservation, Versioning,
    kept_member, parse_kept,
};
use dropgate_core::{CoreError, FileId, FileRecord, FileStatus};

use super::files::{file_key, from_item};
use super::own_quota::Try;
use super::{DynamoLedger, Tx, corrupt, get_n, get_s, n, names, s, transact, values};

const VERSION_OF: &str = "version_of";
const VERSION_N: &str = "version_n";
const LAST: &str = "versions_last";
const KEPT: &str = "versions_kept";
const CUR_N: &str = "current_n";
const CUR_ID: &str = "current_id";
const CUR_SIZE: &str = "current_size";
const CUR_TYPE: &str = "current_type";
const CUR_ETAG: &str = "current_etag";
const FIRST_REMOVED: &str = "first_removed";

/// Writes what `v` says into a record's item (as `files::to_item` does for the rest).
pub(crate) fn put_versioning(item: &mut HashMap<String, Av>, v: &Versioning) {
    if let Some(of) = &v.of {
        item.insert(VERSION_OF.into(), s(of.file.as_str()));
        item.insert(VERSION_N.into(), n(u64::from(of.n)));
    }
    let h = &v.head;
    if h.last_n > 1 {
        item.insert(LAST.into(), n(u64::from(h.last_n)));
    }
    if !h.kept.is_empty() {
        let members = h.kept.iter().map(|(n, id)| kept_member(*n, id)).collect();
        item.insert(KEPT.into(), Av::Ss(members));
    }
    if let Some(c) = &h.current {
        item.extend(current_attrs(c));
    }
    if h.first_removed {
        item.insert(FIRST_REMOVED.into(), Av::Bool(true));
    }
}

fn current_attrs(c: &CurrentVersion) -> Vec<(String, Av)> {
    let mut out = vec![
        (CUR_N.to_owned(), n(u64::from(c.n))),
        (CUR_ID.to_owned(), s(c.id.as_str())),
        (CUR_SIZE.to_owned(), n(c.size)),
    ];
    if let Some(t) = &c.detected_type {
        out.push((CUR_TYPE.to_owned(), s(t)));
    }
    if let Some(e) = &c.etag {
        out.push((CUR_ETAG.to_owned(), s(e)));
    }
    out
}

fn num(item: &HashMap<String, Av>, k: &str) -> Option<u64> {
    get_n(item, k).and_then(|v| u64::try_from(v).ok())
}

/// A record's versioning, from the attributes [`put_versioning`] writes.
pub(crate) fn versioning_of(item: &HashMap<String, Av>) -> Result<Versioning, CoreError> {
    let of = match get_s(item, VERSION_OF) {
        None => None,
        Some(f) => Some(VersionOf {
            file: FileId::parse(f).map_err(|_| corrupt(VERSION_OF))?,
            n: num(item, VERSION_N)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| corrupt(VERSION_N))?,
        }),
    };
    let mut kept = match item.get(KEPT) {
        None => Vec::new(),
        Some(Av::Ss(members)) => members
            .iter()
            .map(|m| parse_kept(m).ok_or_else(|| corrupt(KEPT)))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(corrupt(KEPT)),
    };
    kept.sort();
    let current = match get_s(item, CUR_ID) {
        None => None,
        Some(id) => Some(CurrentVersion {
            n: num(item, CUR_N)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| corrupt(CUR_N))?,
            id: FileId::parse(id).map_err(|_| corrupt(CUR_ID))?,
            size: num(item, CUR_SIZE).ok_or_else(|| corrupt(CUR_SIZE))?,
            detected_type: get_s(item, CUR_TYPE).map(str::to_owned),
            etag: get_s(item, CUR_ETAG).map(str::to_owned),
        }),
    };
    Ok(Versioning {
        of,
        head: VersionHead {
            last_n: num(item, LAST)
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0),
            kept,
            current,
            first_removed: matches!(item.get(FIRST_REMOVED), Some(Av::Bool(true))),
        },
    })
}

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
        let cond = format!("#st = :acc AND attribute_not_exists(trashed_at) AND {was}");
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
                "attribute_exists(file_id) AND (attribute_not_exists({CUR_ID}) OR {CUR_ID} <> :vid)"
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
                "#st = :acc AND attribute_exists({CUR_ID}) AND attribute_not_exists({FIRST_REMOVED})"
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
