//! Integration tests of the share-links adapter against the emulator: `DynamoShares` keeps the
//! shares contract (`dropgate_core::contract::shares`, which the in-memory `MemShares` keeps
//! too), and what the contract cannot see through the port: the items as stored (TTL
//! attributes, the index keys, the outbox entry as the notifier reads it back) and that a share
//! is never written over. Each test starts its own emulator, provisioned as the local stack is.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use dropgate_core::contract::share_lockout;
use dropgate_core::contract::shares::{Announced, BoxFuture, check_all};
use dropgate_core::notify::{Announcement, EventType, LifecycleEntry, OutboxEntry, ShareNotice};
use dropgate_core::shares::{DownloadCount, DownloadEntry, Share, ShareStore};
use dropgate_core::{FileId, FileRecord, OwnerId, ShareId, tokens};
use dropgate_infra::dynamo::outbox::image_json;
use dropgate_infra::dynamo::outbox_lifecycle::announcement_from_image;
use dropgate_infra::dynamo::shares::DynamoShares;

use crate::infra_adapters::{Env, env};

pub(crate) fn shares(e: &Env) -> DynamoShares {
    DynamoShares {
        client: e.clients.dynamodb().clone(),
        shares_table: e.r.tables.shares.clone(),
        download_log_table: e.r.tables.download_log.clone(),
        log_table: e.r.tables.upload_log.clone(),
    }
}

/// The upload log, as the notifier reads it (through a stream image).
pub(crate) struct UploadLog {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl Announced for UploadLog {
    fn announced<'a>(&'a self, owner: &'a OwnerId) -> BoxFuture<'a, Vec<OutboxEntry>> {
        Box::pin(async move {
            let all = self.all(owner).await;
            all.into_iter()
                .filter_map(|a| match a {
                    Announcement::File(e) => Some(*e),
                    Announcement::Lifecycle(_) | Announcement::Reminder(_) => None,
                })
                .collect()
        })
    }

    fn lifecycle<'a>(&'a self, owner: &'a OwnerId) -> BoxFuture<'a, Vec<LifecycleEntry>> {
        Box::pin(async move {
            let all = self.all(owner).await;
            all.into_iter()
                .filter_map(|a| match a {
                    Announcement::Lifecycle(e) => Some(e),
                    Announcement::File(_) | Announcement::Reminder(_) => None,
                })
                .collect()
        })
    }
}

impl UploadLog {
    async fn all(&self, owner: &OwnerId) -> Vec<Announcement> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#o = :o")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":o", Av::S(owner.to_string()))
            .consistent_read(true)
            .send()
            .await
            .expect("query the upload log");
        // Sorted by `entry`, the entry's id.
        out.items()
            .iter()
            .map(|i| announcement_from_image(&image_json(i)).expect("an outbox entry"))
            .collect()
    }
}

pub(crate) fn upload_log(e: &Env) -> UploadLog {
    UploadLog {
        client: e.clients.dynamodb().clone(),
        table: e.r.tables.upload_log.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_share_store_keeps_the_contract() {
    let e = env().await;
    check_all(&shares(&e), &upload_log(&e), "ddb", Utc::now()).await;
    share_lockout::check_all(&shares(&e), &upload_log(&e), "ddb", Utc::now()).await;
    dropgate_core::contract::share_events::check_all(
        &shares(&e),
        &upload_log(&e),
        "ddb",
        Utc::now(),
    )
    .await;
    dropgate_core::contract::edits::shares_are_edited_while_live_and_removed_once_ended(
        &shares(&e),
        "ddb",
        Utc::now(),
    )
    .await;
}

/// Now, at the millisecond precision records are stored with.
fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .unwrap()
}

async fn raw(e: &Env, table: &str, key: &[(&str, &str)]) -> Option<HashMap<String, Av>> {
    let mut get = e
        .clients
        .dynamodb()
        .get_item()
        .table_name(table)
        .consistent_read(true);
    for (k, v) in key {
        get = get.key(*k, Av::S(v.to_string()));
    }
    get.send().await.unwrap().item().cloned()
}

fn num(item: &HashMap<String, Av>, k: &str) -> Option<i64> {
    item.get(k)?.as_n().ok()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_carry_their_index_keys_and_ttls_and_are_never_written_over() {
    let e = env().await;
    let store = shares(&e);
    let t = now();
    let ada = OwnerId::parse("owner-ada").unwrap();
    let sh = Share {
        id: ShareId::parse("s01").unwrap(),
        owner: ada.clone(),
        file_id: FileId::parse("f01").unwrap(),
        label: None,
        token_hash: tokens::hash("tok-1"),
        token_sealed: None,
        created_at: t,
        expires_at: t + TimeDelta::days(2),
        max_downloads: Some(5),
        downloads: 0,
        password_hash: None,
        notify_owner: true,
        owner_email: Some("ada@example.com".into()),
        revoked: false,
        mailed_at: None,
        failures: 0,
        locked_until: None,
        // A share of one version keeps its number.
        version: Some(2),
    };
    store.put_share(&sh).await.unwrap();
    let mut other = sh.clone();
    other.token_hash = tokens::hash("tok-2");
    assert!(
        store.put_share(&other).await.is_err(),
        "a share is never written over"
    );
    assert_eq!(
        store.get_share(&ada, &sh.id).await.unwrap(),
        Some(sh.clone())
    );

    let item = raw(
        &e,
        &e.r.tables.shares,
        &[("owner", "owner-ada"), ("share_id", "s01")],
    )
    .await
    .expect("the share item");
    assert_eq!(
        item.get("file_key")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("owner-ada#f01"),
        "the by-file index key"
    );
    assert_eq!(
        num(&item, "expires_epoch_ms"),
        Some(sh.expires_at.timestamp_millis())
    );
    assert_eq!(
        num(&item, "purge_at"),
        Some((sh.expires_at + TimeDelta::days(90)).timestamp()),
        "the TTL: 90 days after the expiry"
    );
    for absent in ["label", "password_hash", "mailed_at"] {
        assert!(!item.contains_key(absent), "{absent}");
    }

    // A counted download with the address: its log item carries the TTL, and the outbox entry
    // is one the notifier reads back whole.
    let at = now();
    let keep = DateTime::from_timestamp((at + TimeDelta::days(30)).timestamp(), 0);
    let entry = DownloadEntry {
        share: sh.id.clone(),
        key: format!("{}#abcd", dropgate_core::time::rfc3339(at)),
        at,
        user_agent: "Safari".into(),
        source_ip: Some("203.0.113.9".into()),
        expires_at: keep,
    };
    let mut file = FileRecord::pending(
        sh.file_id.clone(),
        ada.clone(),
        "q3.pdf".into(),
        7,
        "application/pdf".into(),
        at,
        std::time::Duration::from_secs(900),
    );
    file.owner_email = sh.owner_email.clone();
    let announce = OutboxEntry {
        id: format!(
            "{}#f01#{}#abcd",
            dropgate_core::time::rfc3339(at),
            EventType::FileDownloaded.as_str()
        ),
        event: EventType::FileDownloaded,
        file,
        at,
        share: Some(ShareNotice {
            share: sh.id.clone(),
            label: None,
            downloads_left: Some(4),
            mail: true,
            locked_until: None,
        }),
    };
    assert!(
        store
            .count_download(&DownloadCount {
                share: &sh,
                now: at,
                entry: &entry,
                claim_mail: true,
                announce: Some(&announce),
                exhausted: None,
            })
            .await
            .unwrap()
    );
    let logged = raw(
        &e,
        &e.r.tables.download_log,
        &[("share_id", "s01"), ("entry", entry.key.as_str())],
    )
    .await
    .expect("the download log item");
    assert_eq!(num(&logged, "expires_at"), keep.map(|k| k.timestamp()));
    assert_eq!(
        store
            .list_downloads(&sh.id, 10, None)
            .await
            .unwrap()
            .downloads,
        vec![entry]
    );
    assert_eq!(upload_log(&e).announced(&ada).await, vec![announce]);
    let after = store.get_share(&ada, &sh.id).await.unwrap().unwrap();
    assert_eq!((after.downloads, after.mailed_at), (1, Some(at)));
}

/// The KMS sealer keeps the sealing contract on the stack's own key, by the alias the local
/// stack gives the api.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kms_sealer_keeps_the_contract() {
    let e = env().await;
    let sealer = dropgate_infra::kms::KmsSealer {
        client: dropgate_infra::lazy::Lazy::ready(e.clients.kms().clone()),
        key_id: dropgate_local::provision::KMS_ALIAS.to_owned(),
    };
    dropgate_core::contract::sealing::seals_and_opens_only_for_its_item(&sealer).await;
}
