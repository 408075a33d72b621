//! The operator's review, for admins: files across owners by status (the review queue), a
//! release of a held file, a deletion for good, every link and a revoke of any
//! (`core/src/review/`). Admin first: a non-admin learns nothing, not even a 400.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde_json::json;

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, query, require_admin, respond};

/// `GET /admin/files?status=&owner=&via_link=&cursor=&limit=`.
pub(super) async fn files(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    require_admin(&caller(req)?)?;
    let page = deps
        .review
        .files(
            query(req, "status"),
            query(req, "owner"),
            query(req, "via_link"),
            query(req, "cursor"),
            query(req, "limit"),
        )
        .await?;
    Ok(json_response(200, &page))
}

/// `POST /admin/files/{id}/release`.
pub(super) async fn release(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    require_admin(&who)?;
    let file = deps.review.release(&who.owner, id).await?;
    Ok(json_response(200, &json!({ "file": file })))
}

/// `DELETE /admin/files/{id}`.
pub(super) async fn delete_file(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    require_admin(&who)?;
    deps.review.delete_file(&who.owner, id).await?;
    Ok(respond(204, None))
}

/// `GET /admin/links?cursor=&limit=`.
pub(super) async fn links(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    require_admin(&caller(req)?)?;
    let page = deps
        .review
        .links(query(req, "cursor"), query(req, "limit"))
        .await?;
    Ok(json_response(200, &page))
}

/// `DELETE /admin/links/{id}`.
pub(super) async fn revoke_link(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    require_admin(&who)?;
    deps.review.revoke_link(&who.owner, id).await?;
    Ok(respond(204, None))
}
