//! What the notifier would put on the integrators' event bus, recorded so that tests and people
//! can see it: `GET {api}/__events`, served by the local server only (never by the api
//! function). The events still go to the emulator's EventBridge through the real adapter; what
//! it accepted is recorded, a retry's duplicates included (delivery is at least once).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use dropgate_core::CoreError;
use dropgate_core::events::{Event, EventBus, SOURCE};
use serde_json::{Value, json};

/// The route the local server answers before anything else.
pub const PATH: &str = "/__events";

/// The most events kept: the oldest go first, so a stack left running does not grow without end.
pub const KEPT: usize = 10_000;

#[derive(Default)]
pub struct Recorded {
    events: Mutex<Vec<Value>>,
}

impl Recorded {
    /// `{events: [{id, source, detail_type, time, detail}]}`, in the order they were put (the
    /// last [`KEPT`]).
    pub fn body(&self) -> String {
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        json!({ "events": *events }).to_string()
    }

    fn record(&self, put: &[Event]) {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events.extend(put.iter().map(|e| {
            json!({
                "id": e.id,
                "source": SOURCE,
                "detail_type": e.kind.as_str(),
                "time": e.time,
                "detail": e.detail,
            })
        }));
        let over = events.len().saturating_sub(KEPT);
        events.drain(..over);
    }
}

/// The notifier's bus on the local stack: the EventBridge adapter, then the record.
pub struct RecordingBus {
    pub inner: Arc<dyn EventBus>,
    pub log: Arc<Recorded>,
}

#[async_trait]
impl EventBus for RecordingBus {
    async fn put(&self, events: &[Event]) -> Result<(), CoreError> {
        self.inner.put(events).await?;
        self.log.record(events);
        Ok(())
    }
}
