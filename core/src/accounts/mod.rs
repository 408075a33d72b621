//! Account users: sign-up, confirmation, login, refresh and logout, over the [`Accounts`] port (Cognito
//! in production). The domain checks what it can before asking the directory.

use async_trait::async_trait;
use serde::Serialize;

use crate::{CoreError, OwnerId};

pub mod own;
pub mod recovery;
pub use own::{
    AccountDirectory, OwnAccount, OwnerAddress, PasswordCheck, access_token_owner, mailable_email,
    sign_out_everywhere, validate_code,
};
pub use recovery::Recovery;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUpOutcome {
    /// The account can log in now.
    Confirmed,
    /// A code was sent; `POST /auth/confirm` completes the sign-up.
    CodeSent,
}

/// The password step of a login.
#[derive(Debug, Clone, PartialEq)]
pub enum SignIn {
    Tokens(Tokens),
    /// The account has TOTP on: the directory's session, to answer with a code
    /// ([`crate::mfa::TotpDirectory::answer_challenge`]).
    Totp {
        session: String,
    },
}

#[async_trait]
pub trait Accounts: Send + Sync {
    async fn sign_up(&self, email: &str, password: &str) -> Result<SignUpOutcome, CoreError>;
    async fn confirm(&self, email: &str, code: &str) -> Result<(), CoreError>;
    async fn login(&self, email: &str, password: &str) -> Result<Tokens, CoreError>;
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, CoreError>;
    /// The password step of a login that may be challenged for a second factor; a directory
    /// without second factors answers [`Accounts::login`]'s tokens.
    async fn sign_in(&self, email: &str, password: &str) -> Result<SignIn, CoreError> {
        self.login(email, password).await.map(SignIn::Tokens)
    }
    /// Ends the session a refresh token belongs to: afterwards it refreshes nothing. A token
    /// that refreshes nothing already (expired, revoked, malformed, another client's) is not an
    /// error: logging out twice is still logged out. Fails only when the directory could not
    /// be asked.
    async fn revoke(&self, refresh_token: &str) -> Result<(), CoreError>;
    /// Mails a reset code to the account's verified address. An address with no account, or
    /// none verified, is not an error (nothing is mailed): the answer must not tell them apart.
    async fn forgot(&self, email: &str) -> Result<(), CoreError>;
    /// Sets `password` with the mailed `code`: `400 invalid_code` for a wrong or expired code
    /// and for an address with no account, `400 weak_password`.
    async fn reset(&self, email: &str, code: &str, password: &str) -> Result<(), CoreError>;
    /// The owner of the account at `email` and whether the address is verified; `None` when
    /// no account has it.
    async fn holder(&self, email: &str) -> Result<Option<(OwnerId, bool)>, CoreError>;
    /// What a sign-up of a new address answers (what a taken one must answer too).
    fn new_sign_up_outcome(&self) -> SignUpOutcome {
        SignUpOutcome::CodeSent
    }
}

/// The longest refresh token passed on to the directory; a longer one is not a token.
pub const MAX_REFRESH_TOKEN: usize = 8192;

/// Whether `token` could be a refresh token at all (else it is refused, or nothing to revoke,
/// without asking the directory).
pub fn plausible_refresh_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= MAX_REFRESH_TOKEN
}

pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 256;

/// A pragmatic address check: one `@`, a non-empty local part, a dotted domain, no spaces or
/// control characters, at most 254 bytes (RFC 5321's path limit).
pub fn validate_email(raw: &str) -> Result<String, CoreError> {
    let email = raw.trim().to_ascii_lowercase();
    let bad = || CoreError::invalid("invalid_email", "email is not a valid address");
    if email.len() > 254
        || email
            .chars()
            .any(|c| c.is_whitespace() || !crate::names::is_displayable(c))
    {
        return Err(bad());
    }
    let (local, domain) = email.split_once('@').ok_or_else(bad)?;
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || !labels_ok
    {
        return Err(bad());
    }
    Ok(email)
}

/// The user pool's policy, checked here first so clients get a clear 400: 8 to 256
/// characters with a lowercase letter, an uppercase letter and a digit.
pub fn validate_password(p: &str) -> Result<(), CoreError> {
    let n = p.chars().count();
    let ok = (MIN_PASSWORD..=MAX_PASSWORD).contains(&n)
        && p.chars().any(|c| c.is_lowercase())
        && p.chars().any(|c| c.is_uppercase())
        && p.chars().any(|c| c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "weak_password",
            "password needs 8 to 256 characters with a lowercase letter, an uppercase letter and a digit",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_token_is_neither_empty_nor_huge() {
        assert!(plausible_refresh_token(
            "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.a.b.c.d"
        ));
        assert!(plausible_refresh_token(&"x".repeat(MAX_REFRESH_TOKEN)));
        assert!(!plausible_refresh_token(""));
        assert!(!plausible_refresh_token(&"x".repeat(MAX_REFRESH_TOKEN + 1)));
    }

    #[test]
    fn emails() {
        assert_eq!(
            validate_email(" Ada@Example.org ").unwrap(),
            "ada@example.org"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.org",
            "ada@x",
            "a b@x.org",
            "a@b@x.org",
            "a@-x.org",
            "a@x..org",
        ] {
            assert_eq!(
                validate_email(bad).unwrap_err().code(),
                "invalid_email",
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords() {
        assert!(validate_password("Correct1horse").is_ok());
        for bad in ["short1A", "alllowercase1", "ALLUPPER1", "NoDigitsHere"] {
            assert_eq!(
                validate_password(bad).unwrap_err().code(),
                "weak_password",
                "{bad}"
            );
        }
    }
}
