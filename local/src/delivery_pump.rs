//! Lambda's SQS event source mapping for the deliverer, locally: long-poll the webhook
//! deliveries' queue (the emulator holds each message back for its `DelaySeconds`), hand
//! batches of up to 10 to the deliverer's `handle`, delete what succeeded and leave the
//! reported failures to come back. Batches run side by side (at most [`IN_FLIGHT`]), as Lambda
//! runs invocations side by side: a receiver that never answers holds up its own batch for
//! the 10 s timeout, not the deliveries behind it; until that first timeout it holds at most
//! `WEBHOOK_MAX_IN_FLIGHT` (2) slots, its other jobs parked, and after it its webhook is
//! stalled and its jobs are parked (one probe per window), so its batches stop holding slots.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use tokio::sync::{Semaphore, watch};

use crate::pump::{BATCH, queue_arn_of, to_event};

/// Batches delivered at once: the deliverer's `MaximumConcurrency` in template.yaml, so that a
/// receiver that just went dead holds the same share of them (2 of 10) as on AWS.
pub const IN_FLIGHT: usize = 10;

pub async fn run(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    deps: dropgate_deliverer::Deps,
    mut stop: watch::Receiver<bool>,
) {
    let arn = queue_arn_of(&queue_url);
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let deps = Arc::new(deps);
    loop {
        if *stop.borrow() {
            return;
        }
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
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
        let messages = match out {
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
        let (sqs, queue_url, deps, arn) =
            (sqs.clone(), queue_url.clone(), deps.clone(), arn.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let event = SqsEvent {
                records: messages.iter().map(|m| to_event(m, &arn)).collect(),
            };
            let response = dropgate_deliverer::handle(event, &deps).await;
            let failed: Vec<&str> = response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.as_str())
                .collect();
            let entries: Vec<DeleteMessageBatchRequestEntry> = messages
                .iter()
                .filter(|m| !m.message_id().is_some_and(|id| failed.contains(&id)))
                .filter_map(|m| m.receipt_handle())
                .enumerate()
                .filter_map(|(i, handle)| {
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
                tracing::warn!(error = %e, "delete failed; deliveries will come back (the deliverer drops attempts already made)");
            }
        });
    }
}
