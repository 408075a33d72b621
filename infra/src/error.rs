use thiserror::Error;

/// Failures of wiring (configuration, start-up); request-time failures are `CoreError`s.
#[derive(Debug, Error)]
pub enum InfraError {
    #[error("missing environment variable {0}")]
    MissingEnv(&'static str),
    /// A name `Config::require` does not know: a misspelling in a handler's list.
    #[error("unknown environment variable {0} required (not a Config field)")]
    UnknownEnv(&'static str),
    #[error("environment variable {name} is invalid: {why}")]
    BadEnv { name: &'static str, why: String },
}

/// Turns an SDK error (after the client's own bounded retries) into the domain's:
/// throttling is `Throttled`; a timeout, an unreachable endpoint, a garbled answer or a 5xx is
/// `Unavailable` (503: come back later); anything else `Upstream` (500). The message names the
/// operation, the error's code, the HTTP status and the request id, for the logs; never a
/// request's content (SDK errors can carry it).
pub fn sdk_error<E>(
    op: &str,
    e: aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> dropgate_core::CoreError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
{
    use aws_sdk_s3::error::SdkError;
    use dropgate_core::CoreError;
    let status = e.raw_response().map(|r| r.status().as_u16());
    let request_id = e
        .raw_response()
        .and_then(|r| {
            r.headers()
                .get("x-amzn-requestid")
                .or_else(|| r.headers().get("x-amz-request-id"))
        })
        .unwrap_or("-")
        .to_owned();
    let (code, transient) = match &e {
        SdkError::ServiceError(se) => (
            se.err().code().unwrap_or("unknown").to_owned(),
            status.is_some_and(|s| s >= 500),
        ),
        SdkError::TimeoutError(_) => ("timeout".to_owned(), true),
        SdkError::DispatchFailure(d) => (
            if d.is_timeout() {
                "connect_timeout"
            } else if d.is_io() {
                "io_error"
            } else {
                "dispatch_failure"
            }
            .to_owned(),
            true,
        ),
        SdkError::ResponseError(_) => ("response_error".to_owned(), true),
        SdkError::ConstructionFailure(_) => ("construction_failure".to_owned(), false),
        _ => ("unknown".to_owned(), false),
    };
    let what = format!(
        "{op}: {code} (status {}, request id {request_id})",
        status.map_or("-".to_owned(), |s| s.to_string())
    );
    if is_throttle(&code) {
        CoreError::Throttled
    } else if transient {
        CoreError::Unavailable(what)
    } else {
        CoreError::Upstream(what)
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
            | "RequestThrottled"
            | "SlowDown"
    )
}
