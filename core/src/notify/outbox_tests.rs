//! The courier's owner mails: addressed to the owner's address as the directory holds it when
//! they go out, never to the copy a record kept.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};

use super::*;
use crate::accounts::AccountDirectory;
use crate::fakes::{MemAccountDirectory, MemBus, MemLedger, MemMailer, MemNotifier};
use crate::{FileId, FileStatus, ShareId};

fn ada() -> OwnerId {
    OwnerId::parse("ada").unwrap()
}

/// Ada's file as the record keeps it: with the address she had when it was made.
fn file(id: &str, owner: &OwnerId, status: FileStatus) -> FileRecord {
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let mut f = FileRecord::pending(
        FileId::parse(id).unwrap(),
        owner.clone(),
        format!("{id}.pdf"),
        42,
        "application/pdf".into(),
        at,
        std::time::Duration::from_secs(900),
    );
    f.status = status;
    f.reason = (status == FileStatus::Rejected).then(|| "type_not_allowed".into());
    f.owner_email = Some("ada@old.example".into());
    f
}

fn entry(f: &FileRecord, event: EventType) -> OutboxEntry {
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 10, 5, 0).unwrap();
    OutboxEntry {
        id: OutboxEntry::key(at, f, event),
        event,
        file: f.clone(),
        at,
        share: None,
    }
}

fn download(f: &FileRecord) -> OutboxEntry {
    let mut e = entry(f, EventType::FileDownloaded);
    e.share = Some(ShareNotice {
        share: ShareId::parse("s1").unwrap(),
        label: None,
        downloads_left: None,
        mail: true,
        locked_until: None,
    });
    e
}

fn courier(addresses: Arc<dyn OwnerAddress>) -> (Courier, Arc<MemMailer>) {
    let mailer = Arc::new(MemMailer::default());
    let c = Courier {
        notifier: Arc::new(MemNotifier::default()),
        bus: Arc::new(MemBus::default()),
        mailer: mailer.clone(),
        links: Arc::new(MemLedger::default()),
        addresses,
    };
    (c, mailer)
}

fn sent_to(mailer: &MemMailer) -> Vec<String> {
    mailer
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.to.clone())
        .collect()
}

/// A directory that counts its reads and fails them while `down`.
#[derive(Default)]
struct Watched {
    inner: MemAccountDirectory,
    reads: Mutex<Vec<OwnerId>>,
    down: Mutex<bool>,
}

#[async_trait]
impl OwnerAddress for Watched {
    async fn verified_address(&self, owner: &OwnerId) -> Result<Option<String>, CoreError> {
        self.reads.lock().unwrap().push(owner.clone());
        if *self.down.lock().unwrap() {
            return Err(CoreError::Unavailable("AdminGetUser: 503".into()));
        }
        self.inner.verified_address(owner).await
    }
}

#[tokio::test]
async fn after_an_email_change_the_next_mails_go_to_the_new_address() {
    let dir = Arc::new(MemAccountDirectory::default());
    let token = dir.add(&ada(), "ada@old.example");
    let (c, mailer) = courier(dir.clone());
    let rejected = file("f1", &ada(), FileStatus::Rejected);
    c.deliver(&[entry(&rejected, EventType::UploadRejected)])
        .await
        .unwrap();
    assert_eq!(sent_to(&mailer), ["ada@old.example"]);

    // She moves her account; until the code comes back the old one is still hers, verified.
    dir.start_email_change(&ada(), "ada@new.example")
        .await
        .unwrap();
    let code = dir.code_for("ada@new.example").unwrap();
    dir.confirm_email_change(&token, &code).await.unwrap();

    // The records still hold the old copy; the mails go to the address she has now.
    let again = file("f2", &ada(), FileStatus::Rejected);
    let downloaded = file("f3", &ada(), FileStatus::Accepted);
    c.deliver(&[
        entry(&again, EventType::UploadRejected),
        download(&downloaded),
    ])
    .await
    .unwrap();
    assert_eq!(
        sent_to(&mailer)[1..],
        ["ada@new.example", "ada@new.example"]
    );
}

#[tokio::test]
async fn an_owner_without_a_verified_address_is_not_mailed_and_the_batch_goes_on() {
    let dir = Arc::new(MemAccountDirectory::default());
    let bob = OwnerId::parse("bob").unwrap();
    dir.add(&bob, "bob@example.com");
    let (c, mailer) = courier(dir);
    // Ada's account is gone from the directory: her record's old copy is not used.
    let hers = file("f1", &ada(), FileStatus::Rejected);
    let his = file("f2", &bob, FileStatus::Rejected);
    c.deliver(&[
        entry(&hers, EventType::UploadRejected),
        entry(&his, EventType::UploadRejected),
    ])
    .await
    .unwrap();
    assert_eq!(sent_to(&mailer), ["bob@example.com"]);
}

#[tokio::test]
async fn an_unreadable_address_fails_the_mail_like_a_failed_send_and_the_retry_mails() {
    let dir = Arc::new(Watched::default());
    dir.inner.add(&ada(), "ada@new.example");
    *dir.down.lock().unwrap() = true;
    let (c, mailer) = courier(dir.clone());
    let deleted = file("f0", &ada(), FileStatus::Accepted);
    let rejected = file("f1", &ada(), FileStatus::Rejected);
    let entries = [
        entry(&deleted, EventType::FileDeleted),
        entry(&rejected, EventType::UploadRejected),
    ];
    let failed = c.deliver(&entries).await.unwrap_err();
    // Resumed from the entry whose mail did not go; nothing sent to the old copy meanwhile.
    assert_eq!(failed.index, 1);
    assert!(matches!(failed.error, CoreError::Unavailable(_)));
    assert!(sent_to(&mailer).is_empty());

    *dir.down.lock().unwrap() = false;
    c.deliver(&entries[1..]).await.unwrap();
    assert_eq!(sent_to(&mailer), ["ada@new.example"]);
}

#[tokio::test]
async fn one_look_up_per_owner_per_batch_and_none_kept_after_it() {
    let dir = Arc::new(Watched::default());
    dir.inner.add(&ada(), "ada@example.com");
    let (c, mailer) = courier(dir.clone());
    let entries: Vec<OutboxEntry> = (1..=3)
        .map(|i| {
            let f = file(&format!("f{i}"), &ada(), FileStatus::Rejected);
            entry(&f, EventType::UploadRejected)
        })
        .collect();
    c.deliver(&entries).await.unwrap();
    assert_eq!(sent_to(&mailer).len(), 3);
    assert_eq!(
        dir.reads.lock().unwrap().len(),
        1,
        "one read for three mails"
    );
    // A batch that mails nobody reads nothing.
    let deleted = file("f9", &ada(), FileStatus::Accepted);
    c.deliver(&[entry(&deleted, EventType::FileDeleted)])
        .await
        .unwrap();
    assert_eq!(dir.reads.lock().unwrap().len(), 1);
    // The next batch reads again.
    c.deliver(&entries[..1]).await.unwrap();
    assert_eq!(dir.reads.lock().unwrap().len(), 2);
}
