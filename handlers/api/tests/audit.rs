//! The audit log's routes on the in-memory fakes: admins only (every `/admin/` route of the
//! table refuses anyone else), filters with their codes, and an export in pages that records
//! itself and verifies.

mod common;

use common::{ALICE, claims, expect_error, req, send, world};
use dropgate_api::ROUTES;
use dropgate_core::audit::{Actor, ActorKind, AuditEntry, AuditEvent, Verifier};
use serde_json::{Value, json};

fn admin(sub: &str) -> Value {
    let mut c = claims(sub);
    c["cognito:groups"] = json!(["admins"]);
    c
}

#[tokio::test]
async fn every_admin_route_refuses_anyone_but_an_admin() {
    let w = world();
    let admin_routes: Vec<_> = ROUTES
        .iter()
        .filter(|r| r.pattern.starts_with("/admin/"))
        .collect();
    assert!(admin_routes.len() >= 2);
    for r in admin_routes {
        assert!(!r.public, "{}", r.pattern);
        let path = r
            .pattern
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let mut not_admin = claims(ALICE);
        not_admin["cognito:groups"] = json!(["administrators", "staff"]);
        for c in [claims(ALICE), not_admin] {
            expect_error(&w, req(r.method, &path).claims(c), 403, "admin_only").await;
        }
        expect_error(&w, req(r.method, &path), 401, "unauthorized").await;
    }
}

async fn record(w: &common::World, action: &str, target: &str) {
    w.deps
        .audit
        .record(AuditEvent::new(
            Actor {
                id: "admin-1".into(),
                kind: ActorKind::Admin,
            },
            action,
            "user",
            target,
            json!({}),
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_admin_lists_filters_and_exports_the_log() {
    let w = world();
    for i in 0..3 {
        record(&w, "user.disabled", &format!("u{i}")).await;
    }
    record(&w, "user.enabled", "u1").await;
    let r = send(
        &w,
        req("GET", "/admin/audit")
            .claims(admin(ALICE))
            .query(json!({"limit": "2"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let page = r.json();
    let seqs: Vec<u64> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![4, 3]);
    assert_eq!(page["next_cursor"], "3");
    let r = send(
        &w,
        req("GET", "/admin/audit")
            .claims(admin(ALICE))
            .query(json!({"target": "user:u1"})),
    )
    .await;
    let actions: Vec<Value> = r.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(actions, vec![json!("user.enabled"), json!("user.disabled")]);

    for (q, code) in [
        (json!({"since": "yesterday"}), "invalid_since"),
        (json!({"target": "u1"}), "invalid_target"),
        (json!({"cursor": "x"}), "invalid_cursor"),
        (json!({"limit": "0"}), "invalid_limit"),
    ] {
        expect_error(
            &w,
            req("GET", "/admin/audit").claims(admin(ALICE)).query(q),
            400,
            code,
        )
        .await;
    }
    expect_error(
        &w,
        req("GET", "/admin/audit/export")
            .claims(admin(ALICE))
            .query(json!({"format": "xml"})),
        400,
        "invalid_format",
    )
    .await;

    let r = send(&w, req("GET", "/admin/audit/export").claims(admin(ALICE))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.raw.headers["content-type"], "application/x-ndjson");
    assert!(r.raw.headers.get("dropgate-next-cursor").is_none());
    let mut v = Verifier::default();
    for line in r.body.as_deref().unwrap().lines() {
        v.push(&serde_json::from_str::<AuditEntry>(line).unwrap())
            .unwrap();
    }
    assert_eq!(v.count(), 4);
    // The export is an entry itself, by the admin who asked.
    let r = send(
        &w,
        req("GET", "/admin/audit")
            .claims(admin(ALICE))
            .query(json!({"action": "audit.exported"})),
    )
    .await;
    let e = &r.json()["entries"][0];
    assert_eq!(e["seq"], 5);
    assert_eq!(e["actor"], json!({"id": ALICE, "kind": "admin"}));
    assert_eq!(e["detail"], json!({"format": "jsonl"}));
}
