//! Identifiers. Both appear in object keys, so both are restricted to a safe alphabet: no
//! user-supplied text ever reaches a key.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::CoreError;

fn is_safe_id(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An owner: the Cognito `sub` of an account user.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OwnerId(String);

impl OwnerId {
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        if is_safe_id(s, 128) {
            Ok(Self(s.to_owned()))
        } else {
            Err(CoreError::unauthorized(
                "unauthorized",
                "the token's subject is not a valid owner id",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An id minted by an [`IdSource`] (time-ordered in production, so that a listing
/// by id is a listing by creation time, newest first when descending). An unknown id is
/// indistinguishable from another owner's: both are 404.
macro_rules! minted_id {
    ($(#[$doc:meta])* $t:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $t(String);

        impl $t {
            pub fn parse(s: &str) -> Result<Self, CoreError> {
                if is_safe_id(s, 64) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(CoreError::NotFound)
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}
minted_id!(
    /// A file's id.
    FileId
);
minted_id!(
    /// An upload link's id.
    LinkId
);
minted_id!(
    /// A share link's id.
    ShareId
);

macro_rules! string_id {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $t {
            type Error = CoreError;
            fn try_from(s: String) -> Result<Self, CoreError> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(id: $t) -> String {
                id.0
            }
        }
    };
}
string_id!(OwnerId);
string_id!(FileId);
string_id!(LinkId);
string_id!(ShareId);

/// Where new ids and secrets come from (time-ordered ids and the OS's CSPRNG in production).
pub trait IdSource: Send + Sync {
    fn file_id(&self) -> FileId;
    fn link_id(&self) -> LinkId;
    fn share_id(&self) -> ShareId;
    /// A webhook's id (safe for keys, like the others).
    fn webhook_id(&self) -> String;
    /// Fresh random bytes for a bearer secret (see [`crate::tokens`]); an error when the
    /// system's random source fails (no secret is better than a guessable one).
    fn secret(&self) -> Result<[u8; crate::tokens::SECRET_BYTES], CoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_path_and_odd_characters() {
        assert!(OwnerId::parse("0b5e-41aa_Z9").is_ok());
        for bad in ["", "a/b", "..", "a b", "é", "a%2Fb", &"x".repeat(129)] {
            assert!(OwnerId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(FileId::parse("../x"), Err(CoreError::NotFound));
        assert!(FileId::parse("0192f1c2-7a3b-7c4d-8e5f-0123456789ab").is_ok());
    }
}
