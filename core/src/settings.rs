//! The knobs of the domain. Loaded from the environment by `dropgate-infra`; plain data here.

use std::time::Duration;

pub use crate::allowed::TypePolicy;

/// Presigned URLs never live longer than this, whatever the configuration says.
pub const MAX_URL_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Largest single file, in bytes.
    pub max_file_size: u64,
    /// Every owner's quota, in bytes (used + reserved never exceeds it).
    pub quota_bytes: u64,
    /// Content types a client may declare and the pipeline may accept: every type but active
    /// content, or the list `ALLOWED_TYPES` narrows it to (normalized, lowercase).
    pub allowed_types: TypePolicy,
    /// Lifetime of a presigned upload URL (clamped to [`MAX_URL_TTL`]).
    pub upload_url_ttl: Duration,
    /// Lifetime of a presigned download URL (clamped to [`MAX_URL_TTL`]).
    pub download_url_ttl: Duration,
    /// How long after its upload URL expired a pending file is given before the janitor expires it.
    pub pending_grace: Duration,
    /// Where people reach Dropgate's pages: an upload link's URL is `{public_base_url}/d/{token}`.
    pub public_base_url: String,
    /// The longest an upload link may live.
    pub max_link_ttl: Duration,
    /// Failed public lookups (unknown, expired or revoked tokens and receipts) one source IP may
    /// make per window before it is answered 429.
    pub lookup_failure_limit: u64,
    pub lookup_failure_window: Duration,
    /// Partitions of the pending-files index (see [`crate::keys::pending_shard`]).
    pub pending_shards: u32,
    /// The longest a share may live.
    pub max_share_ttl: Duration,
    /// Whether the download log keeps downloaders' source addresses (off: a privacy default).
    pub log_downloader_ip: bool,
    /// How long a download-log entry that holds an address is kept.
    pub download_log_retention_days: u32,
    /// Files above this size upload in parts (see [`crate::multipart`]); at most 5 GiB.
    pub single_put_max_bytes: u64,
    /// How long a multipart upload may take, resumes included (1 hour to 7 days).
    pub multipart_upload_ttl: Duration,
    /// Wrong passwords for one share, from every address together, that lock it (at least 1).
    pub share_max_failures: u32,
    /// How long a locked share refuses every password attempt (1 second to ten years).
    pub share_lockout: Duration,
    /// How long a drop through an upload link may stay silent before the janitor releases its
    /// reservation (see [`crate::links::idle`]); 1 s to 1 day.
    pub drop_idle: Duration,
    /// How many times one link gives a use back for an upload that expired without bytes
    /// (0 to 1000); after that, expiries keep the use.
    pub link_givebacks: u32,
    /// Whether a file needs a clean malware scan of its bytes to be accepted (env
    /// `MALWARE_SCANNING=on|off`, default on). Off: the type verdict alone accepts.
    pub malware_scanning: bool,
    /// The malware protection plan whose results count (env `SCAN_PLAN_ARN`); required when
    /// scanning is on: without it no result applies and files end `scan_timeout`.
    pub scan_plan_arn: Option<String>,
    /// How long a file may stay `scanning` before the janitor rejects it `scan_timeout` (env
    /// `SCAN_TIMEOUT_SECS`, 1 s to 1 day).
    pub scan_timeout: Duration,
    /// What a result the scanner could not judge does (env `UNSCANNABLE_POLICY=reject|hold`).
    pub unscannable_policy: UnscannablePolicy,
    /// How many days a deleted accepted file stays in the trash before it is purged (env
    /// `TRASH_DAYS`, default 7, at most 3650); 0 deletes at once.
    pub trash_days: u32,
    /// How many webhooks an owner may register (env `MAX_WEBHOOKS`, default 10, 1 to 100).
    pub max_webhooks: u32,
    /// How many accepted versions of one file are kept (env `MAX_VERSIONS`, default 10, 1 to
    /// 40): past it the oldest that is not current is removed when a new one is accepted.
    pub max_versions: u32,
    /// How many days before retention deletes a file its owner is reminded (env
    /// `RETENTION_NOTICE_DAYS`, default 3, 0 to 365; 0: no file reminders).
    pub retention_notice_days: u32,
}

/// What happens to a file the scanner cannot judge (an encrypted archive, too large).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnscannablePolicy {
    /// Rejected `scan_unsupported`.
    #[default]
    Reject,
    /// `held` for an operator to release or delete.
    Hold,
}

impl UnscannablePolicy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reject" => Some(Self::Reject),
            "hold" => Some(Self::Hold),
            _ => None,
        }
    }
}

pub const MIN_MULTIPART_TTL: Duration = Duration::from_secs(3600);
pub const MAX_MULTIPART_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub const DEFAULT_DROP_IDLE: Duration = Duration::from_secs(900);
pub const MAX_DROP_IDLE: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_LINK_GIVEBACKS: u32 = 3;
/// As many give-backs as a link may have uses: more would change nothing a holder can do.
pub const MAX_LINK_GIVEBACKS: u32 = 1000;

/// A deployment's trash keeps a deleted file this many days unless `TRASH_DAYS` says otherwise.
pub const DEFAULT_TRASH_DAYS: u32 = 7;
pub const MAX_TRASH_DAYS: u32 = 3650;

pub const DEFAULT_SCAN_TIMEOUT: Duration = Duration::from_secs(900);
pub const MAX_SCAN_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// The janitor queries every shard on each run: more than this costs more than it spreads.
pub const MAX_PENDING_SHARDS: u32 = 256;

const TEN_YEARS_SECS: u64 = 10 * 365 * 24 * 3600;

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_file_size: 50 << 30,
            quota_bytes: 5 << 30,
            allowed_types: TypePolicy::AllButActiveContent,
            upload_url_ttl: MAX_URL_TTL,
            download_url_ttl: Duration::from_secs(5 * 60),
            pending_grace: Duration::from_secs(5 * 60),
            public_base_url: "http://127.0.0.1:3000".to_owned(),
            max_link_ttl: Duration::from_secs(30 * 24 * 3600),
            // Tokens have 256 bits: no rate makes guessing work. The limit only slows scanners,
            // so a short window keeps an office behind one NAT from being locked out for long.
            lookup_failure_limit: 30,
            lookup_failure_window: Duration::from_secs(60),
            pending_shards: 16,
            max_share_ttl: Duration::from_secs(30 * 24 * 3600),
            log_downloader_ip: false,
            download_log_retention_days: 30,
            single_put_max_bytes: 100 << 20,
            multipart_upload_ttl: Duration::from_secs(24 * 3600),
            share_max_failures: 50,
            share_lockout: Duration::from_secs(3600),
            drop_idle: DEFAULT_DROP_IDLE,
            link_givebacks: DEFAULT_LINK_GIVEBACKS,
            malware_scanning: true,
            scan_plan_arn: None,
            scan_timeout: DEFAULT_SCAN_TIMEOUT,
            unscannable_policy: UnscannablePolicy::Reject,
            trash_days: DEFAULT_TRASH_DAYS,
            max_webhooks: crate::webhooks::DEFAULT_MAX_WEBHOOKS,
            max_versions: crate::versions::DEFAULT_MAX_VERSIONS,
            retention_notice_days: crate::reminders::DEFAULT_RETENTION_NOTICE_DAYS,
        }
    }
}

impl Settings {
    /// Applies the hard limits that no configuration may loosen.
    /// Scanning off: the type verdict alone accepts (tests about types, and `MALWARE_SCANNING=off`).
    pub fn without_scanning(self) -> Self {
        Self {
            malware_scanning: false,
            ..self
        }
    }

    pub fn clamped(mut self) -> Self {
        self.upload_url_ttl = self.upload_url_ttl.min(MAX_URL_TTL);
        self.download_url_ttl = self.download_url_ttl.min(MAX_URL_TTL);
        self.public_base_url = self.public_base_url.trim_end_matches('/').to_owned();
        self.lookup_failure_window = self.lookup_failure_window.max(Duration::from_secs(1));
        self.pending_shards = self.pending_shards.clamp(1, MAX_PENDING_SHARDS);
        // Ten years at most: beyond, dates overflow and nothing is gained.
        let ten_years = Duration::from_secs(TEN_YEARS_SECS);
        self.max_share_ttl = self.max_share_ttl.clamp(Duration::from_secs(1), ten_years);
        self.max_link_ttl = self.max_link_ttl.clamp(Duration::from_secs(1), ten_years);
        self.pending_grace = self.pending_grace.min(ten_years);
        self.share_max_failures = self.share_max_failures.max(1);
        self.share_lockout = self.share_lockout.clamp(Duration::from_secs(1), ten_years);
        self.lookup_failure_window = self.lookup_failure_window.min(ten_years);
        self.download_log_retention_days = self.download_log_retention_days.clamp(1, 3650);
        self.max_file_size = self.max_file_size.min(crate::multipart::MAX_OBJECT_BYTES);
        self.single_put_max_bytes = self
            .single_put_max_bytes
            .min(crate::multipart::MAX_SINGLE_PUT_BYTES);
        self.multipart_upload_ttl = self
            .multipart_upload_ttl
            .clamp(MIN_MULTIPART_TTL, MAX_MULTIPART_TTL);
        self.drop_idle = self.drop_idle.clamp(Duration::from_secs(1), MAX_DROP_IDLE);
        self.link_givebacks = self.link_givebacks.min(MAX_LINK_GIVEBACKS);
        self.trash_days = self.trash_days.min(MAX_TRASH_DAYS);
        self.retention_notice_days = self
            .retention_notice_days
            .min(crate::reminders::MAX_RETENTION_NOTICE_DAYS);
        self.max_webhooks = self.max_webhooks.clamp(1, 100);
        self.max_versions = self
            .max_versions
            .clamp(1, crate::versions::MAX_MAX_VERSIONS);
        self.scan_timeout = self
            .scan_timeout
            .clamp(Duration::from_secs(1), MAX_SCAN_TIMEOUT);
        self.scan_plan_arn = self
            .scan_plan_arn
            .take()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        if let TypePolicy::Only(list) = &self.allowed_types {
            self.allowed_types = TypePolicy::only(list);
        }
        self
    }
}
