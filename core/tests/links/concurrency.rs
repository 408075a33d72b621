//! Atomicity under concurrency: concurrent drops never overuse a link or a quota.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use dropgate_core::Settings;
use dropgate_core::files::FileLookup;
use dropgate_core::links::NewLink;

use crate::world::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_concurrent_drops_on_a_one_use_link_make_exactly_one_file() {
    for round in 0..20 {
        let w = world();
        let (token, id) = link(
            &w,
            NewLink {
                max_uploads: Some(1),
                ..new_link("once")
            },
        )
        .await;
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let drops = w.drops.clone();
                let token = token.clone();
                tokio::spawn(async move {
                    drops
                        .upload(
                            &token,
                            SRC,
                            upload(&format!("{i}.pdf"), 10, "application/pdf"),
                        )
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e.code(), "link_used_up", "round {round}: {e:?}"),
            }
        }
        assert_eq!(ok, 1, "round {round}");
        assert_eq!(used(&w, &id).await, (1, 10), "round {round}");
        assert_eq!(usage(&w).await, (0, 10, 1), "round {round}");
        let files = w.links.files(&owner(), &id, None, None).await.unwrap();
        assert_eq!(files.files.len(), 1, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_drops_at_the_quota_edge_never_exceed_it() {
    const LIMIT: u64 = 750;
    const SIZE: u64 = 100;
    const FIT: u64 = LIMIT / SIZE; // 7
    for round in 0..20 {
        let w = Arc::new(world_with(Settings {
            quota_bytes: LIMIT,
            ..settings()
        }));
        let (token, id) = link(
            &w,
            NewLink {
                max_uploads: Some(20),
                ..new_link("edge")
            },
        )
        .await;

        // Watches the quota while the drops race.
        let done = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let watcher = {
            let (w, done, peak) = (w.clone(), done.clone(), peak.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::SeqCst) {
                    let u = w.ledger.usage(&owner(), LIMIT).await.unwrap();
                    peak.fetch_max(u.used_bytes + u.reserved_bytes, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
            })
        };
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let w = w.clone();
                let token = token.clone();
                tokio::spawn(async move {
                    w.drops
                        .upload(
                            &token,
                            SRC,
                            upload(&format!("{i}.pdf"), SIZE, "application/pdf"),
                        )
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e.code(), "file_too_large", "round {round}: {e:?}"),
            }
        }
        done.store(true, Ordering::SeqCst);
        watcher.await.unwrap();

        assert_eq!(ok, FIT, "round {round}");
        let u = w.ledger.usage(&owner(), LIMIT).await.unwrap();
        assert_eq!(
            (u.used_bytes, u.reserved_bytes, u.files),
            (0, FIT * SIZE, FIT),
            "round {round}"
        );
        assert!(peak.load(Ordering::SeqCst) <= LIMIT, "round {round}");
        assert_eq!(
            used(&w, &id).await,
            (FIT as u32, FIT * SIZE),
            "uses match successes, round {round}"
        );
    }
}
