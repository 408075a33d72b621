//! In-memory fakes of every port, one file per fake, for tests of the domain and of the
//! handlers (behind the `fakes` feature).

mod account_directory;
mod apikeys;
mod audit;
mod bus;
mod clock;
mod counters;
mod deliveries;
mod directory;
mod id_tokens;
mod ids;
mod ledger;
mod links;
mod lock;
mod mailer;
mod multipart;
mod notifier;
mod objects;
mod profiles;
mod sealer;
mod shares;
mod standing;
mod trash;
mod webhooks;

pub use account_directory::MemAccountDirectory;
pub use apikeys::MemApiKeys;
pub use audit::{MemAudit, MemAuditStore};
pub use bus::MemBus;
pub use clock::FixedClock;
pub use counters::MemCounters;
pub use deliveries::{MemDeliveryLog, MemDeliveryQueue, Received, ScriptedSender};
pub use directory::MemDirectory;
pub use id_tokens::MemIdTokens;
pub use ids::SeqIds;
pub use ledger::MemLedger;
pub use mailer::MemMailer;
pub use multipart::multiparts;
pub use notifier::MemNotifier;
pub use objects::{MemStore, MemUpload, etag_of};
pub use profiles::MemProfiles;
pub use sealer::MemSealer;
pub use shares::MemShares;
pub use standing::MemStanding;
pub use webhooks::{MemResolver, MemWebhooks};
