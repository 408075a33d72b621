use thiserror::Error;

/// Failures of wiring (configuration, start-up); request-time failures are `CoreError`s.
#[derive(Debug, Error)]
pub enum InfraError {
    #[error("missing environment variable {0}")]
    MissingEnv(&'static str),
    #[error("environment variable {name} is invalid: {why}")]
    BadEnv { name: &'static str, why: String },
}

/// Turns an SDK error into the domain's: throttling is `Throttled`, everything else upstream.
/// Only the error's code and kind reach the message: SDK errors can carry request details.
pub fn sdk_error<E, R>(op: &str, e: aws_sdk_s3::error::SdkError<E, R>) -> dropgate_core::CoreError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    use aws_sdk_s3::error::SdkError;
    let code = match &e {
        SdkError::ServiceError(se) => se.err().code().unwrap_or("unknown").to_owned(),
        SdkError::TimeoutError(_) => "timeout".to_owned(),
        SdkError::DispatchFailure(_) => "dispatch_failure".to_owned(),
        SdkError::ResponseError(_) => "response_error".to_owned(),
        SdkError::ConstructionFailure(_) => "construction_failure".to_owned(),
        _ => "unknown".to_owned(),
    };
    if is_throttle(&code) {
        dropgate_core::CoreError::Throttled
    } else {
        dropgate_core::CoreError::Upstream(format!("{op}: {code}"))
    }
}

pub fn is_throttle(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestLimitExceeded"
            | "ProvisionedThroughputExceededException"
            | "TooManyRequestsException"
            | "SlowDown"
    )
}
