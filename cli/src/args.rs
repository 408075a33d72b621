//! The command line (clap). docs/CLI.md describes every command and flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod admin;

pub use admin::{AdminCommand, AuditArgs, AuditCommand, AuditFilters};

const EXIT_CODES: &str = "\
Exit codes: 0 success, 1 error, 2 usage, 3 a file was rejected (malware found too) or expired,
4 a file is held for review, 130 interrupted.
Environment: DROPGATE_API, DROPGATE_TOKEN (an API token, instead of a login), DROPGATE_EMAIL,
DROPGATE_PASSWORD (login), DROPGATE_CONFIG_DIR.";

#[derive(Debug, Parser)]
#[command(
    name = "dropgate",
    version,
    about = "Upload, list, download and share files with a Dropgate API.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// One JSON document on stdout instead of text (errors too).
    #[arg(long, global = true)]
    pub json: bool,

    /// The API's base URL: where `login` logs in, or (with `drop`) instead of the link's origin.
    #[arg(long, global = true, value_name = "URL")]
    pub api: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in and keep the session (refreshed as needed) in the config directory.
    Login(LoginArgs),
    /// Forget the session.
    Logout,
    /// Upload files to your account, resuming an interrupted upload of the same file.
    Put(PutArgs),
    /// List your files.
    Ls,
    /// Download an accepted file.
    Get(GetArgs),
    /// Delete a file.
    Rm {
        /// The file's id (see `dropgate ls`).
        id: String,
    },
    /// Show your storage quota.
    Quota,
    /// Upload links: let people without an account send you files.
    #[command(subcommand)]
    Link(LinkCommand),
    /// Send files through someone's upload link (no account needed).
    Drop(DropArgs),
    /// Shares: let someone without an account download one of your accepted files.
    #[command(subcommand)]
    Share(ShareCommand),
    /// Operators' commands (members of the `admins` group).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The trash: deleted files kept for a while (list, restore, purge now).
    #[command(subcommand)]
    Trash(TrashCommand),
    /// API tokens for scripts and CI (make, list, revoke); needs a password login.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Your default retention: new files deleted on their own this many days after upload.
    Retention(RetentionArgs),
    /// A file's versions (`put --version-of ID FILE` uploads a new one).
    Versions {
        /// The file's id (see `dropgate ls`).
        id: String,
    },
    /// Make an older version of a file current again (no bytes are copied).
    Restore {
        /// The file's id (see `dropgate ls`).
        id: String,
        /// The version to make current (see `dropgate versions ID`); default: the newest
        /// accepted one before the current.
        #[arg(long, value_name = "N")]
        version: Option<u32>,
    },
    /// Webhooks: your events, signed, sent to URLs of yours.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Your password: reset a forgotten one with a mailed code.
    #[command(subcommand)]
    Password(PasswordCommand),
    /// Two-factor sign-in (TOTP, an authenticator app's codes): turn it on or off.
    #[command(subcommand)]
    Mfa(MfaCommand),
    /// Your account: delete it with everything it holds.
    #[command(subcommand)]
    Account(AccountCommand),
}

#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// A new secret to add to an authenticator app; on a terminal the code is asked for at
    /// once, otherwise run `mfa verify` with one.
    Enable(MfaArgs),
    /// Turn it on with a current code of the secret `mfa enable` printed.
    Verify(MfaArgs),
    /// Turn it off (a current code is required).
    Disable(MfaArgs),
}

#[derive(Debug, Args)]
pub struct MfaArgs {
    /// Read the code from standard input (else a prompt on a terminal).
    #[arg(long)]
    pub code_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Delete your account for good: every file, link, share, token and webhook, then the
    /// account itself. Asks for the password, for the account's email to confirm, and, when
    /// two-factor sign-in is on, for the authenticator's code.
    Delete(AccountDeleteArgs),
}

#[derive(Debug, Args)]
pub struct AccountDeleteArgs {
    /// Read the password from standard input (else $DROPGATE_PASSWORD, else a prompt).
    #[arg(long)]
    pub password_stdin: bool,
    /// Do not ask to type the account's email to confirm.
    #[arg(long)]
    pub yes: bool,
    /// Read the two-factor code, when the account has it on, from standard input (after the
    /// password's and the confirmation's lines when those come from there too); else a prompt
    /// on a terminal.
    #[arg(long)]
    pub totp_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make an API token; its secret is printed once.
    Create(TokenCreateArgs),
    /// List your API tokens (never their secrets).
    Ls,
    /// Revoke an API token: refused from its next request on.
    Rm {
        /// The token's id (see `dropgate token ls`).
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// A name to tell it apart (1-100 characters).
    #[arg(long)]
    pub name: String,
    /// full, upload (create uploads, read what it uploaded, the quota) or read.
    #[arg(long, value_parser = ["full", "upload", "read"])]
    pub scope: String,
    /// Its lifetime in seconds (3600 to 31536000; default 90 days).
    #[arg(long, value_name = "SECS")]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Args)]
pub struct RetentionArgs {
    /// Delete new files this many days after their upload (1-36500).
    #[arg(long, value_name = "DAYS", conflicts_with = "off")]
    pub days: Option<u64>,
    /// Keep new files until they are deleted (removes the default).
    #[arg(long)]
    pub off: bool,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register a webhook and print its secret (shown this once).
    Create(WebhookCreateArgs),
    /// List your webhooks.
    Ls,
    /// Remove a webhook.
    Rm {
        /// The webhook's id (see `dropgate webhook ls`).
        id: String,
    },
    /// Check a delivery's signature: the body on stdin (exit 0 valid, 1 invalid).
    Verify(WebhookVerifyArgs),
    /// Send a webhook a `ping` delivery (see it with `deliveries`).
    Test {
        /// The webhook's id.
        id: String,
    },
    /// A webhook's delivery attempts, newest first.
    Deliveries {
        /// The webhook's id.
        id: String,
        /// The `next_cursor` of a previous page.
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Pause a webhook: nothing is sent to it until it is resumed.
    Pause {
        /// The webhook's id.
        id: String,
    },
    /// Resume a paused webhook (its count of failures in a row starts again).
    Resume {
        /// The webhook's id.
        id: String,
    },
    /// Send a delivery once more.
    Redeliver {
        /// The webhook's id.
        id: String,
        /// The delivery's id (see `deliveries`).
        delivery_id: String,
    },
}

#[derive(Debug, Args)]
pub struct WebhookCreateArgs {
    /// Where deliveries go (https).
    pub url: String,
    /// The event types to send, e.g. `file.accepted,file.rejected`.
    #[arg(long, value_delimiter = ',', required = true, value_name = "TYPES")]
    pub events: Vec<String>,
    /// What it is for (up to 200 characters).
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Debug, Args)]
pub struct WebhookVerifyArgs {
    /// The webhook's secret (`whsec_...`).
    #[arg(long)]
    pub secret: String,
    /// The `webhook-id` header.
    #[arg(long)]
    pub id: String,
    /// The `webhook-timestamp` header (unix seconds).
    #[arg(long, allow_negative_numbers = true)]
    pub timestamp: i64,
    /// The `webhook-signature` header (`v1,...`, several space-separated allowed).
    #[arg(long)]
    pub signature: String,
}

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Reset a forgotten password: a code is mailed to the account's address, then asked for
    /// with the new password. Every session of the account ends.
    Reset(ResetArgs),
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// The account's email; prompted for on a terminal.
    #[arg(long, env = "DROPGATE_EMAIL")]
    pub email: Option<String>,
    /// The mailed code, for a second run without a terminal (no new code is asked for).
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    /// Read the new password from standard input (else $DROPGATE_PASSWORD, else a prompt).
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum TrashCommand {
    /// List the files in your trash, with when each is purged.
    Ls,
    /// Bring a file back from the trash (its old shares stay revoked).
    Restore {
        /// The file's id (see `dropgate trash ls`).
        id: String,
    },
    /// Purge a file from the trash now: its bytes are removed for good.
    Purge {
        /// The file's id (see `dropgate trash ls`).
        id: String,
    },
}

impl Command {
    /// Commands an interruption leaves resumable.
    pub fn uploads(&self) -> bool {
        matches!(self, Command::Put(_) | Command::Drop(_))
    }

    /// Commands whose standard output carries a file's bytes (`get -o -`): nothing else may go
    /// there, not even `--json`'s document.
    pub fn writes_bytes_to_stdout(&self) -> bool {
        matches!(self, Command::Get(a) if a.output.as_deref() == Some(std::path::Path::new("-")))
    }
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The account's email; prompted for on a terminal.
    #[arg(long, env = "DROPGATE_EMAIL")]
    pub email: Option<String>,
    /// Read the password from standard input (else $DROPGATE_PASSWORD, else a prompt).
    #[arg(long, conflicts_with = "token_stdin")]
    pub password_stdin: bool,
    /// Keep an API token (`dgt_...`, the first line of standard input) instead of logging in
    /// with a password.
    #[arg(long)]
    pub token_stdin: bool,
    /// Read the two-factor code, when the account asks for one, from standard input (after the
    /// password's line with `--password-stdin`); else a prompt on a terminal.
    #[arg(long, conflicts_with = "token_stdin")]
    pub totp_stdin: bool,
}

/// What `put` and `drop` share.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Parts sent at once, for files uploaded in parts.
    #[arg(long, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=32))]
    pub parallel: u16,
    /// Declare this content type instead of the one detected from the file's first bytes.
    #[arg(long = "type", value_name = "MIME")]
    pub content_type: Option<String>,
    /// How long to wait for each file's verdict; 0 does not wait.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub wait: u64,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Delete the files on their own at this time: a span from now (30d, 12h, 45m, 2w) or an
    /// RFC 3339 time (default: your account's retention setting, if any).
    #[arg(long, value_name = "WHEN")]
    pub delete_after: Option<String>,
    /// Upload FILE as a new version of this file of yours (one FILE); it becomes current once
    /// accepted.
    #[arg(long, value_name = "ID", conflicts_with = "delete_after")]
    pub version_of: Option<String>,
    #[command(flatten)]
    pub upload: UploadArgs,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The file's id (see `dropgate ls`).
    pub id: String,
    /// Where to save it: a path, a directory, or `-` for stdout; default: the file's name, in
    /// the current directory.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Create an upload link and print its URL (`link ls --json` shows it again).
    Create(LinkCreateArgs),
    /// List your upload links.
    Ls,
    /// Revoke an upload link (files already received stay).
    Revoke {
        /// The link's id (see `dropgate link ls`).
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct LinkCreateArgs {
    /// What the link is for; the uploader sees it.
    pub label: String,
    /// Lifetime in seconds (server default: 3 days).
    #[arg(long, value_name = "SECS")]
    pub expires_in: Option<u64>,
    /// How many files it takes (server default: 10).
    #[arg(long, value_name = "N")]
    pub max_uploads: Option<u64>,
    /// The largest file it takes, in bytes.
    #[arg(long, value_name = "N")]
    pub max_file_bytes: Option<u64>,
    /// The most bytes it takes in all.
    #[arg(long, value_name = "N")]
    pub max_total_bytes: Option<u64>,
    /// The most bytes its uploads may hold reserved and not yet judged, together (server
    /// default: the largest file it takes).
    #[arg(long, value_name = "N")]
    pub max_pending_bytes: Option<u64>,
    /// Allowed content types, comma-separated (e.g. application/pdf,image/png).
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Ask uploaders for their name.
    #[arg(long)]
    pub require_name: bool,
    /// Keep every file received through the link this many days from its drop, then delete
    /// it (1-36500; default: your account's retention setting). Apart from the link's expiry.
    #[arg(long, value_name = "DAYS")]
    pub retain_days: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Share an accepted file and print the share's URL.
    Create(ShareCreateArgs),
    /// List a file's shares, or all your shares.
    Ls {
        /// The file's id (see `dropgate ls`); without it, every share of yours.
        id: Option<String>,
    },
    /// Revoke a share: its URL is refused from then on.
    Revoke {
        /// The share's id (see `dropgate share ls`).
        share_id: String,
    },
    /// Show a share's download log, newest first.
    Log {
        /// The share's id (see `dropgate share ls`).
        share_id: String,
    },
}

#[derive(Debug, Args)]
pub struct ShareCreateArgs {
    /// The accepted file's id (see `dropgate ls`).
    pub id: String,
    /// How many downloads it allows (server default: no limit).
    #[arg(long, value_name = "N")]
    pub max_downloads: Option<u64>,
    /// Lifetime in seconds (server default: 7 days).
    #[arg(long, value_name = "SECS")]
    pub expires_in: Option<u64>,
    /// Read a password for the share from standard input (its first line); the recipient
    /// must give it to download.
    #[arg(long)]
    pub password_stdin: bool,
    /// A note for yourself, shown in `share ls`.
    #[arg(long, value_name = "L")]
    pub label: Option<String>,
    /// Be mailed when the file is downloaded (at most one mail per share per 10 minutes).
    #[arg(long)]
    pub notify: bool,
}

#[derive(Debug, Args)]
pub struct DropArgs {
    /// The upload link, `https://.../d/TOKEN`.
    #[arg(value_name = "URL")]
    pub url: String,
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Your name, for the link's owner.
    #[arg(long)]
    pub name: Option<String>,
    /// Your email, for the link's owner.
    #[arg(long)]
    pub email: Option<String>,
    /// A short note for the link's owner (up to 500 characters; only they see it).
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    #[command(flatten)]
    pub upload: UploadArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_help_lists_sharing() {
        let help = Cli::command().render_help().to_string();
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with("share ") && l.contains("download")),
            "{help}"
        );
        let mut cmd = Cli::command();
        let share = cmd.find_subcommand_mut("share").expect("share");
        let names: Vec<&str> = share.get_subcommands().map(|c| c.get_name()).collect();
        assert_eq!(names, ["create", "ls", "revoke", "log"]);
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli = Cli::try_parse_from(["dropgate", "put", "a", "b", "--json", "--parallel", "8"])
            .unwrap();
        assert!(cli.json);
        let Command::Put(p) = cli.command else {
            panic!("put")
        };
        assert_eq!(p.files.len(), 2);
        assert_eq!(p.upload.parallel, 8);
        assert_eq!(p.upload.wait, 300);
        let cli = Cli::try_parse_from(["dropgate", "link", "create", "Tax", "--types", "a/b,c/d"])
            .unwrap();
        let Command::Link(LinkCommand::Create(c)) = cli.command else {
            panic!("link create")
        };
        assert_eq!(c.types, ["a/b", "c/d"]);
        let cli = Cli::try_parse_from([
            "dropgate",
            "share",
            "create",
            "f1",
            "--max-downloads",
            "3",
            "--password-stdin",
            "--notify",
            "--json",
        ])
        .unwrap();
        let Command::Share(ShareCommand::Create(c)) = cli.command else {
            panic!("share create")
        };
        assert_eq!((c.id.as_str(), c.max_downloads), ("f1", Some(3)));
        assert!(c.password_stdin && c.notify && cli.json);
        assert!(c.expires_in.is_none() && c.label.is_none());
        let cli = Cli::try_parse_from(["dropgate", "share", "ls"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Share(ShareCommand::Ls { id: None })
        ));
        assert!(Cli::try_parse_from(["dropgate", "share", "revoke"]).is_err());
        assert!(Cli::try_parse_from(["dropgate", "share", "log"]).is_err());
        assert!(Cli::try_parse_from(["dropgate", "put"]).is_err());
        assert!(Cli::try_parse_from(["dropgate", "put", "a", "--parallel", "0"]).is_err());
    }
}
