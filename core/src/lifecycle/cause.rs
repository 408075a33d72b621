//! Why a file left the system and who removed it: what its deletion receipt says, and what a
//! deletion's mark keeps of it until the record goes. A leaf of the lifecycle, so that the file
//! record can carry a mark's cause without depending on the rest.

use serde::{Deserialize, Serialize};

/// Why a file left the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeletionReason {
    Retention,
    Deleted,
    Purged,
    Erased,
}

impl DeletionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retention => "retention",
            Self::Deleted => "deleted",
            Self::Purged => "purged",
            Self::Erased => "erased",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "retention" => Self::Retention,
            "deleted" => Self::Deleted,
            "purged" => Self::Purged,
            "erased" => Self::Erased,
            _ => return None,
        })
    }
}

/// Who removed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeletedBy {
    Owner,
    Admin,
    Retention,
    Erasure,
}

impl DeletedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Retention => "retention",
            Self::Erasure => "erasure",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "owner" => Self::Owner,
            "admin" => Self::Admin,
            "retention" => Self::Retention,
            "erasure" => Self::Erasure,
            _ => return None,
        })
    }
}

/// Why and by whom a marked record is being deleted: what its receipt will say, kept on the
/// record with the mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionCause {
    pub reason: DeletionReason,
    pub by: DeletedBy,
}

impl DeletionCause {
    /// As the store keeps it: `<reason>:<by>`.
    pub fn encode(self) -> String {
        format!("{}:{}", self.reason.as_str(), self.by.as_str())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let (reason, by) = raw.split_once(':')?;
        Some(Self {
            reason: DeletionReason::parse(reason)?,
            by: DeletedBy::parse(by)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_reads_back_as_written_and_nothing_else_parses() {
        for reason in [
            DeletionReason::Retention,
            DeletionReason::Deleted,
            DeletionReason::Purged,
            DeletionReason::Erased,
        ] {
            for by in [
                DeletedBy::Owner,
                DeletedBy::Admin,
                DeletedBy::Retention,
                DeletedBy::Erasure,
            ] {
                let c = DeletionCause { reason, by };
                assert_eq!(DeletionCause::parse(&c.encode()), Some(c));
            }
        }
        for bad in [
            "",
            "deleted",
            "deleted:",
            ":owner",
            "deleted:nobody",
            "x:owner",
        ] {
            assert_eq!(DeletionCause::parse(bad), None, "{bad}");
        }
    }
}
