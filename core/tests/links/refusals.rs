//! Refusals: every reason a drop is refused, each with its code.

use dropgate_core::files::{FileLookup, Uploader};
use dropgate_core::links::{DropUpload, LinkState, NewLink};
use dropgate_core::{CoreError, ErrorKind, Settings, tokens};

use crate::world::*;

#[tokio::test]
async fn an_unknown_token_is_link_not_found() {
    let w = world();
    link(&w, new_link("Q3")).await;
    let unknown = tokens::encode(&[7; tokens::SECRET_BYTES]);
    assert_eq!(
        kind(w.drops.info(&unknown, SRC).await),
        ("link_not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        kind(drop_file(&w, &unknown, upload("a.pdf", 10, "application/pdf")).await),
        ("link_not_found", ErrorKind::NotFound)
    );
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn an_expired_link_is_link_expired() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            expires_in: Some(3600),
            ..new_link("Q3")
        },
    )
    .await;
    w.clock.advance(chrono::Duration::seconds(3599));
    assert!(
        w.drops.info(&token, SRC).await.is_ok(),
        "alive until its end"
    );

    w.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(
        kind(w.drops.info(&token, SRC).await),
        ("link_expired", ErrorKind::Gone)
    );
    assert_eq!(
        kind(drop_file(&w, &token, upload("a.pdf", 10, "application/pdf")).await),
        ("link_expired", ErrorKind::Gone)
    );
    assert_eq!(
        w.links.view(&owner(), &id).await.unwrap().state,
        LinkState::Expired
    );
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn a_revoked_link_is_link_revoked() {
    let w = world();
    let (token, id) = link(&w, new_link("Q3")).await;
    w.links.revoke(&owner(), &id).await.unwrap();
    assert_eq!(
        kind(w.drops.info(&token, SRC).await),
        ("link_revoked", ErrorKind::Gone)
    );
    assert_eq!(
        kind(drop_file(&w, &token, upload("a.pdf", 10, "application/pdf")).await),
        ("link_revoked", ErrorKind::Gone)
    );
    // Revoked wins over expired.
    w.clock.advance(chrono::Duration::days(4));
    assert_eq!(code(w.drops.info(&token, SRC).await), "link_revoked");
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn a_link_with_no_uploads_left_is_link_used_up() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(2),
            ..new_link("Q3")
        },
    )
    .await;
    for name in ["a.pdf", "b.pdf"] {
        drop_file(&w, &token, upload(name, 10, "application/pdf"))
            .await
            .unwrap();
    }
    assert_eq!(
        kind(drop_file(&w, &token, upload("c.pdf", 10, "application/pdf")).await),
        ("link_used_up", ErrorKind::Gone)
    );
    assert_eq!(
        kind(w.drops.info(&token, SRC).await),
        ("link_used_up", ErrorKind::Gone)
    );
    assert_eq!(used(&w, &id).await, (2, 20));
    assert_eq!(usage(&w).await, (0, 20, 2));
    assert_eq!(
        w.links.view(&owner(), &id).await.unwrap().state,
        LinkState::UsedUp
    );
}

#[tokio::test]
async fn a_link_with_no_bytes_left_is_link_used_up() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_total_bytes: Some(500),
            ..new_link("Q3")
        },
    )
    .await;
    drop_file(&w, &token, upload("a.pdf", 500, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(
        code(drop_file(&w, &token, upload("b.pdf", 1, "application/pdf")).await),
        "link_used_up"
    );
    let v = w.links.view(&owner(), &id).await.unwrap();
    assert_eq!((v.uploads_left, v.bytes_left), (9, Some(0)));
    assert_eq!(v.state, LinkState::UsedUp);
}

#[tokio::test]
async fn a_type_not_on_the_link_is_unsupported_type() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            allowed_types: Some(types(&["application/pdf"])),
            ..new_link("PDFs only")
        },
    )
    .await;
    // Allowed by the deployment, not by this link.
    let r = drop_file(&w, &token, upload("photo.png", 10, "image/png")).await;
    let e = r.unwrap_err();
    assert_eq!(
        e,
        CoreError::TypeNotAllowed {
            content_type: "image/png".into(),
            allowed: only(&["application/pdf"]),
        }
    );
    assert_eq!(
        (e.code(), e.kind()),
        ("unsupported_type", ErrorKind::UnsupportedType)
    );
    // Not allowed anywhere.
    assert_eq!(
        kind(drop_file(&w, &token, upload("x.exe", 10, "application/x-msdownload")).await),
        ("unsupported_type", ErrorKind::UnsupportedType)
    );
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn a_file_over_the_links_per_file_limit_is_file_too_large() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_file_bytes: Some(500),
            ..new_link("Q3")
        },
    )
    .await;
    let e = drop_file(&w, &token, upload("big.pdf", 501, "application/pdf"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::DropTooLarge {
            size: 501,
            max: 500
        }
    );
    assert_eq!(
        (e.code(), e.kind()),
        ("file_too_large", ErrorKind::TooLarge)
    );
    assert_eq!(used(&w, &id).await, (0, 0));

    drop_file(&w, &token, upload("fits.pdf", 500, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (1, 500));
}

#[tokio::test]
async fn a_file_over_the_links_bytes_left_is_file_too_large() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_total_bytes: Some(1_000),
            ..new_link("Q3")
        },
    )
    .await;
    drop_file(&w, &token, upload("a.pdf", 600, "application/pdf"))
        .await
        .unwrap();
    let e = drop_file(&w, &token, upload("b.pdf", 401, "application/pdf"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::DropTooLarge {
            size: 401,
            max: 400
        }
    );
    assert_eq!(e.code(), "file_too_large");
    assert_eq!(used(&w, &id).await, (1, 600));
    assert_eq!(usage(&w).await, (0, 600, 1));

    drop_file(&w, &token, upload("c.pdf", 400, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 1_000));
}

#[tokio::test]
async fn a_link_that_asks_for_a_name_refuses_a_drop_without_one() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            require_uploader_name: true,
            ..new_link("Q3")
        },
    )
    .await;
    let without = [
        None,
        Some(Uploader::default()),
        Some(Uploader {
            name: Some("   ".into()),
            email: Some("ann@example.org".into()),
            note: None,
        }),
    ];
    for uploader in without {
        let req = DropUpload {
            uploader: uploader.clone(),
            ..upload("a.pdf", 10, "application/pdf")
        };
        assert_eq!(
            kind(drop_file(&w, &token, req).await),
            ("uploader_name_required", ErrorKind::BadRequest),
            "{uploader:?}"
        );
    }
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));

    let d = drop_file(&w, &token, by("a.pdf", 10, "application/pdf", "Ann"))
        .await
        .unwrap();
    assert_eq!(d.file.uploader.and_then(|u| u.name).as_deref(), Some("Ann"));
}

#[tokio::test]
async fn bidi_controls_in_names_are_invalid_name() {
    let w = world();
    let (token, id) = link(&w, new_link("Q3")).await;
    let cases = [
        upload("invoice\u{202e}fdp.exe", 10, "application/pdf"),
        upload("invoice\u{2066}.pdf", 10, "application/pdf"),
        upload("zero\u{200b}width.pdf", 10, "application/pdf"),
        by("a.pdf", 10, "application/pdf", "Ann\u{202e}htims"),
        by("a.pdf", 10, "application/pdf", "\u{feff}Ann"),
    ];
    for req in cases {
        let shown = format!("{req:?}");
        assert_eq!(
            kind(drop_file(&w, &token, req).await),
            ("invalid_name", ErrorKind::BadRequest),
            "{shown}"
        );
    }
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));
    // And the owner cannot name a link so either.
    assert_eq!(
        code(
            w.links
                .create(&owner(), None, &new_link("tax\u{202e}fdp"))
                .await
        ),
        "invalid_name"
    );
}

#[tokio::test]
async fn a_full_owner_quota_is_file_too_large_for_the_uploader_and_does_not_use_the_link() {
    let w = world_with(Settings {
        quota_bytes: 500,
        ..settings()
    });
    let (token, id) = link(&w, new_link("Q3")).await;
    drop_file(&w, &token, upload("a.pdf", 400, "application/pdf"))
        .await
        .unwrap();
    // The largest file the link takes now is the owner's free space, the smallest limit.
    assert_eq!(w.drops.info(&token, SRC).await.unwrap().max_file_bytes, 100);

    let e = drop_file(&w, &token, upload("b.pdf", 101, "application/pdf"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::DropTooLarge {
            size: 101,
            max: 100
        }
    );
    assert_eq!(
        (e.code(), e.kind()),
        ("file_too_large", ErrorKind::TooLarge)
    );
    let said = e.to_string();
    assert_eq!(said, "this link can take files up to 100 B");
    // The uploader has no quota, and learns nothing else of the owner's storage.
    for never in ["quota", "storage", "owner", "500", "400"] {
        assert!(!said.contains(never), "{never}: {said}");
    }
    assert_eq!(
        used(&w, &id).await,
        (1, 400),
        "the refused drop used nothing"
    );
    assert_eq!(w.drops.info(&token, SRC).await.unwrap().uploads_left, 9);
    let u = w.ledger.usage(&owner(), 500).await.unwrap();
    assert_eq!((u.used_bytes, u.reserved_bytes, u.files), (0, 400, 1));

    // Exactly what is left still fits.
    drop_file(&w, &token, upload("c.pdf", 100, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 500));
}

#[tokio::test]
async fn a_stopped_account_s_link_is_link_disabled_until_it_is_restored() {
    use dropgate_core::standing::StandingStore;
    let w = world();
    let (token, _) = link(&w, new_link("Q3")).await;
    w.standing.set_disabled(&owner(), true).await.unwrap();
    assert_eq!(
        kind(w.drops.info(&token, SRC).await),
        ("link_disabled", ErrorKind::Gone)
    );
    assert_eq!(
        kind(drop_file(&w, &token, upload("a.pdf", 10, "application/pdf")).await),
        ("link_disabled", ErrorKind::Gone)
    );
    assert_eq!(usage(&w).await, (0, 0, 0), "nothing reserved");
    w.standing.set_disabled(&owner(), false).await.unwrap();
    assert!(w.drops.info(&token, SRC).await.is_ok(), "live again");
    assert!(
        drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
            .await
            .is_ok()
    );
}
