//! Decoding an SQS message body into the object keys it announces.

use dropgate_core::keys::decode_event_key;
use dropgate_core::pipeline::ObjectEvent;
use serde::Deserialize;
use serde_json::Value;

// Only the fields the worker reads. `aws_lambda_events::s3::S3Event` requires fields (user
// identity, request parameters, ...) that some S3 implementations leave out; the worker must not
// reject a real upload for that.
#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName")]
    event_name: Option<String>,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    object: S3Object,
}

#[derive(Deserialize)]
struct S3Object {
    key: Option<String>,
    // Read leniently: an event whose size or ETag is odd is still an upload to judge.
    size: Option<Value>,
    #[serde(rename = "eTag")]
    etag: Option<Value>,
}

#[derive(Debug, PartialEq)]
pub enum Decoded {
    /// The message S3 sends when notifications are configured: nothing to do.
    TestEvent,
    /// The `ObjectCreated` records, keys decoded (others are left out).
    Objects(Vec<ObjectEvent>),
    /// Not an S3 notification: retried, then dead-lettered.
    Malformed(&'static str),
}

pub fn decode_message(body: &str) -> Decoded {
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return Decoded::Malformed("body is not JSON");
    };
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Decoded::TestEvent;
    }
    if value.get("Records").is_none() {
        return Decoded::Malformed("no Records");
    }
    let Ok(event) = serde_json::from_value::<Notification>(value) else {
        return Decoded::Malformed("Records are not S3 event records");
    };
    let mut keys = Vec::new();
    for r in &event.records {
        let created = r
            .event_name
            .as_deref()
            .is_some_and(|n| n.starts_with("ObjectCreated:") || n.starts_with("s3:ObjectCreated:"));
        if !created {
            continue;
        }
        let Some(raw) = r.s3.object.key.as_deref() else {
            return Decoded::Malformed("record without an object key");
        };
        let Some(key) = decode_event_key(raw) else {
            return Decoded::Malformed("object key is not UTF-8 once decoded");
        };
        let o = &r.s3.object;
        keys.push(ObjectEvent {
            key,
            size: o.size.as_ref().and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|t| t.parse().ok()))
            }),
            etag: o
                .etag
                .as_ref()
                .and_then(Value::as_str)
                .map(|t| t.trim_matches('"').to_owned())
                .filter(|t| !t.is_empty()),
        });
    }
    Decoded::Objects(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, key: &str) -> String {
        serde_json::json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-11-22T10:00:00.000Z", "eventName": name,
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "c",
                   "bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
                   "object": {"key": key, "size": 3, "eTag": "e"}}
        }]})
        .to_string()
    }

    #[test]
    fn decodes_keys_and_skips_test_events() {
        assert_eq!(
            decode_message(&event("ObjectCreated:Put", "uploads%2Fo%2Ff+1")),
            Decoded::Objects(vec![ObjectEvent {
                key: "uploads/o/f 1".into(),
                size: Some(3),
                etag: Some("e".into()),
            }])
        );
        // Quoted ETags and sizes as strings are read too; missing ones are unknown.
        let odd = r#"{"Records":[{"eventName":"ObjectCreated:Post","s3":{"object":{"key":"k","size":"7","eTag":"\"ab\""}}},{"eventName":"ObjectCreated:Copy","s3":{"object":{"key":"j"}}}]}"#;
        assert_eq!(
            decode_message(odd),
            Decoded::Objects(vec![
                ObjectEvent {
                    key: "k".into(),
                    size: Some(7),
                    etag: Some("ab".into()),
                },
                ObjectEvent {
                    key: "j".into(),
                    ..ObjectEvent::default()
                },
            ])
        );
        assert_eq!(
            decode_message(&event("ObjectRemoved:Delete", "k")),
            Decoded::Objects(vec![])
        );
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"t","Bucket":"b","RequestId":"r","HostId":"h"}"#;
        assert_eq!(decode_message(test), Decoded::TestEvent);
    }

    #[test]
    fn malformed_bodies() {
        for bad in [
            "",
            "not json",
            "[]",
            "{}",
            r#"{"Records": 5}"#,
            r#"{"Records": [{"s3": 1}]}"#,
        ] {
            assert!(
                matches!(decode_message(bad), Decoded::Malformed(_)),
                "{bad}"
            );
        }
        assert!(matches!(
            decode_message(&event("ObjectCreated:Put", "%FF")),
            Decoded::Malformed(_)
        ));
    }
}
