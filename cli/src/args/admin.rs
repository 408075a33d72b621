//! The operators' commands: `dropgate admin ...` (accounts, review, links, the audit log).

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// The audit log: list entries, export it, verify an export offline.
    Audit(Box<AuditArgs>),
    /// Accounts whose email starts with a prefix, with their usage.
    Users {
        /// An email prefix (all accounts without it).
        #[arg(long, short, value_name = "PREFIX")]
        query: Option<String>,
        /// Accounts to list (1-100; the server gives at most 60 a page).
        #[arg(long, default_value_t = 50, value_name = "N",
              value_parser = clap::value_parser!(u16).range(1..=100))]
        limit: u16,
        /// Where to go on from: the `next_cursor` of the listing before.
        #[arg(long, value_name = "CURSOR")]
        cursor: Option<String>,
    },
    /// One account with its usage.
    User {
        /// The account's id (its owner id).
        id: String,
    },
    /// Set an account's own quota (e.g. 20GiB), or `default` for the deployment's.
    Quota {
        id: String,
        /// A size (20GiB, 500MB, bytes) or `default`.
        #[arg(value_name = "SIZE")]
        size: String,
    },
    /// Stop an account at once: its tokens, links and shares stop working.
    Disable { id: String },
    /// Restore a stopped account (its links and shares that were live work again).
    Enable { id: String },
    /// The review queue: files across owners by status (held by default).
    Review {
        /// rejected, held, scanning or accepted.
        #[arg(long, default_value = "held",
              value_parser = ["rejected", "held", "scanning", "accepted"])]
        status: String,
        /// Only this owner's files (an owner id).
        #[arg(long, value_name = "ID", conflicts_with = "link")]
        owner: Option<String>,
        /// Only files dropped through this upload link.
        #[arg(long, value_name = "ID")]
        link: Option<String>,
        /// Where to go on from: the `next_cursor` of the listing before.
        #[arg(long, value_name = "CURSOR")]
        cursor: Option<String>,
    },
    /// Release a held file: it becomes accepted and its owner is told.
    Release {
        #[arg(value_name = "FILE_ID")]
        id: String,
    },
    /// Place a legal hold on any file: nobody can delete it, its owner included, until it is
    /// lifted.
    Hold {
        #[arg(value_name = "FILE_ID")]
        id: String,
        /// Why (shown to admins only; 1 to 500 characters).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Lift a file's legal hold.
    Unhold {
        #[arg(value_name = "FILE_ID")]
        id: String,
    },
    /// Delete any file for good (bytes, record, quota; its owner gets a receipt).
    DeleteFile {
        #[arg(value_name = "FILE_ID")]
        id: String,
        /// Confirm: nothing can bring the file back.
        #[arg(long)]
        yes: bool,
    },
    /// Every upload link across owners, with its owner and state.
    Links {
        /// Where to go on from: the `next_cursor` of the listing before.
        #[arg(long, value_name = "CURSOR")]
        cursor: Option<String>,
    },
    /// Revoke any upload link.
    RevokeLink { id: String },
    /// Erase an account for good: every object, record, link, share, token and webhook, then
    /// the account itself. Refuses without --yes.
    Erase {
        id: String,
        /// Confirm the erasure (it cannot be undone).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    #[command(flatten)]
    pub filters: AuditFilters,
    /// Entries to list, newest first (1-100).
    #[arg(long, default_value_t = 50, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=100))]
    pub limit: u16,
    /// Where to go on from: the `next_cursor` of the listing before.
    #[arg(long, value_name = "CURSOR")]
    pub cursor: Option<String>,
}

/// Filters of the audit log, as the API takes them.
#[derive(Debug, Args, Default)]
pub struct AuditFilters {
    /// Entries from this time on (RFC 3339, e.g. 2026-12-01T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Entries before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this action (e.g. user.disabled).
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,
    /// Only this actor's id.
    #[arg(long, value_name = "ID")]
    pub actor: Option<String>,
    /// Only this target, KIND:ID (e.g. user:0193...).
    #[arg(long, value_name = "KIND:ID")]
    pub target: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Export the audit log, oldest first, to a file (the export is itself recorded).
    Export {
        /// jsonl (what `verify` reads) or csv.
        #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
        format: String,
        /// The file to write; `-` for stdout.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Entries from this time on (RFC 3339).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Entries before this time (RFC 3339).
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Check a JSONL export offline: exit 0 when its chain is intact, 1 and the first bad seq
    /// when an entry was changed, removed or reordered.
    Verify {
        /// The export (JSON lines).
        file: PathBuf,
    },
}
