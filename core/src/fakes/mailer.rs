//! [`MemMailer`]: the owners' mail in memory, keeping what was sent.

use std::sync::Mutex;

use async_trait::async_trait;

use super::lock::lock;
use crate::CoreError;
use crate::notify::{Mail, Mailer};

#[derive(Default)]
pub struct MemMailer {
    pub sent: Mutex<Vec<Mail>>,
}

#[async_trait]
impl Mailer for MemMailer {
    async fn send(&self, mail: &Mail) -> Result<(), CoreError> {
        lock(&self.sent).push(mail.clone());
        Ok(())
    }
}
