//! The malware gate: a file is accepted only when its type verdict passed and a malware scan
//! of exactly its bytes came back clean. Here the model (what a record keeps of a scan, what a
//! scanner's result says); in [`rules`] the pure decision of a result against a record, in
//! [`service`] the gate that applies results.

pub mod rules;
pub mod service;

pub use rules::{IgnoreWhy, Ruling, rule};
pub use service::{ScanDecision, ScanGate};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What is known of a file's malware scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanStatus {
    /// Not yet answered.
    Pending,
    Clean,
    Infected,
    /// The scanner could not read the bytes.
    Failed,
    /// The scanner cannot judge this kind of content (an encrypted archive, too large).
    Unsupported,
    /// No answer within the scan timeout.
    Timeout,
    /// Scanning is off in this deployment: accepted on the type verdict alone.
    Off,
    /// Only in what anyone but the owner sees (a receipt, a drop's answer): the scan refused
    /// the file. Never stored: an uploader learns that it was refused, not what was found.
    Refused,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Clean => "clean",
            Self::Infected => "infected",
            Self::Failed => "failed",
            Self::Unsupported => "unsupported",
            Self::Timeout => "timeout",
            Self::Off => "off",
            Self::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Clean,
            Self::Infected,
            Self::Failed,
            Self::Unsupported,
            Self::Timeout,
            Self::Off,
            Self::Refused,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A scan result as kept on a file's record: which bytes it judged and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRecord {
    pub status: ScanStatus,
    /// The ETag of the bytes the result judged, without quotes.
    pub etag: Option<String>,
    /// Threat names (infected only).
    pub threats: Vec<String>,
    /// When the scanner answered.
    pub at: Option<DateTime<Utc>>,
}

impl ScanRecord {
    /// Scanning is off: what every settlement records, so nobody takes the file for scanned.
    pub fn off(at: DateTime<Utc>) -> Self {
        Self {
            status: ScanStatus::Off,
            etag: None,
            threats: Vec::new(),
            at: Some(at),
        }
    }

    /// Whether this is a result for exactly the bytes of `etag` (quotes ignored).
    pub fn judged(&self, etag: Option<&str>) -> bool {
        match (&self.etag, etag) {
            (Some(a), Some(b)) => a.trim_matches('"') == b.trim_matches('"'),
            _ => false,
        }
    }
}

/// What a file's view says of its scan (always present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanView {
    pub status: ScanStatus,
    /// Owner-facing views only, and only when there are some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threats: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<String>,
}

/// The scanner's overall outcome for one object, mapped from GuardDuty's statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    Clean,
    Infected { threats: Vec<String> },
    Unsupported,
    Failed,
}

impl ScanOutcome {
    /// GuardDuty's `scanStatus` (`COMPLETED | SKIPPED | FAILED`) and `scanResultStatus`
    /// (`NO_THREATS_FOUND | THREATS_FOUND | UNSUPPORTED | ACCESS_DENIED | FAILED`). Anything
    /// not known to be clean is not clean: an unknown value fails.
    pub fn from_guardduty(
        scan_status: &str,
        result_status: Option<&str>,
        threats: Vec<String>,
    ) -> Self {
        match scan_status {
            "SKIPPED" => return Self::Unsupported,
            "COMPLETED" => {}
            _ => return Self::Failed,
        }
        match result_status {
            Some("NO_THREATS_FOUND") => Self::Clean,
            Some("THREATS_FOUND") => Self::Infected { threats },
            Some("UNSUPPORTED") => Self::Unsupported,
            _ => Self::Failed,
        }
    }

    pub fn status(&self) -> ScanStatus {
        match self {
            Self::Clean => ScanStatus::Clean,
            Self::Infected { .. } => ScanStatus::Infected,
            Self::Unsupported => ScanStatus::Unsupported,
            Self::Failed => ScanStatus::Failed,
        }
    }
}

/// One scanner result, decoded: which plan, which object (key decoded), which bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanResult {
    /// The malware protection plan that produced it (`resources[0]`).
    pub plan_arn: Option<String>,
    pub key: String,
    /// Without quotes.
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub outcome: ScanOutcome,
    pub at: DateTime<Utc>,
}

impl ScanResult {
    /// What a record keeps of this result.
    pub fn record(&self) -> ScanRecord {
        ScanRecord {
            status: self.outcome.status(),
            etag: self.etag.as_ref().map(|e| e.trim_matches('"').to_owned()),
            threats: match &self.outcome {
                ScanOutcome::Infected { threats } => threats.clone(),
                _ => Vec::new(),
            },
            at: Some(self.at),
        }
    }
}

pub const REASON_MALWARE_FOUND: &str = "malware_found";
pub const REASON_SCAN_FAILED: &str = "scan_failed";
pub const REASON_SCAN_UNSUPPORTED: &str = "scan_unsupported";
pub const REASON_SCAN_TIMEOUT: &str = "scan_timeout";
/// What a stranger's receipt says instead of `malware_found`.
pub const REASON_REFUSED_FOR_SAFETY: &str = "refused_for_safety";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [
            ScanStatus::Pending,
            ScanStatus::Clean,
            ScanStatus::Infected,
            ScanStatus::Failed,
            ScanStatus::Unsupported,
            ScanStatus::Timeout,
            ScanStatus::Off,
            ScanStatus::Refused,
        ] {
            assert_eq!(ScanStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(ScanStatus::parse("CLEAN"), None);
    }

    #[test]
    fn guardduty_statuses_map_and_unknowns_fail() {
        use ScanOutcome::*;
        let t = || vec!["EICAR-Test-File".to_owned()];
        assert_eq!(
            ScanOutcome::from_guardduty("COMPLETED", Some("NO_THREATS_FOUND"), vec![]),
            Clean
        );
        assert_eq!(
            ScanOutcome::from_guardduty("COMPLETED", Some("THREATS_FOUND"), t()),
            Infected { threats: t() }
        );
        assert_eq!(
            ScanOutcome::from_guardduty("COMPLETED", Some("UNSUPPORTED"), vec![]),
            Unsupported
        );
        assert_eq!(
            ScanOutcome::from_guardduty("SKIPPED", None, vec![]),
            Unsupported
        );
        assert_eq!(
            ScanOutcome::from_guardduty("COMPLETED", Some("ACCESS_DENIED"), vec![]),
            Failed
        );
        assert_eq!(
            ScanOutcome::from_guardduty("COMPLETED", Some("FAILED"), vec![]),
            Failed
        );
        assert_eq!(
            ScanOutcome::from_guardduty("FAILED", Some("NO_THREATS_FOUND"), vec![]),
            Failed
        );
        assert_eq!(
            ScanOutcome::from_guardduty("COMPLETED", None, vec![]),
            Failed
        );
        assert_eq!(
            ScanOutcome::from_guardduty("COMPLETED", Some("SOMETHING_NEW"), vec![]),
            Failed
        );
        assert_eq!(
            ScanOutcome::from_guardduty("WHATEVER", Some("NO_THREATS_FOUND"), vec![]),
            Failed
        );
    }

    #[test]
    fn a_record_judged_only_its_own_bytes() {
        let r = ScanRecord {
            status: ScanStatus::Clean,
            etag: Some("abc".into()),
            threats: vec![],
            at: None,
        };
        assert!(r.judged(Some("\"abc\"")));
        assert!(!r.judged(Some("abd")));
        assert!(!r.judged(None));
    }
}
