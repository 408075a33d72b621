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

/// Attempts at sending a result: a lost result leaves the file to the scan timeout (closed, but
/// slow), so a transient queue error is worth a retry or two beyond the SDK's own.
const SEND_ATTEMPTS: u32 = 3;

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
    let Some((object, mut outcome)) = read_and_scan(&t.s3, &t.bucket, key, socket).await else {
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

/// The object's bytes through clamd. `None` when the object is gone (a type verdict rejected and
/// deleted it first): nothing is left to judge or to serve.
pub async fn read_and_scan(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    socket: &Path,
) -> Option<(Scanned, Outcome)> {
    let got = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(o) => o,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
            tracing::info!(
                key,
                decision = "scan_skipped",
                why = "gone",
                "object no longer exists"
            );
            return None;
        }
        Err(e) => {
            tracing::warn!(key, error = %e, decision = "scan_skipped", why = "unreadable", "cannot read the object; it is left to the scan timeout");
            return None;
        }
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
    let outcome = match stream(socket, got.body).await {
        Ok(reply) => Outcome::of(&reply),
        Err(why) => {
            tracing::warn!(key, why, "scan failed");
            Outcome::Failed
        }
    };
    Some((object, outcome))
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

async fn send(t: &Target, body: &str) {
    for attempt in 1..=SEND_ATTEMPTS {
        match t
            .sqs
            .send_message()
            .queue_url(&t.queue_url)
            .message_body(body)
            .send()
            .await
        {
            Ok(_) => return,
            Err(e) if attempt < SEND_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "sending the scan result failed; retrying");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "scan result lost; the file is left to the scan timeout")
            }
        }
    }
}
