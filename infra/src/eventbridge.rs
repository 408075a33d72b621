//! The event bus over EventBridge: `PutEvents`, ten entries a call, entries it refuses put
//! again (`dropgate_core::events::put_batched`).

use async_trait::async_trait;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use dropgate_core::CoreError;
use dropgate_core::events::{Event, EventBus, SOURCE, put_batched};

use crate::error::sdk_error;

pub struct EventBridgeBus {
    pub client: aws_sdk_eventbridge::Client,
    pub bus_name: String,
}

impl EventBridgeBus {
    fn entry(&self, e: &Event) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(SOURCE)
            .detail_type(e.kind.as_str())
            .detail(e.detail_json())
            // When the change happened, not when it was put (a retry puts it later).
            .set_time(
                chrono::DateTime::parse_from_rfc3339(&e.time)
                    .ok()
                    .map(|t| DateTime::from_millis(t.timestamp_millis())),
            )
            .build()
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn put(&self, events: &[Event]) -> Result<(), CoreError> {
        put_batched(events, |batch| async move {
            let entries = batch.iter().map(|e| self.entry(e)).collect();
            let out = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| sdk_error("PutEvents", e))?;
            // Each answer entry is in the request's order; one with an error code was refused.
            let refused: Vec<usize> = out
                .entries()
                .iter()
                .enumerate()
                .filter(|(_, r)| r.error_code().is_some())
                .map(|(i, _)| i)
                .collect();
            for i in &refused {
                tracing::warn!(
                    entry = batch[*i].id,
                    code = out.entries()[*i].error_code().unwrap_or_default(),
                    decision = "retry",
                    "PutEvents refused an entry; put again"
                );
            }
            Ok(refused)
        })
        .await
    }
}
