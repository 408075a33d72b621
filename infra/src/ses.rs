//! The mailer over SES.

use async_trait::async_trait;
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use dropgate_core::CoreError;
use dropgate_core::notify::{Mail, Mailer};

use crate::error::sdk_error;

pub struct SesMailer {
    pub client: crate::lazy::Lazy<aws_sdk_ses::Client>,
    pub sender: String,
}

fn content(s: &str) -> Result<Content, CoreError> {
    Content::builder()
        .data(s)
        .charset("UTF-8")
        .build()
        .map_err(CoreError::upstream)
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<(), CoreError> {
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(Body::builder().text(content(&mail.body)?).build())
            .build();
        self.client
            .get()
            .send_email()
            .source(&self.sender)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .message(message)
            .send()
            .await
            .map_err(|e| sdk_error("SendEmail", e))?;
        Ok(())
    }
}
