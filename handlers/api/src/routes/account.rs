//! The account's own data: the profile (the display name shares show).

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{ApiError, caller, json_response, parse_json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetProfile {
    /// Required: a string sets the name, `null` removes it (`None`: the field is absent).
    #[serde(default, deserialize_with = "present")]
    display_name: Option<Value>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// `GET /account/profile`.
pub(super) async fn get(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let profile = deps.profiles.get(&who.owner).await?;
    Ok(json_response(200, &json!({ "profile": profile })))
}

/// `PUT /account/profile {display_name}`: the profile as stored.
pub(super) async fn set(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let p: SetProfile = parse_json(req)?;
    let missing = || {
        ApiError::new(
            400,
            "invalid_display_name",
            "display_name is required: a string, or null to remove it",
        )
    };
    let name = match p.display_name {
        Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        None | Some(_) => return Err(missing()),
    };
    let profile = deps
        .profiles
        .set_display_name(&who.owner, name.as_deref())
        .await?;
    Ok(json_response(200, &json!({ "profile": profile })))
}
