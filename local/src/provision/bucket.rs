//! The upload bucket: encrypted with the data key, private, open to the web client's origins
//! for PUT and GET, and telling the queue about each new upload.

use aws_config::SdkConfig;
use aws_sdk_s3::types::{
    CorsConfiguration, CorsRule, Event, FilterRule, FilterRuleName, NotificationConfiguration,
    NotificationConfigurationFilter, PublicAccessBlockConfiguration, QueueConfiguration,
    S3KeyFilter, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};

use super::sdk::{code_of, err};
use super::shapes::BUCKET;
use crate::error::LocalError;

pub(super) async fn bucket(
    sdk: &SdkConfig,
    kms_key_id: &str,
    cors_origins: &[String],
) -> Result<(), LocalError> {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    );
    if let Err(e) = s3.create_bucket().bucket(BUCKET).send().await
        && !matches!(
            code_of(&e),
            Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
        )
    {
        return Err(err("CreateBucket", e));
    }

    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id(kms_key_id)
        .build()
        .map_err(|e| err("encryption", e))?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .bucket_key_enabled(true)
        .build();
    s3.put_bucket_encryption()
        .bucket(BUCKET)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .map_err(|e| err("encryption", e))?,
        )
        .send()
        .await
        .map_err(|e| err("PutBucketEncryption", e))?;
    s3.put_public_access_block()
        .bucket(BUCKET)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(|e| err("PutPublicAccessBlock", e))?;
    let cors = CorsRule::builder()
        .set_allowed_origins(Some(cors_origins.to_vec()))
        .allowed_methods("PUT")
        .allowed_methods("GET")
        .allowed_methods("HEAD")
        .allowed_headers("content-type")
        .allowed_headers("content-length")
        .allowed_headers("if-none-match")
        .expose_headers("etag")
        .max_age_seconds(600)
        .build()
        .map_err(|e| err("cors", e))?;
    s3.put_bucket_cors()
        .bucket(BUCKET)
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(cors)
                .build()
                .map_err(|e| err("cors", e))?,
        )
        .send()
        .await
        .map_err(|e| err("PutBucketCors", e))?;
    Ok(())
}

pub(super) async fn bucket_notification(
    sdk: &SdkConfig,
    queue_arn: &str,
) -> Result<(), LocalError> {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    );
    let filter = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value(dropgate_core::keys::UPLOADS_PREFIX)
                        .build(),
                )
                .build(),
        )
        .build();
    let qc = QueueConfiguration::builder()
        .id("uploads-to-queue")
        .queue_arn(queue_arn)
        .events(Event::from("s3:ObjectCreated:*"))
        .filter(filter)
        .build()
        .map_err(|e| err("notification", e))?;
    s3.put_bucket_notification_configuration()
        .bucket(BUCKET)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(qc)
                .build(),
        )
        .send()
        .await
        .map_err(|e| err("PutBucketNotificationConfiguration", e))?;
    Ok(())
}
