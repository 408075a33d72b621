use std::sync::Arc;

use chrono::{TimeZone, Utc};

use super::*;
use crate::fakes::{FixedClock, MemResolver, MemSealer, MemWebhooks, SeqIds};
use crate::webhooks::key_of;

struct World {
    svc: WebhookService,
    resolver: Arc<MemResolver>,
    store: Arc<MemWebhooks>,
}

fn world(allow_loopback: bool) -> World {
    let resolver = Arc::new(MemResolver::default());
    let store = Arc::new(MemWebhooks::default());
    resolver.set("hooks.example.com", &["93.184.216.34"]);
    resolver.set("inside.example.com", &["10.1.2.3"]);
    resolver.set("mixed.example.com", &["93.184.216.34", "169.254.169.254"]);
    let svc = WebhookService {
        store: store.clone(),
        sealer: Arc::new(MemSealer::default()),
        resolver: resolver.clone(),
        clock: Arc::new(FixedClock::at(
            Utc.with_ymd_and_hms(2026, 12, 4, 20, 0, 0).unwrap(),
        )),
        ids: Arc::new(SeqIds::default()),
        max_webhooks: 3,
        allow_loopback,
    };
    World {
        svc,
        resolver,
        store,
    }
}

fn owner(s: &str) -> OwnerId {
    OwnerId::parse(s).unwrap()
}

fn new(url: &str, events: &[&str]) -> NewWebhook {
    NewWebhook {
        url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        description: None,
    }
}

#[tokio::test]
async fn a_webhook_is_created_with_a_secret_shown_once_and_kept_sealed() {
    let w = world(false);
    let ada = owner("ada");
    let c = w
        .svc
        .create(
            &ada,
            &new(
                "https://hooks.example.com/in",
                &["file.rejected", "file.accepted", "file.accepted"],
            ),
        )
        .await
        .unwrap();
    assert_eq!(key_of(&c.secret).map(|k| k.len()), Some(32));
    assert_eq!(
        c.view.events,
        [EventKind::FileAccepted, EventKind::FileRejected]
    );
    assert_eq!(c.view.state, WebhookState::Active);
    let stored = w.svc.get(&ada, &c.view.id).await.unwrap();
    assert_ne!(stored.sealed_secret, c.secret, "never stored in the clear");
    assert_eq!(w.svc.secret(&stored).await.unwrap(), Some(c.secret.clone()));
    // The listing never shows the secret.
    let json = serde_json::to_string(&w.svc.list(&ada).await.unwrap()).unwrap();
    assert!(!json.contains(&c.secret) && !json.contains("secret"));
}

#[tokio::test]
async fn events_must_be_known_and_at_least_one() {
    let w = world(false);
    for events in [&[][..], &["file.nope"], &["file.accepted", "ping"]] {
        let e = w
            .svc
            .create(&owner("ada"), &new("https://hooks.example.com/", events))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_event_type", "{events:?}");
    }
}

#[tokio::test]
async fn addresses_inside_the_network_are_refused_with_the_reason() {
    let w = world(false);
    for url in [
        "http://hooks.example.com/",
        "https://10.0.0.1/",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://169.254.169.254/",
        "https://[fd00::1]/",
        "https://inside.example.com/",
        "https://mixed.example.com/",
        "https://unknown.example.com/",
        "https://localhost/",
        "https://0x7f000001/",
    ] {
        let e = w
            .svc
            .create(&owner("ada"), &new(url, &["file.accepted"]))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "webhook_url_refused", "{url}");
        assert!(e.to_string().len() > "this URL cannot receive webhooks: ".len());
    }
    let e = w
        .svc
        .create(&owner("ada"), &new("https://10.0.0.1/", &["file.accepted"]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("10.0.0.0/8"), "{e}");
    assert!(w.store.list(&owner("ada")).await.unwrap().is_empty());
    // DNS that moves inside the network is refused when checked again.
    w.resolver.set("hooks.example.com", &["192.168.1.5"]);
    assert!(w.svc.check("https://hooks.example.com/").await.is_err());
}

#[tokio::test]
async fn only_the_stacks_loopback_exception_reaches_127_0_0_1() {
    let refused = world(false);
    let url = "http://127.0.0.1:9000/hook";
    assert!(refused.svc.check(url).await.is_err());
    let allowed = world(true);
    assert_eq!(
        allowed.svc.check(url).await.unwrap(),
        "127.0.0.1".parse::<std::net::IpAddr>().unwrap()
    );
    assert!(allowed.svc.check("http://localhost:9000/").await.is_err());
    assert!(allowed.svc.check("https://127.0.0.1:9000/").await.is_err());
}

#[tokio::test]
async fn the_limit_holds_and_another_owners_webhook_is_not_found() {
    let w = world(false);
    let ada = owner("ada");
    let hook = new("https://hooks.example.com/", &["file.accepted"]);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(w.svc.create(&ada, &hook).await.unwrap().view.id);
    }
    assert_eq!(
        w.svc.create(&ada, &hook).await.unwrap_err().code(),
        "webhook_limit"
    );
    let bob = owner("bob");
    assert_eq!(
        w.svc.get(&bob, &ids[0]).await.unwrap_err().code(),
        "not_found"
    );
    assert_eq!(
        w.svc
            .edit(&bob, &ids[0], None, Some("paused"))
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert_eq!(
        w.svc.remove(&bob, &ids[0]).await.unwrap_err().code(),
        "not_found"
    );
    let paused = w
        .svc
        .edit(&ada, &ids[0], None, Some("paused"))
        .await
        .unwrap();
    assert_eq!(paused.state, WebhookState::Paused);
    assert_eq!(
        w.svc
            .edit(&ada, &ids[0], None, Some("off"))
            .await
            .unwrap_err()
            .code(),
        "invalid_state"
    );
    w.svc.remove(&ada, &ids[0]).await.unwrap();
    w.svc.create(&ada, &hook).await.unwrap();
}
