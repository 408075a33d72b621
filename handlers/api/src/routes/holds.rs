//! Legal holds, for admins (`core/src/holds/`): place one on any owner's file, or lift it.
//! Admin first: a non-admin learns nothing, not even a 400.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde_json::{Value, json};

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, parse_json, require_admin};

/// `POST /admin/files/{id}/hold {reason}`.
pub(super) async fn place(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    require_admin(&who)?;
    let body: Value = parse_json(req)?;
    // A reason that is not text is no reason: the core answers `invalid_reason`.
    let reason = body.get("reason").and_then(Value::as_str);
    let file = deps.holds.place(&who.owner, id, reason).await?;
    Ok(json_response(200, &json!({ "file": file })))
}

/// `DELETE /admin/files/{id}/hold`.
pub(super) async fn lift(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    require_admin(&who)?;
    let file = deps.holds.lift(&who.owner, id).await?;
    Ok(json_response(200, &json!({ "file": file })))
}
