//! The notifier over SNS: PublishBatch, ten messages a call.

use async_trait::async_trait;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use dropgate_core::CoreError;
use dropgate_core::notify::{Notification, Notifier};

use crate::error::sdk_error;

pub struct SnsNotifier {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
}

fn attributes(
    n: &Notification,
) -> Result<std::collections::HashMap<String, MessageAttributeValue>, CoreError> {
    n.attributes()
        .into_iter()
        .map(|(k, v)| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map(|a| (k.to_owned(), a))
                .map_err(CoreError::upstream)
        })
        .collect()
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn publish(&self, messages: &[Notification]) -> Result<(), CoreError> {
        for chunk in messages.chunks(10) {
            if let [one] = chunk {
                self.client
                    .publish()
                    .topic_arn(&self.topic_arn)
                    .message(one.body())
                    .set_message_attributes(Some(attributes(one)?))
                    .send()
                    .await
                    .map_err(|e| sdk_error("Publish", e))?;
                continue;
            }
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    PublishBatchRequestEntry::builder()
                        .id(format!("m{i}"))
                        .message(n.body())
                        .set_message_attributes(Some(attributes(n)?))
                        .build()
                        .map_err(CoreError::upstream)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .publish_batch()
                .topic_arn(&self.topic_arn)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| sdk_error("PublishBatch", e))?;
            let failed = out.failed();
            if !failed.is_empty() {
                return Err(CoreError::upstream(format!(
                    "PublishBatch: {} of {} failed ({})",
                    failed.len(),
                    chunk.len(),
                    failed[0].code()
                )));
            }
        }
        Ok(())
    }
}
