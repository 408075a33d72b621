//! The gate's decision, pure: what one scan result does to the record of its file.

use super::{
    REASON_MALWARE_FOUND, REASON_SCAN_FAILED, REASON_SCAN_UNSUPPORTED, ScanRecord, ScanResult,
    ScanStatus,
};
use crate::settings::UnscannablePolicy;
use crate::{FileRecord, FileStatus, Settings};

/// Why a result was not applied (the `why` of a `scan_ignored` log line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreWhy {
    /// Not from this stack's plan (or scanning is off: no plan counts).
    OtherPlan,
    /// For other bytes than the ones the file is being judged for.
    StaleBytes,
    /// The file is past the scan: a duplicate, late or reordered result.
    Settled,
    /// No file has this object (not under `uploads/`, or deleted).
    UnknownFile,
}

impl IgnoreWhy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OtherPlan => "other_plan",
            Self::StaleBytes => "stale_bytes",
            Self::Settled => "settled",
            Self::UnknownFile => "unknown_file",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ruling {
    Ignore {
        why: IgnoreWhy,
    },
    /// The scan beat the type verdict: keep the result on the pending record for it.
    RecordEarly,
    /// Move the scanning file to its final state, keeping `scan`.
    Settle {
        status: FileStatus,
        reason: Option<String>,
        scan: ScanRecord,
    },
}

/// Whether `result` came from the plan whose results count here.
pub fn from_our_plan(result: &ScanResult, settings: &Settings) -> bool {
    settings.malware_scanning
        && settings.scan_plan_arn.is_some()
        && result.plan_arn == settings.scan_plan_arn
}

/// Decides `result` against `file` as it was read. Only a `scanning` file moves, and only on a
/// result for exactly its stored bytes; a `pending` one keeps the result for its type verdict.
pub fn rule(result: &ScanResult, file: &FileRecord, settings: &Settings) -> Ruling {
    if !from_our_plan(result, settings) {
        return Ruling::Ignore {
            why: IgnoreWhy::OtherPlan,
        };
    }
    match file.status {
        FileStatus::Pending => Ruling::RecordEarly,
        FileStatus::Scanning => {
            let stored = file.stored.as_ref().and_then(|s| s.etag.as_deref());
            let scan = result.record();
            // No stored ETag cannot be matched: left to the timeout, never accepted blind.
            if !scan.judged(stored) {
                return Ruling::Ignore {
                    why: IgnoreWhy::StaleBytes,
                };
            }
            let (status, reason) = final_state(&scan, settings);
            Ruling::Settle {
                status,
                reason: reason.map(str::to_owned),
                scan,
            }
        }
        FileStatus::Accepted | FileStatus::Held | FileStatus::Rejected | FileStatus::Expired => {
            Ruling::Ignore {
                why: IgnoreWhy::Settled,
            }
        }
    }
}

/// Where a file whose type verdict passed ends on `scan`, and why.
pub fn final_state(scan: &ScanRecord, settings: &Settings) -> (FileStatus, Option<&'static str>) {
    match scan.status {
        ScanStatus::Clean | ScanStatus::Off => (FileStatus::Accepted, None),
        ScanStatus::Infected => (FileStatus::Rejected, Some(REASON_MALWARE_FOUND)),
        ScanStatus::Unsupported => match settings.unscannable_policy {
            UnscannablePolicy::Reject => (FileStatus::Rejected, Some(REASON_SCAN_UNSUPPORTED)),
            UnscannablePolicy::Hold => (FileStatus::Held, Some(REASON_SCAN_UNSUPPORTED)),
        },
        // Anything else is no verdict: fail closed.
        ScanStatus::Failed | ScanStatus::Timeout | ScanStatus::Pending | ScanStatus::Refused => {
            (FileStatus::Rejected, Some(REASON_SCAN_FAILED))
        }
    }
}

/// The result kept on a record for `etag`, if one is there (a result that beat the type
/// verdict): the type verdict then finalizes at once.
pub fn early_result<'a>(file: &'a FileRecord, etag: Option<&str>) -> Option<&'a ScanRecord> {
    file.scan
        .as_ref()
        .filter(|s| s.status != ScanStatus::Pending && s.status != ScanStatus::Off)
        .filter(|s| s.judged(etag))
}

/// The outcome in the words of the worker's log line.
pub fn decision_name(status: FileStatus) -> &'static str {
    match status {
        FileStatus::Accepted => "scan_clean",
        FileStatus::Held => "scan_held",
        _ => "scan_rejected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::StoredObject;
    use crate::scan::ScanOutcome;
    use crate::{FileId, OwnerId};
    use chrono::{TimeZone, Utc};

    const PLAN: &str = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/p";

    fn settings() -> Settings {
        Settings {
            scan_plan_arn: Some(PLAN.into()),
            ..Settings::default()
        }
    }

    fn file(status: FileStatus, etag: Option<&str>) -> FileRecord {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let mut f = FileRecord::pending(
            FileId::parse("f1").unwrap(),
            OwnerId::parse("o1").unwrap(),
            "a.pdf".into(),
            10,
            "application/pdf".into(),
            now,
            std::time::Duration::from_secs(60),
        );
        f.status = status;
        f.stored = etag.map(|e| StoredObject {
            size: 10,
            etag: Some(e.into()),
        });
        f
    }

    fn result(outcome: ScanOutcome, etag: &str) -> ScanResult {
        ScanResult {
            plan_arn: Some(PLAN.into()),
            key: "uploads/f1".into(),
            etag: Some(etag.into()),
            version_id: None,
            outcome,
            at: Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 5).unwrap(),
        }
    }

    fn settled(r: Ruling) -> (FileStatus, Option<String>) {
        match r {
            Ruling::Settle { status, reason, .. } => (status, reason),
            other => panic!("not settled: {other:?}"),
        }
    }

    #[test]
    fn each_outcome_ends_where_the_design_says() {
        let f = file(FileStatus::Scanning, Some("e1"));
        let s = settings();
        let infected = ScanOutcome::Infected {
            threats: vec!["EICAR".into()],
        };
        assert_eq!(
            settled(rule(&result(ScanOutcome::Clean, "e1"), &f, &s)),
            (FileStatus::Accepted, None)
        );
        let r = rule(&result(infected, "e1"), &f, &s);
        let Ruling::Settle { scan, .. } = &r else {
            panic!("{r:?}")
        };
        assert_eq!(scan.threats, vec!["EICAR".to_owned()]);
        assert_eq!(scan.etag.as_deref(), Some("e1"));
        assert_eq!(
            settled(r),
            (FileStatus::Rejected, Some("malware_found".into()))
        );
        assert_eq!(
            settled(rule(&result(ScanOutcome::Failed, "e1"), &f, &s)),
            (FileStatus::Rejected, Some("scan_failed".into()))
        );
        assert_eq!(
            settled(rule(&result(ScanOutcome::Unsupported, "e1"), &f, &s)),
            (FileStatus::Rejected, Some("scan_unsupported".into()))
        );
        let hold = Settings {
            unscannable_policy: UnscannablePolicy::Hold,
            ..settings()
        };
        assert_eq!(
            settled(rule(&result(ScanOutcome::Unsupported, "e1"), &f, &hold)),
            (FileStatus::Held, Some("scan_unsupported".into()))
        );
    }

    #[test]
    fn other_plans_other_bytes_and_settled_files_are_ignored() {
        let s = settings();
        let scanning = file(FileStatus::Scanning, Some("e1"));
        let mut other = result(ScanOutcome::Clean, "e1");
        other.plan_arn = Some(format!("{PLAN}x"));
        let ignored = |why| Ruling::Ignore { why };
        assert_eq!(rule(&other, &scanning, &s), ignored(IgnoreWhy::OtherPlan));
        other.plan_arn = None;
        assert_eq!(rule(&other, &scanning, &s), ignored(IgnoreWhy::OtherPlan));
        let clean = result(ScanOutcome::Clean, "e1");
        // No plan configured, or scanning off: nothing counts.
        let unplanned = Settings {
            scan_plan_arn: None,
            ..settings()
        };
        assert_eq!(
            rule(&clean, &scanning, &unplanned),
            ignored(IgnoreWhy::OtherPlan)
        );
        assert_eq!(
            rule(&clean, &scanning, &settings().without_scanning()),
            ignored(IgnoreWhy::OtherPlan)
        );
        assert_eq!(
            rule(&result(ScanOutcome::Clean, "e0"), &scanning, &s),
            ignored(IgnoreWhy::StaleBytes)
        );
        // Bytes of unknown ETag are never accepted blind.
        let unknown = file(FileStatus::Scanning, None);
        assert_eq!(rule(&clean, &unknown, &s), ignored(IgnoreWhy::StaleBytes));
        for st in [
            FileStatus::Accepted,
            FileStatus::Held,
            FileStatus::Rejected,
            FileStatus::Expired,
        ] {
            assert_eq!(
                rule(&clean, &file(st, Some("e1")), &s),
                ignored(IgnoreWhy::Settled),
                "{st:?}"
            );
        }
        assert_eq!(
            rule(&clean, &file(FileStatus::Pending, None), &s),
            Ruling::RecordEarly
        );
    }

    #[test]
    fn an_early_result_counts_only_for_its_bytes() {
        let mut f = file(FileStatus::Pending, None);
        assert!(early_result(&f, Some("e1")).is_none());
        f.scan = Some(result(ScanOutcome::Clean, "e1").record());
        assert!(early_result(&f, Some("e1")).is_some());
        assert!(early_result(&f, Some("\"e1\"")).is_some());
        assert!(early_result(&f, Some("e2")).is_none());
        assert!(early_result(&f, None).is_none());
        f.scan = Some(ScanRecord::off(Utc::now()));
        assert!(early_result(&f, Some("e1")).is_none());
    }
}
