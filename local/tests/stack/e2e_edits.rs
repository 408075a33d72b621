//! End to end, over HTTP: an owner finds a link's and a share's URL again after creating it
//! (it opens the same drop page and share), edits their settings and sees the edit enforced,
//! cannot touch another owner's, and removes ended ones. The token is in no table: only its
//! hash and its KMS-sealed form.

use crate::common;

use common::{LocalStack, samples};
use reqwest::Method;
use serde_json::{Value, json};

async fn patch(stack: &LocalStack, path: &str, owner: &str, body: Value) -> (u16, Value) {
    stack
        .call(Method::PATCH, path, Some(owner), Some(&body.to_string()))
        .await
}

async fn delete(stack: &LocalStack, path: &str, owner: &str) -> (u16, Value) {
    stack.call(Method::DELETE, path, Some(owner), None).await
}

fn code(b: &Value) -> &str {
    b["error"]["code"].as_str().unwrap_or_default()
}

/// The listed item whose `id` is `id`, from `GET {path}` under `key`.
async fn listed(stack: &LocalStack, owner: &str, path: &str, key: &str, id: &str) -> Value {
    let (s, b) = stack.get(path, owner).await;
    assert_eq!(s, 200, "{b}");
    b[key]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {b}"))
        .clone()
}

/// Every item of every table, as debug text.
async fn all_items(stack: &LocalStack) -> String {
    let ddb = aws_sdk_dynamodb::Client::new(&stack.sdk().await);
    let mut text = String::new();
    for table in stack.ready["resources"]["tables"]
        .as_object()
        .unwrap()
        .values()
    {
        let out = ddb
            .scan()
            .table_name(table.as_str().unwrap())
            .send()
            .await
            .unwrap();
        text.push_str(&format!("{:?}\n", out.items()));
    }
    text
}

/// The path of an absolute URL of this stack.
fn path_of<'a>(stack: &LocalStack, url: &'a str) -> &'a str {
    url.strip_prefix(stack.api.as_str())
        .unwrap_or_else(|| panic!("{url} is not under {}", stack.api))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_shares_are_found_again_edited_and_removed() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada-edits@example.com").await;
    let bob = stack.user("bob-edits@example.com").await;

    // 1. A link's URL, listed again, is the one creation gave, and opens the same drop.
    let (s, b) = stack
        .post(
            "/links",
            Some(&ada),
            json!({"label": "Receipts", "max_uploads": 5}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let link = b["link"].clone();
    let (id, token) = (
        link["id"].as_str().unwrap(),
        link["token"].as_str().unwrap(),
    );
    let url = link["url"].as_str().unwrap();
    let again = listed(&stack, &ada, "/links", "links", id).await;
    assert_eq!(again["url"], url);
    assert!(again.get("token").is_none(), "{again}");
    let (s, one) = stack.get(&format!("/links/{id}"), &ada).await;
    assert_eq!((s, &one["link"]["url"]), (200, &json!(url)));
    let page = stack.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("drop.js"));
    let drop_path = path_of(&stack, url).replacen("/d/", "/drop/", 1);
    let (s, _, info) = stack.anonymous(Method::GET, &drop_path, None).await;
    assert_eq!(
        (s, info["label"].as_str()),
        (200, Some("Receipts")),
        "{info}"
    );

    // 2. An edit changes what the link enforces.
    let (s, b) = patch(
        &stack,
        &format!("/links/{id}"),
        &ada,
        json!({"max_file_bytes": 100, "allowed_types": ["image/png"],
               "require_uploader_name": true, "label": "Photos"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["link"]["url"], url);
    let drop = |name: &str, size: u64, ty: &str, who: Option<&str>| {
        let mut body = json!({"name": name, "size": size, "content_type": ty});
        if let Some(w) = who {
            body["uploader"] = json!({"name": w});
        }
        body
    };
    let files = format!("/drop/{token}/files");
    for (body, want) in [
        (
            drop("a.pdf", 50, "application/pdf", Some("Carol")),
            "unsupported_type",
        ),
        (
            drop("a.png", 50, "image/png", None),
            "uploader_name_required",
        ),
        (
            drop("a.png", 101, "image/png", Some("Carol")),
            "file_too_large",
        ),
    ] {
        let (s, _, b) = stack.anonymous(Method::POST, &files, Some(body)).await;
        assert!(s >= 400 && code(&b) == want, "{s} {b}, wanted {want}");
    }
    let (s, _, b) = stack
        .anonymous(
            Method::POST,
            &files,
            Some(drop("a.png", 100, "image/png", Some("Carol"))),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, _, info) = stack.anonymous(Method::GET, &drop_path, None).await;
    assert_eq!((s, info["label"].as_str()), (200, Some("Photos")));

    // 3. Another owner's is not found; the token is in no table, its sealed form is.
    let (s, b) = patch(
        &stack,
        &format!("/links/{id}"),
        &bob,
        json!({"max_uploads": 1000}),
    )
    .await;
    assert_eq!((s, code(&b)), (404, "not_found"));
    let items = all_items(&stack).await;
    assert!(!items.contains(token), "the token is in a table");
    assert!(items.contains("token_sealed"), "{items}");

    // 4. A share: its URL again, an edit enforced, another owner's not found.
    let png = samples::png();
    let file = stack.upload(&ada, "sun.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &file).await["status"], "accepted");
    let (s, b) = stack
        .post(
            &format!("/files/{file}/shares"),
            Some(&ada),
            json!({"max_downloads": 1}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let share = b["share"].clone();
    let (sid, stoken) = (
        share["id"].as_str().unwrap(),
        share["token"].as_str().unwrap(),
    );
    let surl = share["url"].as_str().unwrap();
    assert_eq!(
        listed(&stack, &ada, "/shares", "shares", sid).await["url"],
        surl
    );
    let page = stack.http.get(surl).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let info_path = path_of(&stack, surl).replacen("/s/", "/share/", 1);
    let (s, _, info) = stack.anonymous(Method::GET, &info_path, None).await;
    assert_eq!((s, info["name"].as_str()), (200, Some("sun.png")), "{info}");

    let (s, b) = patch(
        &stack,
        &format!("/shares/{sid}"),
        &ada,
        json!({"max_downloads": 2}),
    )
    .await;
    assert_eq!(
        (s, b["share"]["downloads_left"].as_u64()),
        (200, Some(2)),
        "{b}"
    );
    let download = format!("/share/{stoken}/download");
    for _ in 0..2 {
        let (s, _, b) = stack.anonymous(Method::POST, &download, None).await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, _, b) = stack.anonymous(Method::POST, &download, None).await;
    assert_eq!((s, code(&b)), (410, "share_exhausted"));
    let (s, b) = patch(
        &stack,
        &format!("/shares/{sid}"),
        &bob,
        json!({"label": "mine"}),
    )
    .await;
    assert_eq!((s, code(&b)), (404, "not_found"));
    let (s, b) = patch(
        &stack,
        &format!("/shares/{sid}"),
        &ada,
        json!({"max_downloads": 9}),
    )
    .await;
    assert_eq!((s, code(&b)), (409, "share_ended"));

    // A password set by an edit is asked for.
    let (s, b) = stack
        .post(&format!("/files/{file}/shares"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (sid2, stoken2) = (
        b["share"]["id"].as_str().unwrap(),
        b["share"]["token"].as_str().unwrap(),
    );
    let (s, b) = patch(
        &stack,
        &format!("/shares/{sid2}"),
        &ada,
        json!({"password": "new secret 1"}),
    )
    .await;
    assert_eq!(
        (s, b["share"]["password_protected"].as_bool()),
        (200, Some(true)),
        "{b}"
    );
    let (s, _, b) = stack
        .anonymous(Method::POST, &format!("/share/{stoken2}/download"), None)
        .await;
    assert_eq!((s, code(&b)), (401, "password_required"));

    // 5. Ended ones are removed, live ones are not.
    let (s, b) = delete(&stack, &format!("/links/{id}?remove=true"), &ada).await;
    assert_eq!((s, code(&b)), (409, "link_active"));
    assert_eq!(delete(&stack, &format!("/links/{id}"), &ada).await.0, 204);
    let (s, b) = patch(
        &stack,
        &format!("/links/{id}"),
        &ada,
        json!({"max_uploads": 9}),
    )
    .await;
    assert_eq!((s, code(&b)), (409, "link_ended"));
    assert_eq!(
        delete(&stack, &format!("/links/{id}?remove=true"), &bob)
            .await
            .0,
        404
    );
    assert_eq!(
        delete(&stack, &format!("/links/{id}?remove=true"), &ada)
            .await
            .0,
        204
    );
    let (_, b) = stack.get("/links", &ada).await;
    assert_eq!(b["links"], json!([]), "{b}");
    assert_eq!(
        delete(&stack, &format!("/shares/{sid}?remove=true"), &ada)
            .await
            .0,
        204
    );
    let (_, b) = stack.get("/shares", &ada).await;
    let ids: Vec<&str> = b["shares"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids, vec![sid2], "{b}");
}
