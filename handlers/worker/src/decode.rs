//! Decoding an SQS message body into the object keys it announces.

use dropgate_core::keys::decode_event_key;
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
}

#[derive(Debug, PartialEq)]
pub enum Decoded {
    /// The message S3 sends when notifications are configured: nothing to do.
    TestEvent,
    /// The decoded keys of the `ObjectCreated` records (others are left out).
    Objects(Vec<String>),
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
        match decode_event_key(raw) {
            Some(k) => keys.push(k),
            None => return Decoded::Malformed("object key is not UTF-8 once decoded"),
        }
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
            Decoded::Objects(vec!["uploads/o/f 1".into()])
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
