//! End to end, through the local stack with its real scanner: a file's versions. A second
//! version is `scanning` while a share still serves the first, then current once accepted; a
//! malware version leaves the first current; a restore switches without copying a byte;
//! `MAX_VERSIONS` prunes the oldest and gives its quota back; the quota counts every kept
//! version exactly; deleting the file takes its versions, its receipt counting them.

use crate::common;
use crate::e2e_scan::{EICAR, text_starting_with};

use common::{LocalStack, samples};
use serde_json::{Value, json};

/// `POST /files/{id}/versions` then the PUT of `bytes`; the new version's upload id.
async fn put_version(
    stack: &LocalStack,
    token: &str,
    id: &str,
    bytes: &[u8],
    content_type: &str,
) -> String {
    let (s, created) = stack
        .post(
            &format!("/files/{id}/versions"),
            Some(token),
            json!({"size": bytes.len(), "content_type": content_type}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["upload"]["method"], "PUT", "{created}");
    assert_eq!(created["file"]["version_of"], id, "{created}");
    assert_eq!(stack.put(&created, bytes.to_vec()).await, 200);
    created["file"]["id"].as_str().expect("id").to_owned()
}

async fn versions(stack: &LocalStack, token: &str, id: &str) -> Vec<Value> {
    let (s, b) = stack.get(&format!("/files/{id}/versions"), token).await;
    assert_eq!(s, 200, "{b}");
    b["versions"].as_array().expect("versions").clone()
}

/// Waits until version `n` of file `id` is `status` (and, with `current`, current or not).
async fn wait_version(
    stack: &LocalStack,
    token: &str,
    id: &str,
    n: u64,
    status: &str,
    current: Option<bool>,
) -> Vec<Value> {
    stack
        .wait_for(
            &format!("version {n} of {id} to be {status}"),
            90,
            || async {
                let vs = versions(stack, token, id).await;
                let v = vs.iter().find(|v| v["n"] == n)?;
                let ok = v["status"] == status && current.is_none_or(|c| v["current"] == c);
                ok.then_some(vs)
            },
        )
        .await
}

async fn fetch(stack: &LocalStack, url: &Value) -> Vec<u8> {
    let resp = stack
        .http
        .get(url.as_str().expect("url"))
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.status().as_u16(), 200);
    resp.bytes().await.expect("bytes").to_vec()
}

/// The bytes a download of `path` (the owner's) serves.
async fn owner_download(stack: &LocalStack, token: &str, path: &str) -> Vec<u8> {
    let (s, d) = stack.get(path, token).await;
    assert_eq!(s, 200, "{path}: {d}");
    fetch(stack, &d["url"]).await
}

async fn share_download(stack: &LocalStack, token: &str) -> Vec<u8> {
    let (s, d) = stack
        .post(&format!("/share/{token}/download"), None, json!({}))
        .await;
    assert_eq!(s, 200, "{d}");
    fetch(stack, &d["url"]).await
}

async fn used(stack: &LocalStack, token: &str) -> u64 {
    let (_, q) = stack.get("/quota", token).await;
    assert_eq!(q["reserved_bytes"], 0, "{q}");
    q["used_bytes"].as_u64().expect("used_bytes")
}

fn numbers(vs: &[Value]) -> Vec<(u64, String, bool)> {
    vs.iter()
        .map(|v| {
            (
                v["n"].as_u64().unwrap(),
                v["status"].as_str().unwrap().to_owned(),
                v["current"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_is_scanning_while_a_share_serves_the_first_then_current_once_accepted() {
    let stack = LocalStack::start_with_args(&["--scanner-faults", "delay_ms=3000"], &[]).await;
    let ada = stack.user("ada-versions@example.com").await;
    let first = text_starting_with(b"first version", 300);
    let id = stack.upload(&ada, "notes.txt", &first, "text/plain").await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");
    let (s, share) = stack
        .post(&format!("/files/{id}/shares"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 201, "{share}");
    let share = share["share"]["token"].as_str().expect("token").to_owned();

    let second = text_starting_with(b"second version", 500);
    let vid = put_version(&stack, &ada, &id, &second, "text/plain").await;
    let vs = wait_version(&stack, &ada, &id, 2, "scanning", Some(false)).await;
    assert_eq!(
        numbers(&vs),
        vec![(1, "accepted".into(), true), (2, "scanning".into(), false)]
    );
    // Meanwhile the share and the file's download serve the first.
    assert_eq!(share_download(&stack, &share).await, first);
    let download = format!("/files/{id}/download");
    assert_eq!(owner_download(&stack, &ada, &download).await, first);
    // The version is no file of its own in the owner's list.
    let (_, list) = stack.get("/files", &ada).await;
    let ids: Vec<&str> = list["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(ids, vec![id.as_str()], "{list}");

    let vs = wait_version(&stack, &ada, &id, 2, "accepted", Some(true)).await;
    assert_eq!(
        numbers(&vs),
        vec![(1, "accepted".into(), false), (2, "accepted".into(), true)]
    );
    assert_eq!(vs[1]["size"], second.len(), "{vs:?}");
    assert_eq!(vs[1]["detected_type"], "text/plain", "{vs:?}");
    assert_eq!(share_download(&stack, &share).await, second);
    assert_eq!(owner_download(&stack, &ada, &download).await, second);
    let (_, f) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!(
        (&f["file"]["size"], &f["file"]["version"]),
        (&json!(second.len()), &json!(2)),
        "{f}"
    );
    // Each version stays downloadable by number.
    let one = format!("/files/{id}/versions/1/download");
    assert_eq!(owner_download(&stack, &ada, &one).await, first);
    // The quota counts both versions exactly.
    assert_eq!(
        used(&stack, &ada).await,
        (first.len() + second.len()) as u64
    );
    // The verdict was announced of the version's own record.
    assert_eq!(
        stack.log_events(&ada, &vid).await,
        vec!["upload.accepted".to_owned()]
    );

    // A share may serve one version whatever is current; its page names it.
    let pinned = |n: u64| {
        let stack = &stack;
        let (ada, id) = (&ada, &id);
        async move {
            let (s, b) = stack
                .post(
                    &format!("/files/{id}/shares"),
                    Some(ada),
                    json!({"version": n}),
                )
                .await;
            (s, b)
        }
    };
    let (s, b) = pinned(1).await;
    assert_eq!((s, &b["share"]["version"]), (201, &json!(1)), "{b}");
    let old = b["share"]["token"].as_str().unwrap().to_owned();
    let (s, b) = pinned(2).await;
    assert_eq!(s, 201, "{b}");
    let pinned_two = b["share"]["token"].as_str().unwrap().to_owned();
    let (s, b) = pinned(7).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("version_not_found")),
        "{b}"
    );
    let info = |t: String| {
        let stack = &stack;
        async move {
            let (s, b) = stack
                .call(reqwest::Method::GET, &format!("/share/{t}"), None, None)
                .await;
            assert_eq!(s, 200, "{b}");
            b
        }
    };
    let i = info(old.clone()).await;
    assert_eq!(
        (&i["version"], &i["size"]),
        (&json!(1), &json!(first.len())),
        "{i}"
    );
    let i = info(share.clone()).await;
    assert_eq!(
        (&i["version"], &i["size"]),
        (&json!(2), &json!(second.len())),
        "{i}"
    );
    assert_eq!(share_download(&stack, &old).await, first);

    // The current version cannot be deleted.
    let (s, b) = stack
        .call(
            reqwest::Method::DELETE,
            &format!("/files/{id}/versions/2"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("current_version")),
        "{b}"
    );

    // A restore moves the pointer: no new version, no new object, the same quota.
    let (s, b) = stack
        .post(
            &format!("/files/{id}/versions/1/restore"),
            Some(&ada),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        numbers(b["versions"].as_array().unwrap()),
        vec![(1, "accepted".into(), true), (2, "accepted".into(), false)]
    );
    assert_eq!(owner_download(&stack, &ada, &download).await, first);
    assert_eq!(share_download(&stack, &share).await, first);
    assert_eq!(
        used(&stack, &ada).await,
        (first.len() + second.len()) as u64
    );
    assert_eq!(
        stack.raw_object(&format!("uploads/{id}")).await,
        Some(first.clone())
    );
    assert_eq!(
        stack.raw_object(&format!("uploads/{vid}")).await,
        Some(second.clone())
    );

    // Deleting a version that is not current gives its bytes and quota back.
    let (s, b) = stack
        .call(
            reqwest::Method::DELETE,
            &format!("/files/{id}/versions/2"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(
        numbers(&versions(&stack, &ada, &id).await),
        vec![(1, "accepted".into(), true)]
    );
    assert_eq!(used(&stack, &ada).await, first.len() as u64);
    assert_eq!(stack.raw_object(&format!("uploads/{vid}")).await, None);
    // A share of the deleted version has nothing left to serve; the file's other shares do.
    let (s, b) = stack
        .post(&format!("/share/{pinned_two}/download"), None, json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (410, Some("file_gone")),
        "{b}"
    );
    assert_eq!(share_download(&stack, &old).await, first);
    let (s, b) = stack
        .get(&format!("/files/{id}/versions/2/download"), &ada)
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("version_not_found")),
        "{b}"
    );

    // Another owner sees nothing of them.
    let bob = stack.user("bob-versions@example.com").await;
    let (s, _) = stack.get(&format!("/files/{id}/versions"), &bob).await;
    assert_eq!(s, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malware_version_is_rejected_and_leaves_the_first_current() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada-malware-version@example.com").await;
    let first = text_starting_with(b"clean first", 200);
    let id = stack.upload(&ada, "readme.txt", &first, "text/plain").await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");

    put_version(&stack, &ada, &id, EICAR, "text/plain").await;
    let vs = wait_version(&stack, &ada, &id, 2, "rejected", None).await;
    assert_eq!(
        numbers(&vs),
        vec![(1, "accepted".into(), true), (2, "rejected".into(), false)]
    );
    assert_eq!(vs[1]["reason"], "malware_found", "{vs:?}");
    let download = format!("/files/{id}/download");
    assert_eq!(owner_download(&stack, &ada, &download).await, first);
    assert_eq!(used(&stack, &ada).await, first.len() as u64);
    // A rejected version is neither served nor restored.
    let (s, b) = stack
        .post(
            &format!("/files/{id}/versions/2/restore"),
            Some(&ada),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("not_ready")),
        "{b}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_versions_the_oldest_goes_with_its_quota_and_a_delete_takes_them_all() {
    let stack = LocalStack::start_with(&[("MAX_VERSIONS", "2")]).await;
    let ada = stack.user("ada-max-versions@example.com").await;
    let png = samples::png();
    let id = stack.upload(&ada, "pic.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");
    let mut two = png.clone();
    two.extend_from_slice(&[7u8; 100]);
    let mut three = png.clone();
    three.extend_from_slice(&[9u8; 250]);

    put_version(&stack, &ada, &id, &two, "image/png").await;
    wait_version(&stack, &ada, &id, 2, "accepted", Some(true)).await;
    assert_eq!(used(&stack, &ada).await, (png.len() + two.len()) as u64);
    put_version(&stack, &ada, &id, &three, "image/png").await;
    wait_version(&stack, &ada, &id, 3, "accepted", Some(true)).await;
    // The first (the oldest, not current) went: its bytes and its quota.
    let vs = stack
        .wait_for("version 1 to be pruned", 60, || async {
            let vs = versions(&stack, &ada, &id).await;
            (vs.len() == 2).then_some(vs)
        })
        .await;
    assert_eq!(
        numbers(&vs),
        vec![(2, "accepted".into(), false), (3, "accepted".into(), true)]
    );
    assert_eq!(used(&stack, &ada).await, (two.len() + three.len()) as u64);
    assert_eq!(stack.raw_object(&format!("uploads/{id}")).await, None);
    let download = format!("/files/{id}/download");
    assert_eq!(owner_download(&stack, &ada, &download).await, three);

    // Deleting the file takes every version: nothing left counted, one receipt for all.
    let (s, b) = stack
        .call(
            reqwest::Method::DELETE,
            &format!("/files/{id}"),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (&q["used_bytes"], &q["files"]),
        (&json!(0), &json!(0)),
        "{q}"
    );
    let (s, r) = stack.get("/receipts/deletions", &ada).await;
    assert_eq!(s, 200, "{r}");
    let receipt = &r["receipts"][0];
    assert_eq!(receipt["file_id"], id.as_str(), "{r}");
    assert_eq!(receipt["size"], two.len() + three.len(), "{r}");
    assert_eq!(receipt["versions"], 2, "{r}");
}
