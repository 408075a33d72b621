//! The reminders' store over DynamoDB (`dropgate_core::reminders::ReminderLedger`). A link's
//! or a file's "reminded" marker is its `reminded_for` attribute: the expiry or `delete_after`
//! it was reminded of. An owner's reminder is one upload-log item (`event` `reminder`) listing
//! its links and files, put in ONE transaction with a conditional `SET reminded_for` on each,
//! so the entry and the markers commit together or not at all.
//!
//! Links are read from the links' `due-for-expiry` index (see `expiry.rs`), files from the
//! `due-for-retention` index, each with a key condition up to the end of the window (the one
//! shared read of `due.rs`): no Scan.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use dropgate_core::links::Link;
use dropgate_core::notify::LinkFacts;
use dropgate_core::reminders::{
    ExpiringFile, MAX_ITEMS, Marked, REMINDER_EVENT, Reminder, ReminderLedger,
};
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileId, FileRecord, FileStatus, LinkId, OwnerId};

use super::files::{DELETE_AFTER, epoch_after, file_key};
use super::hold_attrs::NOT_HELD;
use super::links::link_key;
use super::{
    DynamoLedger, Tx, corrupt, get_n, get_s, get_time, n, names, put_op, s, transact, values,
};

/// The marker attribute, on links and files.
pub const REMINDED_FOR: &str = "reminded_for";
/// Kept as the other log entries are, then TTL removes them.
const KEEP_LOG_DAYS: i64 = 90;

fn marker(item: &HashMap<String, Av>) -> Option<DateTime<Utc>> {
    get_s(item, REMINDED_FOR).and_then(|_| get_time(item, REMINDED_FOR).ok())
}

#[async_trait]
impl ReminderLedger for DynamoLedger {
    async fn links_expiring(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Marked<Link>>, CoreError> {
        // The expiry index holds the links still to be announced: those with less than a day
        // left are among them (the rules keep the ones without a file).
        let mut found = Vec::new();
        for item in self
            .link_expiry_index()
            .due(Some(now), until, limit)
            .await?
        {
            let l = super::links::from_item(&item)?;
            if !l.revoked && l.uploads_used == 0 && l.expires_at > now {
                found.push(Marked {
                    item: l,
                    reminded_for: marker(&item),
                });
            }
        }
        found.sort_by_key(|m| m.item.expires_at);
        found.truncate(limit);
        Ok(found)
    }

    async fn files_expiring(
        &self,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Marked<FileRecord>>, CoreError> {
        let mut found = Vec::new();
        for item in self.retention_index().due(None, until, limit).await? {
            let f = super::files::from_item(&item)?;
            // The index is eventually consistent: a file trashed a moment ago may linger.
            if !f.in_trash() && f.lifecycle.legal_hold.is_none() {
                found.push(Marked {
                    item: f,
                    reminded_for: marker(&item),
                });
            }
        }
        found.sort_by_key(|m| m.item.lifecycle.delete_after);
        found.truncate(limit);
        Ok(found)
    }

    async fn write_reminder(&self, r: &Reminder) -> Result<bool, CoreError> {
        if r.links.len() + r.files.len() > MAX_ITEMS {
            return Err(CoreError::upstream("reminder: too many items"));
        }
        let mut items = Vec::with_capacity(r.links.len() + r.files.len() + 1);
        for l in &r.links {
            let update = Update::builder()
                .table_name(&self.links_table)
                .set_key(Some(link_key(&r.owner, &l.link)))
                .update_expression(format!("SET {REMINDED_FOR} = :t"))
                .condition_expression(format!(
                    "attribute_exists(link_id) AND expires_at = :t AND uploads_used = :zero \
                     AND (attribute_not_exists(pending_bytes) OR pending_bytes = :zero) \
                     AND (attribute_not_exists(revoked) OR revoked = :f) \
                     AND (attribute_not_exists({REMINDED_FOR}) OR {REMINDED_FOR} <> :t)"
                ))
                .set_expression_attribute_values(values(vec![
                    (":t", s(rfc3339(l.expires_at))),
                    (":zero", n(0)),
                    (":f", Av::Bool(false)),
                ]))
                .build()
                .map_err(CoreError::upstream)?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        for f in &r.files {
            let update = Update::builder()
                .table_name(&self.files_table)
                .set_key(Some(file_key(&r.owner, &f.file)))
                .update_expression(format!("SET {REMINDED_FOR} = :t"))
                .condition_expression(format!(
                    "attribute_exists(file_id) AND attribute_not_exists(trashed_at) AND {NOT_HELD} \
                     AND #st = :accepted AND {DELETE_AFTER} = :t \
                     AND (attribute_not_exists({REMINDED_FOR}) OR {REMINDED_FOR} <> :t)"
                ))
                .set_expression_attribute_names(names(&[("#st", "status")]))
                .set_expression_attribute_values(values(vec![
                    (":t", s(rfc3339(f.delete_after))),
                    (":accepted", s(FileStatus::Accepted.as_str())),
                ]))
                .build()
                .map_err(CoreError::upstream)?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        items.push(put_op(&self.log_table, reminder_item(r))?);
        match transact(&self.client, "write_reminder", items).await? {
            Tx::Committed => Ok(true),
            Tx::ConditionFailed(_) => Ok(false),
        }
    }
}

/// The log item of an owner's reminder.
pub fn reminder_item(r: &Reminder) -> HashMap<String, Av> {
    let links = r
        .links
        .iter()
        .map(|l| {
            Av::M(HashMap::from([
                ("link_id".to_owned(), s(l.link.as_str())),
                ("label".to_owned(), s(&l.label)),
                ("max_uploads".to_owned(), n(l.max_uploads)),
                ("uploads_used".to_owned(), n(l.uploads_used)),
                ("link_expires_at".to_owned(), s(rfc3339(l.expires_at))),
            ]))
        })
        .collect();
    let files = r
        .files
        .iter()
        .map(|f| {
            Av::M(HashMap::from([
                ("file_id".to_owned(), s(f.file.as_str())),
                ("name".to_owned(), s(&f.name)),
                ("size".to_owned(), n(f.size)),
                (DELETE_AFTER.to_owned(), s(rfc3339(f.delete_after))),
            ]))
        })
        .collect();
    let mut item = HashMap::from([
        ("owner".to_owned(), s(r.owner.as_str())),
        ("entry".to_owned(), s(&r.id)),
        ("event".to_owned(), s(REMINDER_EVENT)),
        ("at".to_owned(), s(rfc3339(r.at))),
        ("expires_at".to_owned(), n(epoch_after(r.at, KEEP_LOG_DAYS))),
        ("links".to_owned(), Av::L(links)),
        ("files".to_owned(), Av::L(files)),
    ]);
    if let Some(to) = &r.to {
        item.insert("owner_email".to_owned(), s(to));
    }
    item
}

fn list<'a>(item: &'a HashMap<String, Av>, k: &str) -> &'a [Av] {
    item.get(k)
        .and_then(|v| v.as_l().ok())
        .map_or(&[], Vec::as_slice)
}

fn count(item: &HashMap<String, Av>, k: &str) -> Result<u32, CoreError> {
    get_n(item, k)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| corrupt(k))
}

/// A reminder from its log item (a change-stream image's).
pub fn reminder_from_item(item: &HashMap<String, Av>) -> Result<Reminder, CoreError> {
    let mut links = Vec::new();
    for v in list(item, "links") {
        let m = v.as_m().map_err(|_| corrupt("reminder link"))?;
        links.push(LinkFacts {
            link: LinkId::parse(get_s(m, "link_id").unwrap_or_default())
                .map_err(|_| corrupt("reminder link_id"))?,
            label: get_s(m, "label").unwrap_or_default().to_owned(),
            max_uploads: count(m, "max_uploads")?,
            uploads_used: count(m, "uploads_used")?,
            expires_at: get_time(m, "link_expires_at")?,
        });
    }
    let mut files = Vec::new();
    for v in list(item, "files") {
        let m = v.as_m().map_err(|_| corrupt("reminder file"))?;
        files.push(ExpiringFile {
            file: FileId::parse(get_s(m, "file_id").unwrap_or_default())
                .map_err(|_| corrupt("reminder file_id"))?,
            name: get_s(m, "name").unwrap_or_default().to_owned(),
            size: get_n(m, "size")
                .and_then(|v| u64::try_from(v).ok())
                .ok_or_else(|| corrupt("reminder size"))?,
            delete_after: get_time(m, DELETE_AFTER)?,
        });
    }
    Ok(Reminder {
        id: get_s(item, "entry")
            .ok_or_else(|| corrupt("outbox entry"))?
            .to_owned(),
        owner: OwnerId::parse(get_s(item, "owner").unwrap_or_default())
            .map_err(|_| corrupt("outbox owner"))?,
        to: get_s(item, "owner_email").map(str::to_owned),
        at: get_time(item, "at")?,
        links,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::super::outbox::image_json;
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_reminder_round_trips_through_a_stream_image() {
        let at = DateTime::from_timestamp_millis(1_795_341_600_123).unwrap();
        let owner = OwnerId::parse("o1").unwrap();
        let r = Reminder {
            id: Reminder::key(at, &owner),
            owner,
            to: Some("o1@example.com".into()),
            at,
            links: vec![LinkFacts {
                link: LinkId::parse("l1").unwrap(),
                label: "Q3 \u{201c}docs\u{201d}".into(),
                max_uploads: 5,
                uploads_used: 0,
                expires_at: at + TimeDelta::hours(3),
            }],
            files: vec![ExpiringFile {
                file: FileId::parse("f1").unwrap(),
                name: "a <b>.pdf".into(),
                size: 42,
                delete_after: at + TimeDelta::days(2),
            }],
        };
        let image = image_json(&reminder_item(&r));
        let back = super::super::outbox_lifecycle::announcement_from_image(&image).unwrap();
        assert_eq!(
            back,
            dropgate_core::notify::Announcement::Reminder(Box::new(r))
        );
    }
}
