//! The [`TotpDirectory`] contract: a secret counts only once a current code of it is verified;
//! a wrong code changes nothing; with TOTP on, a login's challenge is answered only with a
//! current code and the session the password step gave; turned off, it is off.

use async_trait::async_trait;

use crate::OwnerId;
use crate::mfa::TotpDirectory;

/// What the contract needs of the directory's world besides the port.
#[async_trait]
pub trait TotpWorld: Send + Sync {
    /// A new account at `email`: its owner and an access token of it.
    async fn account(&self, email: &str) -> (OwnerId, String);
    /// A current code of `secret` (not about to expire).
    async fn code(&self, secret: &str) -> String;
    /// The password step of a login of `email`: the directory's session when it challenges
    /// for a code, `None` when it answers tokens.
    async fn challenge(&self, email: &str) -> Option<String>;
}

/// A six-digit code that is not `code`.
fn other_than(code: &str) -> String {
    let last = code
        .chars()
        .last()
        .and_then(|c| c.to_digit(10))
        .unwrap_or(0);
    format!("{}{}", &code[..code.len() - 1], (last + 1) % 10)
}

/// `tag` keeps the accounts of one run apart from another's on a shared directory.
pub async fn check_all(d: &dyn TotpDirectory, w: &dyn TotpWorld, tag: &str) {
    let email = format!("totp-{tag}@example.com");
    let (owner, token) = w.account(&email).await;
    assert!(!d.enabled(&owner).await.unwrap(), "off for a new account");
    assert_eq!(w.challenge(&email).await, None, "no challenge while off");

    let secret = d.associate(&token).await.unwrap();
    assert!(!secret.is_empty());
    let code = w.code(&secret).await;
    let e = d.verify(&token, &other_than(&code)).await.unwrap_err();
    assert_eq!(e.code(), "invalid_code");
    assert!(
        !d.enabled(&owner).await.unwrap(),
        "a wrong code turns nothing on"
    );

    d.verify(&token, &code).await.unwrap();
    d.set_enabled(&token, true).await.unwrap();
    assert!(d.enabled(&owner).await.unwrap());

    let session = w.challenge(&email).await.expect("a challenge once on");
    let code = w.code(&secret).await;
    let e = d
        .answer_challenge(&email, &session, &other_than(&code))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_code");
    assert_eq!(e.kind(), crate::ErrorKind::Unauthorized);
    let e = d
        .answer_challenge(&email, "no-such-session", &code)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_session");
    let session = w.challenge(&email).await.expect("a challenge");
    let code = w.code(&secret).await;
    let tokens = d.answer_challenge(&email, &session, &code).await.unwrap();
    assert!(!tokens.id_token.is_empty() && !tokens.refresh_token.is_empty());
    // A session answers once.
    let e = d
        .answer_challenge(&email, &session, &code)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_session");

    d.set_enabled(&token, false).await.unwrap();
    assert!(!d.enabled(&owner).await.unwrap());
    assert_eq!(w.challenge(&email).await, None, "no challenge once off");
}
