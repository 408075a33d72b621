//! Dropgate's domain. Pure Rust: no AWS SDK, no I/O. One folder per capability, each holding
//! its model, rules, service and the ports it needs from the outside world: [`files`] (the
//! record and its state machine, the service, quota, the ledger ports), [`multipart`] (large
//! uploads and the multipart store port), [`links`] (upload links and their drops, the link
//! store port), [`shares`] (share links, the share store port), [`notify`] (outbox, operators'
//! messages, owners' mails, the notifier and mailer ports), [`events`] (the integrators' typed
//! events and the event bus port). Single-file capabilities:
//! [`pipeline`], [`janitor`], [`ratelimit`] (the counters port), [`accounts`] (the accounts
//! port), [`objects`] (the object store port), [`sealing`] (the token-sealing port).
//! Cross-cutting leaves: ids (and the id source port), [`clock`], [`time`], keys, kinds,
//! allowed, names, policy, sniff, tokens, paging, settings, error.
//!
//! Adapters live in `dropgate-infra`; in-memory fakes in `fakes` and the ports' contract suites
//! in `contract`, for tests (behind the `fakes` feature, which only dev-dependencies turn on).

pub mod accounts;
pub mod allowed;
pub mod apikeys;
pub mod audit;
pub mod batch;
pub mod clock;
#[cfg(any(test, feature = "fakes"))]
pub mod contract;
pub mod erasure;
pub mod error;
pub mod events;
pub mod expiry;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod files;
pub mod holds;
pub mod identity;
pub mod ids;
pub mod janitor;
pub mod keys;
pub mod kinds;
pub mod lifecycle;
pub mod links;
pub mod mfa;
pub mod multipart;
pub mod names;
pub mod notify;
pub mod objects;
pub mod paging;
pub mod pipeline;
pub mod policy;
pub mod profile;
pub mod ratelimit;
pub mod reminders;
pub mod review;
pub mod scan;
pub mod sealing;
pub mod settings;
pub mod shares;
pub mod sniff;
pub mod standing;
pub mod time;
pub mod tokens;
pub mod users;
pub mod versions;
pub mod webhooks;

pub use error::{CoreError, ErrorKind};
pub use files::{FileRecord, FileStatus};
pub use ids::{FileId, LinkId, OwnerId, ShareId};
pub use settings::Settings;
