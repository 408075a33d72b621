//! The outbox over DynamoDB: upload-log entries, written in the transaction of the change they
//! announce, read back from the table's change stream by the notifier. The writer and the
//! reader live here together so that they cannot drift apart.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as Av, TransactWriteItem};
use chrono::{DateTime, Utc};
use dropgate_core::CoreError;
use dropgate_core::FileRecord;
use dropgate_core::ShareId;
use dropgate_core::notify::{EventType, OutboxEntry, ShareNotice};
use dropgate_core::time::rfc3339;
use serde_json::Value;

use super::files::{epoch_after, from_item, to_item};
use super::hold_attrs::strip_hold;
use super::{DynamoLedger, corrupt, get_s, get_time, n, put_op, s};

/// Entries are kept this long, then TTL removes them (the stream has long delivered them).
const KEEP_LOG_DAYS: i64 = 90;

impl DynamoLedger {
    /// The put of `file`'s entry (see [`entry_item`]), for a transaction.
    pub(crate) fn outbox_put(
        &self,
        file: &FileRecord,
        event: EventType,
        at: DateTime<Utc>,
    ) -> Result<TransactWriteItem, CoreError> {
        put_op(&self.log_table, entry_item(file, event, at))
    }
}

/// The log item of `file`'s entry for `event` at `at`: the file as the change leaves it (with
/// the judged object's size and ETag once settled), and the entry's key, event and time.
pub fn entry_item(file: &FileRecord, event: EventType, at: DateTime<Utc>) -> HashMap<String, Av> {
    entry_item_of(&OutboxEntry {
        id: OutboxEntry::key(at, file, event),
        event,
        file: file.clone(),
        at,
        share: None,
    })
}

/// The log item of any entry, with its own key (a download's carries its share).
pub fn entry_item_of(e: &OutboxEntry) -> HashMap<String, Av> {
    let mut item = to_item(&e.file);
    // A legal hold is not news to anyone a notice reaches, and its reason is for admins only.
    strip_hold(&mut item);
    item.insert("entry".into(), s(&e.id));
    item.insert("event".into(), s(e.event.as_str()));
    item.insert("at".into(), s(rfc3339(e.at)));
    item.insert("expires_at".into(), n(epoch_after(e.at, KEEP_LOG_DAYS)));
    if let Some(sh) = &e.share {
        item.insert("share_id".into(), s(sh.share.as_str()));
        if let Some(l) = &sh.label {
            item.insert("share_label".into(), s(l));
        }
        if let Some(left) = sh.downloads_left {
            item.insert("downloads_left".into(), n(left));
        }
        item.insert("mail".into(), Av::Bool(sh.mail));
        if let Some(t) = sh.locked_until {
            item.insert("locked_until".into(), s(rfc3339(t)));
        }
    }
    item
}

/// The share of a download's entry; `None` for every other entry.
fn share_notice(item: &HashMap<String, Av>) -> Result<Option<ShareNotice>, CoreError> {
    let Some(id) = get_s(item, "share_id") else {
        return Ok(None);
    };
    let downloads_left = match item.get("downloads_left") {
        None => None,
        Some(v) => Some(
            v.as_n()
                .ok()
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| corrupt("outbox downloads_left"))?,
        ),
    };
    Ok(Some(ShareNotice {
        share: ShareId::parse(id).map_err(|_| corrupt("outbox share_id"))?,
        label: get_s(item, "share_label").map(str::to_owned),
        downloads_left,
        mail: matches!(item.get("mail"), Some(Av::Bool(true))),
        locked_until: match item.get("locked_until") {
            None => None,
            Some(_) => Some(get_time(item, "locked_until")?),
        },
    }))
}

/// An entry from a change-stream record's new image, in DynamoDB's JSON (`{"name": {"S":
/// "..."}}`, as Lambda delivers it).
pub fn entry_from_image(image: &Value) -> Result<OutboxEntry, CoreError> {
    entry_from_item(&item_of_image(image)?)
}

/// The item a change-stream record's image holds.
pub(crate) fn item_of_image(image: &Value) -> Result<HashMap<String, Av>, CoreError> {
    let map = image
        .as_object()
        .ok_or_else(|| corrupt("outbox image is not an object"))?;
    map.iter()
        .map(|(k, v)| av(v).map(|a| (k.clone(), a)))
        .collect::<Option<_>>()
        .ok_or_else(|| corrupt("outbox image attribute"))
}

/// A file's entry from its log item.
pub(crate) fn entry_from_item(item: &HashMap<String, Av>) -> Result<OutboxEntry, CoreError> {
    let event = get_s(item, "event")
        .and_then(EventType::parse)
        .ok_or_else(|| corrupt("outbox event"))?;
    Ok(OutboxEntry {
        id: get_s(item, "entry")
            .ok_or_else(|| corrupt("outbox entry"))?
            .to_owned(),
        event,
        file: from_item(item)?,
        at: get_time(item, "at")?,
        share: share_notice(item)?,
    })
}

/// One attribute from DynamoDB JSON.
fn av(v: &Value) -> Option<Av> {
    let (tag, inner) = v.as_object()?.iter().next()?;
    let strings = |x: &Value| -> Option<Vec<String>> {
        x.as_array()?
            .iter()
            .map(|e| e.as_str().map(str::to_owned))
            .collect()
    };
    Some(match tag.as_str() {
        "S" => Av::S(inner.as_str()?.to_owned()),
        "N" => Av::N(inner.as_str()?.to_owned()),
        "BOOL" => Av::Bool(inner.as_bool()?),
        "NULL" => Av::Null(true),
        "SS" => Av::Ss(strings(inner)?),
        "NS" => Av::Ns(strings(inner)?),
        "L" => Av::L(inner.as_array()?.iter().map(av).collect::<Option<_>>()?),
        "M" => Av::M(
            inner
                .as_object()?
                .iter()
                .map(|(k, x)| av(x).map(|a| (k.clone(), a)))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// DynamoDB JSON of an item, as a change stream carries it (the inverse of [`av`]; for tests
/// and for the local stack's stream pump).
pub fn image_json(item: &HashMap<String, Av>) -> Value {
    fn one(a: &Av) -> Value {
        match a {
            Av::S(x) => serde_json::json!({ "S": x }),
            Av::N(x) => serde_json::json!({ "N": x }),
            Av::Bool(x) => serde_json::json!({ "BOOL": x }),
            Av::Ss(x) => serde_json::json!({ "SS": x }),
            Av::Ns(x) => serde_json::json!({ "NS": x }),
            Av::L(x) => serde_json::json!({ "L": x.iter().map(one).collect::<Vec<_>>() }),
            Av::M(x) => {
                serde_json::json!({ "M": x.iter().map(|(k, v)| (k.clone(), one(v))).collect::<serde_json::Map<_, _>>() })
            }
            _ => serde_json::json!({ "NULL": true }),
        }
    }
    Value::Object(item.iter().map(|(k, v)| (k.clone(), one(v))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropgate_core::files::{LinkOrigin, Uploader};
    use dropgate_core::{FileId, FileStatus, LinkId, OwnerId};

    #[test]
    fn an_entry_round_trips_through_a_stream_image() {
        // Stored times have millisecond precision.
        let at = DateTime::from_timestamp_millis(1_795_341_600_123).unwrap();
        let mut f = FileRecord::pending(
            FileId::parse("f1").unwrap(),
            OwnerId::parse("o1").unwrap(),
            "scan \u{201c}1\u{201d}.pdf".into(),
            42,
            "application/pdf".into(),
            at,
            std::time::Duration::from_secs(900),
        );
        f.status = FileStatus::Rejected;
        f.reason = Some("type_not_allowed".into());
        f.detected_type = Some("application/x-executable".into());
        f.owner_email = Some("o@example.com".into());
        f.stored = Some(dropgate_core::files::StoredObject {
            size: 42,
            etag: Some("9b2cf535f27731c974343645a3985328".into()),
        });
        // The scan's result travels with the record: the notifier tells the owner what was found.
        f.scan = Some(dropgate_core::scan::ScanRecord {
            status: dropgate_core::scan::ScanStatus::Infected,
            etag: Some("9b2cf535f27731c974343645a3985328".into()),
            threats: vec!["EICAR-Test-File".into()],
            at: Some(at),
        });
        f.scan_started_at = Some(at);
        f.link = Some(LinkOrigin {
            link_id: LinkId::parse("l1").unwrap(),
            label: "Q3".into(),
            allowed_types: dropgate_core::allowed::TypePolicy::only(["application/pdf"]),
            uploader: Some(Uploader {
                name: Some("Bea".into()),
                email: None,
                note: None,
            }),
        });
        let item = entry_item(&f, EventType::UploadRejected, at);
        let e = entry_from_image(&image_json(&item)).unwrap();
        assert_eq!(e.event, EventType::UploadRejected);
        assert_eq!(e.file, f);
        assert!(e.id.ends_with("#f1#upload.rejected"), "{}", e.id);
        assert!(entry_from_image(&serde_json::json!({"event": {"S": "nope"}})).is_err());

        // A share's lock: its notice, with the lock's end.
        let locked = OutboxEntry {
            id: format!("{}#f1#share.locked#s1", rfc3339(at)),
            event: EventType::ShareLocked,
            file: f.clone(),
            at,
            share: Some(ShareNotice {
                share: ShareId::parse("s1").unwrap(),
                label: Some("Q3".into()),
                downloads_left: None,
                mail: true,
                locked_until: Some(at + chrono::TimeDelta::hours(1)),
            }),
        };
        let back = entry_from_image(&image_json(&entry_item_of(&locked))).unwrap();
        assert_eq!(back, locked);

        // A held file's entry carries nothing of the hold: its reason stays on the record.
        let mut held = f.clone();
        held.lifecycle.legal_hold = Some(dropgate_core::holds::LegalHold {
            reason: "case 9".into(),
            placed_at: at,
            placed_by: "a1".into(),
        });
        let item = entry_item(&held, EventType::FileDeleted, at);
        assert!(!image_json(&item).to_string().contains("case 9"));
        let e = entry_from_image(&image_json(&item)).unwrap();
        assert_eq!(e.file.lifecycle.legal_hold, None);
        assert!(entry_from_image(&serde_json::json!([])).is_err());
    }
}
