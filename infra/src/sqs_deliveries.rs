//! [`DeliveryQueue`] on SQS: each job a JSON message, held back by `DelaySeconds` (at most
//! 900; the deliverer re-enqueues a longer wait in hops).

use std::time::Duration;

use async_trait::async_trait;
use dropgate_core::CoreError;
use dropgate_core::webhooks::deliveries::{DeliveryJob, DeliveryQueue, MAX_QUEUE_DELAY};

use crate::error::sdk_error;

pub struct SqsDeliveryQueue {
    pub client: crate::lazy::Lazy<aws_sdk_sqs::Client>,
    pub queue_url: String,
}

#[async_trait]
impl DeliveryQueue for SqsDeliveryQueue {
    async fn enqueue(&self, job: &DeliveryJob, delay: Duration) -> Result<(), CoreError> {
        let body = serde_json::to_string(job).map_err(CoreError::upstream)?;
        let secs = delay.min(MAX_QUEUE_DELAY).as_secs_f64().ceil() as i32;
        self.client
            .get()
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(secs)
            .send()
            .await
            .map_err(|e| sdk_error("SendMessage", e))?;
        Ok(())
    }
}
