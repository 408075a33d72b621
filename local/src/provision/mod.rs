//! Provisions the emulator the way template.yaml provisions AWS (names in docs/RESOURCES.md).
//! Every step is idempotent, so a stack can join an emulator that is already provisioned.
//!
//! `shapes` is the declarative catalogue (names, table shapes, queue settings) that the drift
//! test holds against template.yaml; `resources` runs the steps in order; the other modules
//! hold the SDK calls, one per kind of resource.

mod bucket;
mod cognito;
mod kms;
mod messaging;
mod resources;
mod sdk;
mod shapes;
mod tables;

pub use cognito::promote_admins;

pub use resources::{Resources, Tables, provision};
pub use sdk::sdk_config;
pub use shapes::{
    ACCOUNT, ADMINS_GROUP, API_KEYS_TABLE, API_KEYS_TTL_ATTRIBUTE, AUDIT_TABLE, BUCKET, DLQ,
    DOWNLOAD_LOG_TABLE, EVENT_BUS, FILES_TABLE, IndexShape, KMS_ALIAS, LINKS_TABLE,
    LINKS_TTL_ATTRIBUTE, MAIL_SENDER, MAX_RECEIVE_COUNT, NOTIFY_DLQ, QUEUE, QUOTAS_TABLE,
    RATE_LIMIT_TABLE, REGION, SCAN_DLQ, SCAN_QUEUE, SHARES_TABLE, SHARES_TTL_ATTRIBUTE,
    TABLE_SHAPES, TOPIC, TTL_ATTRIBUTE, TableShape, UPLOAD_LOG_TABLE, USER_POOL, USER_POOL_CLIENT,
    VISIBILITY_TIMEOUT_SECS, WEBHOOK_DLQ, WEBHOOK_QUEUE, WEBHOOKS_TABLE, queue_arn,
};
pub use tables::stream_arn;
