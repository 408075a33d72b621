//! CloudWatch Embedded Metric Format: one JSON line per batch, which CloudWatch Logs turns into
//! metrics without any API call from the function.

use dropgate_core::pipeline::Decision;
use dropgate_core::policy::Verdict;
use serde_json::json;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct BatchMetrics {
    pub accepted: u64,
    pub rejected: u64,
    pub accepted_bytes: u64,
    pub rejected_bytes: u64,
    pub duplicates: u64,
}

impl BatchMetrics {
    pub fn count(&mut self, d: &Decision) {
        match d {
            Decision::Settled {
                verdict: Verdict::Accepted,
                stored_size,
                ..
            } => {
                self.accepted += 1;
                self.accepted_bytes += stored_size;
            }
            Decision::Settled { stored_size, .. } => {
                self.rejected += 1;
                self.rejected_bytes += stored_size;
            }
            Decision::AlreadySettled { .. } => self.duplicates += 1,
            _ => {}
        }
    }

    pub fn to_emf(&self, timestamp_ms: i64) -> serde_json::Value {
        json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": "Dropgate",
                    "Dimensions": [["Service"]],
                    "Metrics": [
                        {"Name": "UploadsAccepted", "Unit": "Count"},
                        {"Name": "UploadsRejected", "Unit": "Count"},
                        {"Name": "BytesAccepted", "Unit": "Bytes"},
                        {"Name": "BytesRejected", "Unit": "Bytes"},
                        {"Name": "DuplicateEvents", "Unit": "Count"},
                    ],
                }],
            },
            "Service": "worker",
            "UploadsAccepted": self.accepted,
            "UploadsRejected": self.rejected,
            "BytesAccepted": self.accepted_bytes,
            "BytesRejected": self.rejected_bytes,
            "DuplicateEvents": self.duplicates,
        })
    }

    /// Writes the EMF line to stderr (Lambda ships both streams to CloudWatch Logs; the local
    /// stack keeps stdout for its ready line).
    pub fn emit(&self) {
        if *self == Self::default() {
            return;
        }
        eprintln!("{}", self.to_emf(chrono::Utc::now().timestamp_millis()));
    }
}
