//! The owner's API tokens: create (the secret answered once), list, revoke. Never open to an
//! API token itself (their scopes in the route table are `NONE`): a leaked token cannot mint
//! another, nor outlive its revocation.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::apikeys::ApiKey;
use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, parse_json, respond, whole};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateKey {
    name: String,
    scope: String,
    #[serde(default)]
    expires_in: Option<Value>,
}

/// A token as its owner sees it: never the secret, nor its hash.
fn view(k: &ApiKey) -> Value {
    json!({
        "id": k.id.as_str(),
        "name": k.name,
        "scope": k.scope.as_str(),
        "created_at": dropgate_core::time::rfc3339(k.created_at),
        "expires_at": dropgate_core::time::rfc3339(k.expires_at),
        "last_used_at": k.last_used_at.map(dropgate_core::time::rfc3339),
    })
}

/// `POST /account/tokens {name, scope, expires_in?}`: `201 {token: {..., secret}}`.
pub(super) async fn create(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let c: CreateKey = parse_json(req)?;
    let expires_in = whole(c.expires_in, "invalid_request", "expires_in")?;
    let made = deps
        .api_keys
        .create(&who.owner, &c.name, &c.scope, expires_in)
        .await?;
    let mut token = view(&made.key);
    token["secret"] = json!(made.secret);
    Ok(json_response(201, &json!({ "token": token })))
}

/// `GET /account/tokens`: the owner's tokens that are not revoked, newest first.
pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let keys = deps.api_keys.list(&who.owner).await?;
    let tokens: Vec<Value> = keys.iter().map(view).collect();
    Ok(json_response(200, &json!({ "tokens": tokens })))
}

/// `DELETE /account/tokens/{id}`: `204`; refused from the next request on.
pub(super) async fn revoke(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    deps.api_keys.revoke(&who.owner, id).await?;
    Ok(respond(204, None))
}
