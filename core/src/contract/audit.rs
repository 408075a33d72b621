//! The [`AuditStore`] contract: an entry is written only where it follows the head, never over
//! another, and a lost race writes nothing; concurrent appends through [`AuditChain`] make one
//! unbroken chain; pages follow the query's order and filters to the end.

use std::sync::Arc;

use serde_json::json;

use crate::audit::{
    Actor, ActorKind, AuditChain, AuditEntry, AuditEvent, AuditQuery, AuditStore, Head, Verifier,
};
use crate::clock::Clock;

fn event(actor: &str, action: &str, target: &str) -> AuditEvent {
    AuditEvent::new(
        Actor {
            id: actor.to_owned(),
            kind: ActorKind::Admin,
        },
        action,
        "user",
        target,
        json!({"n": 1}),
    )
}

/// Every entry, following pages to the end.
async fn all(store: &dyn AuditStore, q: &AuditQuery, limit: usize) -> Vec<AuditEntry> {
    let mut out = Vec::new();
    let mut after = None;
    for _ in 0..10_000 {
        let (page, next) = store.page(q, after, limit).await.unwrap();
        assert!(page.len() <= limit);
        out.extend(page);
        match next {
            Some(n) => after = Some(n),
            None => return out,
        }
    }
    panic!("the pages never ended");
}

/// `store` must be empty (a fresh table). Leaves 20 + 4 entries in it.
pub async fn check_all(store: Arc<dyn AuditStore>, clock: Arc<dyn Clock>) {
    assert_eq!(store.head().await.unwrap(), None);
    let chain = AuditChain {
        store: store.clone(),
        clock,
    };

    // A first entry must start at genesis.
    let first = AuditEntry::link(
        &Head::genesis(),
        event("a1", "user.disabled", "u1"),
        "2026-12-04T10:00:00.000Z".into(),
    );
    let mut wrong = first.clone();
    wrong.seq = 2;
    assert!(!store.append_after(&wrong).await.unwrap());
    assert!(store.append_after(&first).await.unwrap());
    assert_eq!(store.head().await.unwrap(), Some(first.head()));
    // The same seq again (a writer that lost the race) writes nothing, over nothing.
    let rival = AuditEntry::link(
        &Head::genesis(),
        event("a2", "user.enabled", "u2"),
        "2026-12-04T10:00:00.000Z".into(),
    );
    assert!(!store.append_after(&rival).await.unwrap());
    assert_eq!(store.entry(1).await.unwrap(), Some(first.clone()));
    // Following the head by seq but not by hash is refused too.
    let mut forked = AuditEntry::link(
        &first.head(),
        event("a2", "user.enabled", "u2"),
        "2026-12-04T10:00:01.000Z".into(),
    );
    forked.prev_hash = "ab".repeat(32);
    assert!(!store.append_after(&forked).await.unwrap());
    assert_eq!(store.entry(2).await.unwrap(), None);

    // Twenty writers at once: one chain, every event once.
    let writers = (0..20).map(|i| {
        let chain = chain.clone();
        async move {
            chain
                .record(event(
                    &format!("w{i}"),
                    "user.quota_changed",
                    &format!("t{i}"),
                ))
                .await
        }
    });
    let written = futures_util::future::join_all(writers).await;
    assert!(written.iter().all(Result::is_ok), "{written:?}");
    chain
        .record(event("a1", "user.enabled", "u1"))
        .await
        .unwrap();
    chain
        .record(event("a2", "user.disabled", "u9"))
        .await
        .unwrap();
    chain
        .record(event("a1", "user.erased", "u9"))
        .await
        .unwrap();

    let oldest_first = AuditQuery {
        newest_first: false,
        ..AuditQuery::default()
    };
    let every = all(&*store, &oldest_first, 7).await;
    assert_eq!(every.len(), 24);
    let mut v = Verifier::default();
    for e in &every {
        v.push(e).unwrap();
    }
    let mut actors: Vec<String> = every[1..21].iter().map(|e| e.actor.id.clone()).collect();
    actors.sort();
    actors.dedup();
    assert_eq!(actors.len(), 20);
    assert_eq!(store.head().await.unwrap(), Some(every[23].head()));

    // Newest first, filtered, in pages.
    let newest_first = AuditQuery {
        newest_first: true,
        ..AuditQuery::default()
    };
    let newest = all(&*store, &newest_first, 5).await;
    assert_eq!(
        newest.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=24).rev().collect::<Vec<_>>()
    );
    let by_a1 = AuditQuery {
        actor: Some("a1".into()),
        ..newest_first.clone()
    };
    let seqs: Vec<u64> = all(&*store, &by_a1, 1)
        .await
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, vec![24, 22, 1]);
    let u9 = AuditQuery {
        target: Some(("user".into(), "u9".into())),
        action: Some("user.disabled".into()),
        ..newest_first.clone()
    };
    assert_eq!(
        all(&*store, &u9, 10)
            .await
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![23]
    );
    let below = AuditQuery {
        below: Some(3),
        newest_first: false,
        ..AuditQuery::default()
    };
    assert_eq!(all(&*store, &below, 10).await.len(), 2);
    let later = AuditQuery {
        since: Some(
            chrono::DateTime::parse_from_rfc3339("2026-12-04T10:00:00.500Z")
                .unwrap()
                .into(),
        ),
        ..newest_first
    };
    // The chain's own clock stamps the rest; the first entry's hand-written time is earlier.
    assert!(all(&*store, &later, 10).await.iter().all(|e| e.seq != 1));
}
