//! The public drop routes: no account, the link's token (or a receipt) is the credential.
//! Nothing here logs a token or a receipt.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::files::Uploader;
use dropgate_core::links::DropUpload;
use serde::Deserialize;

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{json_response, parse_json, source_ip};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DropFile {
    name: String,
    size: u64,
    content_type: String,
    uploader: Option<UploaderIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploaderIn {
    name: Option<String>,
    email: Option<String>,
    note: Option<String>,
}

pub(super) async fn info(req: &ApiGatewayV2httpRequest, deps: &Deps, token: &str) -> Answer {
    let info = deps.drops.info(token, &source_ip(req)).await?;
    Ok(json_response(200, &info))
}

pub(super) async fn upload(req: &ApiGatewayV2httpRequest, deps: &Deps, token: &str) -> Answer {
    // The body is checked before the token is looked up: a malformed request costs no lookup.
    let d: DropFile = parse_json(req)?;
    let dropped = deps
        .drops
        .upload(
            token,
            &source_ip(req),
            DropUpload {
                name: d.name,
                size: d.size,
                content_type: d.content_type,
                uploader: d.uploader.map(|u| Uploader {
                    name: u.name,
                    email: u.email,
                    note: u.note,
                }),
            },
        )
        .await?;
    tracing::info!(
        file_id = dropped.file.id,
        link_id = dropped.file.via_link.as_deref().unwrap_or(""),
        size = dropped.file.size,
        "upload reserved through a link"
    );
    Ok(json_response(201, &dropped))
}

pub(super) async fn receipt(req: &ApiGatewayV2httpRequest, deps: &Deps, receipt: &str) -> Answer {
    let view = deps.drops.receipt(receipt, &source_ip(req)).await?;
    Ok(json_response(200, &view))
}
