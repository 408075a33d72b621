//! End to end, over HTTP: an owner registers webhooks (the secret shown once, sealed in the
//! table), lists, pauses, retypes and removes them; addresses inside the network are refused
//! with the reason; `MAX_WEBHOOKS` holds; another owner's webhook is 404 on every route.

use crate::common;

use common::LocalStack;
use reqwest::Method;
use serde_json::{Value, json};

async fn create(stack: &LocalStack, token: &str, body: Value) -> (u16, Value) {
    stack.post("/webhooks", Some(token), body).await
}

fn code(b: &Value) -> &str {
    b["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_registers_lists_pauses_and_removes_webhooks() {
    let stack =
        LocalStack::start_with_args(&["--allow-loopback-webhooks"], &[("MAX_WEBHOOKS", "2")]).await;
    let ada = stack.user("ada-hooks@example.com").await;
    let bob = stack.user("bob-hooks@example.com").await;

    let (s, b) = create(
        &stack,
        &ada,
        json!({"url": "http://127.0.0.1:9/hook", "events": ["file.rejected", "file.accepted"],
               "description": "intake"}),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let hook = &b["webhook"];
    let id = hook["id"].as_str().unwrap().to_owned();
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 44,
        "{secret}"
    );
    assert_eq!(hook["events"], json!(["file.accepted", "file.rejected"]));
    assert_eq!(hook["state"], "active");
    assert_eq!(hook["description"], "intake");
    assert_eq!(hook["url"], "http://127.0.0.1:9/hook");

    // Shown once: never in a listing, a read, nor anywhere in the emulator's state.
    let (s, b) = stack.get("/webhooks", &ada).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["webhooks"].as_array().unwrap().len(), 1);
    assert!(b["webhooks"][0].get("secret").is_none(), "{b}");
    let (s, b) = stack.get(&format!("/webhooks/{id}"), &ada).await;
    assert_eq!((s, b["webhook"]["id"].as_str()), (200, Some(id.as_str())));
    assert!(b["webhook"].get("secret").is_none());
    let key = secret.trim_start_matches("whsec_");
    assert!(
        !stack.moto_text().await.contains(key),
        "secret stored in the clear"
    );

    // Refused with the reason, nothing stored.
    for (url, why) in [
        ("https://10.0.0.1/", "10.0.0.0/8"),
        ("https://169.254.169.254/latest/", "169.254.0.0/16"),
        ("https://[::1]/", "loopback"),
        ("https://[fd00::1]/", "fc00::/7"),
        ("http://example.com/", "https"),
        ("http://127.0.0.2:9/", "https"),
        ("http://127.0.0.1/", "https"),
        ("https://localhost/", "localhost"),
        ("https://0x7f000001/", "127.0.0.0/8"),
        ("https://nothing.invalid/", "does not resolve"),
    ] {
        let (s, b) = create(
            &stack,
            &ada,
            json!({"url": url, "events": ["file.accepted"]}),
        )
        .await;
        assert_eq!((s, code(&b)), (400, "webhook_url_refused"), "{url}: {b}");
        let message = b["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{url}: {message}");
    }
    for events in [json!([]), json!(["file.nope"]), json!("file.accepted")] {
        let (s, b) = create(
            &stack,
            &ada,
            json!({"url": "http://127.0.0.1:9/", "events": events}),
        )
        .await;
        assert_eq!((s, code(&b)), (400, "invalid_event_type"), "{b}");
    }
    // No `events` at all is no event type either.
    let (s, b) = create(&stack, &ada, json!({"url": "http://127.0.0.1:9/"})).await;
    assert_eq!((s, code(&b)), (400, "invalid_event_type"), "{b}");

    // Another owner's webhook is not found, whatever the route.
    let path = format!("/webhooks/{id}");
    let (s, b) = stack.get(&path, &bob).await;
    assert_eq!((s, code(&b)), (404, "not_found"));
    let pause = json!({"state": "paused"}).to_string();
    let (s, _) = stack
        .call(Method::PATCH, &path, Some(&bob), Some(&pause))
        .await;
    assert_eq!(s, 404);
    let (s, _) = stack.call(Method::DELETE, &path, Some(&bob), None).await;
    assert_eq!(s, 404);
    let (s, b) = stack.get("/webhooks", &bob).await;
    assert_eq!((s, b), (200, json!({"webhooks": []})));

    // Pause, retype; the url never changes.
    let (s, b) = stack
        .call(Method::PATCH, &path, Some(&ada), Some(&pause))
        .await;
    assert_eq!((s, b["webhook"]["state"].as_str()), (200, Some("paused")));
    let retype = json!({"events": ["file.deleted"]}).to_string();
    let (s, b) = stack
        .call(Method::PATCH, &path, Some(&ada), Some(&retype))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["webhook"]["events"], json!(["file.deleted"]));
    assert_eq!(b["webhook"]["state"], "paused");
    let move_it = json!({"url": "http://127.0.0.1:10/"}).to_string();
    let (s, b) = stack
        .call(Method::PATCH, &path, Some(&ada), Some(&move_it))
        .await;
    assert_eq!((s, code(&b)), (400, "url_immutable"));

    // MAX_WEBHOOKS=2: the third is refused until one is removed.
    let second = json!({"url": "http://127.0.0.1:9/two", "events": ["file.accepted"]});
    let (s, b) = create(&stack, &ada, second.clone()).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = create(&stack, &ada, second.clone()).await;
    assert_eq!((s, code(&b)), (409, "webhook_limit"), "{b}");
    let (s, _) = stack.call(Method::DELETE, &path, Some(&ada), None).await;
    assert_eq!(s, 204);
    let (s, _) = stack.call(Method::DELETE, &path, Some(&ada), None).await;
    assert_eq!(s, 404, "removed once");
    let (s, b) = create(&stack, &ada, second).await;
    assert_eq!(s, 201, "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_loopback_is_refused_too() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada-noloop@example.com").await;
    let (s, b) = create(
        &stack,
        &ada,
        json!({"url": "http://127.0.0.1:9/hook", "events": ["file.accepted"]}),
    )
    .await;
    assert_eq!((s, code(&b)), (400, "webhook_url_refused"), "{b}");
}
