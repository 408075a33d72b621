//! [`AuditChain`]: the trail over an [`AuditStore`]. Appending links the event to the head and
//! retries on the new head when another writer won; reading lists pages for the console and
//! exports them for an auditor, each export being an entry itself.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    Actor, ActorKind, AuditEntry, AuditEvent, AuditQuery, AuditStore, AuditTrail, ExportFormat,
    Head,
};
use crate::CoreError;
use crate::clock::Clock;
use crate::paging::parse_limit;
use crate::time::rfc3339;

/// Entries per export page: at most 2 KiB of detail each keeps a page of JSON lines far under
/// Lambda's 6 MB response.
pub const EXPORT_PAGE: usize = 1000;

/// A detail larger than this is refused: entries hold ids and figures, not documents.
const MAX_DETAIL_BYTES: usize = 2048;

/// Appends lost to other writers before giving up: each round one writer wins, so this
/// bounds the wait of a writer among this many concurrent ones.
const MAX_ATTEMPTS: usize = 100;

/// The action every export records.
pub const EXPORTED: &str = "audit.exported";

#[derive(Clone)]
pub struct AuditChain {
    pub store: Arc<dyn AuditStore>,
    pub clock: Arc<dyn Clock>,
}

/// One page of the console's listing.
#[derive(Debug, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// One page of an export: its lines, and the cursor of the next page (`None`: the last).
#[derive(Debug)]
pub struct ExportPage {
    pub body: String,
    pub entries: usize,
    pub next_cursor: Option<String>,
}

fn bad_cursor() -> CoreError {
    CoreError::invalid("invalid_cursor", "cursor is not one this listing gave")
}

/// Only strings, integers, booleans, null, arrays and objects, small: see `MAX_DETAIL_BYTES`.
fn check_detail(v: &Value) -> Result<(), CoreError> {
    fn whole(v: &Value) -> bool {
        match v {
            Value::Number(n) => n.is_i64() || n.is_u64(),
            Value::Array(a) => a.iter().all(whole),
            Value::Object(m) => m.values().all(whole),
            _ => true,
        }
    }
    if !whole(v) || v.to_string().len() > MAX_DETAIL_BYTES {
        return Err(CoreError::invalid(
            "invalid_audit_detail",
            "an audit detail holds ids and whole numbers, at most 2 KiB",
        ));
    }
    Ok(())
}

impl AuditChain {
    /// Appends `event` and answers the entry as written.
    pub async fn record(&self, event: AuditEvent) -> Result<AuditEntry, CoreError> {
        check_detail(&event.detail)?;
        for attempt in 0..MAX_ATTEMPTS {
            let head = self.store.head().await?.unwrap_or_else(Head::genesis);
            let entry = AuditEntry::link(&head, event.clone(), rfc3339(self.clock.now()));
            if self.store.append_after(&entry).await? {
                tracing::info!(
                    seq = entry.seq,
                    action = entry.action,
                    actor_kind = entry.actor.kind.as_str(),
                    actor = entry.actor.id,
                    target_kind = entry.target.kind,
                    target = entry.target.id,
                    attempts = attempt + 1,
                    "audit entry appended"
                );
                return Ok(entry);
            }
        }
        Err(CoreError::Unavailable(format!(
            "audit head still contended after {MAX_ATTEMPTS} attempts"
        )))
    }

    /// The console's listing, newest first; `cursor` is a seq this listing gave.
    pub async fn list(
        &self,
        q: &AuditQuery,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<AuditPage, CoreError> {
        let limit = parse_limit(limit)?;
        let after = cursor
            .map(|c| c.parse::<u64>().map_err(|_| bad_cursor()))
            .transpose()?;
        let q = AuditQuery {
            newest_first: true,
            ..q.clone()
        };
        let (entries, next) = self.store.page(&q, after, limit).await?;
        Ok(AuditPage {
            entries,
            next_cursor: next.map(|s| s.to_string()),
        })
    }

    /// One page of an export, oldest first. The first page (no cursor) records the export
    /// (`audit.exported`, by `admin`) and the export ends just before that entry; a cursor names
    /// it, and is taken only from the admin whose export it is.
    pub async fn export(
        &self,
        admin: &str,
        q: &AuditQuery,
        format: ExportFormat,
        cursor: Option<&str>,
    ) -> Result<ExportPage, CoreError> {
        let (bound, after) = match cursor {
            None => {
                let mut detail = json!({"format": format.as_str()});
                if let Some(s) = q.since {
                    detail["since"] = json!(rfc3339(s));
                }
                if let Some(u) = q.until {
                    detail["until"] = json!(rfc3339(u));
                }
                let entry = self
                    .record(AuditEvent {
                        actor: Actor {
                            id: admin.to_owned(),
                            kind: ActorKind::Admin,
                        },
                        action: EXPORTED.to_owned(),
                        target: super::Target {
                            kind: "audit".to_owned(),
                            id: "log".to_owned(),
                        },
                        detail,
                    })
                    .await?;
                (entry.seq, None)
            }
            Some(c) => {
                let (b, a) = c.split_once('.').ok_or_else(bad_cursor)?;
                let bound: u64 = b.parse().map_err(|_| bad_cursor())?;
                let after: u64 = a.parse().map_err(|_| bad_cursor())?;
                let export = self.store.entry(bound).await?.ok_or_else(bad_cursor)?;
                if export.action != EXPORTED || export.actor.id != admin || after >= bound {
                    return Err(bad_cursor());
                }
                (bound, Some(after))
            }
        };
        let q = AuditQuery {
            newest_first: false,
            below: Some(bound),
            ..q.clone()
        };
        let (entries, next) = self.store.page(&q, after, EXPORT_PAGE).await?;
        let mut body = String::with_capacity(entries.len() * 400 + 100);
        if cursor.is_none() && format == ExportFormat::Csv {
            body.push_str(ExportFormat::CSV_HEADER);
        }
        for e in &entries {
            body.push_str(&format.line(e));
        }
        Ok(ExportPage {
            body,
            entries: entries.len(),
            next_cursor: next.map(|n| format!("{bound}.{n}")),
        })
    }
}

#[async_trait]
impl AuditTrail for AuditChain {
    async fn append(&self, event: AuditEvent) -> Result<(), CoreError> {
        self.record(event).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Verifier;
    use crate::fakes::{FixedClock, MemAuditStore};
    use chrono::{TimeZone, Utc};

    fn chain() -> (AuditChain, Arc<MemAuditStore>) {
        let store = Arc::new(MemAuditStore::default());
        let clock = Arc::new(FixedClock::at(
            Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap(),
        ));
        (
            AuditChain {
                store: store.clone(),
                clock,
            },
            store,
        )
    }

    fn event(action: &str, id: &str) -> AuditEvent {
        AuditEvent::new(
            Actor {
                id: "admin-1".into(),
                kind: ActorKind::Admin,
            },
            action,
            "user",
            id,
            json!({}),
        )
    }

    #[tokio::test]
    async fn an_export_records_itself_and_stops_before_its_own_entry() {
        let (c, _) = chain();
        for i in 0..2500 {
            c.append(event("user.quota_changed", &format!("u{i}")))
                .await
                .unwrap();
        }
        let q = AuditQuery::default();
        let mut page = c
            .export("admin-1", &q, ExportFormat::Jsonl, None)
            .await
            .unwrap();
        let mut v = Verifier::default();
        let mut pages = 1;
        loop {
            for line in page.body.lines() {
                v.push(&serde_json::from_str(line).unwrap()).unwrap();
            }
            let Some(next) = page.next_cursor else { break };
            // Appends meanwhile do not extend the export.
            c.append(event("user.disabled", "late")).await.unwrap();
            page = c
                .export("admin-1", &q, ExportFormat::Jsonl, Some(&next))
                .await
                .unwrap();
            pages += 1;
        }
        assert_eq!(v.count(), 2500);
        assert_eq!(pages, 3);
        let newest = c.list(&q, None, Some("1")).await.unwrap();
        assert_eq!(newest.entries[0].action, "user.disabled");
        let exported = c
            .list(
                &AuditQuery {
                    action: Some(EXPORTED.into()),
                    ..q.clone()
                },
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!(exported.entries.len(), 1);
        assert_eq!(exported.entries[0].seq, 2501);
        // Another admin cannot continue it, nor anyone skip the record with a made-up cursor.
        for bad in ["2501.10", "5.1", "x", "2501"] {
            let who = if bad == "2501.10" {
                "admin-2"
            } else {
                "admin-1"
            };
            let e = c
                .export(who, &q, ExportFormat::Jsonl, Some(bad))
                .await
                .unwrap_err();
            assert_eq!(e.code(), "invalid_cursor", "{bad}");
        }
    }

    #[tokio::test]
    async fn a_detail_with_a_fraction_or_too_large_is_refused() {
        let (c, store) = chain();
        let mut e = event("x", "y");
        e.detail = json!({"ratio": 0.5});
        assert_eq!(
            c.append(e.clone()).await.unwrap_err().code(),
            "invalid_audit_detail"
        );
        e.detail = json!({"ids": "a".repeat(3000)});
        assert_eq!(
            c.append(e).await.unwrap_err().code(),
            "invalid_audit_detail"
        );
        assert_eq!(store.head().await.unwrap(), None);
    }

    #[tokio::test]
    async fn csv_export_starts_with_its_header() {
        let (c, _) = chain();
        c.append(event("user.disabled", "u1")).await.unwrap();
        let page = c
            .export("admin-1", &AuditQuery::default(), ExportFormat::Csv, None)
            .await
            .unwrap();
        let mut lines = page.body.lines();
        assert_eq!(lines.next().unwrap(), ExportFormat::CSV_HEADER.trim_end());
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("1,2026-12-04T10:00:00.000Z,admin,admin-1,user.disabled,user,u1,{},")
        );
        assert_eq!(page.next_cursor, None);
    }
}
