//! Notices: what tells someone that something happened to a file. A change writes an outbox
//! entry in the same atomic write as itself ([`outbox`]); the notifier function turns each
//! entry into the operators' message ([`Notification`], through the [`Notifier`] port) and the
//! owner's mail ([`mail`], through the [`Mailer`] port). A counted share download carries a
//! [`ShareNotice`].

mod lifecycle;
mod mail;
mod notice;
mod notification;
mod outbox;
mod transport;
mod typed;

pub use lifecycle::{LifecycleEntry, LinkFacts, ShareFacts, Subject};
pub use mail::{download_mail, lockout_mail, reason_words, verdict_mail, verdict_mails};
pub use notice::ShareNotice;
pub use notification::{EventType, Notification, NotifiedFile};
pub use outbox::{Announcement, Courier, OutboxEntry, Undelivered};
pub use transport::{Mail, Mailer, Notifier};
