//! Provisions the emulator the way template.yaml provisions AWS (names in docs/RESOURCES.md).
//! Every step is idempotent, so a stack can join an emulator that is already provisioned.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, SseSpecification, SseType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::types::{
    CorsConfiguration, CorsRule, Event, FilterRule, FilterRuleName, NotificationConfiguration,
    NotificationConfigurationFilter, PublicAccessBlockConfiguration, QueueConfiguration,
    S3KeyFilter, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;

use crate::error::LocalError;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
pub const BUCKET: &str = "dropgate-uploads";
pub const QUEUE: &str = "dropgate-uploads";
pub const DLQ: &str = "dropgate-uploads-dlq";
/// The notifier's on-failure destination: stream records it could not deliver after retries.
pub const NOTIFY_DLQ: &str = "dropgate-notify-failures";
pub const TOPIC: &str = "dropgate-events";
pub const FILES_TABLE: &str = "dropgate-files";
pub const QUOTAS_TABLE: &str = "dropgate-quotas";
pub const UPLOAD_LOG_TABLE: &str = "dropgate-upload-log";
pub const LINKS_TABLE: &str = "dropgate-links";
pub const RATE_LIMIT_TABLE: &str = "dropgate-rate-limits";
pub const SHARES_TABLE: &str = "dropgate-shares";
pub const DOWNLOAD_LOG_TABLE: &str = "dropgate-download-log";
pub const USER_POOL: &str = "dropgate-users";
pub const USER_POOL_CLIENT: &str = "dropgate-web";
pub const KMS_ALIAS: &str = "alias/dropgate";
pub const MAIL_SENDER: &str = "dropgate@example.com";
/// The TTL attribute of every table but the links and shares tables (the download log's
/// entries carry it only when they hold the downloader's address).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// The links table's TTL attribute: links and receipts are purged 90 days after the link expired
/// (its `expires_at` is the link's own expiry, an RFC 3339 string, not a TTL).
pub const LINKS_TTL_ATTRIBUTE: &str = "purge_at";
/// The shares table's TTL attribute: shares are purged 90 days after they expired (like links,
/// `expires_at` is the share's own expiry, an RFC 3339 string).
pub const SHARES_TTL_ATTRIBUTE: &str = "purge_at";
pub const MAX_RECEIVE_COUNT: u32 = 5;
/// Short locally, so a failed message is retried within seconds
/// (`LOCAL_VISIBILITY_TIMEOUT_SECS` overrides it, for tests of the dead-letter path).
pub const VISIBILITY_TIMEOUT_SECS: u32 = 5;

fn visibility_timeout() -> String {
    std::env::var("LOCAL_VISIBILITY_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(VISIBILITY_TIMEOUT_SECS)
        .to_string()
}

#[derive(Debug, Clone, Serialize)]
pub struct Tables {
    pub files: String,
    pub quotas: String,
    pub upload_log: String,
    pub links: String,
    pub rate_limits: String,
    pub shares: String,
    pub download_log: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    pub bucket: String,
    pub queue_url: String,
    pub dlq_url: String,
    pub notify_dlq_url: String,
    /// The upload log's change stream (the notification outbox).
    pub upload_log_stream_arn: String,
    pub topic_arn: String,
    pub tables: Tables,
    pub user_pool_id: String,
    pub user_pool_client_id: String,
    pub kms_key_id: String,
    pub mail_sender: String,
}

/// SDK configuration for the emulator: fixed test credentials, the emulator's endpoint.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(dropgate_infra::aws::https_client())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "dropgate-local",
        ))
        .load()
        .await
}

fn err(step: &str, e: impl std::fmt::Debug) -> LocalError {
    LocalError::Provision(format!("{step}: {e:?}"))
}

fn code_of<E: aws_sdk_s3::error::ProvideErrorMetadata, R>(
    e: &aws_sdk_s3::error::SdkError<E, R>,
) -> Option<&str> {
    e.as_service_error().and_then(|s| s.code())
}

pub async fn provision(sdk: &SdkConfig, cors_origins: &[String]) -> Result<Resources, LocalError> {
    let kms_key_id = kms_key(sdk).await?;
    bucket(sdk, &kms_key_id, cors_origins).await?;
    tables(sdk).await?;
    let (queue_url, dlq_url, queue_arn) = queues(sdk).await?;
    let notify_dlq_url = aws_sdk_sqs::Client::new(sdk)
        .create_queue()
        .queue_name(NOTIFY_DLQ)
        .attributes(QueueAttributeName::MessageRetentionPeriod, "1209600")
        .send()
        .await
        .map_err(|e| err("CreateQueue notify", e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let upload_log_stream_arn = stream_arn(&aws_sdk_dynamodb::Client::new(sdk), UPLOAD_LOG_TABLE)
        .await?
        .ok_or_else(|| LocalError::Provision("the upload log has no stream".into()))?;
    bucket_notification(sdk, &queue_arn).await?;
    let topic_arn = aws_sdk_sns::Client::new(sdk)
        .create_topic()
        .name(TOPIC)
        .attributes("KmsMasterKeyId", &kms_key_id)
        .send()
        .await
        .map_err(|e| err("CreateTopic", e))?
        .topic_arn()
        .unwrap_or_default()
        .to_owned();
    aws_sdk_ses::Client::new(sdk)
        .verify_email_identity()
        .email_address(MAIL_SENDER)
        .send()
        .await
        .map_err(|e| err("VerifyEmailIdentity", e))?;
    let (user_pool_id, user_pool_client_id) = user_pool(sdk).await?;
    Ok(Resources {
        bucket: BUCKET.into(),
        queue_url,
        dlq_url,
        notify_dlq_url,
        upload_log_stream_arn,
        topic_arn,
        tables: Tables {
            files: FILES_TABLE.into(),
            quotas: QUOTAS_TABLE.into(),
            upload_log: UPLOAD_LOG_TABLE.into(),
            links: LINKS_TABLE.into(),
            rate_limits: RATE_LIMIT_TABLE.into(),
            shares: SHARES_TABLE.into(),
            download_log: DOWNLOAD_LOG_TABLE.into(),
        },
        user_pool_id,
        user_pool_client_id,
        kms_key_id,
        mail_sender: MAIL_SENDER.into(),
    })
}

async fn kms_key(sdk: &SdkConfig) -> Result<String, LocalError> {
    let kms = aws_sdk_kms::Client::new(sdk);
    if let Ok(d) = kms.describe_key().key_id(KMS_ALIAS).send().await
        && let Some(id) = d.key_metadata().map(|m| m.key_id())
    {
        return Ok(id.to_owned());
    }
    let key = kms
        .create_key()
        .description("Dropgate data key (local)")
        .send()
        .await
        .map_err(|e| err("CreateKey", e))?;
    let id = key
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .unwrap_or_default();
    kms.enable_key_rotation()
        .key_id(&id)
        .send()
        .await
        .map_err(|e| err("EnableKeyRotation", e))?;
    kms.create_alias()
        .alias_name(KMS_ALIAS)
        .target_key_id(&id)
        .send()
        .await
        .map_err(|e| err("CreateAlias", e))?;
    Ok(id)
}

async fn bucket(
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

fn key(name: &str, t: KeyType) -> Result<KeySchemaElement, LocalError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(t)
        .build()
        .map_err(|e| err("key", e))
}

fn attr(name: &str) -> Result<AttributeDefinition, LocalError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| err("attribute", e))
}

/// A table's keys, indexes and TTL attribute, as template.yaml declares them.
pub struct TableShape {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: Option<&'static str>,
    pub indexes: &'static [IndexShape],
    pub ttl_attribute: &'static str,
    /// A change stream of new images (the upload log's: the notification outbox).
    pub stream: bool,
}

/// A global secondary index (projection ALL).
pub struct IndexShape {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: Option<&'static str>,
}

pub const TABLE_SHAPES: &[TableShape] = &[
    TableShape {
        name: FILES_TABLE,
        partition_key: "owner",
        sort_key: Some("file_id"),
        indexes: &[
            // Sparse: only pending files carry pending_shard.
            IndexShape {
                name: "pending-by-deadline",
                partition_key: "pending_shard",
                sort_key: Some("upload_expires_at"),
            },
            // Sparse: only files that came through an upload link carry via_link.
            IndexShape {
                name: "by-link",
                partition_key: "via_link",
                sort_key: Some("file_id"),
            },
        ],
        ttl_attribute: TTL_ATTRIBUTE,
        stream: false,
    },
    TableShape {
        name: QUOTAS_TABLE,
        partition_key: "owner",
        sort_key: None,
        indexes: &[],
        ttl_attribute: TTL_ATTRIBUTE,
        stream: false,
    },
    TableShape {
        name: UPLOAD_LOG_TABLE,
        partition_key: "owner",
        sort_key: Some("entry"),
        indexes: &[],
        ttl_attribute: TTL_ATTRIBUTE,
        stream: true,
    },
    TableShape {
        name: LINKS_TABLE,
        partition_key: "owner",
        sort_key: Some("item"),
        // Link tokens and receipts, by their SHA-256.
        indexes: &[IndexShape {
            name: "by-token",
            partition_key: "token_hash",
            sort_key: None,
        }],
        ttl_attribute: LINKS_TTL_ATTRIBUTE,
        stream: false,
    },
    TableShape {
        name: RATE_LIMIT_TABLE,
        partition_key: "key",
        sort_key: None,
        indexes: &[],
        ttl_attribute: TTL_ATTRIBUTE,
        stream: false,
    },
    TableShape {
        name: SHARES_TABLE,
        partition_key: "owner",
        sort_key: Some("share_id"),
        indexes: &[
            // Share tokens, by their SHA-256.
            IndexShape {
                name: "by-token",
                partition_key: "token_hash",
                sort_key: None,
            },
            // One file's shares: file_key is "<owner>#<file id>".
            IndexShape {
                name: "by-file",
                partition_key: "file_key",
                sort_key: Some("share_id"),
            },
        ],
        ttl_attribute: SHARES_TTL_ATTRIBUTE,
        stream: false,
    },
    TableShape {
        name: DOWNLOAD_LOG_TABLE,
        partition_key: "share_id",
        sort_key: Some("entry"),
        indexes: &[],
        ttl_attribute: TTL_ATTRIBUTE,
        stream: false,
    },
];

/// The attributes a table's keys and indexes use, each once (DynamoDB refuses duplicates).
fn attribute_definitions(t: &TableShape) -> Result<Vec<AttributeDefinition>, LocalError> {
    let mut names: Vec<&str> = vec![t.partition_key];
    names.extend(t.sort_key);
    for index in t.indexes {
        names.push(index.partition_key);
        names.extend(index.sort_key);
    }
    let mut defs = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if !names[..i].contains(name) {
            defs.push(attr(name)?);
        }
    }
    Ok(defs)
}

fn index_keys(index: &IndexShape) -> Result<Vec<KeySchemaElement>, LocalError> {
    let mut keys = vec![key(index.partition_key, KeyType::Hash)?];
    if let Some(sk) = index.sort_key {
        keys.push(key(sk, KeyType::Range)?);
    }
    Ok(keys)
}

fn projection_all() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

async fn tables(sdk: &SdkConfig) -> Result<(), LocalError> {
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    for t in TABLE_SHAPES {
        let mut keys = vec![key(t.partition_key, KeyType::Hash)?];
        if let Some(sk) = t.sort_key {
            keys.push(key(sk, KeyType::Range)?);
        }
        let mut req = ddb
            .create_table()
            .table_name(t.name)
            .billing_mode(BillingMode::PayPerRequest)
            .sse_specification(
                SseSpecification::builder()
                    .enabled(true)
                    .sse_type(SseType::Kms)
                    .build(),
            )
            .set_attribute_definitions(Some(attribute_definitions(t)?))
            .set_key_schema(Some(keys));
        if t.stream {
            req = req.stream_specification(new_images());
        }
        for index in t.indexes {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(index_keys(index)?))
                    .projection(projection_all())
                    .build()
                    .map_err(|e| err("gsi", e))?,
            );
        }
        match req.send().await {
            Ok(_) => {}
            // Provisioned before (possibly by an older version): add the indexes it lacks.
            Err(e) if code_of(&e) == Some("ResourceInUseException") => {
                missing_indexes(&ddb, t).await?;
                missing_stream(&ddb, t).await?;
                continue;
            }
            Err(e) => return Err(err("CreateTable", e)),
        }
        ddb.update_time_to_live()
            .table_name(t.name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(t.ttl_attribute)
                    .enabled(true)
                    .build()
                    .map_err(|e| err("ttl", e))?,
            )
            .send()
            .await
            .map_err(|e| err("UpdateTimeToLive", e))?;
    }
    Ok(())
}

/// Creates the indexes of `t` that its existing table lacks, as a deploy of template.yaml does
/// on a stack created before they existed (one index per UpdateTable, as DynamoDB requires).
async fn missing_indexes(ddb: &aws_sdk_dynamodb::Client, t: &TableShape) -> Result<(), LocalError> {
    let described = ddb
        .describe_table()
        .table_name(t.name)
        .send()
        .await
        .map_err(|e| err("DescribeTable", e))?;
    let existing: Vec<&str> = described
        .table()
        .map(|d| d.global_secondary_indexes())
        .unwrap_or_default()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    for index in t.indexes {
        if existing.contains(&index.name) {
            continue;
        }
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(index.name)
            .set_key_schema(Some(index_keys(index)?))
            .projection(projection_all())
            .build()
            .map_err(|e| err("gsi", e))?;
        ddb.update_table()
            .table_name(t.name)
            .set_attribute_definitions(Some(attribute_definitions(t)?))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            )
            .send()
            .await
            .map_err(|e| err(&format!("UpdateTable {} (index {})", t.name, index.name), e))?;
    }
    Ok(())
}

fn new_images() -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewImage)
        .build()
        .unwrap_or_else(|_| unreachable!("both fields are set"))
}

/// Turns on the stream of a table provisioned before it had one.
async fn missing_stream(ddb: &aws_sdk_dynamodb::Client, t: &TableShape) -> Result<(), LocalError> {
    if !t.stream || stream_arn(ddb, t.name).await?.is_some() {
        return Ok(());
    }
    ddb.update_table()
        .table_name(t.name)
        .stream_specification(new_images())
        .send()
        .await
        .map_err(|e| err(&format!("UpdateTable {} (stream)", t.name), e))?;
    Ok(())
}

/// The table's current change stream, if it has one.
pub async fn stream_arn(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<Option<String>, LocalError> {
    let d = ddb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| err("DescribeTable", e))?;
    Ok(d.table()
        .filter(|t| t.stream_specification().is_some_and(|s| s.stream_enabled()))
        .and_then(|t| t.latest_stream_arn())
        .map(str::to_owned))
}

pub fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
}

async fn queues(sdk: &SdkConfig) -> Result<(String, String, String), LocalError> {
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

async fn bucket_notification(sdk: &SdkConfig, queue_arn: &str) -> Result<(), LocalError> {
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

async fn user_pool(sdk: &SdkConfig) -> Result<(String, String), LocalError> {
    use aws_sdk_cognitoidentityprovider::types::{
        ExplicitAuthFlowsType, PasswordPolicyType, UserPoolPolicyType, UsernameAttributeType,
        VerifiedAttributeType,
    };
    let idp = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let pools = idp
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .map_err(|e| err("ListUserPools", e))?;
    let existing = pools
        .user_pools()
        .iter()
        .find(|p| p.name() == Some(USER_POOL))
        .and_then(|p| p.id().map(str::to_owned));
    let pool_id = match existing {
        Some(id) => id,
        None => idp
            .create_user_pool()
            .pool_name(USER_POOL)
            .username_attributes(UsernameAttributeType::Email)
            .auto_verified_attributes(VerifiedAttributeType::Email)
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .minimum_length(8)
                            .require_uppercase(true)
                            .require_lowercase(true)
                            .require_numbers(true)
                            .require_symbols(false)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| err("CreateUserPool", e))?
            .user_pool()
            .and_then(|p| p.id().map(str::to_owned))
            .unwrap_or_default(),
    };
    let clients = idp
        .list_user_pool_clients()
        .user_pool_id(&pool_id)
        .max_results(60)
        .send()
        .await
        .map_err(|e| err("ListUserPoolClients", e))?;
    if let Some(id) = clients
        .user_pool_clients()
        .iter()
        .find(|c| c.client_name() == Some(USER_POOL_CLIENT))
        .and_then(|c| c.client_id())
    {
        return Ok((pool_id, id.to_owned()));
    }
    let client_id = idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(USER_POOL_CLIENT)
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .map_err(|e| err("CreateUserPoolClient", e))?
        .user_pool_client()
        .and_then(|c| c.client_id().map(str::to_owned))
        .unwrap_or_default();
    Ok((pool_id, client_id))
}
