//! The give-back rule: what a settled link file gives back to its link, and the owner's mails.

use dropgate_core::FileStatus;
use dropgate_core::links::{NewLink, gives_back_on};
use dropgate_core::notify::verdict_mails;
use dropgate_core::pipeline::Decision;

use crate::world::*;

#[tokio::test]
async fn an_expired_link_file_gives_its_use_and_bytes_back() {
    assert!(gives_back_on(FileStatus::Expired));
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(2),
            max_total_bytes: Some(1_000),
            ..new_link("Q3")
        },
    )
    .await;
    let lost = drop_file(&w, &token, upload("lost.pdf", 300, "application/pdf"))
        .await
        .unwrap();
    w.clock.advance(chrono::Duration::minutes(10));
    let later = drop_file(&w, &token, upload("later.pdf", 200, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 500));
    assert_eq!(
        code(w.drops.info(&token, SRC).await),
        "link_used_up",
        "both uses taken"
    );

    // The first file's URL expired 10 minutes after it was made, its grace 5 minutes later.
    w.clock
        .advance(chrono::Duration::minutes(5) + chrono::Duration::seconds(1));
    let sweep = w.janitor.sweep(10).await.unwrap();
    assert_eq!(sweep.expired.len(), 1);
    assert_eq!(sweep.expired[0].id.as_str(), lost.file.id);
    assert_eq!(record(&w, &lost.file.id).await.status, FileStatus::Expired);
    assert_eq!(record(&w, &later.file.id).await.status, FileStatus::Pending);

    assert_eq!(used(&w, &id).await, (1, 200), "the use and bytes came back");
    assert_eq!(usage(&w).await, (0, 200, 1));
    let info = w.drops.info(&token, SRC).await.unwrap();
    assert_eq!((info.uploads_left, info.bytes_left), (1, Some(800)));
    let r = w.drops.receipt(&lost.receipt, SRC).await.unwrap();
    assert_eq!(r.file.status, FileStatus::Expired);
    assert_eq!(r.file.reason.as_deref(), Some("upload_timeout"));

    // A second sweep gives nothing back twice.
    let again = w.janitor.sweep(10).await.unwrap();
    assert!(again.expired.is_empty());
    assert_eq!(used(&w, &id).await, (1, 200));

    // The use came back for real: an honest uploader can try again.
    drop_file(&w, &token, upload("retry.pdf", 300, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 500));
}

#[tokio::test]
async fn a_rejected_link_file_keeps_its_use_and_the_owner_is_told_why() {
    assert!(!gives_back_on(FileStatus::Rejected));
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(3),
            allowed_types: Some(types(&["application/pdf", "image/png"])),
            ..new_link("Smith & Co tax")
        },
    )
    .await;
    let d = drop_file(
        &w,
        &token,
        by("invoice.pdf", 64, "application/pdf", "Ann Smith"),
    )
    .await
    .unwrap();

    // An executable behind a PDF's name: the name disagrees with the bytes.
    let decision = settle(&w, &d.file.id, elf(64)).await;
    let Decision::Settled { file, .. } = decision else {
        panic!("settled: {decision:?}")
    };
    assert_eq!(file.status, FileStatus::Rejected);
    assert_eq!(file.reason.as_deref(), Some("type_mismatch"));
    assert_eq!(
        file.detected_type.as_deref(),
        Some("application/x-executable")
    );
    assert!(!w.store.has(&key(&d.file.id)), "rejected bytes are removed");

    assert_eq!(
        used(&w, &id).await,
        (1, 64),
        "a rejected file keeps its use"
    );
    assert_eq!(usage(&w).await, (0, 0, 0), "the quota is released");
    let r = w.drops.receipt(&d.receipt, SRC).await.unwrap();
    assert_eq!(r.file.status, FileStatus::Rejected);
    assert_eq!(r.file.reason.as_deref(), Some("type_mismatch"));

    let mails: Vec<_> = verdict_mails(&[&file], &*w.ledger)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.to, "", "addressed by the courier when it mails");
    assert_eq!(
        m.subject,
        "Dropgate: \u{201c}invoice.pdf\u{201d} rejected via \u{201c}Smith & Co tax\u{201d}"
    );
    for part in [
        "\u{201c}Smith & Co tax\u{201d}",
        "File: \u{201c}invoice.pdf\u{201d}",
        "Size: 64 bytes",
        "Detected type: application/x-executable",
        "Verdict: rejected",
        "Reason: its content is not the type its name or declaration says (type_mismatch)",
        "Uploader: \u{201c}Ann Smith\u{201d}",
        "Uploads left on this link: 2",
    ] {
        assert!(m.body.contains(part), "{part:?} in {}", m.body);
    }
    assert!(!m.body.contains(&token) && !m.body.contains(&d.receipt));
}
