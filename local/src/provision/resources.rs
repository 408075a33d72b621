//! What provisioning made (the ready line's `resources`), and `provision`, which makes it step
//! by step in dependency order.

use aws_config::SdkConfig;
use serde::Serialize;

use super::bucket::{bucket, bucket_notification};
use super::cognito::user_pool;
use super::kms::kms_key;
use super::messaging::{
    event_bus, mail_sender, notify_dlq, queues, scan_queues, topic, webhook_queues,
};
use super::shapes::{
    API_KEYS_TABLE, AUDIT_TABLE, BUCKET, DOWNLOAD_LOG_TABLE, FILES_TABLE, LINKS_TABLE, MAIL_SENDER,
    QUOTAS_TABLE, RATE_LIMIT_TABLE, SHARES_TABLE, UPLOAD_LOG_TABLE, WEBHOOKS_TABLE,
};
use super::tables::{stream_arn, tables};
use crate::error::LocalError;

#[derive(Debug, Clone, Serialize)]
pub struct Tables {
    pub files: String,
    pub quotas: String,
    pub upload_log: String,
    pub links: String,
    pub rate_limits: String,
    pub shares: String,
    pub download_log: String,
    pub audit: String,
    pub api_keys: String,
    pub webhooks: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    pub bucket: String,
    pub queue_url: String,
    pub dlq_url: String,
    pub notify_dlq_url: String,
    /// Malware scan results, in GuardDuty's shape, for the worker.
    pub scan_queue_url: String,
    pub scan_dlq_url: String,
    /// Webhook deliveries, for the deliverer.
    pub webhook_queue_url: String,
    pub webhook_dlq_url: String,
    /// The plan whose results the worker applies (the local scanner's).
    pub scan_plan_arn: String,
    /// `"clamd"` or `"off"`: set by the stack once its scanner runs (or does not).
    pub scanner: String,
    /// The upload log's change stream (the notification outbox).
    pub upload_log_stream_arn: String,
    pub topic_arn: String,
    /// The integrators' event bus, by name.
    pub event_bus_name: String,
    pub tables: Tables,
    pub user_pool_id: String,
    pub user_pool_client_id: String,
    pub kms_key_id: String,
    pub mail_sender: String,
}

pub async fn provision(sdk: &SdkConfig, cors_origins: &[String]) -> Result<Resources, LocalError> {
    let kms_key_id = kms_key(sdk).await?;
    bucket(sdk, &kms_key_id, cors_origins).await?;
    tables(sdk).await?;
    let (queue_url, dlq_url, queue_arn) = queues(sdk).await?;
    let notify_dlq_url = notify_dlq(sdk).await?;
    let (scan_queue_url, scan_dlq_url) = scan_queues(sdk).await?;
    let (webhook_queue_url, webhook_dlq_url) = webhook_queues(sdk).await?;
    let upload_log_stream_arn = stream_arn(&aws_sdk_dynamodb::Client::new(sdk), UPLOAD_LOG_TABLE)
        .await?
        .ok_or_else(|| LocalError::Provision("the upload log has no stream".into()))?;
    bucket_notification(sdk, &queue_arn).await?;
    let topic_arn = topic(sdk, &kms_key_id).await?;
    let event_bus_name = event_bus(sdk).await?;
    mail_sender(sdk).await?;
    let (user_pool_id, user_pool_client_id) = user_pool(sdk).await?;
    Ok(Resources {
        bucket: BUCKET.into(),
        queue_url,
        dlq_url,
        notify_dlq_url,
        scan_queue_url,
        scan_dlq_url,
        webhook_queue_url,
        webhook_dlq_url,
        scan_plan_arn: crate::scanner::PLAN_ARN.into(),
        scanner: crate::scanner::Mode::Off.as_str().into(),
        upload_log_stream_arn,
        topic_arn,
        event_bus_name,
        tables: Tables {
            files: FILES_TABLE.into(),
            quotas: QUOTAS_TABLE.into(),
            upload_log: UPLOAD_LOG_TABLE.into(),
            links: LINKS_TABLE.into(),
            rate_limits: RATE_LIMIT_TABLE.into(),
            shares: SHARES_TABLE.into(),
            download_log: DOWNLOAD_LOG_TABLE.into(),
            audit: AUDIT_TABLE.into(),
            api_keys: API_KEYS_TABLE.into(),
            webhooks: WEBHOOKS_TABLE.into(),
        },
        user_pool_id,
        user_pool_client_id,
        kms_key_id,
        mail_sender: MAIL_SENDER.into(),
    })
}
