//! [`MemAudit`]: the audit trail as a list in memory, in append order.

use std::sync::Mutex;

use async_trait::async_trait;

use super::lock::lock;
use crate::CoreError;
use crate::audit::{AuditEvent, AuditTrail};

#[derive(Default)]
pub struct MemAudit {
    events: Mutex<Vec<AuditEvent>>,
}

impl MemAudit {
    /// Everything appended so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        lock(&self.events).clone()
    }
}

#[async_trait]
impl AuditTrail for MemAudit {
    async fn append(&self, event: AuditEvent) -> Result<(), CoreError> {
        lock(&self.events).push(event);
        Ok(())
    }
}
