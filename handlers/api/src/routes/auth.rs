//! Accounts: sign up, confirm, log in, refresh, log out (revoking the refresh token), and a
//! forgotten password's reset.
//!
//! A browser asks for a cookie session (`"cookie": true` at login): the refresh token then
//! travels only in an HttpOnly, Secure, SameSite=Strict, `__Host-` cookie, out of reach of
//! any script, and the page keeps the short-lived id token in memory. Other clients get the
//! refresh token in the body, as before.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use dropgate_core::accounts::{SignUpOutcome, Tokens, plausible_refresh_token, validate_email};
use dropgate_core::mfa::LoginStep;
use serde::Deserialize;
use serde_json::json;

use super::answer::Answer;
use crate::deps::AuthDeps;
use crate::http::{ApiError, error_response, json_response, parse_json, respond};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
    /// Keep the refresh token in an HttpOnly cookie instead of the body.
    #[serde(default)]
    cookie: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirmation {
    email: String,
    code: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Refresh {
    /// Absent: the session cookie's.
    refresh_token: Option<String>,
}

/// The session cookie's name. `__Host-`: the browser takes it only Secure, with `Path=/` and
/// no `Domain`, so a sibling subdomain cannot plant one for this host.
const COOKIE: &str = "__Host-dropgate_refresh";
/// Cognito's default refresh token validity (30 days); the cookie never outlives it.
const COOKIE_MAX_AGE_SECS: u64 = 30 * 24 * 3600;

fn session_cookie(value: &str, max_age: u64) -> String {
    format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

/// The session cookie's token. Two of them (one planted by a sibling subdomain, say) is no
/// session at all: which one the browser sent first decides nothing.
fn cookie_token(req: &ApiGatewayV2httpRequest) -> Option<String> {
    let mut found = req.cookies.iter().flatten().filter_map(|c| {
        let (k, v) = c.split_once('=')?;
        (k.trim() == COOKIE).then(|| v.trim().to_owned())
    });
    let first = found.next().filter(|v| !v.is_empty())?;
    found.next().is_none().then_some(first)
}

/// A cookie session is only set for the page's own `fetch`: a JSON request (which a cross-site
/// form cannot send without a CORS preflight that this API refuses) that the browser does not
/// mark cross-site. Otherwise a hostile page could log the browser into the attacker's
/// account (login CSRF) and collect what its owner uploads.
pub(super) fn same_site_json(req: &ApiGatewayV2httpRequest) -> Result<(), ApiError> {
    let header = |n: &str| {
        req.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let json = header("content-type")
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json || header("sec-fetch-site").eq_ignore_ascii_case("cross-site") {
        return Err(ApiError::new(
            403,
            "cross_site_refused",
            "a cookie session is only for this site's own pages (JSON, same site)",
        ));
    }
    Ok(())
}

fn invalid_token() -> ApiError {
    ApiError::new(401, "invalid_token", "the refresh token is not valid")
}

/// A taken address answers as a new one would (its owner is told by mail instead).
pub(super) async fn signup(req: &ApiGatewayV2httpRequest, deps: &AuthDeps) -> Answer {
    let c: Credentials = parse_json(req)?;
    let (email, outcome) = deps.recovery.sign_up(&c.email, &c.password).await?;
    Ok(json_response(
        201,
        &json!({"email": email, "confirmed": outcome == SignUpOutcome::Confirmed}),
    ))
}

pub(super) async fn confirm(req: &ApiGatewayV2httpRequest, deps: &AuthDeps) -> Answer {
    let c: Confirmation = parse_json(req)?;
    let email = validate_email(&c.email)?;
    if c.code.is_empty() || c.code.len() > 64 {
        return Err(ApiError::new(400, "invalid_code", "the code is wrong"));
    }
    // No account, or one confirmed already, is a wrong code: the answer tells no address from
    // another.
    deps.accounts
        .confirm(&email, &c.code)
        .await
        .map_err(|e| match e {
            dropgate_core::CoreError::Unauthorized { .. } => {
                ApiError::new(400, "invalid_code", "the code is wrong")
            }
            other => ApiError::from(other),
        })?;
    Ok(json_response(
        200,
        &json!({"email": email, "confirmed": true}),
    ))
}

pub(super) async fn login(req: &ApiGatewayV2httpRequest, deps: &AuthDeps) -> Answer {
    let c: Login = parse_json(req)?;
    // A malformed address cannot belong to an account: same answer as a wrong password.
    let bad = || ApiError::new(401, "invalid_credentials", "email or password is wrong");
    let email = validate_email(&c.email).map_err(|_| bad())?;
    if c.password.is_empty() || c.password.len() > 1024 {
        return Err(bad());
    }
    if c.cookie {
        same_site_json(req)?;
    }
    match deps.login.login(&email, &c.password).await? {
        LoginStep::Tokens(tokens) => Ok(tokens_answer(tokens, c.cookie)),
        // The second step (`POST /auth/login/totp`) answers the tokens.
        LoginStep::Totp { session } => Ok(json_response(
            200,
            &json!({"challenge": "totp", "session": session}),
        )),
    }
}

/// Login's answer: the tokens in the body, or the refresh token in the session cookie.
pub(super) fn tokens_answer(tokens: Tokens, cookie: bool) -> ApiGatewayV2httpResponse {
    if !cookie {
        return json_response(200, &tokens);
    }
    let mut r = json_response(
        200,
        &json!({"id_token": tokens.id_token, "access_token": tokens.access_token, "expires_in": tokens.expires_in}),
    );
    r.cookies
        .push(session_cookie(&tokens.refresh_token, COOKIE_MAX_AGE_SECS));
    r
}

pub(super) async fn refresh(req: &ApiGatewayV2httpRequest, deps: &AuthDeps) -> Answer {
    let r: Refresh = if has_body(req) {
        parse_json(req)?
    } else {
        Refresh::default()
    };
    let (token, from_cookie) = match r.refresh_token {
        Some(t) => (t, false),
        None => (cookie_token(req).ok_or_else(invalid_token)?, true),
    };
    if !plausible_refresh_token(&token) {
        return Err(invalid_token());
    }
    let tokens = deps.accounts.refresh(&token).await?;
    if !from_cookie {
        return Ok(json_response(200, &tokens));
    }
    // The cookie keeps the refresh token; the page gets only what it holds in memory.
    Ok(json_response(
        200,
        &json!({"id_token": tokens.id_token, "access_token": tokens.access_token, "expires_in": tokens.expires_in}),
    ))
}

/// Ends a session: revokes its refresh token (the body's and the cookie's, when both are sent)
/// at the directory and clears the cookie. Idempotent: no token, or one that refreshes nothing
/// already, is 204 all the same. When the directory cannot be asked the answer is 503, and the
/// cookie is cleared anyway: this browser is logged out whatever happens, and a client holding
/// the token (the CLI) can try again.
pub(super) async fn logout(req: &ApiGatewayV2httpRequest, deps: &AuthDeps) -> Answer {
    let r: Refresh = if has_body(req) {
        parse_json(req)?
    } else {
        Refresh::default()
    };
    let mut tokens: Vec<String> = [r.refresh_token, cookie_token(req)]
        .into_iter()
        .flatten()
        .filter(|t| plausible_refresh_token(t))
        .collect();
    tokens.dedup();
    let mut failed = None;
    for t in &tokens {
        if let Err(e) = deps.accounts.revoke(t).await {
            failed = Some(ApiError::from(e));
        }
    }
    let mut answer = match failed {
        None => {
            tracing::info!(revoked = tokens.len(), "logged out");
            respond(204, None)
        }
        Some(e) => {
            let cause = e.cause.as_deref().unwrap_or("");
            tracing::warn!(code = e.code, cause, "refresh token not revoked");
            error_response(&e)
        }
    };
    answer.cookies.push(session_cookie("", 0));
    Ok(answer)
}

fn has_body(req: &ApiGatewayV2httpRequest) -> bool {
    req.body.as_deref().is_some_and(|b| !b.trim().is_empty())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Forgot {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reset {
    email: String,
    code: String,
    password: String,
}

/// `POST /auth/forgot {email}`: `202`, empty, whatever the address (no enumeration); a code
/// goes to the account's verified address, if there is one.
pub(super) async fn forgot(req: &ApiGatewayV2httpRequest, deps: &AuthDeps) -> Answer {
    let f: Forgot = parse_json(req)?;
    deps.recovery.forgot(&f.email).await?;
    Ok(respond(202, None))
}

/// `POST /auth/reset {email, code, password}`: `204`; every session of the account ends.
pub(super) async fn reset(req: &ApiGatewayV2httpRequest, deps: &AuthDeps) -> Answer {
    let r: Reset = parse_json(req)?;
    deps.recovery.reset(&r.email, &r.code, &r.password).await?;
    Ok(respond(204, None))
}
