//! How provisioning talks to the emulator: the SDK configuration for it, and how a failed
//! call becomes a `LocalError` naming the step.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;

use super::shapes::REGION;
use crate::error::LocalError;

/// SDK configuration for the emulator: fixed test credentials, the emulator's endpoint.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(dropgate_infra::aws::https_client())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "dropgate-local",
        ))
        .load()
        .await
}

/// A failed provisioning step, named.
pub(super) fn err(step: &str, e: impl std::fmt::Debug) -> LocalError {
    LocalError::Provision(format!("{step}: {e:?}"))
}

/// The service's error code, when the call got an answer.
pub(super) fn code_of<E: aws_sdk_s3::error::ProvideErrorMetadata, R>(
    e: &aws_sdk_s3::error::SdkError<E, R>,
) -> Option<&str> {
    e.as_service_error().and_then(|s| s.code())
}
