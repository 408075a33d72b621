//! What GuardDuty Malware Protection for S3 says of an object, in its own words: the status it
//! tags the object with, and the EventBridge event the scan-results queue receives.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::clamd::Reply;

/// The tag GuardDuty puts on every object it scanned.
pub const STATUS_TAG: &str = "GuardDutyMalwareScanStatus";
pub const DETAIL_TYPE: &str = "GuardDuty Malware Protection Object Scan Result";

/// GuardDuty's `scanResultStatus` (also the tag's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    NoThreatsFound,
    ThreatsFound(Vec<String>),
    Unsupported,
    Failed,
}

impl Outcome {
    pub fn status(&self) -> &'static str {
        match self {
            Self::NoThreatsFound => "NO_THREATS_FOUND",
            Self::ThreatsFound(_) => "THREATS_FOUND",
            Self::Unsupported => "UNSUPPORTED",
            Self::Failed => "FAILED",
        }
    }

    /// clamd's heuristics for what it could not look into (encrypted archives and documents,
    /// scan limits) are GuardDuty's UNSUPPORTED; any other name is a threat.
    pub fn of(reply: &Reply) -> Self {
        match reply {
            Reply::Clean => Self::NoThreatsFound,
            Reply::Found(name)
                if name.starts_with("Heuristics.Encrypted")
                    || name.starts_with("Heuristics.Limits.Exceeded") =>
            {
                Self::Unsupported
            }
            Reply::Found(name) => Self::ThreatsFound(vec![name.clone()]),
            Reply::TooLarge => Self::Unsupported,
            Reply::Error(_) => Self::Failed,
        }
    }
}

/// The object a result is about: the bytes scanned, named by their ETag (no quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub bucket: String,
    pub key: String,
    pub etag: String,
    pub version_id: Option<String>,
}

/// The event, as EventBridge delivers it to SQS (the message body is this JSON).
pub fn result_event(
    plan_arn: &str,
    account: &str,
    region: &str,
    object: &Scanned,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Value {
    let mut details = json!({
        "bucketName": object.bucket,
        "objectKey": object.key,
        "eTag": object.etag,
        "s3Throttled": false,
    });
    if let Some(v) = &object.version_id {
        details["versionId"] = json!(v);
    }
    let threats = match outcome {
        Outcome::ThreatsFound(names) => {
            json!(names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>())
        }
        _ => Value::Null,
    };
    let scan_status = match outcome {
        Outcome::Failed => "FAILED",
        _ => "COMPLETED",
    };
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": DETAIL_TYPE,
        "source": "aws.guardduty",
        "account": account,
        "time": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": region,
        "resources": [plan_arn],
        "detail": {
            "schemaVersion": "1.0",
            "scanStatus": scan_status,
            "resourceType": "S3_OBJECT",
            "s3ObjectDetails": details,
            "scanResultDetails": {
                "scanResultStatus": outcome.status(),
                "threats": threats,
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object() -> Scanned {
        Scanned {
            bucket: "dropgate-uploads".into(),
            key: "uploads/0190aaaa-0000-7000-8000-000000000001".into(),
            etag: "9e107d9d372bb6826bd81d3542a419d6".into(),
            version_id: None,
        }
    }

    #[test]
    fn clamd_replies_become_guardduty_statuses() {
        for (reply, status) in [
            (Reply::Clean, "NO_THREATS_FOUND"),
            (
                Reply::Found("Dropgate.Test.EICAR.UNOFFICIAL".into()),
                "THREATS_FOUND",
            ),
            (
                Reply::Found("Heuristics.Encrypted.Zip".into()),
                "UNSUPPORTED",
            ),
            (
                Reply::Found("Heuristics.Encrypted.PDF".into()),
                "UNSUPPORTED",
            ),
            (
                Reply::Found("Heuristics.Limits.Exceeded.MaxFileSize".into()),
                "UNSUPPORTED",
            ),
            (Reply::TooLarge, "UNSUPPORTED"),
            (Reply::Error("lstat() failed".into()), "FAILED"),
        ] {
            assert_eq!(Outcome::of(&reply).status(), status, "{reply:?}");
        }
        // A heuristic about something else is a finding, not an excuse.
        assert_eq!(
            Outcome::of(&Reply::Found("Heuristics.Phishing.Email".into())),
            Outcome::ThreatsFound(vec!["Heuristics.Phishing.Email".into()])
        );
    }

    #[test]
    fn the_event_has_guarddutys_shape() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let plan =
            "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/dropgate-local";
        let found = Outcome::ThreatsFound(vec!["Dropgate.Test.EICAR.UNOFFICIAL".into()]);
        let e = result_event(plan, "123456789012", "us-east-1", &object(), &found, now);
        let id = e["id"].as_str().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        assert_eq!(
            e,
            json!({
                "version": "0", "id": id,
                "detail-type": "GuardDuty Malware Protection Object Scan Result",
                "source": "aws.guardduty", "account": "123456789012",
                "time": "2026-12-04T12:00:00Z", "region": "us-east-1",
                "resources": [plan],
                "detail": {
                    "schemaVersion": "1.0", "scanStatus": "COMPLETED", "resourceType": "S3_OBJECT",
                    "s3ObjectDetails": {
                        "bucketName": "dropgate-uploads",
                        "objectKey": "uploads/0190aaaa-0000-7000-8000-000000000001",
                        "eTag": "9e107d9d372bb6826bd81d3542a419d6",
                        "s3Throttled": false
                    },
                    "scanResultDetails": {
                        "scanResultStatus": "THREATS_FOUND",
                        "threats": [{"name": "Dropgate.Test.EICAR.UNOFFICIAL"}]
                    }
                }
            })
        );
        let clean = result_event(
            plan,
            "123456789012",
            "us-east-1",
            &object(),
            &Outcome::NoThreatsFound,
            now,
        );
        assert_eq!(clean["detail"]["scanResultDetails"]["threats"], Value::Null);
        let failed = result_event(
            plan,
            "123456789012",
            "us-east-1",
            &object(),
            &Outcome::Failed,
            now,
        );
        assert_eq!(failed["detail"]["scanStatus"], "FAILED");
        let versioned = Scanned {
            version_id: Some("v1".into()),
            ..object()
        };
        let e = result_event(
            plan,
            "123456789012",
            "us-east-1",
            &versioned,
            &Outcome::Unsupported,
            now,
        );
        assert_eq!(e["detail"]["s3ObjectDetails"]["versionId"], "v1");
    }
}
