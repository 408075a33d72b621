//! The API's JSON shapes (docs/API.md), as far as the client reads them. Objects it prints back
//! keep every field the server sent (`rest`), so `--json` shows what a newer server adds.
//! Types that carry a presigned URL derive no `Debug`: nothing can print one by accident.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Deserialize)]
pub struct Tokens {
    pub id_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    pub expires_in: u64,
}

/// What `POST /auth/login` answers: tokens, or a two-factor challenge.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum LoginAnswer {
    Challenge { challenge: String, session: String },
    Tokens(Tokens),
}

/// A file, as `GET /files/{id}` answers it, or the smaller view of a receipt (no id).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    pub size: u64,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub detected_type: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// The malware scan as far as it went; absent from servers older than the gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanView>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `{status, threats?, scanned_at?}`; `threats` only in the owner's views.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScanView {
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threats: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl FileView {
    /// Judged for good: accepted, rejected, expired, or held for an operator. `pending` and
    /// `scanning` (the type passed, the malware scan has not answered) are on their way.
    pub fn is_final(&self) -> bool {
        !matches!(self.status.as_str(), "pending" | "scanning")
    }

    /// Rejected or expired: what exit code 3 means.
    pub fn is_failed(&self) -> bool {
        matches!(self.status.as_str(), "rejected" | "expired")
    }

    /// Held for review: neither accepted nor rejected, until an operator decides.
    pub fn is_held(&self) -> bool {
        self.status == "held"
    }

    /// The threats the scan named (the owner's views only).
    pub fn threats(&self) -> &[String] {
        self.scan
            .as_ref()
            .and_then(|s| s.threats.as_deref())
            .unwrap_or_default()
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.rest.get(key).and_then(Value::as_str)
    }
}

#[derive(Deserialize)]
pub struct FileEnvelope {
    pub file: FileView,
}

#[derive(Deserialize)]
#[serde(tag = "method")]
pub enum Upload {
    #[serde(rename = "PUT")]
    Put {
        url: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
    #[serde(rename = "multipart")]
    Multipart { part_size: u64, part_count: u32 },
}

/// `201` of `POST /files` and `POST /drop/{token}/files` (the latter adds `receipt`).
#[derive(Deserialize)]
pub struct Created {
    pub file: FileView,
    pub upload: Upload,
    #[serde(default)]
    pub receipt: Option<String>,
}

#[derive(Clone, Deserialize)]
pub struct PartUrl {
    pub number: u32,
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

#[derive(Deserialize)]
pub struct PartUrls {
    pub parts: Vec<PartUrl>,
}

/// A part S3 already holds.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ListedPart {
    pub number: u32,
    pub size: u64,
    #[serde(default)]
    pub etag: String,
}

#[derive(Debug, Deserialize)]
pub struct PartsListing {
    pub part_size: u64,
    pub part_count: u32,
    pub parts: Vec<ListedPart>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CompletedPart {
    pub number: u32,
    pub etag: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Quota {
    pub used_bytes: u64,
    pub reserved_bytes: u64,
    pub limit_bytes: u64,
    pub files: u64,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Link {
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The link's secret; `url` holds it too. Read, never printed.
    #[serde(default, skip_serializing)]
    pub token: Option<String>,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub expires_at: String,
    #[serde(default)]
    pub uploads_used: u64,
    #[serde(default)]
    pub max_uploads: u64,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A share, as the share routes answer it; `url` only in the creation's answer (or from a
/// server that lists it).
#[derive(Clone, Serialize, Deserialize)]
pub struct Share {
    pub id: String,
    #[serde(default)]
    pub file_id: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The share's secret; `url` holds it too. Read, never printed.
    #[serde(default, skip_serializing)]
    pub token: Option<String>,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub expires_at: String,
    #[serde(default)]
    pub downloads: u64,
    #[serde(default)]
    pub max_downloads: Option<u64>,
    #[serde(default)]
    pub password_protected: bool,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// One counted download of a share: `{at, user_agent, source_ip?}`.
#[derive(Serialize, Deserialize)]
pub struct ShareDownload {
    #[serde(default)]
    pub at: String,
    #[serde(default)]
    pub user_agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct DropInfo {
    pub label: String,
    #[serde(default)]
    pub uploads_left: Option<u64>,
    #[serde(default)]
    pub bytes_left: Option<u64>,
    #[serde(default)]
    pub max_file_bytes: Option<u64>,
    /// A list of types, or `"all_but_active_content"`.
    #[serde(default)]
    pub allowed_types: Value,
    #[serde(default)]
    pub require_uploader_name: bool,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Deserialize)]
pub struct DownloadUrl {
    pub url: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UploaderInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One page of a listing: `{files|links|shares|downloads: [...], next_cursor}`.
#[derive(Deserialize)]
pub struct Page<T> {
    #[serde(
        alias = "files",
        alias = "links",
        alias = "shares",
        alias = "downloads"
    )]
    pub items: Vec<T>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_pending_and_scanning_wait_for_more() {
        for (status, is_final) in [
            ("pending", false),
            ("scanning", false),
            ("accepted", true),
            ("rejected", true),
            ("expired", true),
            ("held", true),
        ] {
            let f: FileView =
                serde_json::from_value(json!({"name": "a", "size": 1, "status": status})).unwrap();
            assert_eq!(f.is_final(), is_final, "{status}");
            assert_eq!(f.is_held(), status == "held", "{status}");
            assert_eq!(
                f.is_failed(),
                matches!(status, "rejected" | "expired"),
                "{status}"
            );
        }
    }

    #[test]
    fn the_scan_is_read_and_printed_back_as_sent() {
        let sent = json!({
            "id": "f1", "name": "e.txt", "size": 68, "status": "rejected",
            "detected_type": "text/plain", "reason": "malware_found",
            "created_at": "2026-12-04T12:00:00.000Z",
            "scan": {"status": "infected", "threats": ["Eicar-Test-Signature"],
                     "scanned_at": "2026-12-04T12:00:01.000Z", "engine": "newer"}
        });
        let f: FileView = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(f.threats(), ["Eicar-Test-Signature"]);
        assert_eq!(serde_json::to_value(&f).unwrap(), sent);
        // A server from before the gate: no scan, nothing made up.
        let old = json!({"name": "a", "size": 1, "status": "accepted", "detected_type": null,
                         "reason": null});
        let f: FileView = serde_json::from_value(old.clone()).unwrap();
        assert!(f.scan.is_none() && f.threats().is_empty());
        assert_eq!(serde_json::to_value(&f).unwrap(), old);
    }
}
