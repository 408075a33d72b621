//! Upload links over the in-memory fakes: the owner's side (create, list, read, edit, revoke,
//! remove, the files of a link), the stranger's side (info, drop, receipt), every refusal, atomicity under
//! concurrency, the give-back rule with the owner's mails, the limit on failed lookups, and
//! no quota lock through a link (idle drops, pending bytes, bounded give-backs).
//!
//! One module per section; [`world`] holds the setup they share.

mod world;

mod concurrency;
mod edits;
mod give_back;
mod owner;
mod quota_lock;
mod race;
mod rate_limit;
mod refusals;
mod retention;
mod scanning;
mod stranger;
