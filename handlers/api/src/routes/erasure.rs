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
    /// A second factor's code: accepted for clients that send one; this deployment has no
    /// second factor yet, so the password alone decides.
    #[serde(default)]
    #[allow(dead_code)]
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
/// the receipt goes to the caller's verified address.
pub(super) async fn own(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let body: OwnErasure = parse_json(req)?;
    let e = deps
        .erasure
        .erase_own(&who.owner, &body.password, who.email.as_deref())
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
