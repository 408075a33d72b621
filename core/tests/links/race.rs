//! A race made deterministic: another uploader's drop lands between this drop's read of the
//! link and its transaction.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dropgate_core::clock::Clock;
use dropgate_core::fakes::MemLedger;
use dropgate_core::links::{DropService, Link, LinkState, LinkStore, NewLink};
use dropgate_core::{CoreError, FileId, FileRecord, OwnerId};

use crate::world::*;

/// A link store that, on the first drop it is asked to write, first writes `rival` (another
/// uploader's drop through the same link, read at the same moment).
pub(crate) struct Racing {
    inner: Arc<MemLedger>,
    rival: std::sync::Mutex<Option<FileRecord>>,
}

impl Racing {
    pub(crate) fn new(inner: Arc<MemLedger>, rival: FileRecord) -> Self {
        Self {
            inner,
            rival: std::sync::Mutex::new(Some(rival)),
        }
    }
}

#[async_trait::async_trait]
impl LinkStore for Racing {
    async fn put_link(&self, link: &Link) -> Result<(), CoreError> {
        self.inner.put_link(link).await
    }
    async fn get_link(
        &self,
        owner: &OwnerId,
        id: &dropgate_core::LinkId,
    ) -> Result<Option<Link>, CoreError> {
        self.inner.get_link(owner, id).await
    }
    async fn get_links(
        &self,
        keys: &[(OwnerId, dropgate_core::LinkId)],
    ) -> Result<Vec<Link>, CoreError> {
        self.inner.get_links(keys).await
    }
    async fn list_links(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&dropgate_core::LinkId>,
    ) -> Result<dropgate_core::links::LinkPage, CoreError> {
        self.inner.list_links(owner, limit, after).await
    }
    async fn revoke_link(
        &self,
        owner: &OwnerId,
        id: &dropgate_core::LinkId,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        self.inner.revoke_link(owner, id, at).await
    }
    async fn update_link(&self, link: &Link, now: DateTime<Utc>) -> Result<bool, CoreError> {
        self.inner.update_link(link, now).await
    }
    async fn remove_link(
        &self,
        owner: &OwnerId,
        id: &dropgate_core::LinkId,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        self.inner.remove_link(owner, id, now).await
    }
    async fn find_link(&self, token_hash: &str) -> Result<Option<Link>, CoreError> {
        self.inner.find_link(token_hash).await
    }
    async fn create_pending_via_link(
        &self,
        d: &dropgate_core::links::LinkDrop<'_>,
    ) -> Result<dropgate_core::links::DropReservation, CoreError> {
        let rival = self.rival.lock().unwrap().take();
        if let Some(file) = rival {
            let won = self
                .inner
                .create_pending_via_link(&dropgate_core::links::LinkDrop {
                    file: &file,
                    receipt_hash: "rival",
                    ..d.clone()
                })
                .await?;
            assert_eq!(won, dropgate_core::links::DropReservation::Reserved);
        }
        self.inner.create_pending_via_link(d).await
    }
    async fn extend_drop(
        &self,
        file: &FileRecord,
        until: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        self.inner.extend_drop(file, until).await
    }
    async fn find_receipt(
        &self,
        receipt_hash: &str,
    ) -> Result<Option<(OwnerId, FileId)>, CoreError> {
        self.inner.find_receipt(receipt_hash).await
    }
    async fn list_link_files(
        &self,
        owner: &OwnerId,
        link: &dropgate_core::LinkId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<dropgate_core::files::Page, CoreError> {
        self.inner.list_link_files(owner, link, limit, after).await
    }
}

/// A drop that loses the race for the link's last bytes is told its file is too large for what
/// is left (413), not that the link is used up (410): the link still takes smaller files.
#[tokio::test]
async fn a_drop_that_loses_the_links_last_bytes_to_a_rival_is_file_too_large() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_total_bytes: Some(1_000),
            ..new_link("Q3")
        },
    )
    .await;
    let l = stored(&w, &id).await;
    let mut rival = FileRecord::pending(
        FileId::parse("frival").unwrap(),
        owner(),
        "rival.pdf".into(),
        700,
        "application/pdf".into(),
        t0(),
        Duration::from_secs(600),
    );
    rival.link = Some(dropgate_core::files::LinkOrigin {
        link_id: l.id.clone(),
        label: l.label.clone(),
        allowed_types: l.allowed_types.clone(),
        uploader: None,
    });
    let drops = DropService {
        links: Arc::new(Racing {
            inner: w.ledger.clone(),
            rival: std::sync::Mutex::new(Some(rival)),
        }),
        ..w.drops.clone()
    };

    let e = drops
        .upload(&token, SRC, upload("mine.pdf", 600, "application/pdf"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::DropTooLarge {
            size: 600,
            max: 300
        }
    );
    assert_eq!(
        used(&w, &id).await,
        (1, 700),
        "only the rival's drop counted"
    );
    assert_eq!(usage(&w).await, (0, 700, 1));
    // The link is still open for what fits.
    assert_eq!(
        stored(&w, &id).await.state(w.clock.now()),
        LinkState::Active
    );
    drops
        .upload(&token, SRC, upload("small.pdf", 300, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 1_000));
}
