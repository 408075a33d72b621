//! Which AWS service a request is for (from its signature, else its target header), and the
//! throttling error each service answers, in its own wire format.

use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode, Uri, header};

use super::wire::Wire;

/// The services a rule may name.
pub const SERVICES: &[&str] = &[
    "s3",
    "dynamodb",
    "sqs",
    "sns",
    "events",
    "ses",
    "cognito-idp",
    "kms",
    "unknown",
];

/// The service a request is for (see the parent module's doc).
pub fn service_of(headers: &HeaderMap, uri: &Uri) -> String {
    if let Some(s) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split_once("Credential=").map(|(_, rest)| rest))
        .and_then(|rest| rest.split([',', ' ']).next())
        .and_then(scope_service)
    {
        return s;
    }
    if let Some(s) = uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Credential"))
            .and_then(|(_, v)| scope_service(&percent_decode(v)))
    }) {
        return s;
    }
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        let prefix = target.split('.').next().unwrap_or_default();
        let service = match prefix {
            p if p.starts_with("DynamoDB_") || p.starts_with("DynamoDBStreams_") => "dynamodb",
            "AWSCognitoIdentityProviderService" => "cognito-idp",
            "TrentService" => "kms",
            "AmazonSQS" => "sqs",
            "AWSEvents" => "events",
            _ => "unknown",
        };
        return service.to_owned();
    }
    // The user pool's signing keys: an unsigned GET (the api's gate fetches them), served by
    // the emulator's Cognito.
    if uri.path().ends_with("/.well-known/jwks.json") {
        return "cognito-idp".to_owned();
    }
    "unknown".to_owned()
}

/// `AKID/date/region/service/aws4_request` (SigV4) or `AKID/date/service/aws4_request` (SigV4a):
/// the part before `aws4_request`.
fn scope_service(credential: &str) -> Option<String> {
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() >= 4 && parts[parts.len() - 1] == "aws4_request" {
        let s = parts[parts.len() - 2];
        (!s.is_empty()).then(|| s.to_ascii_lowercase())
    } else {
        None
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The throttling error `service` answers, which the SDK retries as throttling and
/// `dropgate_infra::error::is_throttle` knows (see the parent module).
pub(super) fn throttle(wire: Wire, service: &str) -> Response<Body> {
    match wire {
        Wire::RestXml => wire.answer(
            service,
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
        ),
        Wire::Json => wire.answer(
            service,
            StatusCode::BAD_REQUEST,
            if service == "cognito-idp" {
                "TooManyRequestsException"
            } else {
                "ThrottlingException"
            },
            "Rate of requests exceeds the allowed throughput.",
        ),
        Wire::Query => wire.answer(
            service,
            StatusCode::BAD_REQUEST,
            "Throttling",
            "Rate exceeded",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn the_service_is_the_credential_scope_then_the_target_then_unknown() {
        let uri: Uri = "/".parse().unwrap();
        let sigv4 = |service: &str| {
            format!(
                "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=abc"
            )
        };
        for s in ["dynamodb", "s3", "sqs", "sns", "ses", "cognito-idp", "kms"] {
            assert_eq!(
                service_of(&headers(&[("authorization", &sigv4(s))]), &uri),
                s
            );
        }
        // The scope wins over the target.
        assert_eq!(
            service_of(
                &headers(&[
                    ("authorization", &sigv4("dynamodb")),
                    ("x-amz-target", "AmazonSQS.ReceiveMessage"),
                ]),
                &uri
            ),
            "dynamodb"
        );
        // SigV4a has no region in its scope.
        assert_eq!(
            service_of(
                &headers(&[(
                    "authorization",
                    "AWS4-ECDSA-P256-SHA256 Credential=AKID/20250101/s3/aws4_request, \
                     SignedHeaders=host, Signature=abc"
                )]),
                &uri
            ),
            "s3"
        );
        // A presigned URL's query-string credential, percent-encoded.
        let presigned: Uri =
            "/dropgate-uploads/u/f?x-id=PutObject&X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=testing%2F20250101%2Fus-east-1%2Fs3%2Faws4_request\
            &X-Amz-Date=20250101T000000Z&X-Amz-Signature=abc"
                .parse()
                .unwrap();
        assert_eq!(service_of(&HeaderMap::new(), &presigned), "s3");
        for (target, service) in [
            ("DynamoDB_20120810.TransactWriteItems", "dynamodb"),
            ("DynamoDBStreams_20120810.GetRecords", "dynamodb"),
            (
                "AWSCognitoIdentityProviderService.InitiateAuth",
                "cognito-idp",
            ),
            ("TrentService.Decrypt", "kms"),
            ("AmazonSQS.ReceiveMessage", "sqs"),
            ("AWSEvents.PutEvents", "events"),
            ("Something.Else", "unknown"),
        ] {
            assert_eq!(
                service_of(&headers(&[("x-amz-target", target)]), &uri),
                service
            );
        }
        // The pool's signing keys, fetched unsigned by the api's gate.
        let jwks: Uri = "/us-east-1_abc/.well-known/jwks.json".parse().unwrap();
        assert_eq!(service_of(&HeaderMap::new(), &jwks), "cognito-idp");
        // A header that is no SigV4 is no clue; nothing at all is `unknown`.
        assert_eq!(
            service_of(&headers(&[("authorization", "Bearer abc")]), &uri),
            "unknown"
        );
        assert_eq!(
            service_of(
                &headers(&[("authorization", "AWS4-HMAC-SHA256 Credential=broken")]),
                &uri
            ),
            "unknown"
        );
        assert_eq!(service_of(&HeaderMap::new(), &uri), "unknown");
        assert_eq!(percent_decode("a%2Fb%2fc%zz%"), "a/b/c%zz%");
    }
}
