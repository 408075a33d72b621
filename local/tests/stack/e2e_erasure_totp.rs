//! An owner's own erasure with two-factor sign-in on, on the local stack with real RFC 6238
//! codes (the emulator checks them): `GET /account/mfa` says it is on, `DELETE /account` is
//! refused without a current code (`401 invalid_code`, nothing erased) and done with one; the
//! CLI's `account delete` reads the code with `--totp-stdin` and refuses without one.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{LocalStack, PASSWORD};
use crate::e2e_account::{login, own};
use crate::e2e_cli::{cli_binary, run, text};
use crate::e2e_totp::{login_with_code, turn_on};
use crate::totp::{code, other_than};

fn error(b: &Value) -> Option<&str> {
    b["error"]["code"].as_str()
}

async fn files(stack: &LocalStack, id: &str) -> usize {
    let (s, b) = stack.get("/files", id).await;
    assert_eq!(s, 200, "{b}");
    b["files"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_totp_on_an_owner_erases_their_account_only_with_a_current_code() {
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let email = "erase-totp@example.com";
    stack.user(email).await;
    let (id, access, _) = login(&stack, email, PASSWORD).await;
    let (s, b) = stack.get("/account/mfa", &id).await;
    assert_eq!((s, &b), (200, &json!({"totp": {"enabled": false}})));
    let secret = turn_on(&stack, &id, &access).await;
    let (s, b) = stack.get("/account/mfa", &id).await;
    assert_eq!((s, &b), (200, &json!({"totp": {"enabled": true}})));
    let tokens = login_with_code(&stack, email, PASSWORD, &secret).await;
    let id = tokens["id_token"].as_str().expect("id_token").to_owned();
    stack
        .upload(&id, "keep.txt", b"still here", "text/plain")
        .await;

    let c = code(&secret).await;
    for body in [
        json!({"password": PASSWORD}),
        json!({"password": PASSWORD, "code": other_than(&c)}),
        json!({"password": PASSWORD, "code": "12"}),
    ] {
        let (s, b) = own(&stack, Method::DELETE, "/account", &id, None, body.clone()).await;
        assert_eq!((s, error(&b)), (401, Some("invalid_code")), "{body}: {b}");
    }
    // The password is still checked first.
    let (s, b) = own(
        &stack,
        Method::DELETE,
        "/account",
        &id,
        None,
        json!({"password": "Wrong1password", "code": c}),
    )
    .await;
    assert_eq!((s, error(&b)), (401, Some("invalid_credentials")), "{b}");
    assert_eq!(files(&stack, &id).await, 1, "nothing erased");

    let (s, b) = own(
        &stack,
        Method::DELETE,
        "/account",
        &id,
        None,
        json!({"password": PASSWORD, "code": code(&secret).await}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["erasure"]["files"], json!(1), "{b}");
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!((s, error(&b)), (401, Some("invalid_credentials")), "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_deletes_an_account_with_totp_on_only_with_its_code() {
    let bin = cli_binary();
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let dir = std::env::temp_dir().join(format!("dropgate-cli-erase-totp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let email = "cli-erase-totp@example.com";
    stack.user(email).await;
    let (id, access, _) = login(&stack, email, PASSWORD).await;
    let secret = turn_on(&stack, &id, &access).await;
    let api = stack.api.clone();
    let out = run(
        &bin,
        &config,
        &[
            "--api",
            &api,
            "login",
            "--email",
            email,
            "--password-stdin",
            "--totp-stdin",
        ],
        &format!("{PASSWORD}\n{}\n", code(&secret).await),
    )
    .await;
    assert!(out.status.success(), "login: {out:?}");
    let delete = |stdin: String, totp: bool| {
        let (bin, config) = (bin.clone(), config.clone());
        async move {
            let mut args = vec!["account", "delete", "--password-stdin", "--yes"];
            if totp {
                args.push("--totp-stdin");
            }
            run(&bin, &config, &args, &stdin).await
        }
    };
    // No terminal and no --totp-stdin: a usage error naming it; nothing sent.
    let out = delete(format!("{PASSWORD}\n"), false).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("--totp-stdin"), "{out:?}");
    // A wrong code is the API's refusal; the account stays.
    let c = code(&secret).await;
    let out = delete(format!("{PASSWORD}\n{}\n", other_than(&c)), true).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("wrong"), "{out:?}");
    let out = run(&bin, &config, &["quota"], "").await;
    assert!(out.status.success(), "still logged in: {out:?}");

    let out = delete(format!("{PASSWORD}\n{}\n", code(&secret).await), true).await;
    assert!(out.status.success(), "account delete: {out:?}");
    assert!(text(&out.stdout).contains("Account deleted"), "{out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
