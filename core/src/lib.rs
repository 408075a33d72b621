//! Dropgate's domain. Pure Rust: no AWS SDK, no I/O. Everything the domain needs from the
//! outside world is a port (see [`ports`]); adapters live in `dropgate-infra`, in-memory fakes
//! in `fakes` for tests (behind the `fakes` feature, which only dev-dependencies turn on).

pub mod accounts;
#[cfg(any(test, feature = "fakes"))]
pub mod contract;
pub mod error;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod file;
pub mod files;
pub mod ids;
pub mod janitor;
pub mod keys;
pub mod links;
pub mod mail;
pub mod multipart;
pub mod names;
pub mod notification;
pub mod outbox;
pub mod pipeline;
pub mod policy;
pub mod ports;
pub mod quota;
pub mod ratelimit;
pub mod settings;
pub mod shares;
pub mod sniff;
pub mod tokens;

pub use error::{CoreError, ErrorKind};
pub use file::{FileRecord, FileStatus};
pub use ids::{FileId, LinkId, OwnerId, ShareId};
pub use settings::Settings;
