//! Why a completion was refused: the payload of `CoreError::IncompleteUpload`, a leaf so that
//! the error type can carry it without depending on the rest of the flow.

use serde::Serialize;

/// Part numbers one error lists at most, per kind.
pub const MAX_LISTED: usize = 1000;

/// Why a completion was refused: part numbers, at most [`MAX_LISTED`] of each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Incomplete {
    pub missing: Vec<u32>,
    pub wrong_size: Vec<u32>,
    pub mismatched: Vec<u32>,
}

impl Incomplete {
    pub(super) fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.wrong_size.is_empty() && self.mismatched.is_empty()
    }

    pub(super) fn capped(mut self) -> Self {
        self.missing.truncate(MAX_LISTED);
        self.wrong_size.truncate(MAX_LISTED);
        self.mismatched.truncate(MAX_LISTED);
        self
    }
}
