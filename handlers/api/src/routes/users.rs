//! Accounts, for admins: list by email prefix, read one, set its own quota and stop or restore
//! it (`core/src/users/`). Admin first: a non-admin learns nothing, not even a 400.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::users::UserPatch;
use serde_json::{Value, json};

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, parse_json, query, require_admin};

/// `GET /admin/users?query=&cursor=&limit=`.
pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    require_admin(&caller(req)?)?;
    let page = deps
        .users
        .list(
            query(req, "query"),
            query(req, "cursor"),
            query(req, "limit"),
        )
        .await?;
    Ok(json_response(200, &page))
}

/// `GET /admin/users/{id}`.
pub(super) async fn get(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    require_admin(&caller(req)?)?;
    let user = deps.users.get(id).await?;
    Ok(json_response(200, &json!({ "user": user })))
}

/// `PATCH /admin/users/{id} {quota_bytes?, disabled?}`.
pub(super) async fn patch(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    require_admin(&who)?;
    let body: Value = parse_json(req)?;
    let patch = UserPatch::parse(body)?;
    let user = deps.users.update(&who.owner, id, &patch).await?;
    Ok(json_response(200, &json!({ "user": user })))
}
