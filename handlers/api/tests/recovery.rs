//! Getting back in and moving an account, over the fakes: a reset answers alike for any
//! address and ends every session; a sign-up of a taken address answers as a new one and
//! tells its owner; an email change waits for the code mailed to the new address.

mod common;

use common::{ALICE, Resp, owner_of, req, send, world};
use dropgate_core::OwnerId;
use dropgate_core::accounts::AccountDirectory;
use dropgate_core::standing::StandingStore;
use serde_json::json;

fn refused(r: &Resp, status: i64, code: &str) {
    assert_eq!(r.status, status, "{:?}", r.body);
    assert_eq!(r.json()["error"]["code"], code, "{:?}", r.body);
}

async fn signed_up(w: &common::World, email: &str) {
    let r = send(
        w,
        req("POST", "/auth/signup").json(json!({"email": email, "password": "Correct1horse"})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[tokio::test]
async fn forgot_answers_alike_for_an_account_and_for_none() {
    let w = world();
    signed_up(&w, "ada@example.com").await;
    let known = send(
        &w,
        req("POST", "/auth/forgot").json(json!({"email": "ada@example.com"})),
    )
    .await;
    let unknown = send(
        &w,
        req("POST", "/auth/forgot").json(json!({"email": "nobody@example.com"})),
    )
    .await;
    let malformed = send(
        &w,
        req("POST", "/auth/forgot").json(json!({"email": "nope"})),
    )
    .await;
    for r in [&known, &unknown, &malformed] {
        assert_eq!(r.status, 202);
        assert_eq!(r.body, known.body);
    }
    assert_eq!(
        *w.accounts.reset_codes.lock().unwrap(),
        vec!["ada@example.com".to_owned()]
    );
}

#[tokio::test]
async fn a_reset_needs_the_code_and_signs_the_account_out_everywhere() {
    let w = world();
    signed_up(&w, "ada@example.com").await;
    send(
        &w,
        req("POST", "/auth/forgot").json(json!({"email": "ada@example.com"})),
    )
    .await;
    let reset = |code: &str, password: &str| {
        req("POST", "/auth/reset")
            .json(json!({"email": "ada@example.com", "code": code, "password": password}))
    };
    refused(
        &send(&w, reset("999999", "Another1horse")).await,
        400,
        "invalid_code",
    );
    refused(
        &send(&w, reset("123456", "weak")).await,
        400,
        "weak_password",
    );
    let r = send(
        &w,
        req("POST", "/auth/reset").json(
            json!({"email": "nobody@example.com", "code": "123456", "password": "Another1horse"}),
        ),
    )
    .await;
    refused(&r, 400, "invalid_code");
    let owner = owner_of("ada@example.com");
    assert_eq!(
        w.standing.standing(&owner).await.unwrap().signed_out_at,
        None
    );

    let r = send(&w, reset("123456", "Another1horse")).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    let cut = w.standing.standing(&owner).await.unwrap().signed_out_at;
    let now = *w.clock.0.lock().unwrap();
    assert!(cut.is_some_and(|c| c >= now), "{cut:?}");
    // The old password no longer logs in; the new one does. The code is spent.
    let login = |p: &str| {
        req("POST", "/auth/login").json(json!({"email": "ada@example.com", "password": p}))
    };
    refused(
        &send(&w, login("Correct1horse")).await,
        401,
        "invalid_credentials",
    );
    assert_eq!(send(&w, login("Another1horse")).await.status, 200);
    refused(
        &send(&w, reset("123456", "Third1horse")).await,
        400,
        "invalid_code",
    );
}

#[tokio::test]
async fn a_taken_address_signs_up_like_a_new_one_and_its_owner_is_told() {
    let w = world();
    let new = send(
        &w,
        req("POST", "/auth/signup")
            .json(json!({"email": "ada@example.com", "password": "Correct1horse"})),
    )
    .await;
    let taken = send(
        &w,
        req("POST", "/auth/signup")
            .json(json!({"email": "ada@example.com", "password": "Other1horse"})),
    )
    .await;
    assert_eq!((taken.status, &taken.body), (new.status, &new.body));
    let sent = w.mailer.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "ada@example.com");
    // The account keeps its password.
    let r = send(
        &w,
        req("POST", "/auth/login")
            .json(json!({"email": "ada@example.com", "password": "Correct1horse"})),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn an_email_change_waits_for_the_code_mailed_to_the_new_address() {
    let w = world();
    let alice = OwnerId::parse(ALICE).unwrap();
    let access = w.account_directory.add(&alice, "alice@example.com");
    let bob = OwnerId::parse(common::BOB).unwrap();
    let bob_access = w.account_directory.add(&bob, "bob@example.com");

    let change = |email: &str| {
        req("POST", "/account/email")
            .by(ALICE)
            .json(json!({"email": email}))
    };
    refused(
        &send(&w, change("bob@example.com")).await,
        409,
        "email_taken",
    );
    refused(
        &send(&w, change("not an address")).await,
        400,
        "invalid_email",
    );
    let r = send(&w, change("alice@new.example")).await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    assert_eq!(r.json()["pending_email"], "alice@new.example");
    assert_eq!(
        w.account_directory.email_of(&alice).as_deref(),
        Some("alice@example.com")
    );
    let code = w.account_directory.code_for("alice@new.example").unwrap();

    let verify = |token: Option<&str>, code: &str| {
        let r = req("POST", "/account/email/verify")
            .by(ALICE)
            .json(json!({"code": code}));
        match token {
            Some(t) => r.header("dropgate-access-token", t),
            None => r,
        }
    };
    refused(
        &send(&w, verify(None, &code)).await,
        401,
        "invalid_access_token",
    );
    refused(
        &send(&w, verify(Some(&bob_access), &code)).await,
        401,
        "invalid_access_token",
    );
    refused(
        &send(&w, verify(Some(&access), "000000")).await,
        400,
        "invalid_code",
    );
    assert_eq!(send(&w, verify(Some(&access), &code)).await.status, 204);
    assert_eq!(
        w.account_directory.email_of(&alice).as_deref(),
        Some("alice@new.example")
    );
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_every_session() {
    let w = world();
    let alice = OwnerId::parse(ALICE).unwrap();
    w.account_directory.add(&alice, "alice@example.com");
    let change = |current: &str, new: &str| {
        req("POST", "/account/password")
            .by(ALICE)
            .json(json!({"current": current, "new": new}))
    };
    refused(
        &send(&w, change("Wrong1horse", "Another1horse")).await,
        400,
        "wrong_password",
    );
    refused(
        &send(&w, change("Correct1horse", "weak")).await,
        400,
        "weak_password",
    );
    assert_eq!(
        w.standing.standing(&alice).await.unwrap().signed_out_at,
        None
    );
    assert_eq!(send(&w, req("GET", "/quota").by(ALICE)).await.status, 200);

    assert_eq!(
        send(&w, change("Correct1horse", "Another1horse"))
            .await
            .status,
        204
    );
    assert!(
        w.standing
            .standing(&alice)
            .await
            .unwrap()
            .signed_out_at
            .is_some()
    );
    // The token that asked (issued before the change) is refused from now on.
    refused(
        &send(&w, req("GET", "/quota").by(ALICE)).await,
        401,
        "token_revoked",
    );
}

#[tokio::test]
async fn sign_out_everywhere_refuses_every_token_issued_before() {
    let w = world();
    let alice = OwnerId::parse(ALICE).unwrap();
    let access = w.account_directory.add(&alice, "alice@example.com");
    assert_eq!(
        send(&w, req("GET", "/quota").by(common::BOB)).await.status,
        200
    );
    let r = send(&w, req("POST", "/account/signout-all").by(ALICE)).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    refused(
        &send(&w, req("GET", "/quota").by(ALICE)).await,
        401,
        "token_revoked",
    );
    // Another owner is untouched; the directory's sessions of the owner are over.
    assert_eq!(
        send(&w, req("GET", "/quota").by(common::BOB)).await.status,
        200
    );
    w.account_directory
        .start_email_change(&alice, "alice@new.example")
        .await
        .unwrap();
    let code = w.account_directory.code_for("alice@new.example").unwrap();
    let e = w
        .account_directory
        .confirm_email_change(&access, &code)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_access_token");
}
