//! An owner's upload links: create, list, read, edit, revoke, remove.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::links::NewLink;
use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::Answer;
use super::edits::EditLink;
use crate::deps::Deps;
use crate::http::{caller, json_response, parse_json, query, respond, whole};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateLink {
    label: String,
    // Numbers arrive as JSON values so that a negative, fractional or quoted number gets the
    // field's own code rather than a generic one.
    expires_in: Option<Value>,
    max_uploads: Option<Value>,
    max_file_bytes: Option<Value>,
    max_total_bytes: Option<Value>,
    max_pending_bytes: Option<Value>,
    allowed_types: Option<Vec<String>>,
    #[serde(default)]
    require_uploader_name: bool,
    retain_days: Option<Value>,
}

pub(super) async fn create(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let c: CreateLink = parse_json(req)?;
    let new = NewLink {
        label: c.label,
        expires_in: whole(c.expires_in, "invalid_expires_in", "expires_in")?,
        max_uploads: whole(c.max_uploads, "invalid_max_uploads", "max_uploads")?,
        max_file_bytes: whole(c.max_file_bytes, "invalid_max_file_bytes", "max_file_bytes")?,
        max_total_bytes: whole(
            c.max_total_bytes,
            "invalid_max_total_bytes",
            "max_total_bytes",
        )?,
        max_pending_bytes: whole(
            c.max_pending_bytes,
            "invalid_max_pending_bytes",
            "max_pending_bytes",
        )?,
        allowed_types: c.allowed_types,
        require_uploader_name: c.require_uploader_name,
        retain_days: whole(c.retain_days, "invalid_retain_days", "retain_days")?,
    };
    let created = deps.links.create(&who.owner, who.email, &new).await?;
    tracing::info!(owner = %who.owner, link_id = created.link.id, max_uploads = created.link.max_uploads, "upload link created");
    Ok(json_response(201, &created))
}

pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let listing = deps
        .links
        .list(&who.owner, query(req, "limit"), query(req, "cursor"))
        .await?;
    Ok(json_response(200, &listing))
}

pub(super) async fn get(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let link = deps.links.view(&who.owner, id).await?;
    Ok(json_response(200, &json!({ "link": link })))
}

pub(super) async fn edit(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let e: EditLink = parse_json(req)?;
    let link = deps.links.edit(&who.owner, id, &e.into_edit()?).await?;
    tracing::info!(owner = %who.owner, link_id = id, state = ?link.state, "upload link edited");
    Ok(json_response(200, &json!({ "link": link })))
}

/// `DELETE /links/{id}` revokes; with `?remove=true` it removes an ended link from the list.
pub(super) async fn revoke(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    if super::edits::removing(req)? {
        deps.links.remove(&who.owner, id).await?;
        tracing::info!(owner = %who.owner, link_id = id, "upload link removed");
    } else {
        deps.links.revoke(&who.owner, id).await?;
        tracing::info!(owner = %who.owner, link_id = id, "upload link revoked");
    }
    Ok(respond(204, None))
}
