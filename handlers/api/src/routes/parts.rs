//! Multipart uploads of large files: part URLs, the parts already uploaded, completion. The
//! owner's routes go by file id; the drop routes by the uploader's receipt (never logged).

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::multipart::PartTag;
use serde::Deserialize;
use serde_json::json;

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, parse_json, source_ip};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartNumbers {
    part_numbers: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Complete {
    #[serde(default)]
    parts: Vec<PartIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartIn {
    number: u32,
    etag: String,
}

impl Complete {
    fn tags(self) -> Vec<PartTag> {
        self.parts
            .into_iter()
            .map(|p| PartTag {
                number: p.number,
                etag: p.etag,
            })
            .collect()
    }
}

/// A completion with no body at all is a completion that names no parts.
fn complete_body(req: &ApiGatewayV2httpRequest) -> Result<Complete, crate::http::ApiError> {
    if req.body.as_deref().is_none_or(|b| b.trim().is_empty()) {
        return Ok(Complete { parts: vec![] });
    }
    parse_json(req)
}

pub(super) async fn presign(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let body: PartNumbers = parse_json(req)?;
    let parts = deps
        .files
        .presign_parts(&who.owner, id, &body.part_numbers)
        .await?;
    tracing::info!(owner = %who.owner, file_id = id, parts = parts.len(), "part URLs presigned");
    Ok(json_response(200, &json!({ "parts": parts })))
}

pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let listing = deps.files.parts(&who.owner, id).await?;
    Ok(json_response(200, &listing))
}

pub(super) async fn complete(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let body = complete_body(req)?;
    let file = deps.files.complete(&who.owner, id, &body.tags()).await?;
    tracing::info!(owner = %who.owner, file_id = %file.id, size = file.size, "multipart upload completed");
    Ok(json_response(
        200,
        &json!({ "file": file.owner_view(&deps.files.settings.allowed_types) }),
    ))
}

pub(super) async fn drop_presign(
    req: &ApiGatewayV2httpRequest,
    deps: &Deps,
    receipt: &str,
) -> Answer {
    let body: PartNumbers = parse_json(req)?;
    let parts = deps
        .drops
        .presign_parts(receipt, &source_ip(req), &body.part_numbers)
        .await?;
    Ok(json_response(200, &json!({ "parts": parts })))
}

pub(super) async fn drop_list(req: &ApiGatewayV2httpRequest, deps: &Deps, receipt: &str) -> Answer {
    let listing = deps.drops.parts(receipt, &source_ip(req)).await?;
    Ok(json_response(200, &listing))
}

pub(super) async fn drop_complete(
    req: &ApiGatewayV2httpRequest,
    deps: &Deps,
    receipt: &str,
) -> Answer {
    let body = complete_body(req)?;
    let view = deps
        .drops
        .complete(receipt, &source_ip(req), &body.tags())
        .await?;
    tracing::info!(
        size = view.file.size,
        "multipart upload completed through a link"
    );
    Ok(json_response(200, &view))
}
