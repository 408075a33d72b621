//! An owner's webhooks: register (the secret shown once), list, read, edit (events, pause),
//! remove; test, its delivery log, redeliver. The URL is never logged: receivers often carry a
//! credential in it.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::webhooks::NewWebhook;
use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{ApiError, caller, json_response, parse_json, query, respond};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateWebhook {
    url: String,
    /// Absent is `null`: no event type, `400 invalid_event_type` as an empty list is.
    #[serde(default)]
    events: Value,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditWebhook {
    events: Option<Value>,
    state: Option<String>,
    /// Named so that trying to change it gets its own answer.
    url: Option<Value>,
}

/// `events` as event type names: an array of strings, else `400 invalid_event_type`.
fn event_names(v: Value) -> Result<Vec<String>, ApiError> {
    let bad = || {
        ApiError::new(
            400,
            "invalid_event_type",
            "events must be a list of event types",
        )
    };
    match v {
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
    }
}

pub(super) async fn create(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let c: CreateWebhook = parse_json(req)?;
    let new = NewWebhook {
        url: c.url,
        events: event_names(c.events)?,
        description: c.description,
    };
    let created = deps.webhooks.create(&who.owner, &new).await?;
    tracing::info!(owner = %who.owner, webhook_id = created.view.id, events = created.view.events.len(), "webhook created");
    Ok(json_response(201, &json!({ "webhook": created })))
}

pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let hooks = deps.webhooks.list(&who.owner).await?;
    Ok(json_response(200, &json!({ "webhooks": hooks })))
}

pub(super) async fn get(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let hook = deps.webhooks.get(&who.owner, id).await?;
    Ok(json_response(
        200,
        &json!({ "webhook": dropgate_core::webhooks::WebhookView::from(&hook) }),
    ))
}

pub(super) async fn edit(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let e: EditWebhook = parse_json(req)?;
    if e.url.is_some() {
        return Err(ApiError::new(
            400,
            "url_immutable",
            "a webhook's url cannot change; create a new webhook",
        ));
    }
    let events = e.events.map(event_names).transpose()?;
    let hook = deps
        .webhooks
        .edit(&who.owner, id, events.as_deref(), e.state.as_deref())
        .await?;
    tracing::info!(owner = %who.owner, webhook_id = id, state = hook.state.as_str(), "webhook edited");
    Ok(json_response(200, &json!({ "webhook": hook })))
}

pub(super) async fn remove(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    deps.webhooks.remove(&who.owner, id).await?;
    tracing::info!(owner = %who.owner, webhook_id = id, "webhook removed");
    Ok(respond(204, None))
}

/// `POST /webhooks/{id}/test`: a `ping` delivery is enqueued (202; its attempt shows in the log).
pub(super) async fn test(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let delivery_id = deps.deliveries.ping(&who.owner, id).await?;
    tracing::info!(owner = %who.owner, webhook_id = id, delivery_id, decision = "enqueued", "webhook test enqueued");
    Ok(json_response(202, &json!({ "delivery_id": delivery_id })))
}

/// `GET /webhooks/{id}/deliveries?cursor=`: the attempts, newest first.
pub(super) async fn deliveries(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let page = deps
        .deliveries
        .deliveries(&who.owner, id, query(req, "cursor"))
        .await?;
    Ok(json_response(200, &page))
}

/// `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver`: the delivery once more (202).
pub(super) async fn redeliver(
    req: &ApiGatewayV2httpRequest,
    deps: &Deps,
    id: &str,
    delivery_id: &str,
) -> Answer {
    let who = caller(req)?;
    deps.deliveries
        .redeliver(&who.owner, id, delivery_id)
        .await?;
    tracing::info!(owner = %who.owner, webhook_id = id, delivery_id, decision = "enqueued", "webhook redelivery enqueued");
    Ok(json_response(202, &json!({ "delivery_id": delivery_id })))
}
