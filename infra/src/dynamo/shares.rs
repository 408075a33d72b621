//! Share links over DynamoDB. The shares table holds each share under its owner (`owner`,
//! `share_id`; ids are time-ordered, so a descending query lists newest first). The token is
//! stored only as its SHA-256 (`token_hash`), which the `by-token` index resolves; `by-file`
//! (`file_key` = `<owner>#<file id>`) lists one file's shares. A counted download is one
//! transaction over the share's counter, the download-log entry and the upload-log (outbox)
//! entry that announces it (see [`ShareStore::count_download`]). Wrong passwords are an atomic
//! `ADD` on the share (`failures`); its lock (`locked_until`, `locked_until_ms` for conditions)
//! is one conditional transaction with the `share.locked` outbox entry.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnValue, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use dropgate_core::notify::{EventType, LifecycleEntry};
use dropgate_core::shares::{
    DownloadCount, DownloadEntry, DownloadPage, Share, ShareLock, SharePage, ShareStore,
};
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileId, OwnerId, ShareId};

use super::expiry_attrs::{EXPIRY_SHARD, expiry_label};
use super::files::epoch_after;
use super::outbox::entry_item_of;
use super::outbox_lifecycle::lifecycle_put;
use super::paged::NewestFirst;
use super::{
    Tx, corrupt, delete_if, get_item, get_n, get_s, get_time, n, put_new_op, put_op, s, transact,
    update_if, values,
};
use crate::error::sdk_error;

pub const SHARE_TOKEN_INDEX: &str = "by-token";
pub const SHARE_FILE_INDEX: &str = "by-file";
/// Not locked at `:now_ms` (a lock ends at `locked_until_ms`, exclusive).
const NOT_LOCKED: &str = "(attribute_not_exists(locked_until_ms) OR locked_until_ms <= :now_ms)";
/// Shares are kept this long after they expire, then TTL (`purge_at`) removes them.
const KEEP_SHARE_DAYS: i64 = 90;

/// Shares, their download log, and the upload log (the outbox) a counted download writes to.
pub struct DynamoShares {
    pub client: aws_sdk_dynamodb::Client,
    pub shares_table: String,
    pub download_log_table: String,
    /// The upload log: the `file.downloaded` outbox entries.
    pub log_table: String,
}

pub(crate) fn share_key(owner: &OwnerId, id: &ShareId) -> HashMap<String, Av> {
    HashMap::from([
        ("owner".to_string(), s(owner.as_str())),
        ("share_id".to_string(), s(id.as_str())),
    ])
}

fn file_key(owner: &OwnerId, file: &FileId) -> String {
    format!("{owner}#{file}")
}

fn to_item(sh: &Share) -> HashMap<String, Av> {
    let mut item = share_key(&sh.owner, &sh.id);
    item.insert("file_id".into(), s(sh.file_id.as_str()));
    item.insert("file_key".into(), s(file_key(&sh.owner, &sh.file_id)));
    if let Some(l) = &sh.label {
        item.insert("label".into(), s(l));
    }
    item.insert("token_hash".into(), s(&sh.token_hash));
    if let Some(t) = &sh.token_sealed {
        item.insert("token_sealed".into(), s(t));
    }
    item.insert("created_at".into(), s(rfc3339(sh.created_at)));
    item.insert("expires_at".into(), s(rfc3339(sh.expires_at)));
    // For conditions: milliseconds, the precision `expires_at` is stored with, so that
    // `expires_epoch_ms > now` is exactly `now < expires_at`.
    item.insert(
        "expires_epoch_ms".into(),
        n(sh.expires_at.timestamp_millis()),
    );
    if let Some(m) = sh.max_downloads {
        item.insert("max_downloads".into(), n(m));
    }
    item.insert("downloads".into(), n(sh.downloads));
    if let Some(p) = &sh.password_hash {
        item.insert("password_hash".into(), s(p));
    }
    item.insert("notify_owner".into(), Av::Bool(sh.notify_owner));
    if let Some(e) = &sh.owner_email {
        item.insert("owner_email".into(), s(e));
    }
    item.insert("revoked".into(), Av::Bool(sh.revoked));
    if let Some(v) = sh.version {
        item.insert("file_version".into(), n(v));
    }
    if let Some(t) = sh.mailed_at {
        item.insert("mailed_at".into(), s(rfc3339(t)));
    }
    item.insert("failures".into(), n(sh.failures));
    if let Some(t) = sh.locked_until {
        item.insert("locked_until".into(), s(rfc3339(t)));
        // For conditions, as `expires_epoch_ms`.
        item.insert("locked_until_ms".into(), n(t.timestamp_millis()));
    }
    item.insert(
        "purge_at".into(),
        n(epoch_after(sh.expires_at, KEEP_SHARE_DAYS)),
    );
    // In the expiry index until the janitor closes its expiry (or a revocation takes it out).
    if !sh.revoked {
        item.insert(EXPIRY_SHARD.into(), expiry_label(sh.id.as_str()));
    }
    item
}

pub(crate) fn from_item(item: &HashMap<String, Av>) -> Result<Share, CoreError> {
    let req = |k: &str| get_s(item, k).ok_or_else(|| corrupt(k));
    let count = |k: &str| -> Result<Option<u32>, CoreError> {
        match item.get(k) {
            None => Ok(None),
            Some(_) => get_n(item, k)
                .and_then(|v| u32::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| corrupt(k)),
        }
    };
    let flag = |k: &str| item.get(k).and_then(|v| v.as_bool().ok()).copied();
    Ok(Share {
        id: ShareId::parse(req("share_id")?).map_err(|_| corrupt("share_id"))?,
        owner: OwnerId::parse(req("owner")?).map_err(|_| corrupt("owner"))?,
        file_id: FileId::parse(req("file_id")?).map_err(|_| corrupt("file_id"))?,
        label: get_s(item, "label").map(str::to_owned),
        token_hash: req("token_hash")?.to_owned(),
        token_sealed: get_s(item, "token_sealed").map(str::to_owned),
        created_at: get_time(item, "created_at")?,
        expires_at: get_time(item, "expires_at")?,
        max_downloads: count("max_downloads")?,
        downloads: count("downloads")?.ok_or_else(|| corrupt("downloads"))?,
        password_hash: get_s(item, "password_hash").map(str::to_owned),
        notify_owner: flag("notify_owner").unwrap_or(false),
        owner_email: get_s(item, "owner_email").map(str::to_owned),
        revoked: flag("revoked").unwrap_or(false),
        mailed_at: match item.get("mailed_at") {
            None => None,
            Some(_) => Some(get_time(item, "mailed_at")?),
        },
        // Shares stored before lockouts existed have no count: none yet.
        failures: count("failures")?.unwrap_or(0),
        locked_until: match item.get("locked_until") {
            None => None,
            Some(_) => Some(get_time(item, "locked_until")?),
        },
        version: count("file_version")?,
    })
}

/// `purge_at`: when the share itself is purged. An entry without an address is kept as long
/// as its share (the owner's record of it), never longer: nothing could list it afterwards.
fn download_item(d: &DownloadEntry, purge_at: i64) -> HashMap<String, Av> {
    let mut item = HashMap::from([
        ("share_id".to_string(), s(d.share.as_str())),
        ("entry".to_string(), s(&d.key)),
        ("at".to_string(), s(rfc3339(d.at))),
        ("user_agent".to_string(), s(&d.user_agent)),
    ]);
    if let Some(ip) = &d.source_ip {
        item.insert("source_ip".into(), s(ip));
    }
    // The TTL attribute: an entry that holds an address goes after the retention period,
    // any other with its share.
    let ttl = d
        .expires_at
        .map_or(purge_at, |t| t.timestamp().min(purge_at));
    item.insert("expires_at".into(), n(ttl));
    item
}

fn download_from_item(item: &HashMap<String, Av>) -> Result<DownloadEntry, CoreError> {
    let req = |k: &str| get_s(item, k).ok_or_else(|| corrupt(k));
    Ok(DownloadEntry {
        share: ShareId::parse(req("share_id")?).map_err(|_| corrupt("share_id"))?,
        key: req("entry")?.to_owned(),
        at: get_time(item, "at")?,
        user_agent: req("user_agent")?.to_owned(),
        source_ip: get_s(item, "source_ip").map(str::to_owned),
        // A TTL: kept to the second; the entry's own only when it holds an address (otherwise
        // it is the share's purge time).
        expires_at: match item.get("expires_at") {
            _ if !item.contains_key("source_ip") => None,
            None => None,
            Some(_) => Some(
                get_n(item, "expires_at")
                    .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
                    .ok_or_else(|| corrupt("expires_at"))?,
            ),
        },
    })
}

#[async_trait]
impl ShareStore for DynamoShares {
    async fn put_share(&self, share: &Share) -> Result<(), CoreError> {
        let created = LifecycleEntry::of_share(EventType::ShareCreated, share, share.created_at);
        let items = vec![
            put_new_op(&self.shares_table, to_item(share), "share_id")?,
            lifecycle_put(&self.log_table, &created)?,
        ];
        match transact(&self.client, "put_share", items).await? {
            Tx::Committed => Ok(()),
            Tx::ConditionFailed(_) => Err(CoreError::upstream(format!(
                "put_share: share {} exists",
                share.id
            ))),
        }
    }

    async fn get_share(&self, owner: &OwnerId, id: &ShareId) -> Result<Option<Share>, CoreError> {
        get_item(&self.client, &self.shares_table, share_key(owner, id))
            .await?
            .as_ref()
            .map(from_item)
            .transpose()
    }

    async fn find_share(&self, token_hash: &str) -> Result<Option<Share>, CoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.shares_table)
            .index_name(SHARE_TOKEN_INDEX)
            .key_condition_expression("token_hash = :h")
            .set_expression_attribute_values(values(vec![(":h", s(token_hash))]))
            .limit(1)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        out.items().first().map(from_item).transpose()
    }

    async fn list_shares(
        &self,
        owner: &OwnerId,
        file: Option<&FileId>,
        limit: usize,
        after: Option<&ShareId>,
    ) -> Result<SharePage, CoreError> {
        let (index, cond, key, names): (_, _, _, &[_]) = match file {
            // The index is eventually consistent: a share created a moment ago may be missing.
            Some(f) => (
                Some(SHARE_FILE_INDEX),
                "file_key = :k",
                file_key(owner, f),
                &[],
            ),
            None => (
                None,
                "#o = :k",
                owner.as_str().to_owned(),
                &[("#o", "owner")],
            ),
        };
        let items = NewestFirst::new(&self.client, &self.shares_table, cond, vec![(":k", s(key))])
            .index(index)
            .names(names)
            .below("share_id", after.map(ShareId::as_str))
            .fetch(limit)
            .await?;
        let shares = items
            .iter()
            .map(from_item)
            // `file_key` carries the owner, so this only guards against the impossible.
            .filter(|sh| sh.as_ref().map_or(true, |sh| &sh.owner == owner))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SharePage::from_overfetch(shares, limit))
    }

    async fn update_share(
        &self,
        sh: &Share,
        now: DateTime<Utc>,
        new_password: bool,
    ) -> Result<bool, CoreError> {
        let mut set = vec![
            "expires_at = :exp",
            "expires_epoch_ms = :exp_ms",
            "notify_owner = :notify",
            "purge_at = :purge",
        ];
        let mut remove = Vec::new();
        let mut vals = vec![
            (":exp", s(rfc3339(sh.expires_at))),
            (":exp_ms", n(sh.expires_at.timestamp_millis())),
            (":notify", Av::Bool(sh.notify_owner)),
            (":purge", n(epoch_after(sh.expires_at, KEEP_SHARE_DAYS))),
            (":false", Av::Bool(false)),
            (":now_ms", n(now.timestamp_millis())),
        ];
        match &sh.label {
            Some(l) => {
                set.push("label = :label");
                vals.push((":label", s(l)));
            }
            None => remove.push("label"),
        }
        match sh.max_downloads {
            Some(m) => {
                set.push("max_downloads = :md");
                vals.push((":md", n(m)));
            }
            None => remove.push("max_downloads"),
        }
        if new_password {
            // The guesses counted so far were at the old password.
            set.push("failures = :zero");
            vals.push((":zero", n(0)));
            remove.extend(["locked_until", "locked_until_ms"]);
            match &sh.password_hash {
                Some(p) => {
                    set.push("password_hash = :pw");
                    vals.push((":pw", s(p)));
                }
                None => remove.push("password_hash"),
            }
        }
        let mut expr = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expr.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        // Counters are not touched: a download that read the old settings counts as made
        // before the edit.
        let update = self
            .client
            .update_item()
            .table_name(&self.shares_table)
            .set_key(Some(share_key(&sh.owner, &sh.id)))
            .update_expression(expr)
            .condition_expression(
                "attribute_exists(share_id) AND revoked = :false AND expires_epoch_ms > :now_ms",
            )
            .set_expression_attribute_values(values(vals));
        update_if(update).await
    }

    async fn remove_share(
        &self,
        owner: &OwnerId,
        id: &ShareId,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        // Ended as `Share::state` says: revoked, expired, or no downloads left.
        let delete = self
            .client
            .delete_item()
            .table_name(&self.shares_table)
            .set_key(Some(share_key(owner, id)))
            .condition_expression(
                "attribute_exists(share_id) AND (revoked = :true OR expires_epoch_ms <= :now_ms \
                 OR (attribute_exists(max_downloads) AND downloads >= max_downloads))",
            )
            .set_expression_attribute_values(values(vec![
                (":true", Av::Bool(true)),
                (":now_ms", n(now.timestamp_millis())),
            ]));
        delete_if(delete).await
    }

    async fn revoke_share(&self, owner: &OwnerId, id: &ShareId) -> Result<bool, CoreError> {
        // Read, then revoke only what is not revoked yet, with its entry: of concurrent
        // revocations exactly one writes `share.revoked`; the others find it revoked.
        for _ in 0..3 {
            let Some(sh) = self.get_share(owner, id).await? else {
                return Ok(false);
            };
            if sh.revoked {
                return Ok(true);
            }
            let revoked = LifecycleEntry::of_share(EventType::ShareRevoked, &sh, Utc::now());
            let update = Update::builder()
                .table_name(&self.shares_table)
                .set_key(Some(share_key(owner, id)))
                .update_expression(format!("SET revoked = :t REMOVE {EXPIRY_SHARD}"))
                .condition_expression("revoked = :f")
                .set_expression_attribute_values(values(vec![
                    (":t", Av::Bool(true)),
                    (":f", Av::Bool(false)),
                ]))
                .build()
                .map_err(CoreError::upstream)?;
            let items = vec![
                TransactWriteItem::builder().update(update).build(),
                lifecycle_put(&self.log_table, &revoked)?,
            ];
            if let Tx::Committed = transact(&self.client, "revoke_share", items).await? {
                return Ok(true);
            }
        }
        Err(CoreError::Throttled)
    }

    async fn count_download(&self, c: &DownloadCount<'_>) -> Result<bool, CoreError> {
        let mut set = "SET downloads = downloads + :one".to_owned();
        // A missing share fails `revoked = :f` too: nothing is created.
        let mut cond = "revoked = :f AND expires_epoch_ms > :now_ms \
                        AND (attribute_not_exists(max_downloads) OR downloads < max_downloads)"
            .to_owned();
        let mut vals = vec![
            (":one", n(1)),
            (":f", Av::Bool(false)),
            (":now_ms", n(c.now.timestamp_millis())),
        ];
        // The last download is taken only with its `share.exhausted` entry (see DownloadCount).
        match (c.exhausted, c.share.max_downloads) {
            (Some(_), Some(m)) => {
                cond.push_str(" AND downloads = :read AND max_downloads = :max");
                vals.push((":read", n(c.share.downloads)));
                vals.push((":max", n(m)));
            }
            (None, Some(m)) => {
                cond.push_str(" AND downloads < :last");
                vals.push((":last", n(m.saturating_sub(1))));
            }
            _ => {}
        }
        if c.claim_mail {
            set.push_str(", mailed_at = :now");
            vals.push((":now", s(rfc3339(c.now))));
            match c.share.mailed_at {
                Some(prev) => {
                    cond.push_str(" AND mailed_at = :prev");
                    vals.push((":prev", s(rfc3339(prev))));
                }
                None => cond.push_str(" AND attribute_not_exists(mailed_at)"),
            }
        }
        let count = Update::builder()
            .table_name(&self.shares_table)
            .set_key(Some(share_key(&c.share.owner, &c.share.id)))
            .update_expression(set)
            .condition_expression(cond)
            .set_expression_attribute_values(values(vals))
            .build()
            .map_err(CoreError::upstream)?;
        let mut items = vec![
            TransactWriteItem::builder().update(count).build(),
            put_op(
                &self.download_log_table,
                download_item(c.entry, epoch_after(c.share.expires_at, KEEP_SHARE_DAYS)),
            )?,
        ];
        if let Some(e) = c.announce {
            items.push(put_op(&self.log_table, entry_item_of(e))?);
        }
        if let Some(e) = c.exhausted {
            items.push(lifecycle_put(&self.log_table, e)?);
        }
        match transact(&self.client, "count_download", items).await? {
            Tx::Committed => Ok(true),
            Tx::ConditionFailed(_) => Ok(false),
        }
    }

    async fn add_failure(
        &self,
        owner: &OwnerId,
        id: &ShareId,
        now: DateTime<Utc>,
    ) -> Result<Option<u32>, CoreError> {
        // ADD is atomic: concurrent failures from every instance each count once.
        let out = self
            .client
            .update_item()
            .table_name(&self.shares_table)
            .set_key(Some(share_key(owner, id)))
            .update_expression("ADD failures :one")
            .condition_expression(format!("attribute_exists(share_id) AND {NOT_LOCKED}"))
            .set_expression_attribute_values(values(vec![
                (":one", n(1)),
                (":now_ms", n(now.timestamp_millis())),
            ]))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match out {
            Ok(o) => {
                let item = o.attributes.unwrap_or_default();
                get_n(&item, "failures")
                    .and_then(|v| u32::try_from(v).ok())
                    .map(Some)
                    .ok_or_else(|| corrupt("failures"))
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn lock_share(&self, l: &ShareLock<'_>) -> Result<bool, CoreError> {
        // A missing share has no `failures`: the condition fails, nothing is created.
        let lock = Update::builder()
            .table_name(&self.shares_table)
            .set_key(Some(share_key(&l.share.owner, &l.share.id)))
            .update_expression(
                "SET failures = :zero, locked_until = :until, locked_until_ms = :until_ms",
            )
            .condition_expression(format!("failures >= :max AND {NOT_LOCKED}"))
            .set_expression_attribute_values(values(vec![
                (":zero", n(0)),
                (":until", s(rfc3339(l.until))),
                (":until_ms", n(l.until.timestamp_millis())),
                (":max", n(l.max_failures)),
                (":now_ms", n(l.now.timestamp_millis())),
            ]))
            .build()
            .map_err(CoreError::upstream)?;
        let items = vec![
            TransactWriteItem::builder().update(lock).build(),
            put_op(&self.log_table, entry_item_of(l.announce))?,
        ];
        match transact(&self.client, "lock_share", items).await? {
            Tx::Committed => Ok(true),
            Tx::ConditionFailed(_) => Ok(false),
        }
    }

    async fn list_downloads(
        &self,
        share: &ShareId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<DownloadPage, CoreError> {
        let start = after.map(|a| {
            HashMap::from([
                ("share_id".to_string(), s(share.as_str())),
                ("entry".to_string(), s(a)),
            ])
        });
        let items = NewestFirst::new(
            &self.client,
            &self.download_log_table,
            "share_id = :s",
            vec![(":s", s(share.as_str()))],
        )
        .start_after(start)
        .fetch(limit)
        .await?;
        let downloads = items
            .iter()
            .map(download_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DownloadPage::from_overfetch(downloads, limit))
    }
}
