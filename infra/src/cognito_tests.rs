//! How the reset's request answers Cognito's refusals, against a stand-in for Cognito on
//! loopback (the emulator never refuses a reset for the account's limit).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use dropgate_core::accounts::Accounts;

use super::CognitoAccounts;

/// Cognito's JSON error for every request: `type` with status 400.
async fn refusing(kind: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16 * 1024];
            let _ = sock.read(&mut buf).await;
            let body = format!(r#"{{"__type":"{kind}","message":"refused"}}"#);
            let answer = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.1\r\n\
                 x-amzn-errortype: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(answer.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    format!("http://{addr}")
}

fn accounts(endpoint: &str) -> CognitoAccounts {
    let conf = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .http_client(crate::aws::https_client())
        .credentials_provider(Credentials::new("id", "secret", None, None, "test"))
        .build();
    CognitoAccounts {
        client: crate::lazy::Lazy::ready(aws_sdk_cognitoidentityprovider::Client::from_conf(conf)),
        user_pool_id: "us-east-1_test".into(),
        client_id: "client".into(),
        auto_confirm: false,
    }
}

#[tokio::test]
async fn a_reset_past_the_accounts_limit_answers_as_a_mailed_code_does() {
    // Only an address with an account reaches Cognito's per-account limit: a 429 would tell it.
    let a = accounts(&refusing("LimitExceededException").await);
    a.forgot("ada@example.com").await.unwrap();
    // An unknown address (with user existence errors on, Cognito says so only this way).
    let a = accounts(&refusing("UserNotFoundException").await);
    a.forgot("nobody@example.com").await.unwrap();
}

#[tokio::test]
async fn a_reset_refused_for_the_service_s_rate_is_still_throttled() {
    // The service's own rate counts every caller alike: it tells nothing, and the client backs
    // off.
    let a = accounts(&refusing("TooManyRequestsException").await);
    let e = a.forgot("ada@example.com").await.unwrap_err();
    assert!(matches!(e, dropgate_core::CoreError::Throttled), "{e:?}");
}
