//! Every sample event in events/ (for `sam local invoke` and the docs) parses as the event type of
//! the handler it is meant for, so that a sample cannot rot into something Lambda would never
//! send. The file name's prefix says which handler: `api-*` the API, `sqs-*` the worker,
//! `schedule*` the janitor, `dynamodb-*` the notifier (the upload log's change stream); any other
//! name fails, so a new sample is always covered.
//! The SQS samples' bodies also go through the worker's own decoder, and the stream samples'
//! images through the notifier's reader and back through the outbox's writer.

use std::path::{Path, PathBuf};

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use aws_lambda_events::event::dynamodb::{Event as StreamEvent, StreamViewType};
use aws_lambda_events::event::sqs::SqsEvent;
use dropgate_infra::dynamo::outbox::{entry_from_image, entry_item, image_json};
use dropgate_worker::{Decoded, decode_message};

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn samples() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(events_dir())
        .expect("events/ is readable")
        .map(|e| e.expect("events/ entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = file_name(&p);
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, text)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "events/ has no samples");
    files
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 file name")
        .to_owned()
}

fn parse<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> T {
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("events/{name} is not a {}: {e}", std::any::type_name::<T>()))
}

/// What the worker makes of each message of an SQS sample.
fn decoded_bodies(name: &str, event: &SqsEvent) -> Vec<Decoded> {
    assert!(!event.records.is_empty(), "events/{name}: no records");
    event
        .records
        .iter()
        .map(|r| {
            assert_eq!(
                r.event_source.as_deref(),
                Some("aws:sqs"),
                "events/{name}: eventSource"
            );
            let body = r
                .body
                .as_deref()
                .unwrap_or_else(|| panic!("events/{name}: a record without a body"));
            decode_message(body)
        })
        .collect()
}

fn check_api(name: &str, text: &str) {
    let req: ApiGatewayV2httpRequest = parse(name, text);
    assert_eq!(
        req.version.as_deref(),
        Some("2.0"),
        "events/{name}: payload version"
    );
    let path = req
        .raw_path
        .as_deref()
        .unwrap_or_else(|| panic!("events/{name}: no rawPath"));
    assert!(path.starts_with('/'), "events/{name}: rawPath {path:?}");
    assert_eq!(
        req.request_context.http.path.as_deref(),
        Some(path),
        "events/{name}: requestContext.http.path vs rawPath"
    );
    let route = req
        .route_key
        .as_deref()
        .unwrap_or_else(|| panic!("events/{name}: no routeKey"));
    assert_eq!(
        req.request_context.route_key.as_deref(),
        Some(route),
        "events/{name}: requestContext.routeKey vs routeKey"
    );
    // The HTTP API has no authorizer (the api function is its own gate): no sample carries
    // what one would put there, and the gate would discard it anyway.
    assert!(
        req.request_context.authorizer.is_none(),
        "events/{name}: authorizer data API Gateway no longer sends"
    );
}

fn check_sqs(name: &str, text: &str) {
    let event: SqsEvent = parse(name, text);
    let decoded = decoded_bodies(name, &event);
    if name.contains("test-event") {
        for d in &decoded {
            assert_eq!(d, &Decoded::TestEvent, "events/{name}: S3's test message");
        }
        return;
    }
    for d in &decoded {
        let Decoded::Objects(keys) = d else {
            panic!("events/{name}: the worker decodes a body as {d:?}");
        };
        assert!(
            !keys.is_empty(),
            "events/{name}: a body with no created object"
        );
        for key in keys.iter().map(|o| &o.key) {
            assert!(
                o_size_known(keys),
                "events/{name}: S3 events carry the object's size and ETag"
            );
            assert!(
                key.starts_with(dropgate_core::keys::UPLOADS_PREFIX),
                "events/{name}: key {key:?} is not under uploads/"
            );
            assert!(
                dropgate_core::keys::parse_upload_key(key).is_some(),
                "events/{name}: key {key:?} is not an upload key"
            );
        }
    }
}

fn check_schedule(name: &str, text: &str) {
    let event: CloudWatchEvent = parse(name, text);
    assert_eq!(
        event.source.as_deref(),
        Some("aws.events"),
        "events/{name}: source"
    );
    assert_eq!(
        event.detail_type.as_deref(),
        Some("Scheduled Event"),
        "events/{name}: detail-type"
    );
    // The janitor itself takes any JSON value.
    let _: serde_json::Value = parse(name, text);
}

/// A batch of the upload log's change stream: new entries (INSERT, new images), each image
/// exactly what the outbox writes (`entry_item`) for the entry the notifier reads from it.
fn check_stream(name: &str, text: &str) {
    let event: StreamEvent = parse(name, text);
    assert!(!event.records.is_empty(), "events/{name}: no records");
    for r in &event.records {
        assert_eq!(
            r.event_source.as_deref(),
            Some("aws:dynamodb"),
            "events/{name}: eventSource"
        );
        assert_eq!(r.event_name, "INSERT", "events/{name}: eventName");
        assert_eq!(
            r.change.stream_view_type,
            Some(StreamViewType::NewImage),
            "events/{name}: StreamViewType (template.yaml's UploadLogTable)"
        );
        let arn = r.event_source_arn.as_deref().unwrap_or_default();
        assert!(
            arn.contains(&format!(
                ":table/{}/stream/",
                dropgate_local::provision::UPLOAD_LOG_TABLE
            )),
            "events/{name}: eventSourceARN {arn:?} is not the upload log's stream"
        );
        let image = serde_json::to_value(&r.change.new_image).expect("image as JSON");
        let entry = entry_from_image(&image)
            .unwrap_or_else(|e| panic!("events/{name}: the notifier cannot read the image: {e}"));
        assert_eq!(
            image_json(&entry_item(&entry.file, entry.event, entry.at)),
            image,
            "events/{name}: the image is not what the outbox writes for its entry"
        );
        assert_eq!(
            serde_json::to_value(&r.change.keys).expect("keys as JSON"),
            serde_json::json!({"owner": image["owner"], "entry": image["entry"]}),
            "events/{name}: Keys are the upload log's (owner, entry) of the image"
        );
    }
}

#[test]
fn every_sample_event_parses_as_its_handlers_event_type() {
    for (name, text) in samples() {
        if name.starts_with("api-") {
            check_api(&name, &text);
        } else if name.starts_with("sqs-") {
            check_sqs(&name, &text);
        } else if name.starts_with("schedule") {
            check_schedule(&name, &text);
        } else if name.starts_with("dynamodb-") {
            check_stream(&name, &text);
        } else {
            panic!(
                "events/{name}: unknown prefix; name samples api-*, sqs-*, schedule* or \
                 dynamodb-* (and teach this test about a new kind)"
            );
        }
    }
}

#[test]
fn the_put_sample_yields_upload_keys_and_the_test_sample_is_skipped() {
    let dir = events_dir();
    let put: SqsEvent = parse(
        "sqs-s3-put.json",
        &std::fs::read_to_string(dir.join("sqs-s3-put.json")).expect("sqs-s3-put.json"),
    );
    let decoded = decoded_bodies("sqs-s3-put.json", &put);
    let keys: Vec<&String> = decoded
        .iter()
        .flat_map(|d| match d {
            Decoded::Objects(keys) => keys.iter().map(|o| &o.key),
            other => panic!("sqs-s3-put.json decodes as {other:?}"),
        })
        .collect();
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(key.starts_with("uploads/"), "{key}");
    }
    // One record spells its key form-URL-encoded (%2F), as S3 does: it decodes to the same key.
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");

    let test: SqsEvent = parse(
        "sqs-s3-test-event.json",
        &std::fs::read_to_string(dir.join("sqs-s3-test-event.json"))
            .expect("sqs-s3-test-event.json"),
    );
    assert_eq!(
        decoded_bodies("sqs-s3-test-event.json", &test),
        vec![Decoded::TestEvent]
    );
}

/// Whether every object event reports its size and ETag (what tells replaced bytes apart).
fn o_size_known(events: &[dropgate_core::pipeline::ObjectEvent]) -> bool {
    events.iter().all(|o| o.size.is_some() && o.etag.is_some())
}
