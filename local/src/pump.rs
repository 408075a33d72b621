//! Lambda's SQS event source mapping, locally: long-poll the queue, hand batches of up to 10 to
//! the worker's `handle`, delete what succeeded, and leave the reported failures to reappear
//! after the visibility timeout (and reach the DLQ after `maxReceiveCount`).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use tokio::sync::watch;

/// Lambda's SQS batch size for the worker (template.yaml: BatchSize 10).
pub const BATCH: usize = 10;

/// Pumps `queue_url` into the worker. With `scanner`, every new object under `uploads/` in a
/// batch is first handed to it (GuardDuty watches the bucket itself; locally it is told).
pub async fn run(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    deps: dropgate_worker::Deps,
    batch_window: Duration,
    scanner: Option<crate::scanner::Feed>,
    mut stop: watch::Receiver<bool>,
) {
    let arn = queue_arn_of(&queue_url);
    let mut announced = Announced::default();
    loop {
        if *stop.borrow() {
            return;
        }
        let receive = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(BATCH as i32)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send();
        let out = tokio::select! {
            r = receive => r,
            _ = stop.wait_for(|s| *s) => return,
        };
        let mut messages = match out {
            Ok(o) => o.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %e, "receive failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        // Like MaximumBatchingWindowInSeconds: gather up to a full batch for a short while, so
        // that per-batch costs (one record read, one publish) are shared by more uploads.
        let window_ends = tokio::time::Instant::now() + batch_window;
        while messages.len() < BATCH && tokio::time::Instant::now() < window_ends {
            let more = sqs
                .receive_message()
                .queue_url(&queue_url)
                .max_number_of_messages((BATCH - messages.len()) as i32)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await;
            match more {
                Ok(o) if !o.messages().is_empty() => {
                    messages.extend(o.messages.unwrap_or_default())
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        let receipts: HashMap<String, String> = messages
            .iter()
            .filter_map(|m| Some((m.message_id()?.to_owned(), m.receipt_handle()?.to_owned())))
            .collect();
        if let Some(feed) = &scanner {
            for (key, etag) in messages.iter().flat_map(new_uploads) {
                if announced.first_time(&key, etag.as_deref()) {
                    feed.scan(key);
                }
            }
        }
        let event = SqsEvent {
            records: messages.iter().map(|m| to_event(m, &arn)).collect(),
        };
        let response = dropgate_worker::handle(event, &deps).await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        let entries: Vec<DeleteMessageBatchRequestEntry> = receipts
            .iter()
            .filter(|(id, _)| !failed.contains(&id.as_str()))
            .enumerate()
            .filter_map(|(i, (_, handle))| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("d{i}"))
                    .receipt_handle(handle)
                    .build()
                    .ok()
            })
            .collect();
        if !entries.is_empty()
            && let Err(e) = sqs
                .delete_message_batch()
                .queue_url(&queue_url)
                .set_entries(Some(entries))
                .send()
                .await
        {
            tracing::warn!(error = %e, "delete failed; messages will be redelivered (harmless)");
        }
    }
}

/// The objects already handed to the scanner, by key and ETag: GuardDuty scans an object once,
/// not once per delivery of its event. Kept by identity, not by "first delivery": a receive the
/// emulator recorded but whose answer never arrived (a call timed out while it was frozen) comes
/// back as a second delivery, and its object must still be scanned.
#[derive(Default)]
struct Announced(HashSet<(String, Option<String>)>);

impl Announced {
    /// A bound on the memory of a long-running local stack; forgetting only risks a second scan,
    /// whose result the worker ignores as a duplicate.
    const MAX: usize = 100_000;

    fn first_time(&mut self, key: &str, etag: Option<&str>) -> bool {
        if self.0.len() >= Self::MAX {
            self.0.clear();
        }
        self.0.insert((key.to_owned(), etag.map(str::to_owned)))
    }
}

/// The keys (and ETags) of the new objects under `uploads/` that a message announces.
fn new_uploads(m: &aws_sdk_sqs::types::Message) -> Vec<(String, Option<String>)> {
    match m.body().map(dropgate_worker::decode_message) {
        Some(dropgate_worker::Decoded::Objects(objects)) => objects
            .into_iter()
            .filter(|o| o.key.starts_with(dropgate_core::keys::UPLOADS_PREFIX))
            .map(|o| (o.key, o.etag))
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn queue_arn_of(url: &str) -> String {
    let name = url.rsplit('/').next().unwrap_or_default();
    crate::provision::queue_arn(name)
}

pub(crate) fn to_event(m: &aws_sdk_sqs::types::Message, arn: &str) -> SqsMessage {
    let attributes: HashMap<String, String> = m
        .attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    SqsMessage {
        message_id: m.message_id().map(str::to_owned),
        receipt_handle: m.receipt_handle().map(str::to_owned),
        body: m.body().map(str::to_owned),
        md5_of_body: m.md5_of_body().map(str::to_owned),
        attributes,
        event_source: Some("aws:sqs".into()),
        event_source_arn: Some(arn.to_owned()),
        aws_region: Some(crate::provision::REGION.into()),
        ..Default::default()
    }
}

/// The janitor's schedule, locally.
pub async fn janitor_timer(
    deps: dropgate_janitor::Deps,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if let Err(e) = dropgate_janitor::handle(serde_json::json!({}), &deps).await {
            tracing::warn!(error = %e, "janitor run failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::Message;

    fn message(body: &str, receive_count: &str) -> Message {
        Message::builder()
            .body(body)
            .attributes(
                MessageSystemAttributeName::ApproximateReceiveCount,
                receive_count,
            )
            .build()
    }

    fn s3_event(records: &[(&str, &str)]) -> String {
        let records: Vec<_> = records
            .iter()
            .map(|(name, key)| {
                serde_json::json!({"eventName": name,
                    "s3": {"object": {"key": key, "size": 3, "eTag": "e"}}})
            })
            .collect();
        serde_json::json!({ "Records": records }).to_string()
    }

    #[test]
    fn the_scanner_gets_new_uploads_once() {
        let body = s3_event(&[
            (
                "ObjectCreated:Put",
                "uploads/0190aaaa-0000-7000-8000-000000000001",
            ),
            ("ObjectCreated:CompleteMultipartUpload", "uploads/a%20b+c"),
            (
                "ObjectRemoved:Delete",
                "uploads/0190aaaa-0000-7000-8000-000000000002",
            ),
            ("ObjectCreated:Put", "elsewhere/x"),
        ]);
        let keys = |m| -> Vec<String> { new_uploads(&m).into_iter().map(|(k, _)| k).collect() };
        assert_eq!(
            keys(message(&body, "1")),
            [
                "uploads/0190aaaa-0000-7000-8000-000000000001",
                "uploads/a b c"
            ]
        );
        assert!(new_uploads(&message(r#"{"Event":"s3:TestEvent"}"#, "1")).is_empty());
        assert!(new_uploads(&message("not json", "1")).is_empty());

        let mut announced = Announced::default();
        let mut scanned = |m| -> Vec<String> {
            new_uploads(&m)
                .into_iter()
                .filter(|(k, e)| announced.first_time(k, e.as_deref()))
                .map(|(k, _)| k)
                .collect()
        };
        // A second delivery whose first never reached the pump is still scanned...
        assert_eq!(scanned(message(&body, "2")).len(), 2);
        // ...and a retry of the worker is not a new object.
        assert!(scanned(message(&body, "3")).is_empty());
        // New bytes under the same key are.
        let replaced =
            s3_event(&[("ObjectCreated:Put", "uploads/a%20b+c")]).replace("\"e\"", "\"f\"");
        assert_eq!(scanned(message(&replaced, "1")), ["uploads/a b c"]);
    }
}
