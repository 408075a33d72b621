//! What a record carries of versions (see [`crate::versions`]): as a version's own record,
//! whose it is; as a file's, the versions it keeps and the one it serves. Only the model here,
//! so a file's record can hold it; the rules and the service are in `crate::versions`.

use crate::FileId;

/// What a record carries of versions: as a version, whose it is; as a file, what it keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Versioning {
    /// On a version's own record: the file it is a version of and its number (2, 3, ...).
    pub of: Option<VersionOf>,
    /// On a file's record: the versions it keeps beyond its own first bytes.
    pub head: VersionHead,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionOf {
    pub file: FileId,
    pub n: u32,
}

/// A file's versions as its own record keeps them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionHead {
    /// The highest number given so far (0 or 1: none beyond the first).
    pub last_n: u32,
    /// The version records it keeps (number, id), by number.
    pub kept: Vec<(u32, FileId)>,
    /// The version served; `None`: the file's own first bytes.
    pub current: Option<CurrentVersion>,
    /// Whether version 1 (the file's own bytes) was removed (pruned or deleted): its bytes no
    /// longer count against the quota.
    pub first_removed: bool,
}

/// The version a file serves, with what a download needs of it (no extra read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentVersion {
    pub n: u32,
    pub id: FileId,
    pub size: u64,
    pub detected_type: Option<String>,
    pub etag: Option<String>,
}

impl VersionHead {
    /// The number of the version served.
    pub fn current_n(&self) -> u32 {
        self.current.as_ref().map_or(1, |c| c.n)
    }

    /// The number the next version takes.
    pub fn next_n(&self) -> u32 {
        self.last_n.max(1) + 1
    }

    /// The id of version `n`'s record (`None` for 1, the file's own, or one not kept).
    pub fn id_of(&self, n: u32) -> Option<&FileId> {
        self.kept.iter().find(|(k, _)| *k == n).map(|(_, id)| id)
    }
}
