//! Share passwords through the API, on the in-memory fakes: a protected share tells nothing
//! before its password (`GET` answers only that it needs one; `POST .../unlock` answers the
//! rest), and wrong passwords from every address together lock the share, mailing the owner
//! once per lockout.

mod common;

use std::sync::Arc;

use common::{expect_error, req, send, world, world_with};
use dropgate_core::fakes::{MemMailer, MemNotifier};
use dropgate_core::notify::{Courier, EventType};
use serde_json::{Value, json};

const PASSWORD: &str = "open sesame";
const WRONG: &str = "hunter2";

async fn shared(w: &common::World, body: Value) -> String {
    let (_, share) = common::shared(w, body).await;
    share["token"].as_str().unwrap().to_owned()
}

/// A password shown at `route` (`unlock` or `download`) of share `t`, from address `from`.
async fn attempt(
    w: &common::World,
    route: &str,
    t: &str,
    password: &str,
    from: &str,
) -> common::Resp {
    send(
        w,
        req("POST", &format!("/share/{t}/{route}"))
            .json(json!({ "password": password }))
            .from(from),
    )
    .await
}

async fn unlock(w: &common::World, t: &str, password: &str, from: &str) -> common::Resp {
    attempt(w, "unlock", t, password, from).await
}

async fn download(w: &common::World, t: &str, password: &str, from: &str) -> common::Resp {
    attempt(w, "download", t, password, from).await
}

#[tokio::test]
async fn a_protected_share_tells_nothing_before_its_password() {
    let w = world();
    let t = shared(&w, json!({"password": PASSWORD, "max_downloads": 2})).await;
    let r = send(&w, req("GET", &format!("/share/{t}"))).await;
    assert_eq!(r.status, 200);
    let info = r.json();
    let keys: Vec<&String> = info.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["expires_at", "password_required"], "{info}");
    assert_eq!(info["password_required"], true);
    assert!(
        !r.body.unwrap().contains("photo"),
        "no name before the password"
    );

    // The right password: the details, and no download counted.
    let r = unlock(&w, &t, PASSWORD, "198.51.100.1").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.json(),
        json!({"name": "photo.png", "shared_by": null, "size": 100, "content_type": "image/png", "expires_at": info["expires_at"], "downloads_left": 2})
    );
    let r = unlock(&w, &t, PASSWORD, "198.51.100.1").await;
    assert_eq!(r.json()["downloads_left"], 2, "an unlock counts nothing");

    // A wrong one is the download's 401; a missing one, bad JSON: 400 with stable codes.
    let r = unlock(&w, &t, WRONG, "198.51.100.2").await;
    assert_eq!((r.status, r.code()), (401, "wrong_password".into()));
    let r = download(&w, &t, WRONG, "198.51.100.2").await;
    assert_eq!((r.status, r.code()), (401, "wrong_password".into()));
    let path = format!("/share/{t}/unlock");
    expect_error(
        &w,
        req("POST", &path).json(json!({})),
        400,
        "invalid_password",
    )
    .await;
    expect_error(
        &w,
        req("POST", &path).json(json!({"password": ""})),
        400,
        "invalid_password",
    )
    .await;
    expect_error(&w, req("POST", &path).body("{nope"), 400, "invalid_json").await;
    expect_error(&w, req("POST", &path).body("[]"), 400, "invalid_request").await;
    expect_error(
        &w,
        req("POST", &path).json(json!({"password": 7})),
        400,
        "invalid_request",
    )
    .await;
    expect_error(
        &w,
        req("POST", "/share/unknown-token/unlock").json(json!({"password": "x"})),
        404,
        "share_not_found",
    )
    .await;

    // Without a password: GET unchanged, and unlock answers the same details.
    let open = shared(&w, json!({})).await;
    let info = send(&w, req("GET", &format!("/share/{open}"))).await.json();
    assert_eq!(info["name"], "photo.png");
    assert_eq!(info["password_required"], false);
    let r = unlock(&w, &open, "anything", "198.51.100.3").await;
    assert_eq!(r.json()["name"], "photo.png");
}

fn lockout_settings(s: &mut dropgate_core::Settings) {
    s.share_max_failures = 6;
    s.share_lockout = std::time::Duration::from_secs(600);
}

/// The lock's outbox entries delivered, as the notifier would: the owner's mails.
async fn delivered_mails(w: &common::World) -> Vec<dropgate_core::notify::Mail> {
    let entries: Vec<_> = w
        .shares
        .announced
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.event == EventType::ShareLocked)
        .cloned()
        .collect();
    let mailer = Arc::new(MemMailer::default());
    // The owner's address as the directory holds it when the notifier mails.
    let addresses = Arc::new(dropgate_core::fakes::MemAccountDirectory::default());
    for e in &entries {
        addresses.add(&e.file.owner, "alice@example.com");
    }
    let courier = Courier {
        notifier: Arc::new(MemNotifier::default()),
        bus: Arc::new(dropgate_core::fakes::MemBus::default()),
        mailer: mailer.clone(),
        links: w.ledger.clone(),
        addresses,
    };
    courier.deliver(&entries).await.unwrap();
    mailer.sent.lock().unwrap().clone()
}

#[tokio::test]
async fn wrong_passwords_from_many_addresses_lock_the_share_and_mail_the_owner_once() {
    let w = world_with(lockout_settings);
    let t = shared(&w, json!({"password": PASSWORD, "label": "Q3 report"})).await;
    // Two tries per address (under every per-address limit), at both routes.
    for i in 0..6 {
        let from = format!("198.51.100.{}", i / 2);
        let r = if i % 2 == 0 {
            unlock(&w, &t, WRONG, &from).await
        } else {
            download(&w, &t, WRONG, &from).await
        };
        assert_eq!(
            (r.status, r.code()),
            (401, "wrong_password".into()),
            "try {i}"
        );
    }
    // Locked: wrong or right, at either route, from anywhere.
    for (password, from) in [(WRONG, "192.0.2.1"), (PASSWORD, "192.0.2.2")] {
        for r in [
            unlock(&w, &t, password, from).await,
            download(&w, &t, password, from).await,
        ] {
            assert_eq!(
                (r.status, r.code()),
                (429, "share_locked".into()),
                "{:?}",
                r.body
            );
            assert_eq!(r.raw.headers["retry-after"], "600");
            assert_eq!(r.json()["error"]["retry_after"], 600);
        }
    }
    w.clock.advance(chrono::Duration::seconds(599));
    let r = unlock(&w, &t, PASSWORD, "192.0.2.3").await;
    assert_eq!(r.raw.headers["retry-after"], "1", "the seconds left");

    // One lock, one mail: the share and the file named, no password, no address.
    let mails = delivered_mails(&w).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let text = format!("{}\n{}", mails[0].subject, mails[0].body);
    assert_eq!(mails[0].to, "alice@example.com");
    assert!(
        text.contains("photo.png") && text.contains("Q3 report"),
        "{text}"
    );
    for secret in [WRONG, PASSWORD, "198.51.100", "192.0.2"] {
        assert!(!text.contains(secret), "the mail carries {secret}: {text}");
    }
    // One audit entry for the lock, by the system, with ids only.
    let q = dropgate_core::audit::AuditQuery {
        action: Some("share.locked".into()),
        newest_first: true,
        ..Default::default()
    };
    let locks = w.deps.audit.list(&q, None, None).await.unwrap().entries;
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert_eq!(locks[0].actor.kind, dropgate_core::audit::ActorKind::System);
    assert_eq!(locks[0].target.kind, "share");
    let detail = locks[0].detail.to_string();
    for secret in [
        WRONG,
        PASSWORD,
        "198.51.100",
        "192.0.2",
        "Q3 report",
        "photo.png",
        "alice",
    ] {
        assert!(
            !detail.contains(secret),
            "the entry carries {secret}: {detail}"
        );
    }

    // Once the lock ends the right password works, and counting starts again from zero.
    w.clock.advance(chrono::Duration::seconds(1));
    let r = unlock(&w, &t, PASSWORD, "192.0.2.3").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    for i in 0..5 {
        let r = unlock(&w, &t, WRONG, &format!("203.0.113.{}", 100 + i)).await;
        assert_eq!(r.status, 401);
    }
    assert_eq!(unlock(&w, &t, PASSWORD, "192.0.2.4").await.status, 200);
    assert_eq!(delivered_mails(&w).await.len(), 1, "no second lock yet");
    let r = unlock(&w, &t, WRONG, "203.0.113.200").await;
    assert_eq!(r.status, 401);
    assert_eq!(
        unlock(&w, &t, PASSWORD, "192.0.2.4").await.code(),
        "share_locked"
    );
    assert_eq!(delivered_mails(&w).await.len(), 2, "one mail per lockout");
}

#[tokio::test]
async fn concurrent_wrong_passwords_lock_the_share_once() {
    let w = Arc::new(world_with(lockout_settings));
    let t = shared(&w, json!({"password": PASSWORD})).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (w, t) = (w.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            unlock(&w, &t, WRONG, &format!("198.51.100.{i}"))
                .await
                .status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let locks = w
        .shares
        .announced
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.event == EventType::ShareLocked)
        .count();
    assert_eq!(locks, 1, "one lock, one mail: {statuses:?}");
    assert_eq!(
        unlock(&w, &t, PASSWORD, "192.0.2.9").await.code(),
        "share_locked"
    );
}
