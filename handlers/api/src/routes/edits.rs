//! The bodies of `PATCH /links/{id}` and `PATCH /shares/{id}`: every field optional, and for
//! the fields that can be removed, `null` (remove) told apart from absent (leave as it is);
//! and the `remove` flag of their `DELETE`.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_core::links::LinkEdit;
use dropgate_core::shares::ShareEdit;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::http::{ApiError, whole};

/// A field that is present, even as `null` (`Some(Value::Null)`); absent is `None`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn invalid(field: &str, what: &str) -> ApiError {
    ApiError::new(400, "invalid_request", format!("{field} must be {what}"))
}

/// Absent: unchanged; `null`: removed; a number: the field's own rules.
fn nullable_whole(
    v: Option<Value>,
    code: &'static str,
    field: &str,
) -> Result<Option<Option<u64>>, ApiError> {
    match v {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        v => whole(v, code, field).map(Some),
    }
}

/// Absent: unchanged; `null`: back to the deployment's policy; otherwise a list of strings.
fn type_list(v: Option<Value>) -> Result<Option<Option<Vec<String>>>, ApiError> {
    match v {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => serde_json::from_value(v)
            .map(|l| Some(Some(l)))
            .map_err(|_| invalid("allowed_types", "a list of types or null")),
    }
}

/// Absent: unchanged; `null`: removed (when `nullable`); otherwise a string.
fn text(v: Option<Value>, field: &str, nullable: bool) -> Result<Option<Option<String>>, ApiError> {
    match v {
        None => Ok(None),
        Some(Value::Null) if nullable => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s))),
        Some(_) if nullable => Err(invalid(field, "a string or null")),
        Some(_) => Err(invalid(field, "a string")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EditLink {
    #[serde(default, deserialize_with = "present")]
    label: Option<Value>,
    expires_in: Option<Value>,
    max_uploads: Option<Value>,
    max_file_bytes: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    max_total_bytes: Option<Value>,
    max_pending_bytes: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    allowed_types: Option<Value>,
    require_uploader_name: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    retain_days: Option<Value>,
}

impl EditLink {
    pub(super) fn into_edit(self) -> Result<LinkEdit, ApiError> {
        Ok(LinkEdit {
            label: text(self.label, "label", false)?.flatten(),
            expires_in: whole(self.expires_in, "invalid_expires_in", "expires_in")?,
            max_uploads: whole(self.max_uploads, "invalid_max_uploads", "max_uploads")?,
            max_file_bytes: whole(
                self.max_file_bytes,
                "invalid_max_file_bytes",
                "max_file_bytes",
            )?,
            max_total_bytes: nullable_whole(
                self.max_total_bytes,
                "invalid_max_total_bytes",
                "max_total_bytes",
            )?,
            max_pending_bytes: whole(
                self.max_pending_bytes,
                "invalid_max_pending_bytes",
                "max_pending_bytes",
            )?,
            allowed_types: type_list(self.allowed_types)?,
            require_uploader_name: self.require_uploader_name,
            retain_days: nullable_whole(self.retain_days, "invalid_retain_days", "retain_days")?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EditShare {
    expires_in: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    max_downloads: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    password: Option<Value>,
    notify_owner: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    label: Option<Value>,
}

impl EditShare {
    pub(super) fn into_edit(self) -> Result<ShareEdit, ApiError> {
        Ok(ShareEdit {
            expires_in: whole(self.expires_in, "invalid_expires_in", "expires_in")?,
            max_downloads: nullable_whole(
                self.max_downloads,
                "invalid_max_downloads",
                "max_downloads",
            )?,
            password: text(self.password, "password", true)?,
            notify_owner: self.notify_owner,
            label: text(self.label, "label", true)?,
        })
    }
}

/// Whether a `DELETE` of a link or share asks to remove an ended one (`?remove=true`) rather
/// than to revoke it; anything else than `true`/`false` is refused, never guessed.
pub(super) fn removing(req: &ApiGatewayV2httpRequest) -> Result<bool, ApiError> {
    match crate::http::query(req, "remove") {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::new(
            400,
            "invalid_request",
            "remove must be true or false",
        )),
    }
}
