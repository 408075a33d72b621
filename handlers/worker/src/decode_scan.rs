//! Decoding GuardDuty Malware Protection for S3's scan-result event (EventBridge -> SQS: the
//! message body is the event itself).

use chrono::{DateTime, Utc};
use dropgate_core::scan::{ScanOutcome, ScanResult};
use serde::Deserialize;
use serde_json::Value;

pub const SCAN_RESULT_DETAIL_TYPE: &str = "GuardDuty Malware Protection Object Scan Result";

/// Whether a decoded body is a scan result (else it is read as an S3 notification).
pub fn is_scan_result(body: &Value) -> bool {
    body.get("detail-type").and_then(Value::as_str) == Some(SCAN_RESULT_DETAIL_TYPE)
}

#[derive(Deserialize)]
struct Event {
    time: Option<DateTime<Utc>>,
    #[serde(default)]
    resources: Vec<String>,
    detail: Detail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    scan_status: String,
    s3_object_details: ObjectDetails,
    scan_result_details: Option<ResultDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectDetails {
    object_key: String,
    #[serde(rename = "eTag", alias = "etag")]
    etag: Option<String>,
    version_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultDetails {
    scan_result_status: Option<String>,
    threats: Option<Vec<Threat>>,
}

#[derive(Deserialize)]
struct Threat {
    name: Option<String>,
}

/// The result a scan-result event carries, or why it is malformed. `now` stands in for an
/// event without its `time`.
pub fn decode_scan_result(body: Value, now: DateTime<Utc>) -> Result<ScanResult, &'static str> {
    let e: Event =
        serde_json::from_value(body).map_err(|_| "scan result without its object or status")?;
    let o = e.detail.s3_object_details;
    if o.object_key.is_empty() {
        return Err("scan result with an empty object key");
    }
    let (result_status, threats) = match e.detail.scan_result_details {
        Some(d) => (
            d.scan_result_status,
            d.threats
                .unwrap_or_default()
                .into_iter()
                .filter_map(|t| t.name)
                .filter(|n| !n.is_empty())
                .collect(),
        ),
        None => (None, Vec::new()),
    };
    Ok(ScanResult {
        plan_arn: e.resources.into_iter().next(),
        // GuardDuty's key is not URL-encoded, unlike S3's notifications.
        key: o.object_key,
        etag: o
            .etag
            .map(|t| t.trim_matches('"').to_owned())
            .filter(|t| !t.is_empty()),
        version_id: o.version_id.filter(|v| !v.is_empty()),
        outcome: ScanOutcome::from_guardduty(
            &e.detail.scan_status,
            result_status.as_deref(),
            threats,
        ),
        at: e.time.unwrap_or(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    const PLAN: &str = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/p1";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 9).unwrap()
    }

    fn event(object: Value, result: Value) -> Value {
        json!({"version":"0","id":"5c9e","detail-type":SCAN_RESULT_DETAIL_TYPE,
            "source":"aws.guardduty","account":"123456789012","time":"2026-12-04T12:00:00Z",
            "region":"us-east-1","resources":[PLAN],
            "detail":{"schemaVersion":"1.0","scanStatus":"COMPLETED","resourceType":"S3_OBJECT",
                "s3ObjectDetails":object,"scanResultDetails":result}})
    }

    fn object(etag_field: &str) -> Value {
        let mut o = json!({"bucketName":"b","objectKey":"uploads/f 1+x","s3Throttled":false});
        o[etag_field] = json!("abc");
        o
    }

    #[test]
    fn a_clean_result_names_its_plan_object_and_bytes() {
        let body = event(
            object("eTag"),
            json!({"scanResultStatus":"NO_THREATS_FOUND","threats":null}),
        );
        assert!(is_scan_result(&body));
        let r = decode_scan_result(body, now()).unwrap();
        assert_eq!(r.plan_arn.as_deref(), Some(PLAN));
        assert_eq!(r.key, "uploads/f 1+x", "the key is taken as is");
        assert_eq!(r.etag.as_deref(), Some("abc"));
        assert_eq!(r.version_id, None);
        assert_eq!(r.outcome, ScanOutcome::Clean);
        assert_eq!(r.at, Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap());
    }

    #[test]
    fn lowercase_etag_version_and_threats_are_read() {
        let mut o = object("etag");
        o["versionId"] = json!("v2");
        let body = event(
            o,
            json!({"scanResultStatus":"THREATS_FOUND","threats":[{"name":"EICAR-Test-File"},{"name":""},{}]}),
        );
        let r = decode_scan_result(body, now()).unwrap();
        assert_eq!(r.etag.as_deref(), Some("abc"));
        assert_eq!(r.version_id.as_deref(), Some("v2"));
        assert_eq!(
            r.outcome,
            ScanOutcome::Infected {
                threats: vec!["EICAR-Test-File".into()]
            }
        );
    }

    #[test]
    fn skipped_and_failed_scans_without_details_fail_closed() {
        let mut body = event(object("eTag"), Value::Null);
        body["detail"]["scanStatus"] = json!("SKIPPED");
        body.as_object_mut().unwrap().remove("time");
        let r = decode_scan_result(body.clone(), now()).unwrap();
        assert_eq!(r.outcome, ScanOutcome::Unsupported);
        assert_eq!(r.at, now());
        body["detail"]["scanStatus"] = json!("FAILED");
        assert_eq!(
            decode_scan_result(body, now()).unwrap().outcome,
            ScanOutcome::Failed
        );
        let denied = event(
            object("eTag"),
            json!({"scanResultStatus":"ACCESS_DENIED","threats":null}),
        );
        assert_eq!(
            decode_scan_result(denied, now()).unwrap().outcome,
            ScanOutcome::Failed
        );
    }

    #[test]
    fn missing_fields_are_malformed() {
        let good = event(
            object("eTag"),
            json!({"scanResultStatus":"NO_THREATS_FOUND"}),
        );
        let mut no_detail = good.clone();
        no_detail.as_object_mut().unwrap().remove("detail");
        let mut no_key = good.clone();
        no_key["detail"]["s3ObjectDetails"]
            .as_object_mut()
            .unwrap()
            .remove("objectKey");
        let mut empty_key = good.clone();
        empty_key["detail"]["s3ObjectDetails"]["objectKey"] = json!("");
        let mut no_status = good.clone();
        no_status["detail"]
            .as_object_mut()
            .unwrap()
            .remove("scanStatus");
        let mut bad_time = good.clone();
        bad_time["time"] = json!("yesterday");
        for bad in [no_detail, no_key, empty_key, no_status, bad_time] {
            assert!(decode_scan_result(bad.clone(), now()).is_err(), "{bad}");
        }
        assert!(decode_scan_result(good, now()).is_ok());
    }
}
