//! Contract suites, one per port: what every implementation of a port must do, written once and
//! run against both the in-memory fake (`core/tests/contract.rs`) and the AWS adapter on the
//! emulator (`local/tests/stack/infra_*.rs`), so that tests on the fakes say something about
//! production.

pub mod account_directory;
pub mod apikeys;
pub mod audit;
pub mod counters;
pub mod deliveries;
pub mod directory;
pub mod edits;
pub mod erasure;
pub mod expiry;
pub mod holds;
pub mod ledger;
pub mod ledger_scan;
pub mod link_drops;
pub mod link_events;
pub(crate) mod link_fixtures;
pub mod links;
pub mod marked;
pub mod multipart;
pub mod objects;
pub mod profiles;
pub mod quota_limits;
pub mod reminders;
pub mod retention;
pub mod review;
pub mod sealing;
pub mod share_events;
pub mod share_lockout;
pub mod shares;
pub mod standing;
pub mod totp;
pub mod trash;
pub mod versions;
pub mod webhooks;
