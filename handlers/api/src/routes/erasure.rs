//! Erasing an account (`core/src/erasure/`): an admin's `DELETE /admin/users/{id}` and the
//! owner's own `DELETE /account {password, code?}`. Admin first: a non-admin learns nothing.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde::Deserialize;
use serde_json::json;

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, parse_json, require_admin};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnErasure {
    password: String,
    /// The second factor's current code: required when the account has TOTP on, ignored
    /// otherwise.
    #[serde(default)]
    code: Option<String>,
}

/// `DELETE /admin/users/{id}` -> `200 {erasure: {id, files, bytes, links, shares, at}}`.
pub(super) async fn by_admin(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    require_admin(&who)?;
    let erasure = deps.erasure.erase_by_admin(&who.owner, id).await?;
    Ok(json_response(200, &json!({ "erasure": erasure })))
}

/// `DELETE /account {password, code?}` -> `200 {erasure: {files, bytes, links, shares, at}}`;
/// `401 invalid_code` when TOTP is on and `code` is missing or wrong. The receipt goes to the
/// caller's verified address.
pub(super) async fn own(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let body: OwnErasure = parse_json(req)?;
    let e = deps
        .erasure
        .erase_own(
            &who.owner,
            &body.password,
            body.code.as_deref(),
            who.email.as_deref(),
        )
        .await?;
    Ok(json_response(
        200,
        &json!({ "erasure": {
            "files": e.files,
            "bytes": e.bytes,
            "links": e.links,
            "shares": e.shares,
            "at": e.at,
        }}),
    ))
}
