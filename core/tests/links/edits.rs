//! The owner edits a live link (what a drop is held to changes with it) and removes ended
//! ones; another owner's is not found, an ended one is not edited.

use dropgate_core::ErrorKind;
use dropgate_core::clock::Clock;
use dropgate_core::links::{LinkEdit, LinkState};

use crate::world::*;

#[tokio::test]
async fn an_edit_changes_what_a_drop_is_held_to() {
    let w = world();
    let (token, id) = link(&w, new_link("Q3")).await;
    assert!(
        drop_file(&w, &token, upload("a.pdf", 500, "application/pdf"))
            .await
            .is_ok()
    );

    let edit = LinkEdit {
        label: Some("Q3, smaller".into()),
        max_file_bytes: Some(100),
        allowed_types: Some(Some(types(&["image/png"]))),
        require_uploader_name: Some(true),
        max_uploads: Some(5),
        ..LinkEdit::default()
    };
    let v = w.links.edit(&owner(), &id, &edit).await.unwrap();
    assert_eq!(v.label, "Q3, smaller");
    assert_eq!(
        (v.max_file_bytes, v.max_uploads, v.uploads_used),
        (100, 5, 1)
    );
    assert_eq!(
        v.allowed_types,
        dropgate_core::allowed::TypePolicy::only(["image/png"])
    );
    assert!(v.require_uploader_name);
    assert!(
        v.url.as_deref().is_some_and(|u| u.ends_with(&token)),
        "the URL stays"
    );
    assert!(v.token.is_none());

    // A drop is now held to the new settings.
    assert_eq!(
        code(drop_file(&w, &token, by("b.pdf", 50, "application/pdf", "Ada")).await),
        "unsupported_type"
    );
    assert_eq!(
        code(drop_file(&w, &token, upload("c.png", 50, "image/png")).await),
        "uploader_name_required"
    );
    assert_eq!(
        code(drop_file(&w, &token, by("d.png", 101, "image/png", "Ada")).await),
        "file_too_large"
    );
    assert!(
        drop_file(&w, &token, by("e.png", 100, "image/png", "Ada"))
            .await
            .is_ok()
    );
    let info = w.drops.info(&token, SRC).await.unwrap();
    assert_eq!(info.uploads_left, 3);
}

#[tokio::test]
async fn edits_answer_the_creation_codes_and_only_to_the_owner() {
    let w = world();
    let (_, id) = link(&w, new_link("Q3")).await;
    let bad = LinkEdit {
        max_uploads: Some(0),
        ..LinkEdit::default()
    };
    assert_eq!(
        code(w.links.edit(&owner(), &id, &bad).await),
        "invalid_max_uploads"
    );
    let fine = LinkEdit {
        label: Some("mine".into()),
        ..LinkEdit::default()
    };
    assert_eq!(
        kind(w.links.edit(&other(), &id, &fine).await).1,
        ErrorKind::NotFound
    );
    assert_eq!(stored(&w, &id).await.label, "Q3");
    assert_eq!(
        kind(w.links.remove(&other(), &id).await).1,
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn an_ended_link_is_not_edited_and_only_an_ended_one_is_removed() {
    let w = world();
    let (_, id) = link(&w, new_link("Q3")).await;
    let fine = LinkEdit {
        expires_in: Some(60),
        ..LinkEdit::default()
    };
    assert_eq!(code(w.links.remove(&owner(), &id).await), "link_active");
    w.links.revoke(&owner(), &id).await.unwrap();
    assert_eq!(
        kind(w.links.edit(&owner(), &id, &fine).await),
        ("link_ended", ErrorKind::Conflict)
    );
    w.links.remove(&owner(), &id).await.unwrap();
    assert_eq!(
        kind(w.links.view(&owner(), &id).await).1,
        ErrorKind::NotFound
    );
    assert_eq!(
        kind(w.links.remove(&owner(), &id).await).1,
        ErrorKind::NotFound
    );

    // Expired: `expires_in` counts from the edit, and an expired link stays ended.
    let (_, id) = link(&w, new_link("short")).await;
    let v = w.links.edit(&owner(), &id, &fine).await.unwrap();
    assert_eq!(v.expires_at, "2026-11-22T10:01:00.000Z");
    w.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(
        stored(&w, &id).await.state(w.clock.now()),
        LinkState::Expired
    );
    assert_eq!(code(w.links.edit(&owner(), &id, &fine).await), "link_ended");
    w.links.remove(&owner(), &id).await.unwrap();
}
