//! Failed public lookups through the API handler over the fakes, wired as production wires
//! them: guesses at share tokens and at upload-link tokens from one source address count
//! together toward the one limit (the test world's: 5 per 600 s window), whichever route they
//! come through.

mod common;

use chrono::Duration;
use common::*;
use serde_json::json;

async fn link_token(w: &World) -> String {
    let r = send(
        w,
        req("POST", "/links").by(ALICE).json(json!({"label": "x"})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.json()["link"]["token"].as_str().unwrap().to_owned()
}

async fn share_token(w: &World) -> String {
    let id = create(w, ALICE, 100).await;
    accept(w, ALICE, &id).await;
    let r = send(
        w,
        req("POST", &format!("/files/{id}/shares"))
            .by(ALICE)
            .json(json!({})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.json()["share"]["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn failed_share_and_drop_lookups_count_together() {
    let w = world();
    let link = link_token(&w).await;
    let share = share_token(&w).await;
    // Three wrong share tokens and two wrong link tokens: five failures, under either limit
    // alone, the whole limit together.
    for i in 0..3 {
        expect_error(
            &w,
            req("GET", &format!("/share/guess{i}")),
            404,
            "share_not_found",
        )
        .await;
    }
    for i in 0..2 {
        expect_error(
            &w,
            req("GET", &format!("/drop/guess{i}")),
            404,
            "link_not_found",
        )
        .await;
    }
    // Now both lookups are refused, even with a good token.
    for path in [format!("/drop/{link}"), format!("/share/{share}")] {
        let r = expect_error(&w, req("GET", &path), 429, "rate_limited").await;
        assert!(r.raw.headers.contains_key("retry-after"), "{path}");
    }
    // The next window starts afresh for both.
    w.clock.advance(Duration::seconds(600));
    assert_eq!(
        send(&w, req("GET", &format!("/drop/{link}"))).await.status,
        200
    );
    assert_eq!(
        send(&w, req("GET", &format!("/share/{share}")))
            .await
            .status,
        200
    );
}
