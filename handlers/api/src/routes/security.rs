//! What an owner changes of their own account's credentials: the address (through a code
//! mailed to the new one), the password, and every session at once. Operations Cognito offers only on the owner's own access token take
//! it from the `Dropgate-Access-Token` header (login and refresh answer it beside the id token;
//! see docs/DESIGN.md, "Own-account operations").

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde::Deserialize;
use serde_json::json;

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, parse_json, respond};

/// The header that carries the caller's access token.
pub const ACCESS_TOKEN_HEADER: &str = "dropgate-access-token";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailChange {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Code {
    code: String,
}

pub(super) fn access_token(req: &ApiGatewayV2httpRequest) -> Option<&str> {
    req.headers
        .get(ACCESS_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
}

/// `POST /account/email {email}`: a code goes to the new address; nothing changes until it
/// comes back (`202 {pending_email}`).
pub(super) async fn change_email(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let b: EmailChange = parse_json(req)?;
    let email = deps.own.change_email(&who.owner, &b.email).await?;
    Ok(json_response(202, &json!({ "pending_email": email })))
}

/// `POST /account/email/verify {code}`: the account moves to the new address (`204`).
pub(super) async fn verify_email(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let b: Code = parse_json(req)?;
    deps.own
        .verify_email(&who.owner, access_token(req), &b.code)
        .await?;
    Ok(respond(204, None))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current: String,
    new: String,
}

/// `POST /account/password {current, new}`: `204`; every session of the account ends, this
/// one too (log in again with the new password).
pub(super) async fn change_password(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let b: PasswordChange = parse_json(req)?;
    deps.own
        .change_password(&who.owner, &b.current, &b.new)
        .await?;
    Ok(respond(204, None))
}

/// `POST /account/signout-all`: `204`; every refresh token dies and every id token issued
/// before is refused at once (`401 token_revoked`), this one too.
pub(super) async fn sign_out_all(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    deps.own.sign_out_everywhere(&who.owner).await?;
    Ok(respond(204, None))
}
