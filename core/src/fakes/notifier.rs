//! [`MemNotifier`]: the operators' topic in memory, keeping what was published.

use std::sync::Mutex;

use async_trait::async_trait;

use super::lock::lock;
use crate::CoreError;
use crate::notify::{Notification, Notifier};

#[derive(Default)]
pub struct MemNotifier {
    pub sent: Mutex<Vec<Notification>>,
}

#[async_trait]
impl Notifier for MemNotifier {
    async fn publish(&self, messages: &[Notification]) -> Result<(), CoreError> {
        lock(&self.sent).extend_from_slice(messages);
        Ok(())
    }
}
