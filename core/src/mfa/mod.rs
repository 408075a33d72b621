//! Two-factor sign-in with a time-based one-time password (TOTP, RFC 6238) over the
//! [`TotpDirectory`] port (Cognito's software token MFA in production): enrolment (a secret and
//! its `otpauth://` URI), turning it on and off with a current code, the login challenge it
//! adds, and the rule that admins may be required to have it on.

use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::Tokens;
use crate::{CoreError, OwnerId};

pub mod service;
pub use service::{LoginStep, Totp, TotpLogin};

/// The directory's side of TOTP. The owner's own operations take their access token (Cognito
/// has no admin form of them); whether TOTP is on is asked by owner id.
#[async_trait]
pub trait TotpDirectory: Send + Sync {
    /// A new secret (base32) for the owner of `access_token`; it counts only once a code of
    /// it is verified.
    async fn associate(&self, access_token: &str) -> Result<String, CoreError>;
    /// Checks `code` against the owner's secret: `400 invalid_code` when it is not a current
    /// code of it (or no secret was associated).
    async fn verify(&self, access_token: &str, code: &str) -> Result<(), CoreError>;
    /// Turns TOTP on (and makes it the preferred second factor) or off.
    async fn set_enabled(&self, access_token: &str, on: bool) -> Result<(), CoreError>;
    /// Whether the owner has TOTP on.
    async fn enabled(&self, owner: &OwnerId) -> Result<bool, CoreError>;
    /// Completes a login that the directory challenged for a code: the tokens,
    /// `401 invalid_code` for a wrong code, `401 invalid_session` for a session the directory
    /// no longer knows (expired, used, another user's).
    async fn answer_challenge(
        &self,
        username: &str,
        session: &str,
        code: &str,
    ) -> Result<Tokens, CoreError>;
}

/// How long a login challenge may be answered: Cognito's app client session (3 minutes, the
/// template's `AuthSessionValidity`).
pub const CHALLENGE_SECS: i64 = 180;

/// The issuer shown by authenticator apps.
pub const ISSUER: &str = "Dropgate";

/// What `POST /account/mfa/totp` answers: the secret to type, and the same as a URI for a QR
/// code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrollment {
    pub secret: String,
    pub otpauth_uri: String,
}

/// What a URI's label or value cannot hold as it is: controls, spaces and the characters that
/// would end or change it. An address keeps its `@`, `+` and `.` (authenticator apps show the
/// label as written).
const URI_TEXT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'/')
    .add(b':')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `otpauth://totp/Dropgate:<email>?secret=...&issuer=Dropgate` (authenticator apps read SHA-1,
/// 6 digits and 30 s as the defaults).
pub fn otpauth_uri(email: &str, secret: &str) -> String {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, URI_TEXT).to_string();
    format!(
        "otpauth://totp/{ISSUER}:{}?secret={}&issuer={ISSUER}",
        enc(email),
        enc(secret)
    )
}

pub fn invalid_code() -> CoreError {
    CoreError::invalid("invalid_code", "the code is wrong")
}

/// A login's wrong code: `401`, as login's other refusals.
pub fn wrong_login_code() -> CoreError {
    CoreError::unauthorized("invalid_code", "the code is wrong")
}

pub fn invalid_session() -> CoreError {
    CoreError::unauthorized(
        "invalid_session",
        "the sign-in session is unknown or expired (3 minutes): log in again",
    )
}

/// `403 mfa_required`: an admin route asked by an admin without TOTP on.
pub fn mfa_required() -> CoreError {
    CoreError::Forbidden {
        code: "mfa_required",
        message: "admin routes need two-factor sign-in: turn it on with POST /account/mfa/totp \
                  and POST /account/mfa/totp/verify (account settings, or `dropgate mfa enable`), \
                  then log in again"
            .into(),
    }
}

/// A code as an authenticator shows it: 6 digits (spaces a person types between them are
/// dropped). Anything else is a wrong code without asking the directory.
pub fn validate_totp_code(code: &str) -> Result<String, CoreError> {
    let code: String = code.chars().filter(|c| *c != ' ').collect();
    if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(invalid_code())
    }
}

/// What Dropgate hands a challenged client as its `session`: the directory's session, the
/// name the login used (the directory wants it back with the code) and when it stops being
/// worth answering. Not a secret beyond the directory's own session, and not trusted: the
/// directory binds its session to the user and enforces its lifetime itself; the time here
/// only answers an old session at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeSession {
    #[serde(rename = "u")]
    pub username: String,
    #[serde(rename = "s")]
    pub session: String,
    #[serde(rename = "x")]
    pub expires_at: i64,
}

/// The longest session Dropgate accepts back (Cognito's are about a kilobyte).
pub const MAX_SESSION: usize = 8192;

impl ChallengeSession {
    pub fn new(username: &str, session: &str, now: DateTime<Utc>) -> Self {
        Self {
            username: username.to_owned(),
            session: session.to_owned(),
            expires_at: now.timestamp() + CHALLENGE_SECS,
        }
    }

    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// The session a client sent back, if it is one and still alive at `now`;
    /// `401 invalid_session` otherwise.
    pub fn open(raw: &str, now: DateTime<Utc>) -> Result<Self, CoreError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > MAX_SESSION {
            return Err(invalid_session());
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| invalid_session())?;
        let s: Self = serde_json::from_slice(&bytes).map_err(|_| invalid_session())?;
        if s.username.is_empty() || s.session.is_empty() || now.timestamp() >= s.expires_at {
            return Err(invalid_session());
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_uri_names_the_issuer_and_the_account() {
        assert_eq!(
            otpauth_uri("ada+x@example.org", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Dropgate:ada+x@example.org?secret=JBSWY3DPEHPK3PXP&issuer=Dropgate"
        );
        // Nothing in a label can end it or start a query.
        assert_eq!(
            otpauth_uri("a?b&c#d/e:f@x.org", "S"),
            "otpauth://totp/Dropgate:a%3Fb%26c%23d%2Fe%3Af@x.org?secret=S&issuer=Dropgate"
        );
    }

    #[test]
    fn a_code_is_six_digits() {
        assert_eq!(validate_totp_code("123 456").unwrap(), "123456");
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"] {
            assert_eq!(validate_totp_code(bad).unwrap_err().code(), "invalid_code");
        }
    }

    #[test]
    fn a_session_lives_three_minutes() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let raw = ChallengeSession::new("ada@x.org", "cog", t0).encode();
        let s = ChallengeSession::open(&raw, t0 + chrono::Duration::seconds(179)).unwrap();
        assert_eq!(
            (s.username.as_str(), s.session.as_str()),
            ("ada@x.org", "cog")
        );
        let e = ChallengeSession::open(&raw, t0 + chrono::Duration::seconds(180)).unwrap_err();
        assert_eq!(
            (e.code(), e.kind()),
            ("invalid_session", crate::ErrorKind::Unauthorized)
        );
        for bad in ["", "!!", "e30", &"A".repeat(MAX_SESSION + 1)] {
            assert_eq!(
                ChallengeSession::open(bad, t0).unwrap_err().code(),
                "invalid_session"
            );
        }
    }
}
