//! An account user's trash and deletion receipts.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::files::Listing;
use serde::Serialize;
use serde_json::json;

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{caller, json_response, query, respond};

/// The trash's page carries how long a deleted file is kept, so a client can say so before a
/// delete (and that a delete is final when the trash is off) without a route of its own.
#[derive(Serialize)]
struct TrashPage {
    #[serde(flatten)]
    listing: Listing,
    trash_days: u32,
}

pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let listing = deps
        .files
        .trash(&who.owner, query(req, "limit"), query(req, "cursor"))
        .await?;
    let trash_days = deps.files.settings.trash_days;
    Ok(json_response(
        200,
        &TrashPage {
            listing,
            trash_days,
        },
    ))
}

/// Restores a file from the trash. Its shares are revoked first, and a failure to revoke them
/// refuses the restore: a link the owner gave up on must not start serving again.
pub(super) async fn restore(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let file = deps.files.trashed(&who.owner, id).await?;
    let revoked = deps.shares.revoke_file(&who.owner, &file.id).await?;
    let file = deps.files.restore(&who.owner, id).await?;
    tracing::info!(owner = %who.owner, file_id = %file.id, revoked, decision = "trash_restored", "file restored from the trash");
    Ok(json_response(200, &json!({"file": file.view()})))
}

pub(super) async fn purge(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let file = deps.files.purge(&who.owner, id).await?;
    tracing::info!(owner = %who.owner, file_id = %file.id, decision = "trash_purged", "file purged from the trash by its owner");
    Ok(respond(204, None))
}

pub(super) async fn receipts(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let page = deps
        .files
        .receipts(&who.owner, query(req, "limit"), query(req, "cursor"))
        .await?;
    Ok(json_response(200, &page))
}
