//! The upload engine: one file to the account or through an upload link, by a single PUT or in
//! parts as the server says, resuming an earlier run's upload of the same file version when
//! there is one. The parts themselves are sent by [`crate::multipart`].

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::api::Api;
use crate::detect;
use crate::endpoints::Target;
use crate::error::{CliError, Result};
use crate::multipart::Multipart;
use crate::plan::Layout;
use crate::progress::{FileBar, Progress};
use crate::resume::{FileKey, Method, ResumeStore, UploadState, ensure_unchanged, file_name};
use crate::retry;
use crate::storage::{self, Attempt, Next};
use crate::units::bytes;
use crate::wire::{FileView, Upload, UploaderInfo};

/// Where files go.
pub enum Destination {
    Account,
    Link {
        token: String,
        uploader: Option<UploaderInfo>,
    },
    /// A new version of one of the account's files.
    Version {
        of: String,
    },
}

impl Destination {
    /// As the resume state records it: never the link's token itself.
    fn key(&self) -> String {
        match self {
            Destination::Account => "account".into(),
            Destination::Version { of } => format!("version:{of}"),
            Destination::Link { token, .. } => {
                format!("link:{}", hex::encode(Sha256::digest(token.as_bytes())))
            }
        }
    }
}

pub struct Engine<'a> {
    pub api: &'a Api,
    pub store: ResumeStore,
    pub progress: Progress,
    pub destination: Destination,
    /// Parts in flight at once.
    pub parallel: usize,
    /// `--type`: declared instead of the detected type.
    pub declared_type: Option<String>,
    /// `--delete-after` of `put`, as RFC 3339: when retention deletes each new file.
    pub delete_after: Option<String>,
}

/// A file whose bytes are all in storage (or that was judged already).
pub struct Uploaded {
    pub name: String,
    pub target: Target,
    pub method: Method,
    pub part_count: u32,
    /// Parts this run sent (the others were there from an earlier run).
    pub parts_sent: u32,
    pub resumed: bool,
    pub bar: FileBar,
    /// The verdict, when an earlier run's upload was judged already.
    pub judged: Option<FileView>,
}

impl Engine<'_> {
    pub async fn upload(&self, path: &Path) -> Result<Uploaded> {
        let name = file_name(path)?;
        let key = FileKey::of(path)?;
        let bar = self.progress.file(&name, key.size);
        let result = self.upload_key(path, &name, &key, &bar).await;
        if let Err(e) = &result {
            bar.abandon();
            // That version of the file is gone: its state could never be used again.
            if matches!(e, CliError::Changed { .. }) {
                self.store.remove(&key)?;
            }
        }
        result
    }

    async fn upload_key(
        &self,
        path: &Path,
        name: &str,
        key: &FileKey,
        bar: &FileBar,
    ) -> Result<Uploaded> {
        if let Some(state) = self.store.load(key)?
            && state.api == self.api.base()
            && state.destination == self.destination.key()
        {
            if let Some(done) = self.resume(path, key, state, bar).await? {
                return Ok(done);
            }
            self.store.remove(key)?;
        }
        self.fresh(path, name, key, bar).await
    }

    /// Picks up an earlier run's upload; `None` when it has to start over.
    async fn resume(
        &self,
        path: &Path,
        key: &FileKey,
        state: UploadState,
        bar: &FileBar,
    ) -> Result<Option<Uploaded>> {
        let target = state.target.clone();
        let Some(file) = self.api.status(&target).await? else {
            bar.say("the earlier upload is gone; starting over");
            return Ok(None);
        };
        let mut done = Uploaded {
            name: state.name.clone(),
            target: target.clone(),
            method: state.method,
            part_count: state.part_count.unwrap_or(1),
            parts_sent: 0,
            resumed: true,
            bar: bar.clone(),
            judged: None,
        };
        match file.status.as_str() {
            "pending" => {}
            // Its bytes passed the type verdict: only the malware scan's is due.
            "scanning" => return self.already_sent(key, bar, done),
            "accepted" | "rejected" | "held" => {
                // Judged already: the earlier run got the bytes there and stopped after.
                done.judged = Some(file);
                return self.already_sent(key, bar, done);
            }
            other => {
                bar.say(&format!("the earlier upload is {other}; starting over"));
                return Ok(None);
            }
        }
        if state.method == Method::Put {
            // A single PUT's URL cannot be asked for again: free the reservation, start over.
            if let Some(id) = target.file_id() {
                match self.api.delete_file(id).await {
                    Err(e) if e.api_code().is_none_or(|(s, _)| s != 404) => return Err(e),
                    _ => {}
                }
            }
            bar.say("the earlier upload did not finish; starting over");
            return Ok(None);
        }
        let Some(listing) = self.api.list_parts(&target).await? else {
            // Pending but no longer a multipart upload: it was completed, the verdict is due.
            return self.already_sent(key, bar, done);
        };
        let layout = Layout::new(key.size, listing.part_size, listing.part_count)
            .ok_or_else(|| self.api.protocol(200))?;
        done.part_count = layout.part_count();
        done.parts_sent = self
            .multipart(path, key, &target, layout, bar)
            .run(listing.parts)
            .await?;
        self.store.remove(key)?;
        Ok(Some(done))
    }

    /// An earlier run sent every byte: nothing is left to resume.
    fn already_sent(
        &self,
        key: &FileKey,
        bar: &FileBar,
        done: Uploaded,
    ) -> Result<Option<Uploaded>> {
        self.store.remove(key)?;
        bar.set_position(key.size);
        Ok(Some(done))
    }

    async fn fresh(
        &self,
        path: &Path,
        name: &str,
        key: &FileKey,
        bar: &FileBar,
    ) -> Result<Uploaded> {
        let content_type = match &self.declared_type {
            Some(t) => t.clone(),
            None => detect::content_type(path)?,
        };
        let created = match &self.destination {
            Destination::Account => {
                self.api
                    .create_file(name, key.size, &content_type, self.delete_after.as_deref())
                    .await?
            }
            Destination::Link { token, uploader } => {
                self.api
                    .drop_file(token, name, key.size, &content_type, uploader.as_ref())
                    .await?
            }
            Destination::Version { of } => {
                self.api.create_version(of, key.size, &content_type).await?
            }
        };
        let target = match (&self.destination, created.file.id, created.receipt) {
            // A version's parts and status go by its own upload id.
            (Destination::Account | Destination::Version { .. }, Some(id), _) => Target::File(id),
            (Destination::Link { .. }, _, Some(receipt)) => Target::Receipt(receipt),
            _ => return Err(self.api.protocol(201)),
        };
        let mut state = UploadState {
            api: self.api.base().to_owned(),
            destination: self.destination.key(),
            target: target.clone(),
            method: Method::Put,
            part_size: None,
            part_count: None,
            name: name.to_owned(),
            path: key.path.clone(),
            size: key.size,
            mtime_ns: key.mtime_ns,
        };
        let mut done = Uploaded {
            name: name.to_owned(),
            target: target.clone(),
            method: Method::Put,
            part_count: 1,
            parts_sent: 1,
            resumed: false,
            bar: bar.clone(),
            judged: None,
        };
        match created.upload {
            Upload::Put { url, headers } => {
                self.store.save(key, &state)?;
                self.single_put(path, key, &url, &headers, bar).await?;
            }
            Upload::Multipart {
                part_size,
                part_count,
            } => {
                let layout = Layout::new(key.size, part_size, part_count)
                    .ok_or_else(|| self.api.protocol(201))?;
                state.method = Method::Multipart;
                state.part_size = Some(part_size);
                state.part_count = Some(part_count);
                self.store.save(key, &state)?;
                done.method = Method::Multipart;
                done.part_count = part_count;
                done.parts_sent = self
                    .multipart(path, key, &target, layout, bar)
                    .run(Vec::new())
                    .await?;
            }
        }
        self.store.remove(key)?;
        Ok(done)
    }

    fn multipart<'s>(
        &'s self,
        path: &'s Path,
        key: &'s FileKey,
        target: &'s Target,
        layout: Layout,
        bar: &'s FileBar,
    ) -> Multipart<'s> {
        Multipart {
            api: self.api,
            path,
            key,
            target,
            layout,
            parallel: self.parallel.max(1),
            bar,
        }
    }

    /// The whole file in one PUT, retried on transient failures; a `412` (the object exists:
    /// an earlier attempt's answer was lost) counts as done.
    async fn single_put(
        &self,
        path: &Path,
        key: &FileKey,
        url: &str,
        headers: &BTreeMap<String, String>,
        bar: &FileBar,
    ) -> Result<()> {
        let policy = retry::STORAGE;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let answer =
                storage::put_range(self.api.http(), url, headers, path, 0..key.size, bar).await?;
            if let Attempt::Answer { status: 412, .. } = answer {
                break;
            }
            let wait = match answer.next(attempt, &policy)? {
                Next::Stored(_) => break,
                Next::NewUrl => return Err(CliError::UploadUrlExpired),
                Next::Again { wait, why } => {
                    bar.note(&why);
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
        bar.set_position(key.size);
        bar.note(&format!("uploaded ({})", bytes(key.size)));
        ensure_unchanged(path, key)
    }
}

/// What a file not yet judged waits for, as its progress says it.
pub fn waiting_for(f: &FileView) -> &'static str {
    if f.status == "scanning" {
        "scanning for malware"
    } else {
        "waiting for the verdict"
    }
}

/// Polls the file until it is judged for good (both verdicts: the type's and the malware
/// scan's), for at most `wait`; the last view either way.
pub async fn verdict(api: &Api, up: &Uploaded, wait: Duration) -> Result<FileView> {
    if let Some(judged) = &up.judged {
        return Ok(judged.clone());
    }
    // A wait too long for the clock is as good as forever.
    let deadline = Instant::now()
        .checked_add(wait)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600));
    let mut pause = Duration::from_millis(500);
    let mut told = None;
    loop {
        let file = api
            .status(&up.target)
            .await?
            .ok_or_else(|| CliError::Vanished {
                name: up.name.clone(),
            })?;
        let left = deadline.saturating_duration_since(Instant::now());
        if file.is_final() || left.is_zero() {
            return Ok(file);
        }
        // Said once per stage: pending, then scanning.
        let now = waiting_for(&file);
        if told != Some(now) {
            up.bar.note(now);
            told = Some(now);
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 3 / 2).min(Duration::from_secs(3));
    }
}
