//! The stranger's side: drop info, drops, receipts.

use dropgate_core::files::{OwnerLedger, Uploader};
use dropgate_core::links::{DropInfo, DropUpload, NewLink};
use dropgate_core::pipeline::Decision;
use dropgate_core::{ErrorKind, FileStatus};

use crate::world::*;

#[tokio::test]
async fn drop_info_shows_the_links_label_and_limits_and_nothing_of_the_owner() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            expires_in: Some(3600),
            max_uploads: Some(3),
            max_file_bytes: Some(500),
            max_total_bytes: Some(2_000),
            allowed_types: Some(types(&["application/pdf", "image/png"])),
            require_uploader_name: true,
            ..new_link("Smith & Co tax")
        },
    )
    .await;

    let info = w.drops.info(&token, SRC).await.unwrap();
    assert_eq!(
        info,
        DropInfo {
            label: "Smith & Co tax".into(),
            expires_at: "2026-11-22T11:00:00.000Z".into(),
            uploads_left: 3,
            max_file_bytes: 500,
            bytes_left: Some(2_000),
            allowed_types: only(&["application/pdf", "image/png"]),
            require_uploader_name: true,
        }
    );
    let json = serde_json::to_value(&info).unwrap();
    let mut fields: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "allowed_types",
            "bytes_left",
            "expires_at",
            "label",
            "max_file_bytes",
            "require_uploader_name",
            "uploads_left"
        ]
    );
    let text = json.to_string();
    for secret in [OWNER_EMAIL, "owner-1", id.as_str(), token.as_str()] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn a_drop_makes_a_pending_file_of_the_owner_through_the_link() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(3),
            max_total_bytes: Some(2_000),
            allowed_types: Some(types(&["application/pdf", "image/png"])),
            ..new_link("Client documents")
        },
    )
    .await;

    let d = drop_file(
        &w,
        &token,
        DropUpload {
            uploader: Some(Uploader {
                name: Some(" Ann Smith ".into()),
                email: Some("Ann@Example.org".into()),
                note: None,
            }),
            ..upload("scans/tax return.pdf", 300, "Application/PDF")
        },
    )
    .await
    .unwrap();

    let ann = Uploader {
        name: Some("Ann Smith".into()),
        email: Some("ann@example.org".into()),
        note: None,
    };
    assert_eq!(d.file.name, "tax return.pdf");
    assert_eq!(d.file.size, 300);
    assert_eq!(d.file.content_type, "application/pdf");
    assert_eq!(d.file.status, FileStatus::Pending);
    assert_eq!(d.file.via_link.as_deref(), Some(id.as_str()));
    assert_eq!(d.file.uploader.as_ref(), Some(&ann));
    assert_eq!(d.upload.put().unwrap().method, "PUT");
    assert!(
        d.upload
            .put()
            .unwrap()
            .url
            .starts_with(&format!("mem://{}?", key(&d.file.id))),
        "{}",
        d.upload.put().unwrap().url
    );
    assert_eq!(d.upload.put().unwrap().headers["content-length"], "300");
    assert_eq!(
        d.upload.put().unwrap().headers["content-type"],
        "application/pdf"
    );
    assert_eq!(d.receipt.len(), 43);
    assert_ne!(d.receipt, token);

    // The file is the owner's, carries its link, and counts against the owner's quota.
    let r = record(&w, &d.file.id).await;
    assert_eq!(r.owner, owner());
    assert_eq!(r.status, FileStatus::Pending);
    assert_eq!(r.owner_email.as_deref(), Some(OWNER_EMAIL));
    let origin = r.link.clone().unwrap();
    assert_eq!(origin.link_id.as_str(), id);
    assert_eq!(origin.label, "Client documents");
    assert_eq!(
        origin.allowed_types,
        only(&["application/pdf", "image/png"])
    );
    assert_eq!(origin.uploader, Some(ann));
    assert_eq!(usage(&w).await, (0, 300, 1));

    // The link's counters moved, and the stranger sees what is left.
    assert_eq!(used(&w, &id).await, (1, 300));
    let v = w.links.view(&owner(), &id).await.unwrap();
    assert_eq!((v.uploads_left, v.bytes_left), (2, Some(1_700)));
    let info = w.drops.info(&token, SRC).await.unwrap();
    assert_eq!((info.uploads_left, info.bytes_left), (2, Some(1_700)));

    // The owner finds it among the link's files and among their own.
    let files = w.links.files(&owner(), &id, None, None).await.unwrap();
    // The owner's view also says when retention deletes it (never, here) and that no legal
    // hold keeps it; the drop's says neither.
    let mut owners = d.file.clone();
    owners.delete_after = Some(None);
    owners.legal_hold = Some(false);
    assert_eq!(files.files, vec![owners]);
    let own = w.ledger.list_files(&owner(), 10, None).await.unwrap();
    assert_eq!(own.files.len(), 1);
    assert_eq!(own.files[0].id.as_str(), d.file.id);
}

#[tokio::test]
async fn a_receipt_follows_its_own_file_and_no_other() {
    let w = world();
    let (token, _) = link(&w, new_link("Client documents")).await;
    let a = drop_file(&w, &token, upload("a.pdf", 100, "application/pdf"))
        .await
        .unwrap();
    let b = drop_file(&w, &token, upload("b.png", 200, "image/png"))
        .await
        .unwrap();
    assert_ne!(a.receipt, b.receipt);

    let ra = w.drops.receipt(&a.receipt, SRC).await.unwrap();
    assert_eq!(
        (ra.file.name.as_str(), ra.file.size, ra.file.status),
        ("a.pdf", 100, FileStatus::Pending)
    );
    assert_eq!((ra.file.reason, ra.file.detected_type), (None, None));

    // A's bytes arrive and are accepted; B's receipt still shows only B, still pending.
    let d = settle(&w, &a.file.id, pdf(100)).await;
    assert!(matches!(d, Decision::Settled { .. }), "{d:?}");
    let ra = w.drops.receipt(&a.receipt, SRC).await.unwrap();
    assert_eq!(ra.file.status, FileStatus::Accepted);
    assert_eq!(ra.file.detected_type.as_deref(), Some("application/pdf"));
    let rb = w.drops.receipt(&b.receipt, SRC).await.unwrap();
    assert_eq!(
        (rb.file.name.as_str(), rb.file.size, rb.file.status),
        ("b.png", 200, FileStatus::Pending)
    );
    let json = serde_json::to_value(&rb).unwrap().to_string();
    assert!(
        !json.contains("a.pdf") && !json.contains(&a.file.id),
        "{json}"
    );

    // Neither secret works as the other.
    assert_eq!(
        code(w.drops.receipt(&token, SRC).await),
        "receipt_not_found"
    );
    assert_eq!(code(w.drops.info(&a.receipt, SRC).await), "link_not_found");
}

#[tokio::test]
async fn an_unknown_receipt_is_receipt_not_found() {
    let w = world();
    assert_eq!(
        kind(w.drops.receipt("no-such-receipt", SRC).await),
        ("receipt_not_found", ErrorKind::NotFound)
    );
    // A receipt whose file the owner deleted follows nothing any more.
    let (token, _) = link(&w, new_link("Q3")).await;
    let d = drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();
    let r = record(&w, &d.file.id).await;
    assert!(w.ledger.remove_file(&r, None).await.unwrap());
    assert_eq!(
        kind(w.drops.receipt(&d.receipt, SRC).await),
        ("receipt_not_found", ErrorKind::NotFound)
    );
}
