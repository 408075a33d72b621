//! The upload queue with its dead-letter queue, the notifier's failure queue, the events topic,
//! the integrators' event bus and the verified mail sender.

use aws_config::SdkConfig;
use aws_sdk_sqs::types::QueueAttributeName;

use super::sdk::{code_of, err};
use super::shapes::{
    ACCOUNT, BUCKET, DLQ, EVENT_BUS, MAIL_SENDER, MAX_RECEIVE_COUNT, NOTIFY_DLQ, QUEUE, SCAN_DLQ,
    SCAN_QUEUE, TOPIC, VISIBILITY_TIMEOUT_SECS, WEBHOOK_DLQ, WEBHOOK_QUEUE,
    WEBHOOK_VISIBILITY_TIMEOUT_SECS, queue_arn,
};
use crate::error::LocalError;

fn visibility_timeout() -> String {
    std::env::var("LOCAL_VISIBILITY_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(VISIBILITY_TIMEOUT_SECS)
        .to_string()
}

pub(super) async fn queues(sdk: &SdkConfig) -> Result<(String, String, String), LocalError> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let dlq_url = sqs
        .create_queue()
        .queue_name(DLQ)
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| err("CreateQueue dlq", e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let redrive = serde_json::json!({
        "deadLetterTargetArn": queue_arn(DLQ),
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    })
    .to_string();
    let arn = queue_arn(QUEUE);
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {
                "ArnEquals": {"aws:SourceArn": format!("arn:aws:s3:::{BUCKET}")},
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
            },
        }],
    })
    .to_string();
    let queue_url = sqs
        .create_queue()
        .queue_name(QUEUE)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::VisibilityTimeout, visibility_timeout())
        .attributes(QueueAttributeName::Policy, policy)
        .send()
        .await
        .map_err(|e| err("CreateQueue", e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    Ok((queue_url, dlq_url, arn))
}

/// The scan-results queue and its dead-letter queue (GuardDuty's events arrive through an
/// EventBridge rule, hence the policy for events.amazonaws.com, as in template.yaml).
pub(super) async fn scan_queues(sdk: &SdkConfig) -> Result<(String, String), LocalError> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let dlq_url = sqs
        .create_queue()
        .queue_name(SCAN_DLQ)
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| err("CreateQueue scan dlq", e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let redrive = serde_json::json!({
        "deadLetterTargetArn": queue_arn(SCAN_DLQ),
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    })
    .to_string();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn(SCAN_QUEUE),
        }],
    })
    .to_string();
    let queue_url = sqs
        .create_queue()
        .queue_name(SCAN_QUEUE)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::VisibilityTimeout, visibility_timeout())
        .attributes(QueueAttributeName::Policy, policy)
        .send()
        .await
        .map_err(|e| err("CreateQueue scan", e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    Ok((queue_url, dlq_url))
}

/// The webhook deliveries' queue and its dead-letter queue (only the functions send to it: no
/// policy for a service).
pub(super) async fn webhook_queues(sdk: &SdkConfig) -> Result<(String, String), LocalError> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let dlq_url = sqs
        .create_queue()
        .queue_name(WEBHOOK_DLQ)
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| err("CreateQueue webhook dlq", e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let redrive = serde_json::json!({
        "deadLetterTargetArn": queue_arn(WEBHOOK_DLQ),
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    })
    .to_string();
    let queue_url = sqs
        .create_queue()
        .queue_name(WEBHOOK_QUEUE)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            WEBHOOK_VISIBILITY_TIMEOUT_SECS.to_string(),
        )
        .send()
        .await
        .map_err(|e| err("CreateQueue webhook", e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    Ok((queue_url, dlq_url))
}

/// The notifier's on-failure destination.
pub(super) async fn notify_dlq(sdk: &SdkConfig) -> Result<String, LocalError> {
    Ok(aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(NOTIFY_DLQ)
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| err("CreateQueue notify", e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned())
}

/// The events topic, encrypted with the data key.
pub(super) async fn topic(sdk: &SdkConfig, kms_key_id: &str) -> Result<String, LocalError> {
    Ok(aws_sdk_sns::Client::new(sdk)
        .create_topic()
        .name(TOPIC)
        .attributes("KmsMasterKeyId", kms_key_id)
        .send()
        .await
        .map_err(|e| err("CreateTopic", e))?
        .topic_arn()
        .unwrap_or_default()
        .to_owned())
}

/// The integrators' custom event bus, as the template's `EventBus`.
pub(super) async fn event_bus(sdk: &SdkConfig) -> Result<String, LocalError> {
    let made = aws_sdk_eventbridge::Client::new(sdk)
        .create_event_bus()
        .name(EVENT_BUS)
        .send()
        .await;
    match made {
        Ok(_) => Ok(EVENT_BUS.to_owned()),
        // A stack joining an emulator that an earlier one provisioned.
        Err(e) if code_of(&e) == Some("ResourceAlreadyExistsException") => Ok(EVENT_BUS.to_owned()),
        Err(e) => Err(err("CreateEventBus", e)),
    }
}

/// SES sends only from a verified identity.
pub(super) async fn mail_sender(sdk: &SdkConfig) -> Result<(), LocalError> {
    aws_sdk_ses::Client::new(sdk)
        .verify_email_identity()
        .email_address(MAIL_SENDER)
        .send()
        .await
        .map_err(|e| err("VerifyEmailIdentity", e))?;
    Ok(())
}
