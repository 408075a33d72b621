//! End to end: the owner's mails follow their address. Ada makes an upload link and a share
//! while her account has one address, then moves it to another (through the API, with the code
//! mailed there). A stranger drops a file through the old link and downloads the old share: both
//! mails, read from the emulator's SES store, go to her new address and none to the old one,
//! although the link and the share still hold the address she had when she made them.

use crate::common;
use crate::e2e_account::{mails_to, move_email};
use crate::e2e_links::{drop_file, follow, make_link, put_dropped, token_of};

use common::{LocalStack, samples};
use reqwest::Method;
use serde_json::{Value, json};

/// The mails to `to` whose body contains `needle`.
async fn mails_to_about(stack: &LocalStack, to: &str, needle: &str) -> Vec<Value> {
    mails_to(stack, to)
        .await
        .into_iter()
        .filter(|m| m["body"].as_str().is_some_and(|b| b.contains(needle)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn mails_about_an_old_link_and_share_go_to_the_address_the_owner_moved_to() {
    let stack = LocalStack::start().await;
    let old = "ada-address@example.com";
    let moved = "ada-address-moved@example.com";
    let ada = stack.user(old).await;

    // Made before the move: both keep the old address on their records.
    let link = make_link(
        &stack,
        &ada,
        json!({"label": "Before the move", "max_uploads": 2}),
    )
    .await;
    let token = token_of(&link);
    let kept = stack
        .upload(&ada, "kept.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&ada, &kept).await["status"], "accepted");
    let (s, b) = stack
        .post(
            &format!("/files/{kept}/shares"),
            Some(&ada),
            json!({"notify_owner": true, "label": "Old share"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let share = b["share"]["token"]
        .as_str()
        .expect("share token")
        .to_owned();

    // Ada moves her account; the change holds once the code mailed to the new address is back.
    move_email(&stack, &ada, old, moved).await;

    // A stranger drops a file through the old link.
    let pdf = samples::pdf();
    let (s, dropped) = drop_file(
        &stack,
        &token,
        "after-the-move.pdf",
        pdf.len(),
        "application/pdf",
        None,
    )
    .await;
    assert_eq!(s, 201, "{dropped}");
    put_dropped(&stack, &dropped, &pdf).await;
    let receipt = dropped["receipt"].as_str().expect("receipt").to_owned();
    assert_eq!(follow(&stack, &receipt).await["status"], "accepted");
    let verdict = stack
        .wait_for("the drop's mail at the new address", 30, || async {
            let m = mails_to_about(&stack, moved, "after-the-move.pdf").await;
            (!m.is_empty()).then_some(m)
        })
        .await;
    assert_eq!(verdict.len(), 1, "{verdict:?}");
    assert!(
        verdict[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("Before the move")),
        "{verdict:?}"
    );

    // And downloads the old share: its mail too goes to the new address.
    let (s, _, b) = stack
        .anonymous(Method::POST, &format!("/share/{share}/download"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    let downloaded = stack
        .wait_for("the download's mail at the new address", 30, || async {
            let m = mails_to_about(&stack, moved, "was downloaded").await;
            (!m.is_empty()).then_some(m)
        })
        .await;
    assert!(
        downloaded[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("kept.png")),
        "{downloaded:?}"
    );

    // Nothing about either went to the old address.
    for needle in ["after-the-move.pdf", "kept.png", "Before the move"] {
        let stale = mails_to_about(&stack, old, needle).await;
        assert!(stale.is_empty(), "mailed to the old address: {stale:?}");
    }
}
