//! Two-factor sign-in (TOTP): the owner's enrolment and switch (api function; Cognito takes
//! the owner's own access token, from the `Dropgate-Access-Token` header) and the login's code
//! step (auth function).

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde::Deserialize;
use serde_json::json;

use super::answer::Answer;
use super::auth::tokens_answer;
use super::security::access_token;
use crate::deps::{AuthDeps, Deps};
use crate::http::{caller, json_response, parse_json, respond};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Code {
    code: String,
}

/// `POST /account/mfa/totp`: `200 {secret, otpauth_uri}`; nothing is on until a code of it is
/// verified.
pub(super) async fn enroll(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let e = deps
        .totp
        .enroll(&who.owner, who.email.as_deref(), access_token(req))
        .await?;
    Ok(json_response(200, &e))
}

/// `POST /account/mfa/totp/verify {code}`: `204`, TOTP on; `400 invalid_code`.
pub(super) async fn verify(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let b: Code = parse_json(req)?;
    deps.totp
        .enable(&who.owner, access_token(req), &b.code)
        .await?;
    Ok(respond(204, None))
}

/// `DELETE /account/mfa/totp {code}`: `204`, TOTP off; `400 invalid_code`,
/// `409 totp_not_enabled`.
pub(super) async fn disable(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let b: Code = parse_json(req)?;
    deps.totp
        .disable(&who.owner, access_token(req), &b.code)
        .await?;
    Ok(respond(204, None))
}

/// `GET /account/mfa`: `200 {totp: {enabled}}`, whether two-factor sign-in is on (settings
/// show it and offer to turn it on or off).
pub(super) async fn status(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let on = deps.totp.enabled(&who.owner).await?;
    Ok(json_response(200, &json!({"totp": {"enabled": on}})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginCode {
    session: String,
    code: String,
    /// As at `POST /auth/login`: keep the refresh token in an HttpOnly cookie.
    #[serde(default)]
    cookie: bool,
}

/// `POST /auth/login/totp {session, code}`: what login answers without a second factor;
/// `401 invalid_code`, `401 invalid_session` (unknown, or older than 3 minutes).
pub(super) async fn login(req: &ApiGatewayV2httpRequest, deps: &AuthDeps) -> Answer {
    let b: LoginCode = parse_json(req)?;
    if b.cookie {
        super::auth::same_site_json(req)?;
    }
    let tokens = deps.login.complete(&b.session, &b.code).await?;
    Ok(tokens_answer(tokens, b.cookie))
}
