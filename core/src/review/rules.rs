//! The review's input rules: which statuses can be asked for, which scope a query reads, and
//! the opaque cursors of its pages.

use crate::{CoreError, FileId, FileStatus, LinkId, OwnerId};

/// The status a query without one reads: the review queue proper.
pub const DEFAULT_STATUS: FileStatus = FileStatus::Held;

/// `status=`: one of `rejected`, `held`, `scanning`, `accepted` (`held` when absent).
pub fn parse_status(raw: Option<&str>) -> Result<FileStatus, CoreError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_STATUS);
    };
    use FileStatus::*;
    match FileStatus::parse(raw) {
        Some(s @ (Rejected | Held | Scanning | Accepted)) => Ok(s),
        _ => Err(CoreError::invalid(
            "invalid_status",
            "status must be one of rejected, held, scanning, accepted",
        )),
    }
}

/// Where a review query reads: every owner's files, one owner's, or one link's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewScope {
    All,
    Owner(OwnerId),
    Link(LinkId),
}

/// What `GET /admin/files` asks for: files in `status`, within `scope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFilter {
    pub status: FileStatus,
    pub scope: ReviewScope,
}

impl ReviewFilter {
    /// From the query's `status`, `owner` and `via_link` (at most one of the last two).
    pub fn parse(
        status: Option<&str>,
        owner: Option<&str>,
        via_link: Option<&str>,
    ) -> Result<Self, CoreError> {
        let status = parse_status(status)?;
        let scope = match (
            owner.filter(|o| !o.is_empty()),
            via_link.filter(|l| !l.is_empty()),
        ) {
            (None, None) => ReviewScope::All,
            (Some(o), None) => ReviewScope::Owner(
                OwnerId::parse(o)
                    .map_err(|_| CoreError::invalid("invalid_owner", "owner is not a user id"))?,
            ),
            (None, Some(l)) => ReviewScope::Link(
                LinkId::parse(l)
                    .map_err(|_| CoreError::invalid("invalid_link", "via_link is not a link id"))?,
            ),
            (Some(_), Some(_)) => {
                return Err(CoreError::invalid(
                    "invalid_query",
                    "give owner or via_link, not both",
                ));
            }
        };
        Ok(Self { status, scope })
    }
}

/// Where the next page of a review query starts: the last file of the previous one (its time,
/// owner and id are every index's key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewCursor {
    /// RFC 3339, as the record stores it.
    pub created_at: String,
    pub owner: OwnerId,
    pub file: FileId,
}

fn bad_cursor() -> CoreError {
    CoreError::invalid("invalid_cursor", "cursor is not one this API returned")
}

impl ReviewCursor {
    pub fn of(f: &crate::FileRecord) -> Self {
        Self {
            created_at: crate::time::rfc3339(f.created_at),
            owner: f.owner.clone(),
            file: f.id.clone(),
        }
    }

    /// Opaque to clients: hex.
    pub fn encode(&self) -> String {
        hex::encode(format!(
            "{}\n{}\n{}",
            self.created_at, self.owner, self.file
        ))
    }

    /// A cursor of one owner's listing goes on only in that owner's: DynamoDB refuses a start
    /// key outside the query's partition (a 400 upstream, so a 500 here had it gone through).
    pub fn check_scope(&self, filter: &ReviewFilter) -> Result<(), CoreError> {
        match &filter.scope {
            ReviewScope::Owner(o) if o != &self.owner => Err(bad_cursor()),
            _ => Ok(()),
        }
    }

    pub fn decode(raw: &str) -> Result<Self, CoreError> {
        let text = String::from_utf8(hex::decode(raw).map_err(|_| bad_cursor())?)
            .map_err(|_| bad_cursor())?;
        let mut parts = text.split('\n');
        let (Some(at), Some(owner), Some(file), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad_cursor());
        };
        chrono::DateTime::parse_from_rfc3339(at).map_err(|_| bad_cursor())?;
        Ok(Self {
            created_at: at.to_owned(),
            owner: OwnerId::parse(owner).map_err(|_| bad_cursor())?,
            file: FileId::parse(file).map_err(|_| bad_cursor())?,
        })
    }
}

/// Links pages start after the last link of the previous one: its owner and id, hex-encoded.
pub fn encode_link_cursor(owner: &OwnerId, id: &LinkId) -> String {
    hex::encode(format!("{owner}\n{id}"))
}

pub fn decode_link_cursor(raw: &str) -> Result<(OwnerId, LinkId), CoreError> {
    let text =
        String::from_utf8(hex::decode(raw).map_err(|_| bad_cursor())?).map_err(|_| bad_cursor())?;
    let (owner, id) = text.split_once('\n').ok_or_else(bad_cursor)?;
    Ok((
        OwnerId::parse(owner).map_err(|_| bad_cursor())?,
        LinkId::parse(id).map_err(|_| bad_cursor())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_defaults_to_held_and_only_reviewable_ones_pass() {
        assert_eq!(parse_status(None).unwrap(), FileStatus::Held);
        for s in ["rejected", "held", "scanning", "accepted"] {
            assert_eq!(parse_status(Some(s)).unwrap().as_str(), s);
        }
        for s in ["pending", "expired", "HELD", "", "x"] {
            assert_eq!(parse_status(Some(s)).unwrap_err().code(), "invalid_status");
        }
    }

    #[test]
    fn a_scope_is_one_owner_or_one_link_or_all() {
        let f = ReviewFilter::parse(None, Some("u-1"), None).unwrap();
        assert_eq!(f.scope, ReviewScope::Owner(OwnerId::parse("u-1").unwrap()));
        let f = ReviewFilter::parse(Some("rejected"), None, Some("l1")).unwrap();
        assert_eq!(
            (f.status, f.scope),
            (
                FileStatus::Rejected,
                ReviewScope::Link(LinkId::parse("l1").unwrap())
            )
        );
        assert_eq!(
            ReviewFilter::parse(None, None, None).unwrap().scope,
            ReviewScope::All
        );
        let code = |r: Result<ReviewFilter, CoreError>| r.unwrap_err().code();
        assert_eq!(
            code(ReviewFilter::parse(None, Some("u-1"), Some("l1"))),
            "invalid_query"
        );
        assert_eq!(
            code(ReviewFilter::parse(None, Some("../x"), None)),
            "invalid_owner"
        );
        assert_eq!(
            code(ReviewFilter::parse(None, None, Some("a b"))),
            "invalid_link"
        );
    }

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let c = ReviewCursor {
            created_at: "2026-12-01T09:00:00.000Z".into(),
            owner: OwnerId::parse("u-1").unwrap(),
            file: FileId::parse("f1").unwrap(),
        };
        assert_eq!(ReviewCursor::decode(&c.encode()).unwrap(), c);
        for raw in ["zz", "", &hex::encode("a\nb\nc"), &hex::encode("x")] {
            assert_eq!(
                ReviewCursor::decode(raw).unwrap_err().code(),
                "invalid_cursor"
            );
        }
        let (o, l) = (OwnerId::parse("u-1").unwrap(), LinkId::parse("l1").unwrap());
        assert_eq!(
            decode_link_cursor(&encode_link_cursor(&o, &l)).unwrap(),
            (o, l)
        );
        assert_eq!(
            decode_link_cursor("00").unwrap_err().code(),
            "invalid_cursor"
        );
    }
}
