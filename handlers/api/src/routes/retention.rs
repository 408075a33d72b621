//! Retention: `PATCH /files/{id} {delete_after}` and the owner's default,
//! `GET`/`PATCH /account/settings {file_retention_days}`. The rules are in
//! `dropgate_core::lifecycle`; here the bodies.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{ApiError, caller, json_response, parse_json, whole};

/// A field that is present, even as `null` (`Some(Value::Null)`); absent is `None`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// `delete_after` as sent: absent or `null` is none, a string is checked by the core, anything
/// else is refused with the field's code.
pub(super) fn delete_after(v: Option<Value>) -> Result<Option<String>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::new(
            400,
            "invalid_delete_after",
            "delete_after must be an RFC 3339 time, or null",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditFile {
    #[serde(default, deserialize_with = "present")]
    delete_after: Option<Value>,
}

/// `PATCH /files/{id} {delete_after}`: a time sets it, `null` removes it.
pub(super) async fn edit_file(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let e: EditFile = parse_json(req)?;
    let Some(raw) = e.delete_after else {
        return Err(ApiError::new(
            400,
            "invalid_request",
            "delete_after is required: an RFC 3339 time, or null to remove it",
        ));
    };
    let at = delete_after(Some(raw))?;
    let file = deps
        .files
        .set_delete_after(&who.owner, id, at.as_deref())
        .await?;
    Ok(json_response(
        200,
        &json!({"file": file.owner_view(&deps.files.settings.allowed_types)}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditSettings {
    #[serde(default, deserialize_with = "present")]
    file_retention_days: Option<Value>,
}

/// `GET /account/settings`.
pub(super) async fn settings(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let settings = deps.profiles.settings(&who.owner).await?;
    Ok(json_response(200, &json!({ "settings": settings })))
}

/// `PATCH /account/settings {file_retention_days}`: days set the default, `null` removes it,
/// absent leaves it.
pub(super) async fn edit_settings(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let e: EditSettings = parse_json(req)?;
    let settings = match e.file_retention_days {
        None => deps.profiles.settings(&who.owner).await?,
        Some(v) => {
            let days = whole(
                Some(v),
                "invalid_file_retention_days",
                "file_retention_days",
            )?;
            deps.profiles
                .set_file_retention_days(&who.owner, days)
                .await?
        }
    };
    Ok(json_response(200, &json!({ "settings": settings })))
}
