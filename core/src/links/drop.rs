//! The stranger's side of an upload link: no account, the token is the credential. A stranger
//! learns the link's label and limits and nothing of the owner; an uploader follows their own
//! file through its receipt and sees no other upload of the link (the link is write-only).

use std::sync::Arc;

use serde::Serialize;

use super::{DropReservation, Link, LinkDrop, LinkStore, idle};
use crate::accounts::validate_email;
use crate::allowed::TypePolicy;
use crate::clock::Clock;
use crate::files::{FileLookup, FileView, LinkOrigin, Uploader};
use crate::ids::IdSource;
use crate::multipart::{Multiparts, PartTag, PartsListing, PresignedPart, UploadInstructions};
use crate::notify::LifecycleEntry;
use crate::ratelimit::RateLimiter;
use crate::standing::StandingStore;
use crate::time::rfc3339;
use crate::{CoreError, FileRecord, FileStatus, Settings, names, tokens};

#[derive(Clone)]
pub struct DropService {
    pub links: Arc<dyn LinkStore>,
    pub ledger: Arc<dyn FileLookup>,
    pub multipart: Multiparts,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub settings: Settings,
    /// Failed token and receipt lookups, per source address.
    pub limiter: RateLimiter,
    /// The owner's settings: their default retention reaches files dropped through links.
    pub profiles: Arc<dyn crate::profile::Profiles>,
    /// The owner's standing: a stopped account's links take nothing (`410 link_disabled`).
    pub standing: Arc<dyn StandingStore>,
}

/// What a stranger holding the link sees.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DropInfo {
    pub label: String,
    pub expires_at: String,
    pub uploads_left: u32,
    /// The largest file the link can take now: its per-file limit, the bytes it has left and
    /// the owner's free space, whichever is smallest (nothing else of the owner's usage).
    pub max_file_bytes: u64,
    /// `null` when the link has no total limit.
    pub bytes_left: Option<u64>,
    /// The list, or `"all_but_active_content"`: as a refusal for type says it.
    pub allowed_types: TypePolicy,
    pub require_uploader_name: bool,
}

#[derive(Debug, Clone, Default)]
pub struct DropUpload {
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub uploader: Option<Uploader>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DroppedFile {
    pub file: FileView,
    pub upload: UploadInstructions,
    /// A second secret: follows this one file, and nothing else.
    pub receipt: String,
}

/// What an uploader sees of their own file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceiptFile {
    pub name: String,
    pub size: u64,
    pub status: FileStatus,
    pub reason: Option<String>,
    pub detected_type: Option<String>,
    /// How far the malware scan went; never a threat's name.
    pub scan: crate::scan::ScanView,
    /// What the link allows, when the file was refused for its type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<TypePolicy>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceiptView {
    pub file: ReceiptFile,
}

fn link_not_found() -> CoreError {
    CoreError::missing("link_not_found", "no upload link has this token")
}

fn receipt_not_found() -> CoreError {
    CoreError::missing("receipt_not_found", "no upload has this receipt")
}

impl DropService {
    /// The link behind `token` if it can take a drop now. Unknown, expired and revoked
    /// tokens cost the same: one lookup by hash.
    async fn usable_link(&self, token: &str) -> Result<Link, CoreError> {
        let link = self
            .links
            .find_link(&tokens::hash(token))
            .await?
            .ok_or_else(link_not_found)?;
        if let Some(e) = link.refusal(self.clock.now()) {
            return Err(e);
        }
        // Read at each use, not copied onto the link: restoring the account restores every
        // link that was live, and no other.
        if self.standing.standing(&link.owner).await?.disabled {
            tracing::info!(link_id = %link.id, owner = %link.owner, decision = "link_disabled", "drop refused: the owner's account is stopped");
            return Err(CoreError::gone(
                "link_disabled",
                "this link's account is stopped by an operator",
            ));
        }
        Ok(link)
    }

    pub async fn info(&self, token: &str, source: &str) -> Result<DropInfo, CoreError> {
        let link = self.limiter.guard(source, self.usable_link(token)).await?;
        Ok(DropInfo {
            label: link.label.clone(),
            expires_at: rfc3339(link.expires_at),
            uploads_left: link.uploads_left(),
            max_file_bytes: self.largest_now(&link).await?,
            bytes_left: link.bytes_left(),
            allowed_types: self.settings.allowed_types.narrowed_by(&link.allowed_types),
            require_uploader_name: link.require_uploader_name,
        })
    }

    /// The largest file the link can take now: its own limits and the owner's free space
    /// (quota less used and reserved). Only this minimum ever reaches a stranger.
    async fn largest_now(&self, link: &Link) -> Result<u64, CoreError> {
        let usage = self
            .ledger
            .usage(&link.owner, self.settings.quota_bytes)
            .await?;
        let free = usage
            .limit_bytes
            .saturating_sub(usage.used_bytes)
            .saturating_sub(usage.reserved_bytes);
        Ok(max_file_size(&self.settings, link).min(free))
    }

    /// `413 file_too_large` for a drop of `size`, with the largest file the link takes now.
    async fn too_large(&self, link: &Link, size: u64) -> Result<CoreError, CoreError> {
        let max = self.largest_now(link).await?;
        tracing::info!(
            link_id = %link.id,
            owner = %link.owner,
            size,
            max_file_bytes = max,
            decision = "drop_too_large",
            "drop refused: larger than the link can take now"
        );
        Ok(CoreError::DropTooLarge { size, max })
    }

    pub async fn upload(
        &self,
        token: &str,
        source: &str,
        req: DropUpload,
    ) -> Result<DroppedFile, CoreError> {
        let link = self.limiter.guard(source, self.usable_link(token)).await?;
        let (name, content_type) = match check_upload(&self.settings, &link, &req) {
            Err(CoreError::DropTooLarge { size, .. }) => {
                return Err(self.too_large(&link, size).await?);
            }
            other => other?,
        };
        let uploader = check_uploader(&link, req.uploader)?;
        // Fails fast when the link's pending bytes are full; the store checks again, atomically.
        if !link.pending_room_for(req.size) {
            return Err(self.busy(&link, req.size).await?);
        }
        let now = self.clock.now();
        let mut file = FileRecord::pending(
            self.ids.file_id(),
            link.owner.clone(),
            name,
            req.size,
            content_type,
            now,
            self.settings.upload_url_ttl,
        );
        file.owner_email = link.owner_email.clone();
        // The link's retention, else the owner's default (read only then), from the drop.
        let owner_days = match link.retain_days {
            Some(_) => None,
            None => {
                self.profiles
                    .account_settings(&link.owner)
                    .await?
                    .file_retention_days
            }
        };
        file.lifecycle.delete_after =
            crate::lifecycle::delete_after_for(None, link.retain_days, owner_days, now);
        file.link = Some(LinkOrigin {
            link_id: link.id.clone(),
            label: link.label.clone(),
            allowed_types: link.allowed_types.clone(),
            uploader,
        });
        let receipt = tokens::encode(&self.ids.secret()?);
        let receipt_hash = tokens::hash(&receipt);
        self.multipart.prepare(&mut file).await?;
        // A drop holds the owner's quota for one idle window at most; its URL dies with it.
        file.upload_expires_at = idle::drop_deadline(&self.settings, &file, now);
        let outcome = self.reserve(&link, &file, &receipt_hash, now).await;
        if !matches!(outcome, Ok(DropReservation::Reserved)) {
            self.multipart.abandon(&file).await;
        }
        match outcome? {
            DropReservation::Reserved => {}
            // The uploader has no quota: they are told the largest file the link takes now.
            DropReservation::QuotaExceeded => return Err(self.too_large(&link, file.size).await?),
            DropReservation::LinkRefused => return Err(self.why_refused(&link, &file).await?),
        }
        // If presigning fails the pending file simply never gets bytes: the janitor expires
        // it, which gives the use back to the link.
        let upload = self.multipart.instructions(&file).await?;
        Ok(DroppedFile {
            // A stranger's answer: never the owner's view.
            file: file.public_view(),
            upload,
            receipt,
        })
    }

    /// The drop's atomic step. A drop that takes the link's last use writes `link.used_up` with
    /// it, and only while the count is the one read; when another drop moved the count
    /// meanwhile, the link is read again and the drop tried again (a few times), so that a
    /// race costs no upload that the link still allows.
    async fn reserve(
        &self,
        link: &Link,
        file: &FileRecord,
        receipt_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<DropReservation, CoreError> {
        let mut current = link.clone();
        for _ in 0..8 {
            let used_up = LifecycleEntry::used_up_by_next(&current, now);
            let outcome = self
                .links
                .create_pending_via_link(&LinkDrop {
                    link: &current,
                    file,
                    receipt_hash,
                    quota_limit: self.settings.quota_bytes,
                    now,
                    used_up: used_up.as_ref(),
                })
                .await?;
            if outcome != DropReservation::LinkRefused {
                return Ok(outcome);
            }
            match self.links.get_link(&link.owner, &link.id).await? {
                // Only the count and the use limit decide the retry: the store checks the
                // rest (bytes, pending room) again.
                Some(again)
                    if !again.revoked
                        && now < again.expires_at
                        && again.uploads_left() > 0
                        && (again.uploads_used, again.max_uploads)
                            != (current.uploads_used, current.max_uploads) =>
                {
                    current = again;
                }
                _ => return Ok(outcome),
            }
        }
        Ok(DropReservation::LinkRefused)
    }

    /// Why the store refused a drop the link seemed to allow: someone else took the last use,
    /// or the owner revoked it, meanwhile; or others' drops left too few bytes, or no pending
    /// room, for this file. Read by key, not by token: the token index may lag behind a
    /// revocation.
    async fn why_refused(&self, link: &Link, file: &FileRecord) -> Result<CoreError, CoreError> {
        let Some(now_link) = self.links.get_link(&link.owner, &link.id).await? else {
            return Ok(CoreError::gone(
                "link_used_up",
                "this upload link has no uploads left",
            ));
        };
        if let Some(e) = now_link.refusal(self.clock.now()) {
            return Ok(e);
        }
        if file.size > max_file_size(&self.settings, &now_link) {
            return self.too_large(&now_link, file.size).await;
        }
        // Nothing else refuses an open link: its pending bytes were full (and may have just
        // been released: the client is then told to retry in a second).
        self.busy(&now_link, file.size).await
    }

    /// `409 link_busy`, with the seconds until the first of the link's pending drops is
    /// released.
    async fn busy(&self, link: &Link, size: u64) -> Result<CoreError, CoreError> {
        let pending = self.pending_drops(link).await?;
        let now = self.clock.now();
        let retry_after_secs = idle::retry_after_secs(&self.settings, &pending, now);
        tracing::info!(
            link_id = %link.id,
            owner = %link.owner,
            pending_bytes = link.pending_bytes,
            max_pending_bytes = link.max_pending_bytes,
            size,
            retry_after_secs,
            decision = "link_busy",
            "drop refused: the link's pending bytes are full"
        );
        Ok(CoreError::LinkBusy { retry_after_secs })
    }

    /// The link's files still pending, newest first, until they account for its pending
    /// bytes (bounded: a link has at most `MAX_MAX_UPLOADS` uses plus its give-backs).
    async fn pending_drops(&self, link: &Link) -> Result<Vec<FileRecord>, CoreError> {
        const PAGE: usize = 100;
        const MAX_PAGES: usize = 25;
        let (mut found, mut bytes, mut after) = (Vec::new(), 0u64, None);
        for _ in 0..MAX_PAGES {
            let page = self
                .links
                .list_link_files(&link.owner, &link.id, PAGE, after.as_ref())
                .await?;
            for f in page.files {
                if f.status == FileStatus::Pending {
                    bytes = bytes.saturating_add(f.size);
                    found.push(f);
                }
            }
            after = page.next_after;
            if after.is_none() || bytes >= link.pending_bytes {
                break;
            }
        }
        Ok(found)
    }

    /// The multipart drop of a receipt, its idle deadline moved forward: asking for part
    /// URLs, listing parts or completing is activity that keeps the reservation.
    async fn active_file(&self, receipt: &str, source: &str) -> Result<FileRecord, CoreError> {
        let mut file = self.receipt_file(receipt, source).await?;
        if file.status != FileStatus::Pending || file.multipart.is_none() {
            return Ok(file);
        }
        let until = idle::drop_deadline(&self.settings, &file, self.clock.now());
        if until <= file.upload_expires_at {
            return Ok(file);
        }
        if self.links.extend_drop(&file, until).await? {
            file.upload_expires_at = until;
            return Ok(file);
        }
        // Settled meanwhile (expired, or judged): answer from the record as it is now.
        self.ledger
            .get_file(&file.owner, &file.id)
            .await?
            .ok_or_else(receipt_not_found)
    }

    /// The file a receipt follows. Unknown receipts count as failed lookups of `source`.
    async fn receipt_file(&self, receipt: &str, source: &str) -> Result<FileRecord, CoreError> {
        let lookup = async {
            let (owner, id) = self
                .links
                .find_receipt(&tokens::hash(receipt))
                .await?
                .ok_or_else(receipt_not_found)?;
            // The owner deleted the file: the receipt follows nothing any more.
            self.ledger
                .get_file(&owner, &id)
                .await?
                .ok_or_else(receipt_not_found)
        };
        self.limiter.guard(source, lookup).await
    }

    /// Part URLs of the uploader's own large file, so a stranger can resume too.
    pub async fn presign_parts(
        &self,
        receipt: &str,
        source: &str,
        numbers: &[u32],
    ) -> Result<Vec<PresignedPart>, CoreError> {
        let file = self.active_file(receipt, source).await?;
        // A part URL never outlives the drop's idle deadline.
        let ttl = idle::url_ttl(&self.settings, file.upload_expires_at, self.clock.now());
        self.multipart
            .presign_for(&file, numbers, ttl)
            .await
            .map_err(receipt_missing)
    }

    pub async fn parts(&self, receipt: &str, source: &str) -> Result<PartsListing, CoreError> {
        let file = self.active_file(receipt, source).await?;
        self.multipart.listing(&file).await.map_err(receipt_missing)
    }

    pub async fn complete(
        &self,
        receipt: &str,
        source: &str,
        given: &[PartTag],
    ) -> Result<ReceiptView, CoreError> {
        let file = self.active_file(receipt, source).await?;
        self.multipart
            .complete(&file, given)
            .await
            .map_err(receipt_missing)?;
        Ok(receipt_view(file))
    }

    pub async fn receipt(&self, receipt: &str, source: &str) -> Result<ReceiptView, CoreError> {
        let file = self.receipt_file(receipt, source).await?;
        let allowed = file.allowed_types(&self.settings.allowed_types);
        let mut view = receipt_view(file);
        if view.file.reason.as_deref() == Some(crate::policy::RejectReason::TypeNotAllowed.code()) {
            view.file.allowed = Some(allowed);
        }
        Ok(view)
    }
}

/// What the uploader may know: the verdict, but of malware only that the file was refused for
/// safety (naming the threat would help whoever sends it to tune it).
fn receipt_view(f: FileRecord) -> ReceiptView {
    let scan = f.public_scan_view();
    let reason = f.reason.map(|r| {
        if r == crate::scan::REASON_MALWARE_FOUND {
            crate::scan::REASON_REFUSED_FOR_SAFETY.to_owned()
        } else {
            r
        }
    });
    ReceiptView {
        file: ReceiptFile {
            name: f.name,
            size: f.size,
            status: f.status,
            reason,
            detected_type: f.detected_type,
            scan,
            allowed: None,
        },
    }
}

/// On the drop routes, a file that is not a pending multipart upload is "no such receipt".
fn receipt_missing(e: CoreError) -> CoreError {
    match e {
        CoreError::NotFound => receipt_not_found(),
        other => other,
    }
}

/// The link's rules on a declared upload: name, size against the link's per-file limit and the
/// bytes it has left, type against the link's list. Returns the cleaned name and type.
fn check_upload(
    s: &Settings,
    link: &Link,
    req: &DropUpload,
) -> Result<(String, String), CoreError> {
    let name = names::clean_name(&req.name)?;
    if req.size == 0 {
        return Err(CoreError::invalid(
            "invalid_size",
            "size must be greater than 0",
        ));
    }
    let content_type = crate::files::declared_type(&req.content_type);
    let allowed = s.allowed_types.narrowed_by(&link.allowed_types);
    if !allowed.admits(&content_type) {
        return Err(CoreError::TypeNotAllowed {
            content_type,
            allowed,
        });
    }
    let max = max_file_size(s, link);
    if req.size > max {
        // The caller adds the owner's free space to the figure.
        return Err(CoreError::DropTooLarge {
            size: req.size,
            max,
        });
    }
    Ok((name, content_type))
}

/// The largest file the link takes now: its per-file limit, its pending-bytes limit and the
/// bytes it has left.
fn max_file_size(s: &Settings, link: &Link) -> u64 {
    let max = link
        .max_file_bytes
        .min(link.max_pending_bytes)
        .min(s.max_file_size);
    link.bytes_left().map_or(max, |left| max.min(left))
}

fn check_uploader(link: &Link, given: Option<Uploader>) -> Result<Option<Uploader>, CoreError> {
    let given = given.unwrap_or_default();
    let name = given
        .name
        .filter(|n| !n.trim().is_empty())
        .map(|n| names::clean_text("uploader name", &n, names::MAX_PERSON_NAME_BYTES))
        .transpose()?;
    let email = given
        .email
        .filter(|e| !e.trim().is_empty())
        .map(|e| validate_email(&e))
        .transpose()?;
    let note = given
        .note
        .map(|n| super::clean_note(&n))
        .transpose()?
        .flatten();
    if link.require_uploader_name && name.is_none() {
        return Err(CoreError::invalid(
            "uploader_name_required",
            "this upload link asks for the uploader's name",
        ));
    }
    let any = name.is_some() || email.is_some() || note.is_some();
    Ok(any.then_some(Uploader { name, email, note }))
}
