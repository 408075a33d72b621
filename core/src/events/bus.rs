//! The [`EventBus`] port (EventBridge in production), and the batching with retries of partial
//! failures that its adapter runs.

use std::future::Future;

use async_trait::async_trait;

use super::Event;
use crate::CoreError;

/// EventBridge takes at most 10 entries a `PutEvents`.
pub const PUT_BATCH: usize = 10;

/// How many times an entry is put before the whole delivery fails (and the stream retries it).
pub const PUT_ATTEMPTS: u32 = 3;

#[async_trait]
pub trait EventBus: Send + Sync {
    /// Puts every event, at least once: `Ok` only when each was accepted.
    async fn put(&self, events: &[Event]) -> Result<(), CoreError>;
}

/// Puts `events` in batches of [`PUT_BATCH`] through `send`, which answers the positions
/// (within the batch it was given) of the entries the bus refused. Refused entries are sent
/// again, alone with the other refused ones, up to [`PUT_ATTEMPTS`] times in all; then this
/// fails, and the caller's retry puts them again (an accepted entry may be put twice: events
/// carry their stable `id`).
pub async fn put_batched<'a, F, Fut>(events: &'a [Event], mut send: F) -> Result<(), CoreError>
where
    F: FnMut(Vec<&'a Event>) -> Fut,
    Fut: Future<Output = Result<Vec<usize>, CoreError>>,
{
    for chunk in events.chunks(PUT_BATCH) {
        let mut left: Vec<&Event> = chunk.iter().collect();
        let mut attempt = 0;
        while !left.is_empty() {
            attempt += 1;
            if attempt > PUT_ATTEMPTS {
                return Err(CoreError::upstream(format!(
                    "PutEvents: {} entries refused {PUT_ATTEMPTS} times (first: {})",
                    left.len(),
                    left[0].id
                )));
            }
            let refused = send(left.clone()).await?;
            left = left
                .into_iter()
                .enumerate()
                .filter(|(i, _)| refused.contains(i))
                .map(|(_, e)| e)
                .collect();
        }
    }
    Ok(())
}
