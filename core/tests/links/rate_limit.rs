//! The limit on failed lookups, per source and window.

use dropgate_core::{CoreError, ErrorKind, Settings, tokens};

use crate::world::*;

fn limited() -> World {
    world_with(Settings {
        lookup_failure_limit: 3,
        ..settings()
    })
}

fn unknown(i: u8) -> String {
    tokens::encode(&[i; tokens::SECRET_BYTES])
}

#[tokio::test]
async fn failed_lookups_are_rate_limited_per_source() {
    let w = limited();
    let (token, id) = link(&w, new_link("Q3")).await;
    for i in 0..3 {
        assert_eq!(code(w.drops.info(&unknown(i), SRC).await), "link_not_found");
    }
    // The fourth lookup is refused before any lookup, even with a valid token.
    let e = w.drops.info(&token, SRC).await.unwrap_err();
    assert_eq!(
        e,
        CoreError::RateLimited {
            retry_after_secs: 600
        }
    );
    assert_eq!(
        (e.code(), e.kind()),
        ("rate_limited", ErrorKind::RateLimited)
    );
    w.clock.advance(chrono::Duration::seconds(30));
    assert!(matches!(
        drop_file(&w, &token, upload("a.pdf", 10, "application/pdf")).await,
        Err(CoreError::RateLimited {
            retry_after_secs: 570
        })
    ));
    assert_eq!(code(w.drops.receipt("anything", SRC).await), "rate_limited");
    assert_eq!(used(&w, &id).await, (0, 0), "a refused drop uses nothing");

    // Another source is unaffected.
    let info = w.drops.info(&token, "198.51.100.7").await.unwrap();
    assert_eq!(info.uploads_left, 10);
    assert_eq!(
        code(drop_file(&w, &token, upload("a.pdf", 10, "application/pdf")).await),
        "rate_limited"
    );
    w.drops
        .upload(
            &token,
            "198.51.100.7",
            upload("a.pdf", 10, "application/pdf"),
        )
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (1, 10));
}

#[tokio::test]
async fn successful_lookups_do_not_count() {
    let w = limited();
    let (token, _) = link(&w, new_link("Q3")).await;
    let d = drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();
    for _ in 0..10 {
        w.drops.info(&token, SRC).await.unwrap();
        w.drops.receipt(&d.receipt, SRC).await.unwrap();
    }
    // Failures of every kind count: an unknown token, an unknown receipt, a revoked link.
    assert_eq!(code(w.drops.info(&unknown(1), SRC).await), "link_not_found");
    assert_eq!(
        code(w.drops.receipt(&unknown(2), SRC).await),
        "receipt_not_found"
    );
    w.drops.info(&token, SRC).await.unwrap();
    let (revoked, revoked_id) = link(&w, new_link("old")).await;
    w.links.revoke(&owner(), &revoked_id).await.unwrap();
    assert_eq!(code(w.drops.info(&revoked, SRC).await), "link_revoked");
    // Three failures: now refused.
    assert_eq!(code(w.drops.info(&token, SRC).await), "rate_limited");
}

#[tokio::test]
async fn the_limit_lifts_when_the_window_passes() {
    let w = limited();
    let (token, _) = link(&w, new_link("Q3")).await;
    // t0 is the start of a 10-minute window; fail three times within it.
    w.clock.advance(chrono::Duration::minutes(9));
    for i in 0..3 {
        assert_eq!(code(w.drops.info(&unknown(i), SRC).await), "link_not_found");
    }
    let e = w.drops.info(&token, SRC).await.unwrap_err();
    assert_eq!(
        e,
        CoreError::RateLimited {
            retry_after_secs: 60
        }
    );

    w.clock.advance(chrono::Duration::seconds(59));
    assert_eq!(code(w.drops.info(&token, SRC).await), "rate_limited");
    w.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(w.drops.info(&token, SRC).await.unwrap().label, "Q3");
    // The new window counts from zero.
    for i in 0..2 {
        assert_eq!(code(w.drops.info(&unknown(i), SRC).await), "link_not_found");
    }
    w.drops.info(&token, SRC).await.unwrap();
}
