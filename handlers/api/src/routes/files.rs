//! An account user's files and quota.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::FileId;
use dropgate_core::apikeys::Scope;
use dropgate_core::files::{NewUpload, RetentionAsk};
use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, parse_json, query, respond};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateFile {
    name: String,
    size: u64,
    content_type: String,
    /// When retention deletes it (RFC 3339), over the owner's default.
    #[serde(default)]
    delete_after: Option<Value>,
}

pub(super) async fn create(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let c: CreateFile = parse_json(req)?;
    let own = super::retention::delete_after(c.delete_after)?;
    // The owner's default, read only when the file brings no time of its own.
    let owner_days = match own {
        Some(_) => None,
        None => {
            deps.profiles
                .settings(&who.owner)
                .await?
                .file_retention_days
        }
    };
    let created = deps
        .files
        .create_retained(
            &who.owner,
            NewUpload {
                name: c.name,
                size: c.size,
                content_type: c.content_type,
                owner_email: who.email,
            },
            RetentionAsk {
                delete_after: own,
                owner_days,
            },
        )
        .await?;
    tracing::info!(owner = %who.owner, file_id = created.file.id, size = created.file.size, "upload reserved");
    // An upload token goes on to read only the files it created: note this one.
    if let Some((key, Scope::Upload)) = &who.key {
        let id = FileId::parse(&created.file.id)?;
        deps.api_keys.store.record_created(key, &id).await?;
    }
    Ok(json_response(201, &created))
}

pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let (limit, cursor) = (query(req, "limit"), query(req, "cursor"));
    let listing = match query(req, "link") {
        // One link's files: 404 unless the link is the caller's.
        Some(link) => deps.links.files(&who.owner, link, limit, cursor).await?,
        None => deps.files.list(&who.owner, limit, cursor).await?,
    };
    Ok(json_response(200, &listing))
}

pub(super) async fn get(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let file = deps.files.get(&who.owner, id).await?;
    Ok(json_response(
        200,
        &json!({"file": file.owner_view(&deps.files.settings.allowed_types)}),
    ))
}

pub(super) async fn download(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let url = deps.files.download(&who.owner, id).await?;
    Ok(json_response(
        200,
        &json!({"url": url.url, "expires_at": url.expires_at}),
    ))
}

pub(super) async fn delete(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let file = deps.files.delete(&who.owner, id).await?;
    if file.in_trash() {
        // Its shares answer `410 file_gone` while it is in the trash, and a restore revokes
        // them.
        tracing::info!(owner = %who.owner, file_id = %file.id, decision = "trashed", "file moved to the trash");
        return Ok(respond(204, None));
    }
    tracing::info!(owner = %who.owner, file_id = %file.id, "file deleted");
    // A share left unrevoked by a failure here still answers 410 file_gone.
    match deps.shares.revoke_file(&who.owner, &file.id).await {
        Ok(n) if n > 0 => {
            tracing::info!(owner = %who.owner, file_id = %file.id, revoked = n, "shares of a deleted file revoked")
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(owner = %who.owner, file_id = %file.id, error = %e, "shares of a deleted file not revoked")
        }
    }
    Ok(respond(204, None))
}

pub(super) async fn quota(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let usage = deps.files.quota(&who.owner).await?;
    Ok(json_response(200, &usage))
}
