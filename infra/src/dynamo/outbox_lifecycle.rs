//! The upload-log items of a link's and a share's own life (see
//! `dropgate_core::notify::LifecycleEntry`): written in the transaction of the change they
//! announce, read back from the change stream beside the files' entries, by their `event`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as Av, TransactWriteItem};
use dropgate_core::notify::{
    Announcement, EventType, LifecycleEntry, LinkFacts, ShareFacts, Subject,
};
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileId, LinkId, OwnerId, ShareId};
use serde_json::Value;

use super::files::epoch_after;
use super::outbox::{entry_from_item, item_of_image};
use super::{corrupt, get_n, get_s, get_time, n, put_op, s};

/// Kept as the files' entries are, then TTL removes them.
const KEEP_LOG_DAYS: i64 = 90;

/// The put of `e`'s item into the log table `table`, for a transaction.
pub(crate) fn lifecycle_put(
    table: &str,
    e: &LifecycleEntry,
) -> Result<TransactWriteItem, CoreError> {
    put_op(table, lifecycle_item(e))
}

pub fn lifecycle_item(e: &LifecycleEntry) -> HashMap<String, Av> {
    let mut item = HashMap::from([
        ("owner".to_string(), s(e.owner.as_str())),
        ("entry".to_string(), s(&e.id)),
        ("event".to_string(), s(e.event.as_str())),
        ("at".to_string(), s(rfc3339(e.at))),
        (
            "expires_at".to_string(),
            n(epoch_after(e.at, KEEP_LOG_DAYS)),
        ),
    ]);
    match &e.subject {
        Subject::Link(l) => {
            item.insert("link_id".into(), s(l.link.as_str()));
            item.insert("label".into(), s(&l.label));
            item.insert("max_uploads".into(), n(l.max_uploads));
            item.insert("uploads_used".into(), n(l.uploads_used));
            item.insert("link_expires_at".into(), s(rfc3339(l.expires_at)));
        }
        Subject::Share(sh) => {
            item.insert("share_id".into(), s(sh.share.as_str()));
            item.insert("file_id".into(), s(sh.file.as_str()));
            if let Some(l) = &sh.label {
                item.insert("label".into(), s(l));
            }
            if let Some(m) = sh.max_downloads {
                item.insert("max_downloads".into(), n(m));
            }
            item.insert("downloads".into(), n(sh.downloads));
            item.insert("password_protected".into(), Av::Bool(sh.password_protected));
            item.insert("share_expires_at".into(), s(rfc3339(sh.expires_at)));
        }
    }
    item
}

fn count(item: &HashMap<String, Av>, k: &str) -> Result<u32, CoreError> {
    get_n(item, k)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| corrupt(k))
}

pub fn lifecycle_from_item(item: &HashMap<String, Av>) -> Result<LifecycleEntry, CoreError> {
    let event = get_s(item, "event")
        .and_then(EventType::parse)
        .filter(|e| e.is_lifecycle())
        .ok_or_else(|| corrupt("outbox event"))?;
    let subject = if let Some(link) = get_s(item, "link_id") {
        Subject::Link(LinkFacts {
            link: LinkId::parse(link).map_err(|_| corrupt("outbox link_id"))?,
            label: get_s(item, "label").unwrap_or_default().to_owned(),
            max_uploads: count(item, "max_uploads")?,
            uploads_used: count(item, "uploads_used")?,
            expires_at: get_time(item, "link_expires_at")?,
        })
    } else {
        let share = get_s(item, "share_id").ok_or_else(|| corrupt("outbox share_id"))?;
        Subject::Share(ShareFacts {
            share: ShareId::parse(share).map_err(|_| corrupt("outbox share_id"))?,
            file: FileId::parse(get_s(item, "file_id").unwrap_or_default())
                .map_err(|_| corrupt("outbox file_id"))?,
            label: get_s(item, "label").map(str::to_owned),
            max_downloads: match item.get("max_downloads") {
                None => None,
                Some(_) => Some(count(item, "max_downloads")?),
            },
            downloads: count(item, "downloads")?,
            password_protected: matches!(item.get("password_protected"), Some(Av::Bool(true))),
            expires_at: get_time(item, "share_expires_at")?,
        })
    };
    Ok(LifecycleEntry {
        id: get_s(item, "entry")
            .ok_or_else(|| corrupt("outbox entry"))?
            .to_owned(),
        event,
        owner: OwnerId::parse(get_s(item, "owner").unwrap_or_default())
            .map_err(|_| corrupt("outbox owner"))?,
        at: get_time(item, "at")?,
        subject,
    })
}

/// Any entry from a change-stream record's new image: a link's or a share's own by its
/// `event`, a file's otherwise.
pub fn announcement_from_image(image: &Value) -> Result<Announcement, CoreError> {
    let item = item_of_image(image)?;
    if get_s(&item, "event") == Some(dropgate_core::reminders::REMINDER_EVENT) {
        return super::reminders::reminder_from_item(&item)
            .map(|r| Announcement::Reminder(Box::new(r)));
    }
    let lifecycle = get_s(&item, "event")
        .and_then(EventType::parse)
        .is_some_and(EventType::is_lifecycle);
    if lifecycle {
        lifecycle_from_item(&item).map(Announcement::Lifecycle)
    } else {
        entry_from_item(&item).map(|e| Announcement::File(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::outbox::image_json;
    use super::*;
    use chrono::DateTime;

    #[test]
    fn a_lifecycle_entry_round_trips_through_a_stream_image() {
        let at = DateTime::from_timestamp_millis(1_795_341_600_123).unwrap();
        let link = LifecycleEntry {
            id: format!("{}#l1#link.created", rfc3339(at)),
            event: EventType::LinkCreated,
            owner: OwnerId::parse("o1").unwrap(),
            at,
            subject: Subject::Link(LinkFacts {
                link: LinkId::parse("l1").unwrap(),
                label: "Q3 \u{201c}docs\u{201d}".into(),
                max_uploads: 5,
                uploads_used: 0,
                expires_at: at + chrono::TimeDelta::days(7),
            }),
        };
        let share = LifecycleEntry {
            id: format!("{}#s1#share.exhausted", rfc3339(at)),
            event: EventType::ShareExhausted,
            owner: OwnerId::parse("o1").unwrap(),
            at,
            subject: Subject::Share(ShareFacts {
                share: ShareId::parse("s1").unwrap(),
                file: FileId::parse("f1").unwrap(),
                label: None,
                max_downloads: Some(2),
                downloads: 2,
                password_protected: true,
                expires_at: at + chrono::TimeDelta::days(7),
            }),
        };
        for e in [link, share] {
            let back = announcement_from_image(&image_json(&lifecycle_item(&e))).unwrap();
            assert_eq!(back, Announcement::Lifecycle(e));
        }
        let broken = serde_json::json!({"event": {"S": "link.created"}, "entry": {"S": "x"}});
        assert!(announcement_from_image(&broken).is_err());
    }
}
