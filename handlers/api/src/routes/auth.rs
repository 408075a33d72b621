//! Accounts: sign up, confirm, log in, refresh.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::accounts::{SignUpOutcome, validate_email, validate_password};
use serde::Deserialize;
use serde_json::json;

use super::Answer;
use crate::Deps;
use crate::http::{ApiError, json_response, parse_json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirmation {
    email: String,
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refresh {
    refresh_token: String,
}

pub(super) async fn signup(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let c: Credentials = parse_json(req)?;
    let email = validate_email(&c.email)?;
    validate_password(&c.password)?;
    let outcome = deps.accounts.sign_up(&email, &c.password).await?;
    Ok(json_response(
        201,
        &json!({"email": email, "confirmed": outcome == SignUpOutcome::Confirmed}),
    ))
}

pub(super) async fn confirm(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let c: Confirmation = parse_json(req)?;
    let email = validate_email(&c.email)?;
    if c.code.is_empty() || c.code.len() > 64 {
        return Err(ApiError::new(400, "invalid_code", "the code is wrong"));
    }
    deps.accounts.confirm(&email, &c.code).await?;
    Ok(json_response(
        200,
        &json!({"email": email, "confirmed": true}),
    ))
}

pub(super) async fn login(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let c: Credentials = parse_json(req)?;
    // A malformed address cannot belong to an account: same answer as a wrong password.
    let bad = || ApiError::new(401, "invalid_credentials", "email or password is wrong");
    let email = validate_email(&c.email).map_err(|_| bad())?;
    if c.password.is_empty() || c.password.len() > 1024 {
        return Err(bad());
    }
    let tokens = deps.accounts.login(&email, &c.password).await?;
    Ok(json_response(200, &tokens))
}

pub(super) async fn refresh(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let r: Refresh = parse_json(req)?;
    if r.refresh_token.is_empty() || r.refresh_token.len() > 8192 {
        return Err(ApiError::new(
            401,
            "invalid_token",
            "the refresh token is not valid",
        ));
    }
    let tokens = deps.accounts.refresh(&r.refresh_token).await?;
    Ok(json_response(200, &tokens))
}
