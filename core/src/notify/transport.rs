//! The two ports notices leave through: the operators' topic ([`Notifier`], SNS in
//! production) and the owners' mail ([`Mailer`], SES).

use async_trait::async_trait;

use super::Notification;
use crate::CoreError;

#[async_trait]
pub trait Notifier: Send + Sync {
    /// Publishes every message (batched where the transport allows).
    async fn publish(&self, messages: &[Notification]) -> Result<(), CoreError>;
}

/// A plain-text email to an owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), CoreError>;
}
