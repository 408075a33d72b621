//! Retention of dropped files: the owner's default reaches every file dropped after it is set.

use chrono::Duration;
use dropgate_core::profile::Profiles;

use crate::world::*;

#[tokio::test]
async fn a_dropped_file_takes_its_owners_default_retention() {
    let w = world();
    let (token, _) = link(&w, new_link("Taxes")).await;
    let before = drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(
        record(&w, &before.file.id).await.lifecycle.delete_after,
        None
    );

    w.profiles
        .set_file_retention_days(&owner(), Some(90))
        .await
        .unwrap();
    let after = drop_file(&w, &token, upload("b.pdf", 10, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(
        record(&w, &after.file.id).await.lifecycle.delete_after,
        Some(t0() + Duration::days(90))
    );
    // Set after the first drop: that one keeps what it had.
    assert_eq!(
        record(&w, &before.file.id).await.lifecycle.delete_after,
        None
    );
}

#[tokio::test]
async fn a_links_retain_days_win_over_the_owners_default_and_can_be_edited() {
    use dropgate_core::links::{LinkEdit, NewLink};
    let w = world();
    w.profiles
        .set_file_retention_days(&owner(), Some(90))
        .await
        .unwrap();
    let (token, id) = link(
        &w,
        NewLink {
            retain_days: Some(7),
            ..new_link("Intake")
        },
    )
    .await;
    assert_eq!(stored(&w, &id).await.retain_days, Some(7));
    let f = drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(
        record(&w, &f.file.id).await.lifecycle.delete_after,
        Some(t0() + Duration::days(7))
    );
    for bad in [0, 36_501] {
        let e = w
            .links
            .edit(
                &owner(),
                &id,
                &LinkEdit {
                    retain_days: Some(Some(bad)),
                    ..LinkEdit::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_retain_days");
    }
    // Removed: the owner's default applies again.
    let edited = w
        .links
        .edit(
            &owner(),
            &id,
            &LinkEdit {
                retain_days: Some(None),
                ..LinkEdit::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.retain_days, None);
    let g = drop_file(&w, &token, upload("b.pdf", 10, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(
        record(&w, &g.file.id).await.lifecycle.delete_after,
        Some(t0() + Duration::days(90))
    );
}
