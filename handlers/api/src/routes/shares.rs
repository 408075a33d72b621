//! Share links: the owner's routes (create, list, edit, revoke, remove, downloads) and the recipient's
//! (info, the unlock, the counted download). Nothing here logs a token or a password.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::http::HeaderValue;
use dropgate_core::shares::NewShare;
use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::Answer;
use super::edits::EditShare;
use crate::deps::Deps;
use crate::http::{ApiError, caller, json_response, parse_json, query, respond, source_ip, whole};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateShare {
    // Numbers arrive as JSON values so that a negative, fractional or quoted number gets the
    // field's own code.
    expires_in: Option<Value>,
    max_downloads: Option<Value>,
    password: Option<String>,
    #[serde(default)]
    notify_owner: bool,
    label: Option<String>,
    /// One version of the file (its number), rather than whichever is current.
    version: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Download {
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Unlock {
    password: Option<String>,
}

pub(super) async fn create(req: &ApiGatewayV2httpRequest, deps: &Deps, file: &str) -> Answer {
    let who = caller(req)?;
    let c: CreateShare = parse_json(req)?;
    let new = NewShare {
        expires_in: whole(c.expires_in, "invalid_expires_in", "expires_in")?,
        max_downloads: whole(c.max_downloads, "invalid_max_downloads", "max_downloads")?,
        password: c.password,
        notify_owner: c.notify_owner,
        label: c.label,
    };
    let version = whole(c.version, "invalid_version", "version")?
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    let created = deps
        .shares
        .create_pinned(&who.owner, who.email, file, &new, version)
        .await?;
    tracing::info!(owner = %who.owner, file_id = file, share_id = created.share.id, "share created");
    Ok(json_response(201, &created))
}

pub(super) async fn get(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let share = deps.shares.view(&who.owner, id).await?;
    Ok(json_response(200, &json!({ "share": share })))
}

pub(super) async fn list_for_file(
    req: &ApiGatewayV2httpRequest,
    deps: &Deps,
    file: &str,
) -> Answer {
    let who = caller(req)?;
    let listing = deps
        .shares
        .list(
            &who.owner,
            Some(file),
            query(req, "limit"),
            query(req, "cursor"),
        )
        .await?;
    Ok(json_response(200, &listing))
}

pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let listing = deps
        .shares
        .list(&who.owner, None, query(req, "limit"), query(req, "cursor"))
        .await?;
    Ok(json_response(200, &listing))
}

pub(super) async fn edit(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let e: EditShare = parse_json(req)?;
    let share = deps.shares.edit(&who.owner, id, &e.into_edit()?).await?;
    tracing::info!(owner = %who.owner, share_id = id, state = ?share.state, "share edited");
    Ok(json_response(200, &json!({ "share": share })))
}

/// `DELETE /shares/{id}` revokes; with `?remove=true` it removes an ended share from the list.
pub(super) async fn revoke(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    if super::edits::removing(req)? {
        deps.shares.remove(&who.owner, id).await?;
        tracing::info!(owner = %who.owner, share_id = id, "share removed");
    } else {
        deps.shares.revoke(&who.owner, id).await?;
        tracing::info!(owner = %who.owner, share_id = id, "share revoked");
    }
    Ok(respond(204, None))
}

pub(super) async fn downloads(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let listing = deps
        .shares
        .downloads(&who.owner, id, query(req, "limit"), query(req, "cursor"))
        .await?;
    Ok(json_response(200, &listing))
}

/// `GET /share/{token}`: counts nothing.
pub(super) async fn info(req: &ApiGatewayV2httpRequest, deps: &Deps, token: &str) -> Answer {
    let info = deps.share_access.info(token, &source_ip(req)).await?;
    Ok(json_response(200, &info))
}

/// `POST /share/{token}/unlock`: what a protected share holds, for its password. Counts no
/// download; a wrong password counts toward the share's lockout as at the download.
pub(super) async fn unlock(req: &ApiGatewayV2httpRequest, deps: &Deps, token: &str) -> Answer {
    let u: Unlock = parse_json(req)?;
    let Some(password) = u.password.filter(|p| !p.is_empty()) else {
        return Err(ApiError::new(
            400,
            "invalid_password",
            "password is required: a non-empty string",
        ));
    };
    let details = deps
        .share_access
        .unlock(token, &password, &source_ip(req))
        .await?;
    Ok(json_response(200, &details))
}

/// `POST /share/{token}/download`: the only thing that counts. `?redirect=1` answers `303`
/// to the presigned URL, so `curl -L -X POST` fetches the bytes in one command.
pub(super) async fn download(req: &ApiGatewayV2httpRequest, deps: &Deps, token: &str) -> Answer {
    let d: Download = if req.body.as_deref().is_some_and(|b| !b.trim().is_empty()) {
        parse_json(req)?
    } else {
        Download::default()
    };
    let ua = req
        .request_context
        .http
        .user_agent
        .clone()
        .unwrap_or_default();
    let got = deps
        .share_access
        .download(token, d.password.as_deref(), &ua, &source_ip(req))
        .await?;
    if matches!(query(req, "redirect"), Some("1" | "true")) {
        let mut r = respond(303, None);
        let location = HeaderValue::from_str(&got.url)
            .map_err(|_| ApiError::new(500, "internal", "internal error"))?;
        r.headers.insert("location", location);
        return Ok(r);
    }
    Ok(json_response(
        200,
        &json!({"url": got.url, "expires_at": got.expires_at}),
    ))
}
