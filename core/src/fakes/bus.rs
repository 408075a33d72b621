//! [`MemBus`]: the event bus in memory, keeping what was put; it can be told to refuse.

use std::sync::Mutex;

use async_trait::async_trait;

use super::lock::lock;
use crate::CoreError;
use crate::events::{Event, EventBus};

#[derive(Default)]
pub struct MemBus {
    pub put: Mutex<Vec<Event>>,
    /// How many of the next calls fail as a whole (an unreachable bus).
    pub fail_next: Mutex<u32>,
}

#[async_trait]
impl EventBus for MemBus {
    async fn put(&self, events: &[Event]) -> Result<(), CoreError> {
        {
            let mut fail = lock(&self.fail_next);
            if *fail > 0 {
                *fail -= 1;
                return Err(CoreError::upstream("PutEvents: the bus cannot be reached"));
            }
        }
        lock(&self.put).extend_from_slice(events);
        Ok(())
    }
}
