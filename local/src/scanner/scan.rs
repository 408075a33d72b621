//! One object, as GuardDuty handles it: read its bytes from the bucket chunk by chunk into clamd,
//! tag the object with the status, send the result event to the scan-results queue.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{Tag, Tagging};

use super::clamd::{Instream, Reply};
use super::event::{Outcome, STATUS_TAG, Scanned, result_event};
use super::faults::Draw;

/// Where results go and what they say they come from.
pub struct Target {
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub bucket: String,
    pub queue_url: String,
    pub plan_arn: String,
    pub account: String,
    pub region: String,
}

/// Scans `key` and answers for it, with the faults drawn for it.
pub async fn scan_and_answer(t: &Target, socket: &Path, key: &str, draw: Draw, delay: Duration) {
    let started = Instant::now();
    if draw.drop {
        tracing::info!(
            key,
            decision = "scan_dropped",
            "fault: this object gets no answer"
        );
        return;
    }
    let Some((object, mut outcome)) = patiently_read_and_scan(t, key, socket).await else {
        return;
    };
    if draw.failed {
        outcome = Outcome::Failed;
    } else if draw.unsupported {
        outcome = Outcome::Unsupported;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    tag(t, &object, &outcome).await;
    let body = result_event(
        &t.plan_arn,
        &t.account,
        &t.region,
        &object,
        &outcome,
        chrono::Utc::now(),
    )
    .to_string();
    let copies = if draw.duplicate { 2 } else { 1 };
    for _ in 0..copies {
        send(t, &body).await;
    }
    tracing::info!(
        key,
        etag = object.etag,
        status = outcome.status(),
        threats = ?match &outcome { Outcome::ThreatsFound(n) => n.as_slice(), _ => &[] },
        faulted = draw.failed || draw.unsupported,
        copies,
        ms = started.elapsed().as_millis() as u64,
        decision = "scanned",
        "scan result sent"
    );
}

/// How long the scanner keeps trying to read an object and to send its result, as GuardDuty
/// retries its own: an emulator that stalls for a few seconds must not cost a file its verdict
/// (the file would wait, shut, for the whole scan timeout).
const PATIENCE: Duration = Duration::from_secs(60);

/// [`read_and_scan`], tried again while reading the object or reaching clamd fails, for up to
/// [`PATIENCE`]. Bytes read but never judged end `FAILED` (fail closed, and at once); an object
/// never read gets no answer (no result can name bytes nobody read): the scan timeout ends it.
async fn patiently_read_and_scan(
    t: &Target,
    key: &str,
    socket: &Path,
) -> Option<(Scanned, Outcome)> {
    let deadline = Instant::now() + PATIENCE;
    let mut pause = Duration::from_millis(250);
    loop {
        match attempt(&t.s3, &t.bucket, key, socket).await {
            Attempt::Gone => return None,
            Attempt::Judged(object, outcome) => return Some((object, outcome)),
            Attempt::Unread(why) => {
                if Instant::now() + pause > deadline {
                    tracing::warn!(
                        key,
                        error = why,
                        decision = "scan_skipped",
                        why = "unreadable",
                        "cannot read the object; it is left to the scan timeout"
                    );
                    return None;
                }
                tracing::info!(key, error = why, "cannot read the object yet; trying again");
            }
            Attempt::Unjudged(object, why) => {
                if Instant::now() + pause > deadline {
                    tracing::warn!(key, why, "scan failed");
                    return Some((object, Outcome::Failed));
                }
                tracing::info!(
                    key,
                    why,
                    etag = object.etag,
                    "scan interrupted; trying again"
                );
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(8));
    }
}

enum Attempt {
    /// The object no longer exists (a type verdict rejected and deleted it first).
    Gone,
    Judged(Scanned, Outcome),
    /// The object could not be read.
    Unread(String),
    /// Read, but the bytes did not all reach clamd or clamd did not answer.
    Unjudged(Scanned, String),
}

/// The object's bytes through clamd, once. `None` when the object is gone or unreadable;
/// `Failed` when its bytes could not be judged.
pub async fn read_and_scan(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    socket: &Path,
) -> Option<(Scanned, Outcome)> {
    match attempt(s3, bucket, key, socket).await {
        Attempt::Judged(object, outcome) => Some((object, outcome)),
        Attempt::Unjudged(object, _) => Some((object, Outcome::Failed)),
        Attempt::Gone | Attempt::Unread(_) => None,
    }
}

async fn attempt(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, socket: &Path) -> Attempt {
    let got = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(o) => o,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
            tracing::info!(
                key,
                decision = "scan_skipped",
                why = "gone",
                "object no longer exists"
            );
            return Attempt::Gone;
        }
        Err(e) => return Attempt::Unread(e.to_string()),
    };
    let object = Scanned {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        // The bytes read are the bytes judged: their ETag, not the one the S3 event named.
        etag: got.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
        version_id: got
            .version_id()
            .filter(|v| !v.is_empty() && *v != "null")
            .map(str::to_owned),
    };
    match stream(socket, got.body).await {
        Ok(reply) => Attempt::Judged(object, Outcome::of(&reply)),
        Err(why) => Attempt::Unjudged(object, why),
    }
}

/// Bytes gathered before a chunk goes to clamd: the body arrives in pieces of a few KiB, and one
/// framed write per piece costs more than the copy. Bounds the memory of a scan with the body's
/// own buffer.
const CHUNK: usize = 1 << 20;

async fn stream(socket: &Path, body: aws_sdk_s3::primitives::ByteStream) -> Result<Reply, String> {
    let mut clamd = Instream::open(socket)
        .await
        .map_err(|e| format!("clamd: {e}"))?;
    // Reading the next chunk overlaps sending this one: two in flight at most.
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
    let reader = async move {
        let mut body = body;
        let mut chunk = Vec::with_capacity(CHUNK);
        loop {
            match body.try_next().await {
                Ok(Some(piece)) => {
                    chunk.extend_from_slice(&piece);
                    if chunk.len() >= CHUNK
                        && tx
                            .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                            .await
                            .is_err()
                    {
                        return Ok(());
                    }
                }
                Ok(None) => {
                    if !chunk.is_empty() {
                        // Fails only when the sender side stopped on a clamd error, said below.
                        let _ = tx.send(chunk).await;
                    }
                    return Ok(());
                }
                Err(e) => return Err(format!("reading the object: {e}")),
            }
        }
    };
    let writer = async {
        // Owned here, so a writer that stops on an error also stops the reader.
        let mut rx = rx;
        while let Some(chunk) = rx.recv().await {
            clamd.send(&chunk).await?;
        }
        Ok::<(), std::io::Error>(())
    };
    let (read, written) = tokio::join!(reader, writer);
    match (read, written) {
        // clamd closes early when the stream passes its size limit, and says so.
        (_, Err(e)) => clamd
            .reply_after_failure()
            .await
            .ok_or_else(|| format!("clamd: {e}")),
        (Err(why), Ok(())) => Err(why),
        (Ok(()), Ok(())) => clamd.finish().await.map_err(|e| format!("clamd: {e}")),
    }
}

/// Sets the status tag, keeping the object's other tags (as GuardDuty does).
async fn tag(t: &Target, object: &Scanned, outcome: &Outcome) {
    let mut tags: Vec<Tag> = match t
        .s3
        .get_object_tagging()
        .bucket(&t.bucket)
        .key(&object.key)
        .send()
        .await
    {
        Ok(o) => o.tag_set().to_vec(),
        Err(_) => Vec::new(),
    };
    tags.retain(|tag| tag.key() != STATUS_TAG);
    let Ok(status) = Tag::builder()
        .key(STATUS_TAG)
        .value(outcome.status())
        .build()
    else {
        return;
    };
    tags.push(status);
    let Ok(tagging) = Tagging::builder().set_tag_set(Some(tags)).build() else {
        return;
    };
    if let Err(e) =
        t.s3.put_object_tagging()
            .bucket(&t.bucket)
            .key(&object.key)
            .tagging(tagging)
            .send()
            .await
    {
        // The event still goes: the verdict is the worker's to apply; the tag only backs it.
        tracing::warn!(key = object.key, error = %e, "could not tag the object");
    }
}

/// Sends a result, trying again for up to [`PATIENCE`]: a lost result leaves the file shut
/// until the scan timeout, so a queue that stalls is worth waiting for.
async fn send(t: &Target, body: &str) {
    let deadline = Instant::now() + PATIENCE;
    let mut pause = Duration::from_millis(200);
    loop {
        match t
            .sqs
            .send_message()
            .queue_url(&t.queue_url)
            .message_body(body)
            .send()
            .await
        {
            Ok(_) => return,
            Err(e) if Instant::now() + pause <= deadline => {
                tracing::warn!(error = %e, "sending the scan result failed; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(8));
            }
            Err(e) => {
                tracing::error!(error = %e, "scan result lost; the file is left to the scan timeout");
                return;
            }
        }
    }
}
