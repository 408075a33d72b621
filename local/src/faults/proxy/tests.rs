//! The proxy in front of a stand-in upstream, and what the SDK makes of its faults.

use super::*;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use dropgate_core::CoreError;

type Seen = Arc<Mutex<Vec<(String, String, String, Vec<u8>)>>>;

/// An upstream that records each request (method, path and query, host, body) and answers
/// 200 `{"ok":true}`.
async fn upstream() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let sink = sink.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            sink.lock().unwrap().push((
                parts.method.to_string(),
                parts.uri.to_string(),
                host,
                bytes.to_vec(),
            ));
            (
                [("content-type", "application/json"), ("x-upstream", "yes")],
                "{\"ok\":true}",
            )
        }
    });
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, seen)
}

async fn proxy(spec: &str, upstream: &str) -> (String, watch::Sender<bool>) {
    let p = FaultProxy::bind(Spec::parse(spec).unwrap(), upstream)
        .await
        .unwrap();
    let url = p.url().to_owned();
    let (stop, rx) = watch::channel(false);
    tokio::spawn(p.serve(rx));
    (url, stop)
}

async fn counters(proxy: &str) -> serde_json::Value {
    reqwest::get(format!("{proxy}{COUNTERS_PATH}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn sigv4(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host, Signature=abc"
    )
}

#[tokio::test]
async fn requests_are_forwarded_as_sent_delayed_and_counted() {
    let (up, seen) = upstream().await;
    let (px, _stop) = proxy("latency=30,seed=1", &up).await;
    let http = reqwest::Client::new();
    let started = std::time::Instant::now();
    let r = http
        .post(format!("{px}/a/b?x=1&y=%2F"))
        .header("authorization", sigv4("dynamodb"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(30));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-upstream"], "yes");
    assert_eq!(r.text().await.unwrap(), "{\"ok\":true}");
    {
        let seen = seen.lock().unwrap();
        let (method, path, host, body) = &seen[0];
        assert_eq!((method.as_str(), path.as_str()), ("POST", "/a/b?x=1&y=%2F"));
        // The host the request was signed for.
        assert_eq!(format!("http://{host}"), px);
        assert_eq!(body, b"hello");
    }

    // The emulator's own API: forwarded, never delayed, faulted or counted.
    let started = std::time::Instant::now();
    let r = http
        .get(format!("{px}/moto-api/data.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(30));
    assert_eq!(seen.lock().unwrap().len(), 2);

    let c = counters(&px).await;
    assert_eq!(c["spec"], "latency=30,seed=1");
    assert_eq!(c["seed"], 1);
    assert_eq!(c["upstream"], up);
    let d = &c["services"]["dynamodb"];
    assert_eq!(
        (d["requests"].as_u64(), d["forwarded"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (d["delayed"].as_u64(), d["faults"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(c["totals"]["requests"], 1);
    assert_eq!(c["services"].as_object().unwrap().len(), 1);
    // The counters are the proxy's own, not the emulator's.
    assert_eq!(seen.lock().unwrap().len(), 2);
    let r = http
        .post(format!("{px}{COUNTERS_PATH}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn a_reset_drops_the_connection_unanswered_before_or_after_forwarding() {
    let (up, seen) = upstream().await;
    let (px, _stop) = proxy("reset=1", &up).await;
    let http = reqwest::Client::new();
    let e = http
        .get(format!("{px}/bucket/key"))
        .header("authorization", sigv4("s3"))
        .send()
        .await
        .expect_err("no answer");
    assert!(e.is_request(), "{e:?}");
    assert!(seen.lock().unwrap().is_empty(), "never forwarded");
    // Never the emulator's own API.
    let r = http.get(format!("{px}/moto-api/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let c = counters(&px).await;
    assert_eq!(c["services"]["s3"]["reset"], 1);
    assert_eq!(c["services"]["s3"]["forwarded"], 0);

    let (px, _stop2) = proxy("sqs:reset_after=1", &up).await;
    http.post(px.clone())
        .header("x-amz-target", "AmazonSQS.SendMessage")
        .body("{}")
        .send()
        .await
        .expect_err("no answer");
    assert_eq!(seen.lock().unwrap().len(), 2, "forwarded, answer dropped");
    let c = counters(&px).await;
    let sqs = &c["services"]["sqs"];
    assert_eq!(
        (sqs["reset_after"].as_u64(), sqs["forwarded"].as_u64()),
        (Some(1), Some(1))
    );
}

/// An SDK configuration for `url` that retries like the functions' (3 attempts) but with
/// millisecond backoffs.
async fn sdk_at(url: &str) -> aws_config::SdkConfig {
    let mut b = crate::provision::sdk_config(url).await.to_builder();
    b.set_retry_config(Some(
        aws_config::retry::RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(5)),
    ));
    b.build()
}

/// The error's code, its HTTP status, and what the adapters make of it.
fn verdict<E: ProvideErrorMetadata + fmt::Debug>(
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> (String, Option<u16>, CoreError) {
    let code = e
        .as_service_error()
        .and_then(|s| s.code())
        .unwrap_or("-")
        .to_owned();
    let status = e.raw_response().map(|r| r.status().as_u16());
    (code, status, dropgate_infra::error::sdk_error("op", e))
}

#[tokio::test]
async fn the_sdk_reads_each_services_injected_throttling_as_throttling_and_retries_it() {
    let (up, seen) = upstream().await;
    let (px, _stop) = proxy("throttle=1", &up).await;
    let sdk = sdk_at(&px).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let mut got = vec![(
        "s3",
        verdict(
            s3.get_object()
                .bucket("b")
                .key("k")
                .send()
                .await
                .unwrap_err(),
        ),
    )];
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    got.push((
        "dynamodb",
        verdict(ddb.list_tables().send().await.unwrap_err()),
    ));
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    got.push(("sqs", verdict(sqs.list_queues().send().await.unwrap_err())));
    let sns = aws_sdk_sns::Client::new(&sdk);
    got.push(("sns", verdict(sns.list_topics().send().await.unwrap_err())));
    let ses = aws_sdk_ses::Client::new(&sdk);
    got.push((
        "ses",
        verdict(ses.list_identities().send().await.unwrap_err()),
    ));
    let kms = aws_sdk_kms::Client::new(&sdk);
    got.push(("kms", verdict(kms.list_keys().send().await.unwrap_err())));
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    got.push((
        "cognito-idp",
        verdict(
            cognito
                .list_user_pools()
                .max_results(1)
                .send()
                .await
                .unwrap_err(),
        ),
    ));
    for (service, (code, status, core)) in &got {
        assert!(
            dropgate_infra::error::is_throttle(code),
            "{service}: {code}"
        );
        assert!(matches!(core, CoreError::Throttled), "{service}: {core:?}");
        let want = if *service == "s3" { 503 } else { 400 };
        assert_eq!(*status, Some(want), "{service}");
    }
    let c = counters(&px).await;
    for (service, _) in &got {
        let s = &c["services"][service];
        assert_eq!(s["requests"], 3, "{service}: three attempts, {c}");
        assert_eq!(s["throttle"], 3, "{service}");
    }
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_sdk_retries_500s_and_resets_then_the_adapters_say_unavailable() {
    let (up, _seen) = upstream().await;
    let (px, _stop) = proxy("dynamodb:error500=1,sns:error500=1,s3:reset=1", &up).await;
    let sdk = sdk_at(&px).await;
    let (code, status, core) = verdict(
        aws_sdk_dynamodb::Client::new(&sdk)
            .list_tables()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("InternalServerError", Some(500)));
    assert!(matches!(core, CoreError::Unavailable(_)), "{core:?}");
    let (code, status, core) = verdict(
        aws_sdk_sns::Client::new(&sdk)
            .list_topics()
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!((code.as_str(), status), ("InternalFailure", Some(500)));
    assert!(matches!(core, CoreError::Unavailable(_)), "{core:?}");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let (_, status, core) = verdict(
        s3.head_object()
            .bucket("b")
            .key("k")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(status, None, "no answer at all");
    match core {
        CoreError::Unavailable(why) => assert!(why.contains("io_error"), "{why}"),
        other => panic!("{other:?}"),
    }
    let c = counters(&px).await;
    assert_eq!(c["services"]["dynamodb"]["error500"], 3);
    assert_eq!(c["services"]["sns"]["error500"], 3);
    assert_eq!(c["services"]["s3"]["reset"], 3);
}
