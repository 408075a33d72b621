//! The catalogue of what provisioning makes, declared as data: resource names, each table's
//! keys, indexes, TTL attribute and stream, and the queues' settings. The drift test
//! (local/tests/stack/template_sync.rs) holds it against template.yaml; index names are the
//! ones the infra adapters query.

use dropgate_infra::dynamo::{apikeys, expiry, files, links, review, shares};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
pub const BUCKET: &str = "dropgate-uploads";
pub const QUEUE: &str = "dropgate-uploads";
pub const DLQ: &str = "dropgate-uploads-dlq";
/// Malware scan results (GuardDuty's events; locally the scanner's), for the worker.
pub const SCAN_QUEUE: &str = "dropgate-scan-results";
pub const SCAN_DLQ: &str = "dropgate-scan-results-dlq";
/// The notifier's on-failure destination: stream records it could not deliver after retries.
pub const NOTIFY_DLQ: &str = "dropgate-notify-failures";
/// Webhook deliveries (the notifier's fan-out, tests and redeliveries), for the deliverer.
pub const WEBHOOK_QUEUE: &str = "dropgate-webhook-deliveries";
pub const WEBHOOK_DLQ: &str = "dropgate-webhook-deliveries-dlq";
pub const TOPIC: &str = "dropgate-events";
/// The integrators' event bus (EventBridge).
pub const EVENT_BUS: &str = "dropgate-bus";
pub const FILES_TABLE: &str = "dropgate-files";
pub const QUOTAS_TABLE: &str = "dropgate-quotas";
pub const UPLOAD_LOG_TABLE: &str = "dropgate-upload-log";
pub const LINKS_TABLE: &str = "dropgate-links";
pub const RATE_LIMIT_TABLE: &str = "dropgate-rate-limits";
pub const SHARES_TABLE: &str = "dropgate-shares";
pub const DOWNLOAD_LOG_TABLE: &str = "dropgate-download-log";
pub const AUDIT_TABLE: &str = "dropgate-audit";
pub const API_KEYS_TABLE: &str = "dropgate-api-keys";
pub const WEBHOOKS_TABLE: &str = "dropgate-webhooks";
pub const USER_POOL: &str = "dropgate-users";
pub const USER_POOL_CLIENT: &str = "dropgate-web";
/// The Cognito group whose members are admins (template.yaml `AdminsGroup`).
pub const ADMINS_GROUP: &str = "admins";
pub const KMS_ALIAS: &str = "alias/dropgate";
pub const MAIL_SENDER: &str = "dropgate@example.com";
/// The TTL attribute of every table but the links and shares tables (the download log's
/// entries carry it only when they hold the downloader's address).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// The links table's TTL attribute: links and receipts are purged 90 days after the link expired
/// (its `expires_at` is the link's own expiry, an RFC 3339 string, not a TTL).
pub const LINKS_TTL_ATTRIBUTE: &str = "purge_at";
/// The API tokens table's TTL attribute: tokens are purged 30 days after they expired
/// (`expires_at` is the token's own expiry, an RFC 3339 string).
pub const API_KEYS_TTL_ATTRIBUTE: &str = "purge_at";
/// The shares table's TTL attribute: shares are purged 90 days after they expired (like links,
/// `expires_at` is the share's own expiry, an RFC 3339 string).
pub const SHARES_TTL_ATTRIBUTE: &str = "purge_at";
pub const MAX_RECEIVE_COUNT: u32 = 5;
/// Short locally, so a failed message is retried within seconds
/// (`LOCAL_VISIBILITY_TIMEOUT_SECS` overrides it, for tests of the dead-letter path).
pub const VISIBILITY_TIMEOUT_SECS: u32 = 5;
/// The webhook deliveries' queue holds a message longer, past the deliverer's 10 s timeout:
/// with 5 s, a batch still waiting on a receiver that never answers was handed out again and
/// its attempt made a second time while the first was in flight.
pub const WEBHOOK_VISIBILITY_TIMEOUT_SECS: u32 = 30;

/// The ARN of the queue `name` in the emulator's account.
pub fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
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
                name: files::PENDING_INDEX,
                partition_key: "pending_shard",
                sort_key: Some("upload_expires_at"),
            },
            // Sparse: only live files with a delete_after carry retention_shard.
            IndexShape {
                name: dropgate_infra::dynamo::retention::RETENTION_INDEX,
                partition_key: "retention_shard",
                sort_key: Some("delete_after"),
            },
            // Sparse: only records whose deletion for good began carry deleting_shard.
            IndexShape {
                name: dropgate_infra::dynamo::marked::MARKED_INDEX,
                partition_key: "deleting_shard",
                sort_key: Some("deleting_at"),
            },
            // Sparse: only files that came through an upload link carry via_link.
            IndexShape {
                name: links::LINK_FILES_INDEX,
                partition_key: "via_link",
                sort_key: Some("file_id"),
            },
            // Every file by its status, newest first: the operator's review queue.
            IndexShape {
                name: review::STATUS_INDEX,
                partition_key: "status",
                sort_key: Some("created_at"),
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
        indexes: &[
            IndexShape {
                name: links::TOKEN_INDEX,
                partition_key: "token_hash",
                sort_key: None,
            },
            // Links (and their receipts) by link id alone: an operator's revoke.
            IndexShape {
                name: review::LINK_ID_INDEX,
                partition_key: "link_id",
                sort_key: None,
            },
            // Sparse: links whose expiry the janitor has still to close.
            IndexShape {
                name: expiry::EXPIRY_INDEX,
                partition_key: "expiry_shard",
                sort_key: Some("expires_at"),
            },
        ],
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
                name: shares::SHARE_TOKEN_INDEX,
                partition_key: "token_hash",
                sort_key: None,
            },
            // One file's shares: file_key is "<owner>#<file id>".
            IndexShape {
                name: shares::SHARE_FILE_INDEX,
                partition_key: "file_key",
                sort_key: Some("share_id"),
            },
            // Sparse: shares whose expiry the janitor has still to close.
            IndexShape {
                name: expiry::EXPIRY_INDEX,
                partition_key: "expiry_shard",
                sort_key: Some("expires_at"),
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
    // The audit log's chain: `stream` is "entry#<seq / 1000>" for entries (partitions of 1000
    // seqs), "head" for the one head item;
    // `seq` is the entry's number in 20 digits.
    // API tokens by their secret's SHA-256 (`pk`), and the files upload tokens created
    // (`created#<token>#<file>`, outside the index).
    TableShape {
        name: API_KEYS_TABLE,
        partition_key: "pk",
        sort_key: None,
        indexes: &[IndexShape {
            name: apikeys::OWNER_INDEX,
            partition_key: "owner",
            sort_key: Some("created_at"),
        }],
        ttl_attribute: API_KEYS_TTL_ATTRIBUTE,
        stream: false,
    },
    TableShape {
        name: AUDIT_TABLE,
        partition_key: "stream",
        sort_key: Some("seq"),
        indexes: &[],
        ttl_attribute: TTL_ATTRIBUTE,
        stream: false,
    },
    // Owners' webhooks: `sk` is "hook#<id>" for a registration, "count" for the owner's count.
    TableShape {
        name: WEBHOOKS_TABLE,
        partition_key: "owner",
        sort_key: Some("sk"),
        indexes: &[],
        ttl_attribute: TTL_ATTRIBUTE,
        stream: false,
    },
];
