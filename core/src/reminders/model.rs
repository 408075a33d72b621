//! A reminder: one owner's links and files of one run, as its outbox entry keeps them, and
//! what the notifier makes of it (one notice and one event per item, one mail for all).

use chrono::{DateTime, Utc};

use crate::events::{
    Event, EventDetail, ExpiringFileDetail, ExpiringFileFacts, LinkDetail, SCHEMA_VERSION,
};
use crate::notify::{EventType, LinkFacts, Mail, Notification};
use crate::time::rfc3339;
use crate::{FileId, OwnerId, names};

/// The `event` of a reminder's outbox entry (its items' events are `link.expiring` and
/// `file.expiring`).
pub const REMINDER_EVENT: &str = "reminder";

/// A candidate with its "reminded" marker: the time (expiry, `delete_after`) it was last
/// reminded of, `None` if never.
#[derive(Debug, Clone, PartialEq)]
pub struct Marked<T> {
    pub item: T,
    pub reminded_for: Option<DateTime<Utc>>,
}

/// A file as its reminder keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiringFile {
    pub file: FileId,
    pub name: String,
    pub size: u64,
    pub delete_after: DateTime<Utc>,
}

/// One owner's reminders of one run: one outbox entry, one mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    /// The entry's key in the log (`<at>#<owner>#reminder`).
    pub id: String,
    pub owner: OwnerId,
    /// The owner's address as the items' records kept it when the reminder was written. Not
    /// where the mail goes (the courier reads the owner's current address): kept so that
    /// entries written before stay readable.
    pub to: Option<String>,
    pub at: DateTime<Utc>,
    pub links: Vec<LinkFacts>,
    pub files: Vec<ExpiringFile>,
}

impl Reminder {
    pub fn key(at: DateTime<Utc>, owner: &OwnerId) -> String {
        format!("{}#{}#{}", rfc3339(at), owner, REMINDER_EVENT)
    }

    /// The id of one item's notice and event: stable on every redelivery, as the entry's.
    pub fn item_id(&self, item: &str, event: EventType) -> String {
        format!("{}#{}#{}", rfc3339(self.at), item, event.as_str())
    }

    fn details(&self) -> Vec<(EventType, EventDetail)> {
        let links = self.links.iter().map(|l| {
            let id = self.item_id(l.link.as_str(), EventType::LinkExpiring);
            (
                EventType::LinkExpiring,
                EventDetail::Link(LinkDetail {
                    schema_version: SCHEMA_VERSION,
                    id,
                    owner: self.owner.to_string(),
                    link: l.link.to_string(),
                    label: l.label.clone(),
                    max_uploads: l.max_uploads,
                    uploads_used: l.uploads_used,
                    uploads_left: l.max_uploads.saturating_sub(l.uploads_used),
                    expires_at: rfc3339(l.expires_at),
                }),
            )
        });
        let files = self.files.iter().map(|f| {
            let id = self.item_id(f.file.as_str(), EventType::FileExpiring);
            (
                EventType::FileExpiring,
                EventDetail::ExpiringFile(ExpiringFileDetail {
                    schema_version: SCHEMA_VERSION,
                    id,
                    owner: self.owner.to_string(),
                    file: ExpiringFileFacts {
                        id: f.file.to_string(),
                        name: f.name.clone(),
                        size: f.size,
                    },
                    delete_after: rfc3339(f.delete_after),
                }),
            )
        });
        links.chain(files).collect()
    }

    /// The operators' notices: one per item, with the owner and the item's detail.
    pub fn notifications(&self) -> Vec<Notification> {
        self.details()
            .into_iter()
            .map(|(event_type, detail)| Notification {
                id: detail.id().to_owned(),
                version: 1,
                event_type,
                file: None,
                file_version: None,
                owner: Some(self.owner.to_string()),
                detail: Some(detail),
                reason: None,
                via_link: None,
                share: None,
                downloads_left: None,
                locked_until: None,
                at: rfc3339(self.at),
            })
            .collect()
    }

    /// The integrators' events: one per item.
    pub fn events(&self) -> Vec<Event> {
        self.details()
            .into_iter()
            .map(|(t, detail)| Event {
                id: detail.id().to_owned(),
                kind: t.kind(),
                time: rfc3339(self.at),
                owner: self.owner.to_string(),
                detail,
            })
            .collect()
    }

    /// The owner's one mail listing every item; names quoted as text, no token or URL.
    /// Unaddressed (`to` empty): the courier addresses it to the owner's current address.
    pub fn mail(&self) -> Option<Mail> {
        let to = String::new();
        if self.links.is_empty() && self.files.is_empty() {
            return None;
        }
        let when = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        let mut body = String::new();
        if !self.links.is_empty() {
            body.push_str("These upload links of yours have received no file and expire soon:\n");
            for l in &self.links {
                body.push_str(&format!(
                    "- {} (link id {}): expires {}\n",
                    names::quote(&l.label),
                    l.link,
                    when(l.expires_at)
                ));
            }
            body.push('\n');
        }
        if !self.files.is_empty() {
            body.push_str("These files of yours will be deleted by retention soon:\n");
            for f in &self.files {
                body.push_str(&format!(
                    "- {} (file id {}): deleted after {}\n",
                    names::quote(&f.name),
                    f.file,
                    when(f.delete_after)
                ));
            }
            body.push_str("\nChange a file's retention (PATCH /files/{id}) to keep it longer.\n");
        }
        body.push_str(&format!("\nNotice id: {} (for de-duplication)\n", self.id));
        Some(Mail {
            to,
            subject: "Dropgate: links and files about to expire".to_owned(),
            body,
        })
    }
}
