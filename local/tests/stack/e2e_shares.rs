//! End to end, over HTTP: share links. An owner shares an accepted file with a download limit,
//! a password and a notice; pages, `HEAD`, link-preview bots and prefetches count nothing; only
//! `POST /share/{token}/download` with the right password counts, and it hands out the exact
//! bytes under the original name; the owner sees the download log (no addresses), the topic
//! gets every download, the owner one mail per ten minutes; the token and the password reach
//! no table, no mail, no message and no log. Also: deleting the file ends its shares, and 20
//! concurrent downloads of a 3-download share give exactly three.

use crate::common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{LocalStack, receive_until, samples};
use reqwest::Method;
use serde_json::{Value, json};

const SHARE_PASSWORD: &str = "open sesame";
const NAME: &str = "sunset photo.png";
const SLACKBOT: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CURL: &str = "curl/8.5.0";

fn code(b: &Value) -> Option<&str> {
    b["error"]["code"].as_str()
}

/// A request as a stranger's browser, bot or prefetcher sends it: status, headers, raw body.
async fn raw(
    stack: &LocalStack,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = stack.http.request(method, stack.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.expect("body"))
}

/// `GET /share/{token}` (no account).
async fn info(stack: &LocalStack, token: &str) -> (u16, Value) {
    let (s, _, b) = stack
        .anonymous(Method::GET, &format!("/share/{token}"), None)
        .await;
    (s, b)
}

/// `POST /share/{token}/unlock` with the right password: what the share holds (counts nothing).
async fn unlocked(stack: &LocalStack, token: &str) -> Value {
    let (s, _, b) = stack
        .anonymous(
            Method::POST,
            &format!("/share/{token}/unlock"),
            Some(json!({"password": SHARE_PASSWORD})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

/// `POST /share/{token}/download` with an optional JSON body and a user agent.
async fn download(
    stack: &LocalStack,
    token: &str,
    body: Option<Value>,
    user_agent: &str,
) -> (u16, Value) {
    let mut req = stack
        .http
        .post(stack.url(&format!("/share/{token}/download")))
        .header("user-agent", user_agent);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("download request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, json)
}

/// `POST /files/{id}/shares` as the owner; the `share` object of the 201.
async fn share(stack: &LocalStack, owner: &str, file: &str, body: Value) -> Value {
    let (s, b) = stack
        .post(&format!("/files/{file}/shares"), Some(owner), body)
        .await;
    assert_eq!(s, 201, "{b}");
    b["share"].clone()
}

/// The owner's view of one share, from `GET /shares`.
async fn owner_view(stack: &LocalStack, owner: &str, id: &str) -> Value {
    let (s, b) = stack.get("/shares", owner).await;
    assert_eq!(s, 200, "{b}");
    b["shares"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("share {id} not listed: {b}"))
        .clone()
}

/// The emulator's sent mails.
async fn mails(stack: &LocalStack) -> Vec<Value> {
    stack.moto_data().await["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Every item of every table, as debug text.
async fn all_items(stack: &LocalStack) -> String {
    let ddb = aws_sdk_dynamodb::Client::new(&stack.sdk().await);
    let tables = stack.ready["resources"]["tables"].as_object().unwrap();
    for want in ["shares", "download_log", "upload_log"] {
        assert!(tables.contains_key(want), "{want} in the ready line");
    }
    let mut text = String::new();
    for table in tables.values() {
        let mut pages = ddb
            .scan()
            .table_name(table.as_str().unwrap())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            text.push_str(&format!("{:?}\n", page.unwrap().items()));
        }
    }
    text
}

/// What a presigned download URL answered: the exact bytes, under the original name.
fn check_bytes(status: u16, headers: &reqwest::header::HeaderMap, bytes: &[u8], png: &[u8]) {
    assert_eq!(status, 200);
    assert_eq!(bytes, png, "the exact bytes");
    let cd = headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("a Content-Disposition: {headers:?}"));
    assert!(cd.starts_with("attachment"), "{cd}");
    assert!(cd.contains(&format!("filename=\"{NAME}\"")), "{cd}");
    assert!(cd.contains("filename*=UTF-8''sunset%20photo.png"), "{cd}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_counts_only_real_downloads_tells_the_owner_and_keeps_its_secrets() {
    let started = Instant::now();
    let (stack, logs) = LocalStack::start_capturing_logs(&[]).await;
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
    let ops = stack.subscriber("ops-shares").await;
    let owner_email = "ada-shares@example.com";
    let ada = stack.user(owner_email).await;
    let png = samples::png();
    let file = stack.upload(&ada, NAME, &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &file).await["status"], "accepted");

    // 1. The share: limited, password-protected, the owner told.
    let created = share(
        &stack,
        &ada,
        &file,
        json!({"max_downloads": 2, "password": SHARE_PASSWORD, "notify_owner": true, "label": "For Ada"}),
    )
    .await;
    let token = created["token"].as_str().expect("token").to_owned();
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["url"], format!("{}/s/{token}", stack.api));
    assert_eq!(created["file_id"], file.as_str());
    assert_eq!(created["max_downloads"], 2);
    assert_eq!(created["downloads"], 0);
    assert_eq!(created["downloads_left"], 2);
    assert_eq!(created["password_protected"], true);
    assert_eq!(created["notify_owner"], true);
    assert_eq!(created["label"], "For Ada");
    assert_eq!(created["state"], "active");
    assert!(!created.to_string().contains(SHARE_PASSWORD), "{created}");

    // 2. The page, HEAD, a link-preview bot, a prefetch, the info route: none of them counts.
    let page = format!("/s/{token}");
    let infop = format!("/share/{token}");
    let (s, h, body) = raw(&stack, Method::GET, &page, &[]).await;
    assert_eq!(s, 200, "{body}");
    let ct = h.get("content-type").unwrap().to_str().unwrap();
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(
        body.contains("<html") || body.contains("<!doctype"),
        "{body}"
    );
    for path in [&page, &infop] {
        let (s, _, body) = raw(&stack, Method::HEAD, path, &[]).await;
        assert_eq!((s, body.as_str()), (200, ""), "HEAD {path}");
        let (s, _, body) = raw(&stack, Method::GET, path, &[("user-agent", SLACKBOT)]).await;
        assert_eq!(s, 200, "Slackbot GET {path}: {body}");
        let (s, _, body) = raw(&stack, Method::GET, path, &[("sec-purpose", "prefetch")]).await;
        assert_eq!(s, 200, "prefetch GET {path}: {body}");
    }
    // A protected share tells only that it needs its password; the unlock tells the rest.
    let (s, b) = info(&stack, &token).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"expires_at": created["expires_at"], "password_required": true})
    );
    assert_eq!(
        unlocked(&stack, &token).await,
        json!({"name": NAME, "shared_by": null, "size": png.len(), "content_type": "image/png",
               "expires_at": created["expires_at"], "downloads_left": 2})
    );
    assert_eq!(owner_view(&stack, &ada, &id).await["downloads"], 0);

    // 3. The password: wrong, missing (empty object, no body at all).
    let (s, b) = download(
        &stack,
        &token,
        Some(json!({"password": "open sesam"})),
        FIREFOX,
    )
    .await;
    assert_eq!((s, code(&b)), (401, Some("wrong_password")), "{b}");
    let (s, b) = download(&stack, &token, Some(json!({})), FIREFOX).await;
    assert_eq!((s, code(&b)), (401, Some("password_required")), "{b}");
    let (s, b) = download(&stack, &token, None, FIREFOX).await;
    assert_eq!((s, code(&b)), (401, Some("password_required")), "{b}");
    assert_eq!(unlocked(&stack, &token).await["downloads_left"], 2);

    // 4. Two downloads: one through the JSON answer, one through the 303.
    let right = json!({"password": SHARE_PASSWORD});
    let (s, b) = download(&stack, &token, Some(right.clone()), FIREFOX).await;
    assert_eq!(s, 200, "{b}");
    assert!(b["expires_at"].as_str().is_some(), "{b}");
    let url = b["url"].as_str().expect("url");
    let got = stack.http.get(url).send().await.expect("presigned GET");
    let (s, h) = (got.status().as_u16(), got.headers().clone());
    check_bytes(s, &h, &got.bytes().await.unwrap(), &png);
    assert_eq!(unlocked(&stack, &token).await["downloads_left"], 1);

    let got = stack
        .http
        .post(stack.url(&format!("/share/{token}/download?redirect=1")))
        .header("user-agent", CURL)
        .header("content-type", "application/json")
        .body(right.to_string())
        .send()
        .await
        .expect("download with redirect");
    assert!(
        !got.url().path().starts_with("/share/"),
        "the 303 was followed to the bytes: {}",
        got.url()
    );
    let (s, h) = (got.status().as_u16(), got.headers().clone());
    check_bytes(s, &h, &got.bytes().await.unwrap(), &png);

    let (s, b) = download(&stack, &token, Some(right.clone()), FIREFOX).await;
    assert_eq!((s, code(&b)), (410, Some("share_exhausted")), "{b}");
    let (s, b) = info(&stack, &token).await;
    assert_eq!((s, code(&b)), (410, Some("share_exhausted")), "{b}");
    let view = owner_view(&stack, &ada, &id).await;
    assert_eq!(
        (&view["downloads"], &view["downloads_left"], &view["state"]),
        (&json!(2), &json!(0), &json!("exhausted")),
        "{view}"
    );

    // 5. The download log: two entries, user-agent families, no addresses.
    let (s, b) = stack.get(&format!("/shares/{id}/downloads"), &ada).await;
    assert_eq!(s, 200, "{b}");
    let entries = b["downloads"].as_array().expect("downloads");
    assert_eq!(entries.len(), 2, "{b}");
    assert!(b["next_cursor"].is_null(), "{b}");
    for e in entries {
        let keys: HashSet<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            HashSet::from(["at", "user_agent"]),
            "no source_ip: {e}"
        );
    }
    // Newest first: curl, then Firefox; the family only, never the whole string.
    assert_eq!(entries[0]["user_agent"], "curl", "{b}");
    assert_eq!(entries[1]["user_agent"], "Firefox", "{b}");

    // 6. The topic: both downloads; the owner: one mail (at most one per ten minutes).
    let downloads = |bodies: &[String]| -> Vec<Value> {
        bodies
            .iter()
            .map(|body| {
                for secret in [token.as_str(), SHARE_PASSWORD] {
                    assert!(!body.contains(secret), "a notice carries a secret: {body}");
                }
                serde_json::from_str::<Value>(body).unwrap()
            })
            .filter(|n| n["type"] == "file.downloaded")
            .collect()
    };
    let bodies = receive_until(&sqs, &ops, 30, |b| downloads(b).len() >= 2).await;
    let downloaded = downloads(&bodies);
    let mut lefts: Vec<u64> = downloaded
        .iter()
        .map(|n| {
            assert_eq!(n["file"]["id"], file.as_str(), "{n}");
            assert_eq!(n["file"]["name"], NAME, "{n}");
            assert_eq!(n["share"], id.as_str(), "{n}");
            n["downloads_left"]
                .as_u64()
                .unwrap_or_else(|| panic!("{n}"))
        })
        .collect();
    lefts.sort_unstable();
    assert_eq!(lefts, [0, 1], "{downloaded:?}");
    assert_ne!(downloaded[0]["id"], downloaded[1]["id"], "two notices");

    let mail = stack
        .wait_for("the owner's download mail", 30, || async {
            mails(&stack)
                .await
                .into_iter()
                .find(|m| m["body"].as_str().is_some_and(|b| b.contains("downloaded")))
        })
        .await;
    // Both notices were published, and a mail follows its notice at once: give a wrongly
    // mailed second download time to show, then count.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = mails(&stack).await;
    assert_eq!(
        all.len(),
        1,
        "exactly one mail, about the download: {all:?}"
    );
    let text = mail.to_string();
    assert!(text.contains(owner_email), "{mail}");
    let body = mail["body"].as_str().unwrap();
    assert!(body.contains(NAME), "the mail names the file: {body}");
    assert!(body.contains("For Ada"), "and the share: {body}");
    assert!(
        body.contains("Downloads left: 1"),
        "the first download claimed it: {body}"
    );
    for secret in [token.as_str(), SHARE_PASSWORD, "/s/"] {
        assert!(!text.contains(secret), "the mail carries {secret}: {mail}");
    }

    // 7. No token or password in any table (the token's hash is the key), the emulator's
    // state, or the stack's logs.
    let items = all_items(&stack).await;
    assert!(
        items.contains(&dropgate_core::tokens::hash(&token)),
        "the token's hash is stored: {items}"
    );
    assert!(items.contains(&id), "the scan saw the share");
    let state = stack.moto_text().await;
    let text = logs.text();
    for (place, content) in [
        ("a table", &items),
        ("the emulator", &state),
        ("the logs", &text),
    ] {
        for (what, secret) in [("token", token.as_str()), ("password", SHARE_PASSWORD)] {
            assert!(!content.contains(secret), "the {what} is in {place}");
        }
    }
    let routes: HashSet<String> = logs
        .json_lines()
        .iter()
        .filter(|l| l["message"] == "request")
        .filter_map(|l| l["route"].as_str().map(str::to_owned))
        .collect();
    for want in ["/s/{token}", "/share/{token}", "/share/{token}/download"] {
        assert!(routes.contains(want), "{want} not logged: {routes:?}");
    }
    println!(
        "SHARES end to end in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_file_ends_its_shares_and_concurrent_downloads_stop_at_the_limit() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada-race@example.com").await;
    let png = samples::png();

    // Deleting the file ends its share.
    let doomed = stack.upload(&ada, "doomed.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &doomed).await["status"], "accepted");
    let s1 = share(&stack, &ada, &doomed, json!({})).await;
    let t1 = s1["token"].as_str().unwrap().to_owned();
    assert_eq!(info(&stack, &t1).await.0, 200);
    let (s, b) = stack
        .call(
            Method::DELETE,
            &format!("/files/{doomed}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let ended = [Some("share_revoked"), Some("file_gone")];
    let (s, b) = info(&stack, &t1).await;
    assert!(s == 410 && ended.contains(&code(&b)), "{s} {b}");
    let (s, b) = download(&stack, &t1, None, CURL).await;
    assert!(s == 410 && ended.contains(&code(&b)), "{s} {b}");

    // 20 at once on a share of 3: exactly three get the bytes.
    let file = stack.upload(&ada, "race.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &file).await["status"], "accepted");
    let s2 = share(
        &stack,
        &ada,
        &file,
        json!({"max_downloads": 3, "notify_owner": true}),
    )
    .await;
    let t2 = s2["token"].as_str().unwrap().to_owned();
    let id2 = s2["id"].as_str().unwrap().to_owned();
    let url = stack.url(&format!("/share/{t2}/download"));
    let racers: Vec<_> = (0..20)
        .map(|_| {
            let (http, url) = (stack.http.clone(), url.clone());
            tokio::spawn(async move {
                let r = http.post(url).send().await.expect("download");
                let s = r.status().as_u16();
                (s, r.json::<Value>().await.expect("JSON"))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for r in racers {
        answers.push(r.await.unwrap());
    }
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let gone = answers
        .iter()
        .filter(|(s, b)| *s == 410 && code(b) == Some("share_exhausted"))
        .count();
    assert_eq!((ok, gone), (3, 17), "{answers:?}");
    for (_, b) in answers.iter().filter(|(s, _)| *s == 200) {
        let got = stack.http.get(b["url"].as_str().unwrap()).send().await;
        assert_eq!(got.unwrap().bytes().await.unwrap(), png);
    }
    let view = owner_view(&stack, &ada, &id2).await;
    assert_eq!(
        (&view["downloads"], &view["state"]),
        (&json!(3), &json!("exhausted"))
    );
    let (s, b) = stack.get(&format!("/shares/{id2}/downloads"), &ada).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["downloads"].as_array().unwrap().len(), 3, "{b}");
}
