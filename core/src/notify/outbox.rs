//! The notification outbox. Every change that tells someone something (a settlement, a
//! deletion) writes an upload-log entry in the same atomic write as the change itself; the
//! log's change stream feeds the notifier, which turns each entry into the operators' SNS
//! message and the owner's mail. A change therefore never commits without its entry, and an
//! entry is delivered at least once, whatever fails in between: a failed delivery is retried
//! from that entry on. Each message and mail carries the entry's stable `id`, so subscribers
//! drop the duplicates that retries may produce.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    EventType, LifecycleEntry, Mail, Mailer, Notification, Notifier, ShareNotice, download_mail,
    lockout_mail, verdict_mails,
};
use crate::accounts::OwnerAddress;
use crate::events::{Event, EventBus};
use crate::links::LinkStore;
use crate::{CoreError, FileRecord, OwnerId};

/// One upload-log entry: what happened to which file, as it was then.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// The entry's key in the log: stable across every retry of its delivery.
    pub id: String,
    pub event: EventType,
    /// The file as the change left it (a deleted file as it was before).
    pub file: FileRecord,
    pub at: DateTime<Utc>,
    /// A counted download: through which share, and whether the owner is mailed about it.
    pub share: Option<ShareNotice>,
}

impl OutboxEntry {
    /// The log key of an entry: time first (entries of an owner list in order), then the file
    /// and the event (a file has at most one of each).
    pub fn key(at: DateTime<Utc>, file: &FileRecord, event: EventType) -> String {
        format!(
            "{}#{}#{}",
            crate::time::rfc3339(at),
            file.id,
            event.as_str()
        )
    }

    pub fn notification(&self) -> Notification {
        let mut n = Notification::new(self.event, &self.file, self.at).with_id(&self.id);
        if let Some(s) = &self.share {
            n.share = Some(s.share.to_string());
            n.downloads_left = Some(s.downloads_left);
            n.locked_until = s.locked_until.map(crate::time::rfc3339);
        }
        n
    }
}

/// Any entry of the outbox: a file's, a link's or a share's own, or an owner's reminder (one
/// entry for several items: `crate::reminders`).
#[derive(Debug, Clone, PartialEq)]
pub enum Announcement {
    File(Box<OutboxEntry>),
    Lifecycle(LifecycleEntry),
    Reminder(Box<crate::reminders::Reminder>),
}

impl Announcement {
    pub fn id(&self) -> &str {
        match self {
            Self::File(e) => &e.id,
            Self::Lifecycle(e) => &e.id,
            Self::Reminder(r) => &r.id,
        }
    }

    /// The entry's `event`, for logs (a reminder's is `reminder`).
    pub fn event_name(&self) -> &'static str {
        match self {
            Self::File(e) => e.event.as_str(),
            Self::Lifecycle(e) => e.event.as_str(),
            Self::Reminder(_) => crate::reminders::REMINDER_EVENT,
        }
    }

    pub fn owner(&self) -> &crate::OwnerId {
        match self {
            Self::File(e) => &e.file.owner,
            Self::Lifecycle(e) => &e.owner,
            Self::Reminder(r) => &r.owner,
        }
    }

    /// The operators' notices: one for most entries, one per item of a reminder.
    pub fn notifications(&self) -> Vec<Notification> {
        match self {
            Self::File(e) => vec![e.notification()],
            Self::Lifecycle(e) => vec![e.notification()],
            Self::Reminder(r) => r.notifications(),
        }
    }

    /// The integrators' events, as many as the notices.
    pub fn events(&self) -> Vec<Event> {
        match self {
            Self::File(e) => vec![e.event()],
            Self::Lifecycle(e) => vec![e.event()],
            Self::Reminder(r) => r.events(),
        }
    }
}

/// An entry that could not be delivered, and why; entries before it were.
#[derive(Debug, Clone, PartialEq)]
pub struct Undelivered {
    pub index: usize,
    pub error: CoreError,
}

#[derive(Clone)]
pub struct Courier {
    pub notifier: Arc<dyn Notifier>,
    /// The integrators' events (EventBridge): every entry, as a typed event.
    pub bus: Arc<dyn EventBus>,
    pub mailer: Arc<dyn Mailer>,
    /// Read for the owners' mails: how many uploads a link has left.
    pub links: Arc<dyn LinkStore>,
    /// Where each owner's mail goes: their verified address as the directory holds it when the
    /// mail goes out (Cognito's AdminGetUser), never a copy kept on a record.
    pub addresses: Arc<dyn OwnerAddress>,
}

/// The owners' addresses read for one batch: one look-up per owner per batch (the directory's
/// reads are rate-limited), forgotten with the batch (so a change shows on the next one).
#[derive(Default)]
struct Addresses(HashMap<OwnerId, Option<String>>);

impl Addresses {
    /// The owner's current verified address; `None` when they have none (nobody is mailed).
    /// A failed read is not kept: it fails the mail, and the batch is retried from it.
    async fn of(
        &mut self,
        directory: &dyn OwnerAddress,
        owner: &OwnerId,
    ) -> Result<Option<String>, CoreError> {
        if let Some(known) = self.0.get(owner) {
            return Ok(known.clone());
        }
        let read = directory.verified_address(owner).await?;
        self.0.insert(owner.clone(), read.clone());
        Ok(read)
    }
}

impl Courier {
    /// Delivers `entries` in order: the operators' messages in one batch, the same entries as
    /// events on the bus, then the owners' mails one by one. On failure, says which entry to
    /// resume from: everything from there on is delivered again on the retry (at least once;
    /// duplicates carry the same `id`).
    pub async fn deliver(&self, entries: &[OutboxEntry]) -> Result<(), Undelivered> {
        let all: Vec<Announcement> = entries
            .iter()
            .map(|e| Announcement::File(Box::new(e.clone())))
            .collect();
        self.deliver_all(&all).await
    }

    /// [`Self::deliver`] for any entries: a link's or a share's own are published and put on
    /// the bus as a file's are, and mail nobody (the owner made them, or can subscribe a
    /// webhook to them).
    pub async fn deliver_all(&self, all: &[Announcement]) -> Result<(), Undelivered> {
        if all.is_empty() {
            return Ok(());
        }
        let notes: Vec<Notification> = all.iter().flat_map(Announcement::notifications).collect();
        self.notifier
            .publish(&notes)
            .await
            .map_err(|error| Undelivered { index: 0, error })?;
        let events: Vec<Event> = all.iter().flat_map(Announcement::events).collect();
        self.bus
            .put(&events)
            .await
            .map_err(|error| Undelivered { index: 0, error })?;
        // Mails, by the file entries' positions among all.
        let (positions, entries): (Vec<usize>, Vec<&OutboxEntry>) = all
            .iter()
            .enumerate()
            .filter_map(|(i, a)| match a {
                Announcement::File(e) => Some((i, &**e)),
                Announcement::Lifecycle(_) | Announcement::Reminder(_) => None,
            })
            .unzip();
        // Owners are mailed verdicts (accepted, rejected, held), never deletions they made or
        // expiries they did not wait for.
        let verdicts: Vec<&FileRecord> = entries
            .iter()
            .filter(|e| is_verdict(e.event))
            .map(|e| &e.file)
            .collect();
        let mut mails = verdict_mails(&verdicts, &*self.links).await.into_iter();
        let mut addresses = Addresses::default();
        for (entry, &index) in entries.iter().zip(&positions) {
            let mail = if is_verdict(entry.event) {
                mails.next().flatten()
            } else {
                // A download is mailed when its count claimed the share's mail (at most one
                // per share per ten minutes); a lock, always (its entry is written once per
                // lockout).
                entry
                    .share
                    .as_ref()
                    .filter(|s| s.mail)
                    .and_then(|s| match entry.event {
                        EventType::ShareLocked => lockout_mail(&entry.file, s),
                        _ => download_mail(&entry.file, s),
                    })
            };
            let Some(mut mail) = mail else {
                continue;
            };
            mail.body
                .push_str(&format!("\nNotice id: {} (for de-duplication)\n", entry.id));
            self.mail_owner(&mut addresses, &entry.file.owner, &entry.id, mail)
                .await
                .map_err(|error| Undelivered { index, error })?;
        }
        // A reminder's one mail, after the files' (its entry's key is in its body).
        for (index, a) in all.iter().enumerate() {
            let Announcement::Reminder(r) = a else {
                continue;
            };
            if let Some(mail) = r.mail() {
                self.mail_owner(&mut addresses, &r.owner, &r.id, mail)
                    .await
                    .map_err(|error| Undelivered { index, error })?;
            }
        }
        Ok(())
    }

    /// Sends `mail` to the owner's current address. No verified address: no mail, logged. A
    /// failed read of the address fails like a failed send (the batch is retried from this
    /// entry): the mail never falls back to an address kept on a record, which may be stale.
    async fn mail_owner(
        &self,
        addresses: &mut Addresses,
        owner: &OwnerId,
        entry: &str,
        mut mail: Mail,
    ) -> Result<(), CoreError> {
        let to = match addresses.of(&*self.addresses, owner).await {
            Ok(Some(to)) => to,
            Ok(None) => {
                tracing::warn!(owner = %owner, entry, decision = "no address", "owner mail not sent: the owner has no verified address");
                return Ok(());
            }
            Err(e) => {
                tracing::warn!(owner = %owner, entry, error = %e, decision = "address unread", "owner mail not sent: the owner's address could not be read; retried");
                return Err(e);
            }
        };
        mail.to = to;
        self.mailer.send(&mail).await
    }
}

fn is_verdict(e: EventType) -> bool {
    matches!(
        e,
        EventType::UploadAccepted | EventType::UploadRejected | EventType::UploadHeld
    )
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
