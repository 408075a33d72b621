//! The trash on the local stack: a deleted file leaves the list, its share answers
//! `410 file_gone`, the quota is unchanged; a restore brings it back with its share revoked;
//! a purge frees the quota and leaves a deletion receipt. A final delete cut short after its
//! mark is deleted for its owner, and a repeat finishes it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{LocalStack, samples};

fn code(b: &Value) -> &str {
    b["error"]["code"].as_str().unwrap_or_default()
}

async fn share_info(stack: &LocalStack, token: &str) -> (u16, Value) {
    let (s, _, b) = stack
        .anonymous(Method::GET, &format!("/share/{token}"), None)
        .await;
    (s, b)
}

async fn used(stack: &LocalStack, owner: &str) -> (u64, u64) {
    let (s, b) = stack.get("/quota", owner).await;
    assert_eq!(s, 200, "{b}");
    (
        b["used_bytes"].as_u64().unwrap(),
        b["files"].as_u64().unwrap(),
    )
}

async fn ids(stack: &LocalStack, owner: &str, path: &str) -> Vec<String> {
    let (s, b) = stack.get(path, owner).await;
    assert_eq!(s, 200, "{b}");
    b["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_file_waits_in_the_trash_until_restored_or_purged() {
    let stack = LocalStack::start_with(&[("TRASH_DAYS", "7")]).await;
    let ada = stack.user("ada-trash@example.com").await;
    let png = samples::png();
    let id = stack.upload(&ada, "kept.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");
    let (s, b) = stack
        .post(&format!("/files/{id}/shares"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    let token = b["share"]["token"].as_str().unwrap().to_owned();
    let before = used(&stack, &ada).await;
    assert_eq!(before.1, 1);

    let (s, b) = stack
        .call(Method::DELETE, &format!("/files/{id}"), Some(&ada), None)
        .await;
    assert_eq!(s, 204, "{b}");
    assert!(ids(&stack, &ada, "/files").await.is_empty());
    assert_eq!(ids(&stack, &ada, "/trash").await, [id.as_str()]);
    assert_eq!(used(&stack, &ada).await, before, "the trash still counts");
    let (s, b) = share_info(&stack, &token).await;
    assert_eq!((s, code(&b)), (410, "file_gone"), "{b}");
    let (s, _) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!(s, 404);

    let (s, b) = stack
        .post(&format!("/trash/{id}/restore"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["file"]["id"], id.as_str());
    assert_eq!(ids(&stack, &ada, "/files").await, [id.as_str()]);
    let (s, b) = share_info(&stack, &token).await;
    assert_eq!((s, code(&b)), (410, "share_revoked"), "{b}");
    let (s, b) = stack.get(&format!("/files/{id}/download"), &ada).await;
    assert_eq!(s, 200, "{b}");

    // Into the trash again, then purged: the quota is freed and a receipt says so.
    let (s, _) = stack
        .call(Method::DELETE, &format!("/files/{id}"), Some(&ada), None)
        .await;
    assert_eq!(s, 204);
    let (s, b) = stack
        .call(Method::DELETE, &format!("/trash/{id}"), Some(&ada), None)
        .await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(used(&stack, &ada).await, (0, 0));
    assert!(ids(&stack, &ada, "/trash").await.is_empty());
    let (s, b) = stack.get("/receipts/deletions", &ada).await;
    assert_eq!(s, 200, "{b}");
    let receipts = b["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 1, "{b}");
    let r = &receipts[0];
    assert_eq!(r["file_id"], id.as_str());
    assert_eq!(r["reason"], "purged");
    assert_eq!(r["deleted_by"], "owner");
    assert_eq!(r["size"].as_u64(), Some(png.len() as u64));
    assert_eq!(r["versions"], 1);
    assert!(
        !b.to_string().contains("kept.png"),
        "never the name in clear"
    );
    let (s, _) = stack
        .post(&format!("/trash/{id}/restore"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 404);
}

/// A final delete cut short right after its mark (a crash: the record marked, nothing else
/// done), written through the ledger's own adapter on the stack's tables.
async fn cut_short(stack: &LocalStack, owner: &str, id: &str) {
    use dropgate_core::files::{FileLookup, Purging};
    use dropgate_core::lifecycle::{DeletedBy, DeletionReason, DeletionReceipt};
    let sdk = stack.sdk().await;
    let tables = &stack.ready["resources"]["tables"];
    let table = |k: &str| tables[k].as_str().unwrap().to_owned();
    let ledger = dropgate_infra::dynamo::DynamoLedger {
        client: aws_sdk_dynamodb::Client::new(&sdk),
        files_table: table("files"),
        quotas_table: table("quotas"),
        log_table: table("upload_log"),
        links_table: table("links"),
        pending_shards: 1,
    };
    let owner = dropgate_core::OwnerId::parse(&LocalStack::sub_of(owner)).unwrap();
    let id = dropgate_core::FileId::parse(id).unwrap();
    let file = ledger.get_file(&owner, &id).await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let r = DeletionReceipt::of(&file, DeletionReason::Deleted, DeletedBy::Owner, now);
    assert!(ledger.mark_deleting(&file, &r, now).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_cut_short_is_deleted_for_its_owner_and_a_repeat_finishes_it() {
    let stack = LocalStack::start_with(&[("TRASH_DAYS", "0")]).await;
    let ada = stack.user("ada-cut@example.com").await;
    let png = samples::png();
    let id = stack.upload(&ada, "cut.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");
    let (s, b) = stack
        .post(&format!("/files/{id}/shares"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    let token = b["share"]["token"].as_str().unwrap().to_owned();
    cut_short(&stack, &ada, &id).await;
    let key = format!("uploads/{id}");
    assert!(
        stack.raw_object(&key).await.is_some(),
        "the bytes are still there"
    );

    // Deleted for its owner (its bytes may be gone), still counted until it goes.
    assert!(ids(&stack, &ada, "/files").await.is_empty());
    assert!(ids(&stack, &ada, "/trash").await.is_empty());
    for path in [format!("/files/{id}"), format!("/files/{id}/download")] {
        let (s, b) = stack.get(&path, &ada).await;
        assert_eq!((s, code(&b)), (404, "not_found"), "{path}: {b}");
    }
    let (s, b) = stack
        .post(&format!("/files/{id}/shares"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = share_info(&stack, &token).await;
    assert_eq!((s, code(&b)), (410, "file_gone"), "{b}");
    assert_eq!(used(&stack, &ada).await, (png.len() as u64, 1));

    // The owner's repeated delete finishes it, with the receipt it would have written.
    let (s, b) = stack
        .call(Method::DELETE, &format!("/files/{id}"), Some(&ada), None)
        .await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(used(&stack, &ada).await, (0, 0));
    assert!(stack.raw_object(&key).await.is_none(), "the bytes went");
    let (s, b) = stack.get("/receipts/deletions", &ada).await;
    assert_eq!(s, 200, "{b}");
    let receipts = b["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 1, "{b}");
    assert_eq!(receipts[0]["reason"], "deleted");
    assert_eq!(receipts[0]["deleted_by"], "owner");
    let (s, _) = stack
        .call(Method::DELETE, &format!("/files/{id}"), Some(&ada), None)
        .await;
    assert_eq!(s, 404, "deleted: nothing more to delete");
}
