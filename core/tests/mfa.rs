//! Two-factor sign-in over the fakes: enrolment, the switch with a current code, the login
//! challenge and its session's lifetime, and admins' requirement.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use dropgate_core::accounts::{Accounts, SignIn, SignUpOutcome, Tokens};
use dropgate_core::fakes::{FixedClock, MemTotp};
use dropgate_core::mfa::{LoginStep, Totp, TotpLogin};
use dropgate_core::{CoreError, ErrorKind, OwnerId};

const ADA: &str = "0b5e2f6a-1c1d-4e7e-9a8b-3c2d1e0f9a8b";
const EMAIL: &str = "ada@example.org";

/// The directory's password step: Ada's password, challenged when her TOTP is on.
struct Directory(Arc<MemTotp>);

#[async_trait]
impl Accounts for Directory {
    async fn sign_up(&self, _: &str, _: &str) -> Result<SignUpOutcome, CoreError> {
        unreachable!()
    }
    async fn confirm(&self, _: &str, _: &str) -> Result<(), CoreError> {
        unreachable!()
    }
    async fn login(&self, _: &str, _: &str) -> Result<Tokens, CoreError> {
        unreachable!("the login flow asks sign_in")
    }
    async fn sign_in(&self, email: &str, password: &str) -> Result<SignIn, CoreError> {
        if email != EMAIL || password != "Correct1horse" {
            return Err(CoreError::unauthorized("invalid_credentials", "wrong"));
        }
        Ok(match self.0.challenge(&OwnerId::parse(ADA).unwrap()) {
            Some(session) => SignIn::Totp { session },
            None => SignIn::Tokens(Tokens {
                id_token: "id".into(),
                access_token: "access".into(),
                refresh_token: "refresh".into(),
                expires_in: 3600,
            }),
        })
    }
    async fn refresh(&self, _: &str) -> Result<Tokens, CoreError> {
        unreachable!()
    }
    async fn revoke(&self, _: &str) -> Result<(), CoreError> {
        unreachable!()
    }
    async fn forgot(&self, _: &str) -> Result<(), CoreError> {
        unreachable!()
    }
    async fn reset(&self, _: &str, _: &str, _: &str) -> Result<(), CoreError> {
        unreachable!()
    }
    async fn holder(&self, _: &str) -> Result<Option<(OwnerId, bool)>, CoreError> {
        unreachable!()
    }
}

struct World {
    clock: Arc<FixedClock>,
    mem: Arc<MemTotp>,
    totp: Totp,
    login: TotpLogin,
    owner: OwnerId,
    token: String,
}

fn world() -> World {
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let mem = Arc::new(MemTotp::new(clock.clone()));
    let owner = OwnerId::parse(ADA).unwrap();
    let token = mem.add(&owner, EMAIL);
    World {
        totp: Totp {
            directory: mem.clone(),
        },
        login: TotpLogin {
            accounts: Arc::new(Directory(mem.clone())),
            totp: mem.clone(),
            clock: clock.clone(),
        },
        clock,
        mem,
        owner,
        token,
    }
}

impl World {
    async fn turn_on(&self) -> String {
        let e = self
            .totp
            .enroll(&self.owner, Some(EMAIL), Some(&self.token))
            .await
            .unwrap();
        let code = self.mem.code(&e.secret);
        self.totp
            .enable(&self.owner, Some(&self.token), &code)
            .await
            .unwrap();
        e.secret
    }
}

#[tokio::test]
async fn enrolment_answers_the_secret_and_its_uri_and_changes_nothing_until_verified() {
    let w = world();
    let e = w
        .totp
        .enroll(&w.owner, Some(EMAIL), Some(&w.token))
        .await
        .unwrap();
    assert_eq!(
        e.otpauth_uri,
        format!(
            "otpauth://totp/Dropgate:ada@example.org?secret={}&issuer=Dropgate",
            e.secret
        )
    );
    assert!(!w.totp.enabled(&w.owner).await.unwrap());
    // Another account's access token, or none, is refused before the directory is asked.
    let other = OwnerId::parse("7c9d1e2f-3a4b-4c5d-8e6f-9a0b1c2d3e4f").unwrap();
    let e = w
        .totp
        .enroll(&other, None, Some(&w.token))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_access_token");
    let e = w.totp.enroll(&w.owner, None, None).await.unwrap_err();
    assert_eq!(e.code(), "invalid_access_token");
}

#[tokio::test]
async fn a_wrong_code_turns_nothing_on_or_off() {
    let w = world();
    let e = w
        .totp
        .enroll(&w.owner, Some(EMAIL), Some(&w.token))
        .await
        .unwrap();
    let code = w.mem.code(&e.secret);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for bad in [wrong, "12345", "abcdef"] {
        let err = w
            .totp
            .enable(&w.owner, Some(&w.token), bad)
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.kind()),
            ("invalid_code", ErrorKind::BadRequest)
        );
    }
    assert!(!w.totp.enabled(&w.owner).await.unwrap());

    // Off with nothing on is a conflict, not a silent success.
    let err = w
        .totp
        .disable(&w.owner, Some(&w.token), &code)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "totp_not_enabled");

    w.totp
        .enable(&w.owner, Some(&w.token), &code)
        .await
        .unwrap();
    assert!(w.totp.enabled(&w.owner).await.unwrap());
    let err = w
        .totp
        .disable(&w.owner, Some(&w.token), wrong)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_code");
    assert!(w.totp.enabled(&w.owner).await.unwrap());
    w.totp
        .disable(&w.owner, Some(&w.token), &code)
        .await
        .unwrap();
    assert!(!w.totp.enabled(&w.owner).await.unwrap());
}

#[tokio::test]
async fn with_totp_on_login_is_challenged_and_completed_only_with_a_current_code() {
    let w = world();
    assert!(matches!(
        w.login.login(EMAIL, "Correct1horse").await.unwrap(),
        LoginStep::Tokens(_)
    ));
    let secret = w.turn_on().await;
    let LoginStep::Totp { session } = w.login.login(EMAIL, "Correct1horse").await.unwrap() else {
        panic!("no challenge with totp on");
    };
    let code = w.mem.code(&secret);
    let wrong = if code == "999999" { "999998" } else { "999999" };
    for bad in [wrong, "1"] {
        let e = w.login.complete(&session, bad).await.unwrap_err();
        assert_eq!(
            (e.code(), e.kind()),
            ("invalid_code", ErrorKind::Unauthorized)
        );
    }
    let e = w.login.complete("not-a-session", &code).await.unwrap_err();
    assert_eq!(
        (e.code(), e.kind()),
        ("invalid_session", ErrorKind::Unauthorized)
    );
    let tokens = w.login.complete(&session, &code).await.unwrap();
    assert!(!tokens.id_token.is_empty());
    // Answered once.
    let e = w.login.complete(&session, &code).await.unwrap_err();
    assert_eq!(e.code(), "invalid_session");
}

#[tokio::test]
async fn a_challenge_dies_after_three_minutes() {
    let w = world();
    let secret = w.turn_on().await;
    let LoginStep::Totp { session } = w.login.login(EMAIL, "Correct1horse").await.unwrap() else {
        panic!("no challenge");
    };
    w.clock.advance(Duration::seconds(180));
    let e = w
        .login
        .complete(&session, &w.mem.code(&secret))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.kind()),
        ("invalid_session", ErrorKind::Unauthorized)
    );
}

#[tokio::test]
async fn an_admin_without_totp_is_refused_and_says_how_to_turn_it_on() {
    let w = world();
    let e = w.totp.require_for_admin(&w.owner).await.unwrap_err();
    assert_eq!((e.code(), e.kind()), ("mfa_required", ErrorKind::Forbidden));
    assert!(e.to_string().contains("/account/mfa/totp"));
    w.turn_on().await;
    w.totp.require_for_admin(&w.owner).await.unwrap();
}
