//! A file's versions: a new one's upload, the list, a version's download, a restore and a
//! deletion. The rules are in `dropgate_core::versions`.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde::Deserialize;
use serde_json::json;

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, parse_json, respond};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewVersion {
    size: u64,
    content_type: String,
}

pub(super) async fn create(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let v: NewVersion = parse_json(req)?;
    let created = deps
        .versions
        .create(&who.owner, id, v.size, v.content_type, who.email)
        .await?;
    Ok(json_response(201, &created))
}

pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let list = deps.versions.list(&who.owner, id).await?;
    Ok(json_response(200, &list))
}

pub(super) async fn download(
    req: &ApiGatewayV2httpRequest,
    deps: &Deps,
    id: &str,
    n: &str,
) -> Answer {
    let who = caller(req)?;
    let url = deps.versions.download(&who.owner, id, n).await?;
    Ok(json_response(
        200,
        &json!({"url": url.url, "expires_at": url.expires_at}),
    ))
}

pub(super) async fn restore(
    req: &ApiGatewayV2httpRequest,
    deps: &Deps,
    id: &str,
    n: &str,
) -> Answer {
    let who = caller(req)?;
    let list = deps.versions.restore(&who.owner, id, n).await?;
    Ok(json_response(200, &list))
}

pub(super) async fn delete(
    req: &ApiGatewayV2httpRequest,
    deps: &Deps,
    id: &str,
    n: &str,
) -> Answer {
    let who = caller(req)?;
    deps.versions.delete(&who.owner, id, n).await?;
    Ok(respond(204, None))
}
