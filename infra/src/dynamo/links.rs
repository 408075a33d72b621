//! Upload links over DynamoDB. The links table holds, per owner, the links (`item =
//! link#<id>`) and the receipts of files dropped through them (`item = receipt#<file id>`).
//! Every secret is stored only as its SHA-256, in `token_hash`, which the `by-token` index
//! resolves. A drop is one transaction over the link, the owner's quota, the file and the
//! receipt (see [`LinkStore::create_pending_via_link`]).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use dropgate_core::files::FileLookup;
use dropgate_core::files::Page;
use dropgate_core::links::{DropReservation, Link, LinkDrop, LinkPage, LinkStore};
use dropgate_core::settings::DEFAULT_LINK_GIVEBACKS;
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileId, LinkId, OwnerId};

use super::expiry_attrs::{EXPIRY_SHARD, expiry_label};
use super::files::{epoch_after, file_key, from_item as file_from_item};
use super::own_quota::Try;
use super::paged::NewestFirst;
use super::{
    DynamoLedger, Tx, corrupt, delete_if, get_item, get_n, get_s, get_time, n, s, transact,
    update_if, values,
};
use crate::error::sdk_error;

pub const TOKEN_INDEX: &str = "by-token";
pub const LINK_FILES_INDEX: &str = "by-link";
pub(crate) const LINK_PREFIX: &str = "link#";
const RECEIPT_PREFIX: &str = "receipt#";
/// Links and receipts are kept this long after the link expires, then TTL removes them.
const KEEP_LINK_DAYS: i64 = 90;

pub(crate) fn link_key(owner: &OwnerId, id: &LinkId) -> HashMap<String, Av> {
    HashMap::from([
        ("owner".to_string(), s(owner.as_str())),
        ("item".to_string(), s(format!("{LINK_PREFIX}{id}"))),
    ])
}

/// Days each file received through the link is kept (absent: the owner's default).
const RETAIN_DAYS: &str = "retain_days";

fn to_item(l: &Link) -> HashMap<String, Av> {
    let mut item = link_key(&l.owner, &l.id);
    item.insert("link_id".into(), s(l.id.as_str()));
    item.insert("label".into(), s(&l.label));
    item.insert("token_hash".into(), s(&l.token_hash));
    if let Some(t) = &l.token_sealed {
        item.insert("token_sealed".into(), s(t));
    }
    item.insert("created_at".into(), s(rfc3339(l.created_at)));
    item.insert("expires_at".into(), s(rfc3339(l.expires_at)));
    item.insert("max_uploads".into(), n(l.max_uploads));
    item.insert("uploads_used".into(), n(l.uploads_used));
    item.insert("max_file_bytes".into(), n(l.max_file_bytes));
    if let Some(m) = l.max_total_bytes {
        item.insert("max_total_bytes".into(), n(m));
    }
    item.insert("bytes_used".into(), n(l.bytes_used));
    item.insert("max_pending_bytes".into(), n(l.max_pending_bytes));
    item.insert("pending_bytes".into(), n(l.pending_bytes));
    item.insert("max_givebacks".into(), n(l.max_givebacks));
    item.insert("givebacks".into(), n(l.givebacks));
    item.insert("allowed_types".into(), super::policy_attr(&l.allowed_types));
    item.insert(
        "require_uploader_name".into(),
        Av::Bool(l.require_uploader_name),
    );
    item.insert("revoked".into(), Av::Bool(l.revoked));
    if let Some(e) = &l.owner_email {
        item.insert("owner_email".into(), s(e));
    }
    if let Some(d) = l.retain_days {
        item.insert(RETAIN_DAYS.into(), n(d));
    }
    item.insert(
        "purge_at".into(),
        n(epoch_after(l.expires_at, KEEP_LINK_DAYS)),
    );
    // In the expiry index until the janitor closes its expiry (or a revocation takes it out).
    if !l.revoked {
        item.insert(EXPIRY_SHARD.into(), expiry_label(l.id.as_str()));
    }
    item
}

pub(crate) fn from_item(item: &HashMap<String, Av>) -> Result<Link, CoreError> {
    let req = |k: &str| get_s(item, k).ok_or_else(|| corrupt(k));
    let num = |k: &str| {
        get_n(item, k)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| corrupt(k))
    };
    let flag = |k: &str| item.get(k).and_then(|v| v.as_bool().ok()).copied();
    let opt_num = |k: &str| get_n(item, k).and_then(|v| u64::try_from(v).ok());
    let max_file_bytes = num("max_file_bytes")?;
    // Links written before pending bytes and give-backs were counted: one file's worth
    // pending, the default give-backs (the first drop or expiry writes the attributes).
    let max_givebacks = opt_num("max_givebacks")
        .map(|v| u32::try_from(v).map_err(|_| corrupt("max_givebacks")))
        .transpose()?
        .unwrap_or(DEFAULT_LINK_GIVEBACKS);
    let givebacks = opt_num("givebacks")
        .map(|v| u32::try_from(v).map_err(|_| corrupt("givebacks")))
        .transpose()?
        .unwrap_or(0);
    Ok(Link {
        id: LinkId::parse(req("link_id")?).map_err(|_| corrupt("link_id"))?,
        owner: OwnerId::parse(req("owner")?).map_err(|_| corrupt("owner"))?,
        owner_email: get_s(item, "owner_email").map(str::to_owned),
        label: req("label")?.to_owned(),
        token_hash: req("token_hash")?.to_owned(),
        token_sealed: get_s(item, "token_sealed").map(str::to_owned),
        created_at: get_time(item, "created_at")?,
        expires_at: get_time(item, "expires_at")?,
        max_uploads: u32::try_from(num("max_uploads")?).map_err(|_| corrupt("max_uploads"))?,
        uploads_used: u32::try_from(num("uploads_used")?).map_err(|_| corrupt("uploads_used"))?,
        max_file_bytes,
        max_total_bytes: get_n(item, "max_total_bytes").and_then(|v| u64::try_from(v).ok()),
        bytes_used: num("bytes_used")?,
        max_pending_bytes: opt_num("max_pending_bytes").unwrap_or(max_file_bytes),
        pending_bytes: opt_num("pending_bytes").unwrap_or(0),
        max_givebacks,
        givebacks,
        allowed_types: super::get_policy(item, "allowed_types")?,
        require_uploader_name: flag("require_uploader_name").unwrap_or(false),
        revoked: flag("revoked").unwrap_or(false),
        retain_days: opt_num(RETAIN_DAYS)
            .map(|v| u32::try_from(v).map_err(|_| corrupt(RETAIN_DAYS)))
            .transpose()?,
    })
}

fn is_kind(item: &HashMap<String, Av>, prefix: &str) -> bool {
    get_s(item, "item").is_some_and(|k| k.starts_with(prefix))
}

impl DynamoLedger {
    /// The items under `token_hash` in the `by-token` index (a link or a receipt).
    async fn by_token(&self, token_hash: &str) -> Result<Vec<HashMap<String, Av>>, CoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.links_table)
            .index_name(TOKEN_INDEX)
            .key_condition_expression("token_hash = :h")
            .set_expression_attribute_values(values(vec![(":h", s(token_hash))]))
            .limit(2)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        Ok(out.items().to_vec())
    }

    /// The link update of a pending link file's settlement or removal, as one item of its
    /// transaction: its pending bytes are released; with `give_back`, one use and `size`
    /// bytes return while the link has give-backs left, counted. The caller drops the item
    /// when only its condition fails (see [`Self::with_link_release`]).
    pub(crate) fn link_release(
        &self,
        owner: &OwnerId,
        link: &LinkId,
        size: u64,
        give_back: bool,
    ) -> Result<TransactWriteItem, CoreError> {
        // Links written before pending bytes were counted hold none.
        let mut set = vec!["pending_bytes = if_not_exists(pending_bytes, :size) - :size"];
        let mut cond = vec![
            "attribute_exists(link_id)",
            "(attribute_not_exists(pending_bytes) OR pending_bytes >= :size)",
        ];
        let mut vals = vec![(":size", n(size))];
        if give_back {
            set.extend([
                "uploads_used = uploads_used - :one",
                "bytes_used = bytes_used - :size",
                "givebacks = if_not_exists(givebacks, :zero) + :one",
                "max_givebacks = if_not_exists(max_givebacks, :default_givebacks)",
            ]);
            cond.extend([
                "uploads_used >= :one",
                "bytes_used >= :size",
                "(attribute_not_exists(givebacks) OR givebacks < max_givebacks)",
            ]);
            vals.extend([
                (":one", n(1)),
                (":zero", n(0)),
                (":default_givebacks", n(DEFAULT_LINK_GIVEBACKS)),
            ]);
        }
        let update = Update::builder()
            .table_name(&self.links_table)
            .set_key(Some(link_key(owner, link)))
            .update_expression(format!("SET {}", set.join(", ")))
            .condition_expression(cond.join(" AND "))
            .set_expression_attribute_values(values(vals))
            .build()
            .map_err(CoreError::upstream)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The link updates to try, in order, with a settlement or removal of `file` (from
    /// `from`): the give-back with the release, then the release alone, then nothing.
    pub(crate) fn link_releases(
        &self,
        file: &dropgate_core::FileRecord,
        from: dropgate_core::FileStatus,
        give_back: bool,
    ) -> Result<Vec<TransactWriteItem>, CoreError> {
        let Some(origin) = &file.link else {
            return Ok(Vec::new());
        };
        if from != dropgate_core::FileStatus::Pending {
            return Ok(Vec::new());
        }
        let mut tries = Vec::new();
        if give_back {
            tries.push(self.link_release(&file.owner, &origin.link_id, file.size, true)?);
        }
        tries.push(self.link_release(&file.owner, &origin.link_id, file.size, false)?);
        Ok(tries)
    }

    /// Commits `items` with the first of `link_tries` whose condition holds, or without any: a
    /// file must never stay pending (or undeleted) for want of a link counter. `false` when
    /// one of `items`' own conditions failed.
    pub(crate) async fn with_link_release(
        &self,
        op: &str,
        mut items: Vec<TransactWriteItem>,
        link_tries: Vec<TransactWriteItem>,
    ) -> Result<bool, CoreError> {
        let base = items.len();
        for link in link_tries {
            items.push(link);
            match transact(&self.client, op, items.clone()).await? {
                Tx::Committed => return Ok(true),
                // Only the link's own condition failed: try the next, smaller update.
                Tx::ConditionFailed(which)
                    if which.len() == base + 1 && which[base] && !which[..base].contains(&true) =>
                {
                    items.pop();
                }
                Tx::ConditionFailed(_) => return Ok(false),
            }
        }
        Ok(matches!(
            transact(&self.client, op, items).await?,
            Tx::Committed
        ))
    }
}

#[async_trait]
impl LinkStore for DynamoLedger {
    async fn put_link(&self, link: &Link) -> Result<(), CoreError> {
        self.put_link_announced(link, to_item(link)).await
    }

    async fn get_link(&self, owner: &OwnerId, id: &LinkId) -> Result<Option<Link>, CoreError> {
        get_item(&self.client, &self.links_table, link_key(owner, id))
            .await?
            .as_ref()
            .map(from_item)
            .transpose()
    }

    async fn get_links(&self, keys: &[(OwnerId, LinkId)]) -> Result<Vec<Link>, CoreError> {
        let keys = keys.iter().map(|(o, l)| link_key(o, l)).collect();
        self.batch_get(&self.links_table, keys)
            .await?
            .iter()
            .map(from_item)
            .collect()
    }

    async fn list_links(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&LinkId>,
    ) -> Result<LinkPage, CoreError> {
        // Receipts (`receipt#...`) sort after every link (`link#...`): a range below the
        // cursor, or the `link#` prefix, never reaches them.
        let (cond, bound) = match after {
            Some(a) => ("#o = :o AND #i < :b", format!("{LINK_PREFIX}{a}")),
            None => ("#o = :o AND begins_with(#i, :b)", LINK_PREFIX.to_owned()),
        };
        let items = NewestFirst::new(
            &self.client,
            &self.links_table,
            cond,
            vec![(":o", s(owner.as_str())), (":b", s(bound))],
        )
        .names(&[("#o", "owner"), ("#i", "item")])
        .fetch(limit)
        .await?;
        let links = items
            .iter()
            .filter(|i| is_kind(i, LINK_PREFIX))
            .map(from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LinkPage::from_overfetch(links, limit))
    }

    async fn revoke_link(
        &self,
        owner: &OwnerId,
        id: &LinkId,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        self.revoke_link_announced(owner, id, at).await
    }

    async fn update_link(&self, l: &Link, now: DateTime<Utc>) -> Result<bool, CoreError> {
        let mut set = vec![
            "label = :label",
            "expires_at = :exp",
            "max_uploads = :mu",
            "max_file_bytes = :mf",
            "max_pending_bytes = :mp",
            "allowed_types = :types",
            "require_uploader_name = :name",
            "purge_at = :purge",
        ];
        let mut vals = vec![
            (":label", s(&l.label)),
            (":exp", s(rfc3339(l.expires_at))),
            (":mu", n(l.max_uploads)),
            (":mf", n(l.max_file_bytes)),
            (":mp", n(l.max_pending_bytes)),
            (":types", super::policy_attr(&l.allowed_types)),
            (":name", Av::Bool(l.require_uploader_name)),
            (":purge", n(epoch_after(l.expires_at, KEEP_LINK_DAYS))),
            (":false", Av::Bool(false)),
            (":now", s(rfc3339(now))),
        ];
        let mut remove = Vec::new();
        match l.max_total_bytes {
            Some(m) => {
                set.push("max_total_bytes = :mt");
                vals.push((":mt", n(m)));
            }
            None => remove.push("max_total_bytes"),
        }
        match l.retain_days {
            Some(d) => {
                set.push("retain_days = :rd");
                vals.push((":rd", n(d)));
            }
            None => remove.push(RETAIN_DAYS),
        }
        let expr = match remove.is_empty() {
            true => format!("SET {}", set.join(", ")),
            false => format!("SET {} REMOVE {}", set.join(", "), remove.join(", ")),
        };
        // Counters are not touched: a drop that read the old settings counts as made before.
        let update = self
            .client
            .update_item()
            .table_name(&self.links_table)
            .set_key(Some(link_key(&l.owner, &l.id)))
            .update_expression(expr)
            .condition_expression(
                "attribute_exists(link_id) AND revoked = :false AND expires_at > :now",
            )
            .set_expression_attribute_values(values(vals));
        update_if(update).await
    }

    async fn remove_link(
        &self,
        owner: &OwnerId,
        id: &LinkId,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        // Ended as `Link::state` says: revoked, expired, or no uploads or bytes left.
        let delete = self
            .client
            .delete_item()
            .table_name(&self.links_table)
            .set_key(Some(link_key(owner, id)))
            .condition_expression(
                "attribute_exists(link_id) AND (revoked = :true OR expires_at <= :now \
                 OR uploads_used >= max_uploads \
                 OR (attribute_exists(max_total_bytes) AND bytes_used >= max_total_bytes))",
            )
            .set_expression_attribute_values(values(vec![
                (":true", Av::Bool(true)),
                (":now", s(rfc3339(now))),
            ]));
        delete_if(delete).await
    }

    async fn find_link(&self, token_hash: &str) -> Result<Option<Link>, CoreError> {
        self.by_token(token_hash)
            .await?
            .iter()
            .find(|i| is_kind(i, LINK_PREFIX))
            .map(from_item)
            .transpose()
    }

    async fn create_pending_via_link(
        &self,
        d: &LinkDrop<'_>,
    ) -> Result<DropReservation, CoreError> {
        let Some(max_pending) = d.max_pending_used() else {
            return Ok(DropReservation::LinkRefused);
        };
        let mut cond = "revoked = :false AND expires_at > :now AND uploads_used <= :max_used \
             AND (attribute_not_exists(pending_bytes) OR pending_bytes <= :max_pending)"
            .to_owned();
        let mut vals = vec![
            (":zero", n(0)),
            (":max_pending", n(max_pending)),
            (":one", n(1)),
            (":size", n(d.file.size)),
            (":false", Av::Bool(false)),
            (":now", s(rfc3339(d.now))),
            (":max_used", n(d.max_uploads_used())),
        ];
        if let Some(max_bytes) = d.max_bytes_used() {
            cond.push_str(" AND bytes_used <= :max_bytes");
            vals.push((":max_bytes", n(max_bytes)));
        }
        let (last, more) = Self::used_up_condition(d);
        cond.push_str(last);
        vals.extend(more);
        let use_link = Update::builder()
            .table_name(&self.links_table)
            .set_key(Some(link_key(&d.link.owner, &d.link.id)))
            .update_expression(
                "SET uploads_used = uploads_used + :one, bytes_used = bytes_used + :size, \
                 pending_bytes = if_not_exists(pending_bytes, :zero) + :size",
            )
            .condition_expression(cond)
            .set_expression_attribute_values(values(vals))
            .build()
            .map_err(CoreError::upstream)?;
        let receipt = Put::builder()
            .table_name(&self.links_table)
            .set_item(Some(HashMap::from([
                ("owner".to_string(), s(d.file.owner.as_str())),
                (
                    "item".to_string(),
                    s(format!("{RECEIPT_PREFIX}{}", d.file.id)),
                ),
                ("token_hash".to_string(), s(d.receipt_hash)),
                ("file_id".to_string(), s(d.file.id.as_str())),
                ("link_id".to_string(), s(d.link.id.as_str())),
                (
                    "purge_at".to_string(),
                    n(epoch_after(d.link.expires_at, KEEP_LINK_DAYS)),
                ),
            ])))
            .condition_expression("attribute_not_exists(token_hash)")
            .build()
            .map_err(CoreError::upstream)?;
        let (use_link, receipt) = (&use_link, &receipt);
        self.within_limit(
            &d.file.owner,
            d.quota_limit,
            DropReservation::QuotaExceeded,
            |bound| async move {
                let Some([reserve, put]) = self.reserve_and_put(d.file, bound)? else {
                    return Ok(Try::OverQuota);
                };
                let mut items = vec![
                    TransactWriteItem::builder()
                        .update(use_link.clone())
                        .build(),
                    reserve,
                    put,
                    TransactWriteItem::builder().put(receipt.clone()).build(),
                ];
                items.extend(self.pointer_put(d.file)?);
                items.extend(self.used_up_put(d)?);
                match transact(&self.client, "create_pending_via_link", items).await? {
                    Tx::Committed => Ok(Try::Done(DropReservation::Reserved)),
                    Tx::ConditionFailed(which) if which.first() == Some(&true) => {
                        Ok(Try::Done(DropReservation::LinkRefused))
                    }
                    Tx::ConditionFailed(which) if which.get(1) == Some(&true) => Ok(Try::OverQuota),
                    Tx::ConditionFailed(_) => {
                        Err(CoreError::upstream("file or receipt id collision"))
                    }
                }
            },
        )
        .await
    }

    async fn extend_drop(
        &self,
        file: &dropgate_core::FileRecord,
        until: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        // Never back: a later deadline already written stays. The pending index follows the
        // attribute, so the janitor sees the new deadline.
        let update = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression("SET upload_expires_at = :until")
            .condition_expression("#st = :pending AND upload_expires_at < :until")
            .expression_attribute_names("#st", "status")
            .set_expression_attribute_values(values(vec![
                (":until", s(rfc3339(until))),
                (":pending", s(dropgate_core::FileStatus::Pending.as_str())),
            ]));
        if update_if(update).await? {
            return Ok(true);
        }
        // Refused: no longer pending, or already as late: only the first is a `false`.
        Ok(self
            .get_file(&file.owner, &file.id)
            .await?
            .is_some_and(|f| f.status == dropgate_core::FileStatus::Pending))
    }

    async fn find_receipt(
        &self,
        receipt_hash: &str,
    ) -> Result<Option<(OwnerId, FileId)>, CoreError> {
        let items = self.by_token(receipt_hash).await?;
        let Some(item) = items.iter().find(|i| is_kind(i, RECEIPT_PREFIX)) else {
            return Ok(None);
        };
        let owner = get_s(item, "owner").and_then(|o| OwnerId::parse(o).ok());
        let file = get_s(item, "file_id").and_then(|f| FileId::parse(f).ok());
        match (owner, file) {
            (Some(o), Some(f)) => Ok(Some((o, f))),
            _ => Err(corrupt("receipt")),
        }
    }

    async fn list_link_files(
        &self,
        owner: &OwnerId,
        link: &LinkId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError> {
        let items = NewestFirst::new(
            &self.client,
            &self.files_table,
            "via_link = :l",
            vec![(":l", s(link.as_str()))],
        )
        .index(Some(LINK_FILES_INDEX))
        .below("file_id", after.map(FileId::as_str))
        // Files in the trash are listed by the trash alone (the index projects every
        // attribute, `trashed_at` with them).
        .filter(super::files::NOT_IN_TRASH)
        .fetch(limit)
        .await?;
        // Link ids are unique, so the owner check only guards against the impossible.
        let files = items
            .iter()
            .map(file_from_item)
            .filter(|f| f.as_ref().map_or(true, |f| &f.owner == owner))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(files, limit))
    }
}
