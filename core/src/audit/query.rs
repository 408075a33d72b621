//! Which entries a listing or an export asks for, from the query string, with the API's codes
//! for bad input.

use chrono::{DateTime, Utc};

use super::AuditEntry;
use crate::CoreError;

/// A filter over the chain. Times are compared on `at` (`since` inclusive, `until` exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub action: Option<String>,
    /// An actor's id.
    pub actor: Option<String>,
    /// `(kind, id)`.
    pub target: Option<(String, String)>,
    /// Newest first (the console's listing); oldest first (chain order) for an export.
    pub newest_first: bool,
    /// Only entries with a lower seq: an export stops at its own entry, so it ends even while
    /// others append.
    pub below: Option<u64>,
}

/// The longest filter value taken: ids and action names are far shorter.
const MAX_FILTER: usize = 200;

fn time(
    raw: Option<&str>,
    code: &'static str,
    name: &str,
) -> Result<Option<DateTime<Utc>>, CoreError> {
    raw.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| CoreError::invalid(code, format!("{name} must be an RFC 3339 time")))
    })
    .transpose()
}

fn text(raw: Option<&str>, code: &'static str, name: &str) -> Result<Option<String>, CoreError> {
    match raw {
        None => Ok(None),
        Some(v) if v.is_empty() || v.len() > MAX_FILTER || v.chars().any(char::is_control) => {
            Err(CoreError::invalid(
                code,
                format!("{name} must be 1-{MAX_FILTER} printable characters"),
            ))
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}

impl AuditQuery {
    /// From the query string's `since`, `until`, `action`, `actor` and `target` (`KIND:ID`).
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        action: Option<&str>,
        actor: Option<&str>,
        target: Option<&str>,
    ) -> Result<Self, CoreError> {
        let target = text(target, "invalid_target", "target")?
            .map(|t| match t.split_once(':') {
                Some((k, i)) if !k.is_empty() && !i.is_empty() => Ok((k.to_owned(), i.to_owned())),
                _ => Err(CoreError::invalid(
                    "invalid_target",
                    "target must be KIND:ID",
                )),
            })
            .transpose()?;
        let q = Self {
            since: time(since, "invalid_since", "since")?,
            until: time(until, "invalid_until", "until")?,
            action: text(action, "invalid_action", "action")?,
            actor: text(actor, "invalid_actor", "actor")?,
            target,
            newest_first: true,
            below: None,
        };
        if let (Some(s), Some(u)) = (q.since, q.until)
            && s >= u
        {
            return Err(CoreError::invalid(
                "invalid_until",
                "until must be after since",
            ));
        }
        Ok(q)
    }

    /// Whether `e` matches every filter but the seq bounds.
    pub fn matches(&self, e: &AuditEntry) -> bool {
        let at = DateTime::parse_from_rfc3339(&e.at).map(|t| t.with_timezone(&Utc));
        let in_time = match at {
            Ok(at) => self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at < u),
            // An entry whose time does not parse was changed; it is shown, never hidden.
            Err(_) => true,
        };
        in_time
            && self.action.as_ref().is_none_or(|a| &e.action == a)
            && self.actor.as_ref().is_none_or(|a| &e.actor.id == a)
            && self
                .target
                .as_ref()
                .is_none_or(|(k, i)| &e.target.kind == k && &e.target.id == i)
            && self.below.is_none_or(|b| e.seq < b)
    }
}

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One entry per line, as JSON: what `dropgate admin audit verify` reads.
    Jsonl,
    /// A header row, then `seq,at,actor_kind,actor_id,action,target_kind,target_id,detail,
    /// prev_hash,hash` (the detail as its canonical JSON).
    Csv,
}

impl ExportFormat {
    pub fn parse(raw: Option<&str>) -> Result<Self, CoreError> {
        match raw {
            None | Some("jsonl") => Ok(Self::Jsonl),
            Some("csv") => Ok(Self::Csv),
            Some(_) => Err(CoreError::invalid(
                "invalid_format",
                "format must be jsonl or csv",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jsonl => "application/x-ndjson",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    pub const CSV_HEADER: &'static str =
        "seq,at,actor_kind,actor_id,action,target_kind,target_id,detail,prev_hash,hash\n";

    /// One entry as a line of this format, newline included.
    pub fn line(self, e: &AuditEntry) -> String {
        match self {
            Self::Jsonl => {
                let mut s = serde_json::to_string(e).unwrap_or_default();
                s.push('\n');
                s
            }
            Self::Csv => {
                let fields = [
                    e.seq.to_string(),
                    e.at.clone(),
                    e.actor.kind.as_str().to_owned(),
                    e.actor.id.clone(),
                    e.action.clone(),
                    e.target.kind.clone(),
                    e.target.id.clone(),
                    e.detail.to_string(),
                    e.prev_hash.clone(),
                    e.hash.clone(),
                ];
                let mut s = fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(",");
                s.push('\n');
                s
            }
        }
    }
}

/// RFC 4180: quoted when it holds a comma, a quote or a line break, quotes doubled. A field
/// that a spreadsheet would take for a formula is quoted after a leading `'`.
fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@']) {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_filters_have_their_own_codes() {
        let code = |r: Result<AuditQuery, CoreError>| r.unwrap_err().code();
        assert_eq!(
            code(AuditQuery::parse(Some("yesterday"), None, None, None, None)),
            "invalid_since"
        );
        assert_eq!(
            code(AuditQuery::parse(None, Some("x"), None, None, None)),
            "invalid_until"
        );
        assert_eq!(
            code(AuditQuery::parse(
                Some("2026-12-04T10:00:00Z"),
                Some("2026-12-04T09:00:00Z"),
                None,
                None,
                None
            )),
            "invalid_until"
        );
        assert_eq!(
            code(AuditQuery::parse(None, None, None, None, Some("user"))),
            "invalid_target"
        );
        assert_eq!(
            code(AuditQuery::parse(None, None, None, None, Some(":x"))),
            "invalid_target"
        );
        assert_eq!(
            code(AuditQuery::parse(None, None, Some(""), None, None)),
            "invalid_action"
        );
        assert_eq!(
            code(AuditQuery::parse(None, None, None, Some("a\u{7}"), None)),
            "invalid_actor"
        );
        let q =
            AuditQuery::parse(None, None, Some("user.disabled"), None, Some("user:a:b")).unwrap();
        assert_eq!(q.target, Some(("user".into(), "a:b".into())));
        assert_eq!(
            ExportFormat::parse(Some("xml")).unwrap_err().code(),
            "invalid_format"
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(
            csv_field(r#"{"a":1,"b":"x"}"#),
            r#""{""a"":1,""b"":""x""}""#
        );
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
