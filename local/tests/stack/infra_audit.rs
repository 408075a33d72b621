//! The audit log's adapter against the emulator: `DynamoAudit` keeps the store contract (twenty
//! concurrent appends make one chain), its items carry their TTL, and a hand-edited, deleted or
//! swapped item makes the export's verification fail at that seq.

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use dropgate_core::audit::{
    Actor, ActorKind, AuditChain, AuditEntry, AuditEvent, AuditQuery, ExportFormat, Verifier,
};
use dropgate_core::clock::SystemClock;
use dropgate_infra::dynamo::audit::DynamoAudit;
use serde_json::json;

use crate::infra_adapters::{Env, env};

fn audit(e: &Env) -> DynamoAudit {
    DynamoAudit {
        client: e.clients.dynamodb().clone(),
        table: e.r.tables.audit.clone(),
        retention_days: 400,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_audit_store_keeps_the_contract() {
    let e = env().await;
    dropgate_core::contract::audit::check_all(Arc::new(audit(&e)), Arc::new(SystemClock)).await;
}

/// The export, page by page, checked as `dropgate admin audit verify` checks it.
async fn verify(chain: &AuditChain) -> Result<u64, u64> {
    let q = AuditQuery::default();
    let mut page = chain
        .export("admin-1", &q, ExportFormat::Jsonl, None)
        .await
        .expect("export");
    let mut v = Verifier::default();
    loop {
        for line in page.body.lines() {
            let entry: AuditEntry = serde_json::from_str(line).expect("an entry");
            v.push(&entry).map_err(|b| b.seq)?;
        }
        let Some(next) = page.next_cursor else {
            return Ok(v.count());
        };
        page = chain
            .export("admin-1", &q, ExportFormat::Jsonl, Some(&next))
            .await
            .expect("export page");
    }
}

fn key(seq: u64) -> HashMap<String, Av> {
    HashMap::from([
        ("stream".to_owned(), Av::S(format!("entry#{}", seq / 1000))),
        ("seq".to_owned(), Av::S(format!("{seq:020}"))),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_deleted_or_swapped_item_breaks_the_chain_at_its_seq() {
    let e = env().await;
    let store = Arc::new(audit(&e));
    let chain = AuditChain {
        store: store.clone(),
        clock: Arc::new(SystemClock),
    };
    for i in 1..=6 {
        chain
            .record(AuditEvent::new(
                Actor {
                    id: "admin-1".into(),
                    kind: ActorKind::Admin,
                },
                "user.quota_changed",
                "user",
                &format!("u{i}"),
                json!({"quota_bytes": i}),
            ))
            .await
            .unwrap();
    }
    // Each export appends its own entry; the chain so far is intact.
    assert_eq!(verify(&chain).await, Ok(6));
    let ddb = e.clients.dynamodb();
    let table = &e.r.tables.audit;
    let get = |seq: u64| {
        let ddb = ddb.clone();
        async move {
            ddb.get_item()
                .table_name(table)
                .set_key(Some(key(seq)))
                .send()
                .await
                .unwrap()
                .item
                .unwrap()
        }
    };
    let put = |item: HashMap<String, Av>| {
        let ddb = ddb.clone();
        async move {
            ddb.put_item()
                .table_name(table)
                .set_item(Some(item))
                .send()
                .await
                .unwrap();
        }
    };

    // The TTL follows AUDIT_RETENTION_DAYS.
    let third = get(3).await;
    let at = chrono::DateTime::parse_from_rfc3339(third["at"].as_s().unwrap()).unwrap();
    let expires: i64 = third["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(expires, at.timestamp() + 400 * 86_400);

    // Edited: one figure of the detail.
    let mut edited = third.clone();
    edited.insert("detail".into(), Av::S(r#"{"quota_bytes":999}"#.into()));
    put(edited).await;
    assert_eq!(verify(&chain).await, Err(3));
    put(third).await;
    assert_eq!(verify(&chain).await, Ok(8));

    // Removed.
    let fourth = get(4).await;
    ddb.delete_item()
        .table_name(table)
        .set_key(Some(key(4)))
        .send()
        .await
        .unwrap();
    assert_eq!(verify(&chain).await, Err(4));
    put(fourth).await;

    // Swapped: entries 2 and 5 exchange places (each keeps the other's content).
    let (two, five) = (get(2).await, get(5).await);
    let moved = |mut item: HashMap<String, Av>, seq: u64| {
        item.extend(key(seq));
        item
    };
    put(moved(two.clone(), 5)).await;
    put(moved(five.clone(), 2)).await;
    assert_eq!(verify(&chain).await, Err(2));
    put(two).await;
    put(five).await;
    assert_eq!(verify(&chain).await, Ok(11));
}

/// Writes `batch` (entries whose predecessors are all written) and moves the head to `head`.
async fn flush(e: &Env, batch: &mut Vec<HashMap<String, Av>>, head: &dropgate_core::audit::Head) {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let table = &e.r.tables.audit;
    let ddb = e.clients.dynamodb();
    if !batch.is_empty() {
        let mut pending: Vec<WriteRequest> = batch
            .drain(..)
            .map(|item| {
                let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        while !pending.is_empty() {
            let out = ddb
                .batch_write_item()
                .request_items(table, pending)
                .send()
                .await
                .unwrap();
            pending = out
                .unprocessed_items
                .and_then(|mut m| m.remove(table))
                .unwrap_or_default();
        }
    }
    // The head names the last entry written, as an append leaves it.
    ddb.put_item()
        .table_name(table)
        .item("stream", Av::S("head".into()))
        .item("seq", Av::S(format!("{:020}", 0)))
        .item("last_seq", Av::N(head.seq.to_string()))
        .item("last_hash", Av::S(head.hash.clone()))
        .send()
        .await
        .unwrap();
}

/// Every seq of `store`'s pages under `q`, following the cursors to the end.
async fn all_pages(store: &DynamoAudit, q: &AuditQuery, limit: usize) -> (Vec<u64>, usize) {
    use dropgate_core::audit::AuditStore;
    let (mut seqs, mut pages, mut after) = (Vec::new(), 0, None);
    loop {
        let (entries, next) = store.page(q, after, limit).await.expect("page");
        pages += 1;
        assert!(entries.len() <= limit);
        seqs.extend(entries.iter().map(|e| e.seq));
        match next {
            Some(n) => after = Some(n),
            None => return (seqs, pages),
        }
        assert!(pages < 100, "pages end");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_cross_the_partitions_of_a_thousand_seqs_in_either_order_and_filtered() {
    use dropgate_core::audit::{AuditStore, Head};
    let e = env().await;
    let store = audit(&e);
    let n = 2050;
    // Seeded in batches, but for the seqs about the first boundary, which go through the
    // store's own append (its transaction writes into the next partition).
    let mut head = Head::genesis();
    let mut batch = Vec::new();
    for i in 1..=n {
        let action = if i == 7 || i == 2003 {
            "file.released"
        } else {
            "user.quota_changed"
        };
        let event = AuditEvent::new(
            Actor {
                id: "admin-1".into(),
                kind: ActorKind::Admin,
            },
            action,
            "user",
            &format!("u{i}"),
            json!({}),
        );
        let entry = AuditEntry::link(&head, event, "2026-12-04T12:00:00.000Z".into());
        if (998..=1001).contains(&i) {
            // Everything before it written, the head on its predecessor.
            flush(&e, &mut batch, &head).await;
            assert!(store.append_after(&entry).await.unwrap(), "append of {i}");
        } else {
            batch.push(store.item(&entry));
        }
        head = entry.head();
        if batch.len() == 25 || i == n {
            flush(&e, &mut batch, &head).await;
        }
    }
    // Three partitions: seqs 1-999, 1000-1999, 2000-2050.
    let item = |seq: u64| key(seq);
    let stored = e
        .clients
        .dynamodb()
        .get_item()
        .table_name(&e.r.tables.audit)
        .set_key(Some(item(1000)))
        .send()
        .await
        .unwrap();
    assert!(stored.item.is_some(), "seq 1000 under entry#1");

    let newest = AuditQuery {
        newest_first: true,
        ..AuditQuery::default()
    };
    let (seqs, _) = all_pages(&store, &newest, 300).await;
    assert_eq!(seqs, (1..=n).rev().collect::<Vec<_>>());
    let (seqs, _) = all_pages(&store, &AuditQuery::default(), 450).await;
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    // A filter that matches little: bounded reads per page, the two entries in order.
    let rare = AuditQuery {
        action: Some("file.released".into()),
        newest_first: true,
        ..AuditQuery::default()
    };
    let (seqs, _) = all_pages(&store, &rare, 50).await;
    assert_eq!(seqs, vec![2003, 7]);
    // An export's bound, below the head.
    let bounded = AuditQuery {
        below: Some(1001),
        ..AuditQuery::default()
    };
    let (seqs, _) = all_pages(&store, &bounded, 400).await;
    assert_eq!(seqs, (1..=1000).collect::<Vec<_>>());
}
