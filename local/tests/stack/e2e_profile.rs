//! End to end, over HTTP: a share's page names who shared it. The owner sets a display name
//! (stored beside their quota), the share's answer carries it at each open, a protected share
//! only after its password; clearing it shows none; another owner's name and any email never
//! appear.

use crate::common;

use common::{LocalStack, samples};
use reqwest::Method;
use serde_json::{Value, json};

async fn set_name(stack: &LocalStack, owner: &str, name: Value) -> (u16, Value) {
    let body = json!({ "display_name": name }).to_string();
    stack
        .call(Method::PUT, "/account/profile", Some(owner), Some(&body))
        .await
}

async fn open(stack: &LocalStack, token: &str) -> Value {
    let (s, _, b) = stack
        .anonymous(Method::GET, &format!("/share/{token}"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

async fn share(stack: &LocalStack, owner: &str, file: &str, body: Value) -> String {
    let (s, b) = stack
        .post(&format!("/files/{file}/shares"), Some(owner), body)
        .await;
    assert_eq!(s, 201, "{b}");
    b["share"]["token"].as_str().expect("token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_names_its_owner_by_the_name_they_set_and_never_by_email() {
    let stack = LocalStack::start().await;
    let ada_email = "ada-profile@example.com";
    let bob_email = "bob-profile@example.com";
    let ada = stack.user(ada_email).await;
    let bob = stack.user(bob_email).await;

    let (s, b) = stack.get("/account/profile", &ada).await;
    assert_eq!((s, b), (200, json!({"profile": {"display_name": null}})));
    // A name set before any upload: the quota's first reservation still works beside it.
    let (s, b) = set_name(&stack, &ada, json!(" Ada  Lovelace ")).await;
    assert_eq!(
        (s, b),
        (200, json!({"profile": {"display_name": "Ada Lovelace"}}))
    );
    let (s, b) = set_name(&stack, &bob, json!("Bob the Sharer")).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = set_name(&stack, &ada, json!("Ada\u{202E}ecalevol")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_display_name"))
    );

    let png = samples::png();
    let file = stack.upload(&ada, "portrait.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &file).await["status"], "accepted");
    let (s, q) = stack.get("/quota", &ada).await;
    assert_eq!((s, q["files"].as_u64()), (200, Some(1)), "{q}");
    let open_token = share(&stack, &ada, &file, json!({})).await;
    let locked_token = share(&stack, &ada, &file, json!({"password": "open sesame"})).await;

    let info = open(&stack, &open_token).await;
    assert_eq!(info["shared_by"], "Ada Lovelace", "{info}");
    let text = info.to_string();
    for never in [ada_email, bob_email, "Bob the Sharer"] {
        assert!(!text.contains(never), "{never} in {text}");
    }
    // Protected: nothing before the password, the name after it.
    let info = open(&stack, &locked_token).await;
    assert!(info.get("shared_by").is_none(), "{info}");
    let (s, _, b) = stack
        .anonymous(
            Method::POST,
            &format!("/share/{locked_token}/unlock"),
            Some(json!({"password": "open sesame"})),
        )
        .await;
    assert_eq!((s, &b["shared_by"]), (200, &json!("Ada Lovelace")), "{b}");

    // A rename shows at the next open; cleared, the share names nobody.
    let (s, _) = set_name(&stack, &ada, json!("Ada")).await;
    assert_eq!(s, 200);
    assert_eq!(open(&stack, &open_token).await["shared_by"], "Ada");
    let (s, b) = set_name(&stack, &ada, Value::Null).await;
    assert_eq!((s, b), (200, json!({"profile": {"display_name": null}})));
    let info = open(&stack, &open_token).await;
    assert_eq!(info["shared_by"], Value::Null, "{info}");
    assert!(!info.to_string().contains(ada_email), "{info}");
    // The quota is untouched by it all.
    let (_, q2) = stack.get("/quota", &ada).await;
    assert_eq!(q2, q);
}
