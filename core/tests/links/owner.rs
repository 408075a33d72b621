//! The owner's side: create, views, list, revoke.

use dropgate_core::clock::Clock;
use dropgate_core::links::{Link, LinkState, LinkStore, NewLink};
use dropgate_core::{ErrorKind, FileStatus, LinkId, Settings, tokens};

use crate::world::*;

#[tokio::test]
async fn create_answers_the_token_once_and_stores_only_its_hash() {
    let w = world();
    let c = w
        .links
        .create(
            &owner(),
            Some(OWNER_EMAIL.to_owned()),
            &NewLink {
                max_uploads: Some(3),
                allowed_types: Some(types(&["application/pdf", "image/png"])),
                ..new_link(" Q3 receipts ")
            },
        )
        .await
        .unwrap()
        .link;
    let token = c.token.clone().unwrap();
    assert_eq!(token.len(), 43);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );
    assert_eq!(c.url.as_deref(), Some(format!("{BASE}/d/{token}").as_str()));
    assert_eq!(c.label, "Q3 receipts");
    assert_eq!(c.created_at, "2026-11-22T10:00:00.000Z");
    assert_eq!(
        c.expires_at, "2026-11-25T10:00:00.000Z",
        "3 days by default"
    );
    assert_eq!((c.max_uploads, c.uploads_used, c.uploads_left), (3, 0, 3));
    assert_eq!((c.max_file_bytes, c.max_total_bytes), (MAX_FILE, None));
    assert_eq!((c.bytes_used, c.bytes_left), (0, None));
    assert_eq!(c.allowed_types, only(&["application/pdf", "image/png"]));
    assert!(!c.require_uploader_name && !c.revoked);
    assert_eq!(c.state, LinkState::Active);

    let s = w
        .ledger
        .get_link(&owner(), &dropgate_core::LinkId::parse(&c.id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.token_hash, tokens::hash(&token));
    assert_eq!(s.token_hash.len(), 64);
    assert_eq!(s.owner_email.as_deref(), Some(OWNER_EMAIL));
    assert!(
        !format!("{s:?}").contains(&token),
        "the stored link must not hold the token"
    );
    // The token resolves the link only through its hash.
    assert_eq!(w.ledger.find_link(&token).await.unwrap(), None);
    assert_eq!(
        w.ledger.find_link(&tokens::hash(&token)).await.unwrap(),
        Some(s)
    );

    let second = link(&w, new_link("Q4")).await;
    assert_ne!(second.0, token, "every link has a token of its own");
}

#[tokio::test]
async fn views_after_creation_carry_the_url_again_but_never_the_token() {
    let w = world();
    let created = w
        .links
        .create(&owner(), Some(OWNER_EMAIL.into()), &new_link("Q3"))
        .await
        .unwrap()
        .link;
    let (token, id) = (created.token.clone().unwrap(), created.id.clone());
    let url = created.url.clone().unwrap();
    assert!(url.ends_with(&format!("/d/{token}")));

    let one = w.links.view(&owner(), &id).await.unwrap();
    assert_eq!(
        (one.token.as_deref(), one.url.as_deref()),
        (None, Some(url.as_str()))
    );
    let listed = w.links.list(&owner(), None, None).await.unwrap();
    assert_eq!(listed.links.len(), 1);
    assert_eq!(listed.links[0], one);
    for v in [
        serde_json::to_value(&one).unwrap(),
        serde_json::to_value(&listed).unwrap()["links"][0].clone(),
    ] {
        assert!(v.get("token").is_none(), "{v}");
        assert_eq!(v["url"], url.as_str());
        assert_eq!(v["id"], id.as_str());
        assert_eq!(v["state"], "active");
    }
    // What is stored holds the token only sealed.
    let stored = w
        .ledger
        .get_link(&owner(), &LinkId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(stored.token_sealed.is_some());
    assert!(!format!("{stored:?}").contains(&token));

    // A link made before tokens were sealed, and one whose sealed token was copied from another
    // link: the URL cannot be shown (null), and nothing else changes.
    let legacy = Link {
        id: LinkId::parse("0000-legacy").unwrap(),
        token_sealed: None,
        token_hash: "11".repeat(32),
        ..stored.clone()
    };
    let copied = Link {
        id: LinkId::parse("0000-copied").unwrap(),
        token_hash: "22".repeat(32),
        ..stored.clone()
    };
    w.ledger.put_link(&legacy).await.unwrap();
    w.ledger.put_link(&copied).await.unwrap();
    for l in [&legacy, &copied] {
        let v = w.links.view(&owner(), l.id.as_str()).await.unwrap();
        assert_eq!(v.url, None, "{}", l.id);
        assert_eq!(
            serde_json::to_value(&v).unwrap()["url"],
            serde_json::Value::Null
        );
    }
}

#[tokio::test]
async fn list_is_newest_first_with_cursor_paging() {
    let w = world();
    for label in ["one", "two", "three"] {
        link(&w, new_link(label)).await;
    }
    w.links
        .create(&other(), None, &new_link("someone else's"))
        .await
        .unwrap();
    let labels = |l: &dropgate_core::links::LinkListing| {
        l.links.iter().map(|v| v.label.clone()).collect::<Vec<_>>()
    };

    let first = w.links.list(&owner(), Some("2"), None).await.unwrap();
    assert_eq!(labels(&first), ["three", "two"]);
    let cursor = first.next_cursor.clone().expect("a second page");
    let second = w
        .links
        .list(&owner(), Some("2"), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(labels(&second), ["one"]);
    assert_eq!(second.next_cursor, None);

    let all = w.links.list(&owner(), None, None).await.unwrap();
    assert_eq!(labels(&all), ["three", "two", "one"]);
    assert_eq!(all.next_cursor, None);
    let theirs = w.links.list(&other(), None, None).await.unwrap();
    assert_eq!(labels(&theirs), ["someone else's"]);

    assert_eq!(
        code(w.links.list(&owner(), Some("2"), Some("zz")).await),
        "invalid_cursor"
    );
    assert_eq!(
        code(w.links.list(&owner(), Some("0"), None).await),
        "invalid_limit"
    );
}

#[tokio::test]
async fn another_owners_link_is_not_found() {
    let w = world();
    let (token, id) = link(&w, new_link("mine")).await;
    drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();

    assert_eq!(
        kind(w.links.get(&other(), &id).await),
        ("not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        kind(w.links.view(&other(), &id).await),
        ("not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        kind(w.links.revoke(&other(), &id).await),
        ("not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        kind(w.links.files(&other(), &id, None, None).await),
        ("not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        code(w.links.get(&owner(), "l9999999999").await),
        "not_found"
    );

    // Nothing the other owner tried changed the link.
    let l = stored(&w, &id).await;
    assert!(!l.revoked);
    assert_eq!(l.state(w.clock.now()), LinkState::Active);
    assert_eq!(
        w.links
            .files(&owner(), &id, None, None)
            .await
            .unwrap()
            .files
            .len(),
        1
    );
}

#[tokio::test]
async fn revoke_is_idempotent_and_keeps_the_files() {
    let w = world();
    let (token, id) = link(&w, new_link("Q3")).await;
    let f = drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();

    w.links.revoke(&owner(), &id).await.unwrap();
    w.links.revoke(&owner(), &id).await.unwrap();

    let v = w.links.view(&owner(), &id).await.unwrap();
    assert!(v.revoked);
    assert_eq!(v.state, LinkState::Revoked);
    let files = w.links.files(&owner(), &id, None, None).await.unwrap();
    assert_eq!(files.files.len(), 1);
    assert_eq!(files.files[0].id, f.file.id);
    assert_eq!(record(&w, &f.file.id).await.status, FileStatus::Pending);
    assert_eq!(usage(&w).await, (0, 10, 1));
}

#[tokio::test]
async fn a_huge_lifetime_under_a_huge_setting_is_refused_or_saturates_never_panics() {
    // MAX_LINK_TTL_SECS as large as a u64 holds: the settings clamp it to ten years, so a
    // lifetime past the calendar's end is an ordinary 400.
    let huge = Settings {
        max_link_ttl: std::time::Duration::from_secs(u64::MAX),
        ..settings()
    };
    let w = world_with(huge.clone().clamped());
    let req = NewLink {
        expires_in: Some(1_000_000_000_000_000),
        ..new_link("Forever")
    };
    let err = w
        .links
        .create(&owner(), Some(OWNER_EMAIL.to_owned()), &req)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_expires_in");
    // Unclamped (a caller that skips the clamp), the same request saturates at the calendar's
    // end instead of overflowing.
    let w = world_with(huge);
    let created = w
        .links
        .create(&owner(), Some(OWNER_EMAIL.to_owned()), &req)
        .await
        .unwrap();
    let stored = w
        .ledger
        .get_link(
            &owner(),
            &dropgate_core::LinkId::parse(&created.link.id).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.expires_at, chrono::DateTime::<chrono::Utc>::MAX_UTC);
}
