//! Configuration from the environment (see docs/RESOURCES.md for every variable).

use std::time::Duration;

use dropgate_core::Settings;
use dropgate_core::settings::{TypePolicy, UnscannablePolicy};

use crate::InfraError;
use crate::webhook_settings::scale;
pub use crate::webhook_settings::{BackoffScale, DisableAfter, MaxInFlight};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub bucket: String,
    pub files_table: String,
    pub quotas_table: String,
    pub upload_log_table: String,
    /// Upload links and the receipts of files dropped through them.
    pub links_table: String,
    /// Fixed-window counters of failed public lookups (rate limiting).
    pub rate_limit_table: String,
    /// Share links, and the log of their downloads.
    pub shares_table: String,
    pub download_log_table: String,
    /// The audit log's chain (append-only) and its head.
    pub audit_table: String,
    /// API tokens, keyed by their secret's hash.
    pub api_keys_table: String,
    /// Owners' webhook registrations (and, later, their delivery logs).
    pub webhooks_table: String,
    /// Webhooks may be `http://127.0.0.1:<port>/` (the local stack's
    /// `--allow-loopback-webhooks`; never read from the environment).
    pub allow_loopback_webhooks: bool,
    /// The webhook deliveries' queue (`WEBHOOK_QUEUE_URL`).
    pub webhook_queue_url: String,
    /// `WEBHOOK_BACKOFF_SCALE`: multiplies the retry ladder (default 1).
    pub webhook_backoff_scale: BackoffScale,
    /// `WEBHOOK_DISABLE_AFTER`: failed attempts in a row that pause a webhook (default 50).
    pub webhook_disable_after: DisableAfter,
    /// `WEBHOOK_MAX_IN_FLIGHT`: one webhook's attempts in flight at most (default 2, 0: no
    /// cap, at most 10).
    pub webhook_max_in_flight: MaxInFlight,
    /// Days an audit entry is kept before its TTL lets DynamoDB remove it.
    pub audit_retention_days: RetentionDays,
    pub topic_arn: String,
    /// The integrators' event bus (EventBridge), by name.
    pub event_bus_name: String,
    pub user_pool_id: String,
    pub user_pool_client_id: String,
    pub mail_sender: String,
    /// The KMS key that seals link and share tokens, so their owner can see the URLs again.
    pub token_key: String,
    /// Sign-up confirms the user at once (the local stack only).
    pub auto_confirm_signup: bool,
    /// Admin routes refuse an admin without TOTP on (`REQUIRE_ADMIN_MFA`, on unless it says
    /// `false`: a typo keeps the requirement).
    pub require_admin_mfa: AdminMfa,
    /// Path-style S3 addressing (the emulator only).
    pub s3_force_path_style: bool,
    pub settings: Settings,
}

/// How long audit entries are kept by default: a year and the month an audit takes.
pub const AUDIT_RETENTION_DAYS: u64 = 400;

/// Whether admins must use TOTP; its own type so that `Config::default()` holds the real
/// default (required).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminMfa(pub bool);

impl Default for AdminMfa {
    fn default() -> Self {
        Self(true)
    }
}

/// Days of audit retention; its own type so that `Config::default()` holds the real default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDays(pub u32);

impl Default for RetentionDays {
    fn default() -> Self {
        Self(AUDIT_RETENTION_DAYS as u32)
    }
}

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

fn opt(env: Env<'_>, name: &str) -> String {
    env(name).unwrap_or_default()
}

fn num(env: Env<'_>, name: &'static str, default: u64) -> Result<u64, InfraError> {
    match env(name) {
        None => Ok(default),
        Some(v) if v.trim().is_empty() => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| InfraError::BadEnv {
            name,
            why: format!("{v:?} is not a non-negative integer"),
        }),
    }
}

/// One of `choices` (case and surrounding spaces aside), `default` when unset or empty; anything
/// else is an error naming the variable: a switch that decides what is served never guesses.
fn choice<T: Copy>(
    env: Env<'_>,
    name: &'static str,
    choices: &[(&str, T)],
    default: T,
) -> Result<T, InfraError> {
    let Some(raw) = env(name).filter(|v| !v.trim().is_empty()) else {
        return Ok(default);
    };
    let v = raw.trim().to_ascii_lowercase();
    choices
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, t)| *t)
        .ok_or_else(|| InfraError::BadEnv {
            name,
            why: format!(
                "{raw:?} is not one of {}",
                choices
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

const SCANNING: &[(&str, bool)] = &[("on", true), ("off", false)];
const UNSCANNABLE: &[(&str, UnscannablePolicy)] = &[
    ("reject", UnscannablePolicy::Reject),
    ("hold", UnscannablePolicy::Hold),
];

/// The value `choices` spells `v` with.
fn spelled<T: PartialEq>(choices: &[(&'static str, T)], v: &T) -> &'static str {
    choices.iter().find(|(_, t)| t == v).map_or("", |(k, _)| k)
}

/// The malware protection plan whose results count: an ARN or nothing.
fn plan_arn(env: Env<'_>) -> Result<Option<String>, InfraError> {
    match env("SCAN_PLAN_ARN").map(|v| v.trim().to_owned()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.starts_with("arn:") => Ok(Some(v)),
        Some(v) => Err(InfraError::BadEnv {
            name: "SCAN_PLAN_ARN",
            why: format!("{v:?} is not an ARN"),
        }),
    }
}

fn flag(env: Env<'_>, name: &str) -> bool {
    matches!(
        env(name).as_deref().map(str::trim),
        Some("true" | "1" | "yes")
    )
}

impl Config {
    pub fn from_env() -> Result<Self, InfraError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// Reads every variable through `env`; a variable a function does not use may be unset.
    pub fn from_lookup(env: Env<'_>) -> Result<Self, InfraError> {
        let d = Settings::default();
        // Unset, empty or `all_but_active_content`: every type but active content.
        let allowed_types = TypePolicy::from_env(env("ALLOWED_TYPES").as_deref());
        let settings = Settings {
            max_file_size: num(env, "MAX_FILE_BYTES", d.max_file_size)?,
            quota_bytes: num(env, "QUOTA_BYTES", d.quota_bytes)?,
            allowed_types,
            upload_url_ttl: Duration::from_secs(num(
                env,
                "UPLOAD_URL_TTL_SECS",
                d.upload_url_ttl.as_secs(),
            )?),
            download_url_ttl: Duration::from_secs(num(
                env,
                "DOWNLOAD_URL_TTL_SECS",
                d.download_url_ttl.as_secs(),
            )?),
            pending_grace: Duration::from_secs(num(
                env,
                "PENDING_GRACE_SECS",
                d.pending_grace.as_secs(),
            )?),
            public_base_url: env("PUBLIC_BASE_URL")
                .filter(|v| !v.trim().is_empty())
                .unwrap_or(d.public_base_url.clone()),
            max_link_ttl: Duration::from_secs(num(
                env,
                "MAX_LINK_TTL_SECS",
                d.max_link_ttl.as_secs(),
            )?),
            lookup_failure_limit: num(env, "LOOKUP_FAILURE_LIMIT", d.lookup_failure_limit)?,
            pending_shards: u32::try_from(num(env, "PENDING_SHARDS", u64::from(d.pending_shards))?)
                .unwrap_or(u32::MAX),
            lookup_failure_window: Duration::from_secs(num(
                env,
                "LOOKUP_FAILURE_WINDOW_SECS",
                d.lookup_failure_window.as_secs(),
            )?),
            max_share_ttl: Duration::from_secs(num(
                env,
                "MAX_SHARE_TTL_SECS",
                d.max_share_ttl.as_secs(),
            )?),
            log_downloader_ip: flag(env, "LOG_DOWNLOADER_IP"),
            single_put_max_bytes: num(env, "SINGLE_PUT_MAX_BYTES", d.single_put_max_bytes)?,
            multipart_upload_ttl: Duration::from_secs(num(
                env,
                "MULTIPART_UPLOAD_TTL_SECS",
                d.multipart_upload_ttl.as_secs(),
            )?),
            download_log_retention_days: u32::try_from(num(
                env,
                "DOWNLOAD_LOG_RETENTION_DAYS",
                u64::from(d.download_log_retention_days),
            )?)
            .unwrap_or(u32::MAX),
            share_max_failures: u32::try_from(num(
                env,
                "SHARE_MAX_FAILURES",
                u64::from(d.share_max_failures),
            )?)
            .unwrap_or(u32::MAX),
            share_lockout: Duration::from_secs(num(
                env,
                "SHARE_LOCKOUT_SECS",
                d.share_lockout.as_secs(),
            )?),
            drop_idle: Duration::from_secs(num(env, "DROP_IDLE_SECS", d.drop_idle.as_secs())?),
            link_givebacks: u32::try_from(num(env, "LINK_GIVEBACKS", u64::from(d.link_givebacks))?)
                .unwrap_or(u32::MAX),
            malware_scanning: choice(env, "MALWARE_SCANNING", SCANNING, d.malware_scanning)?,
            scan_plan_arn: plan_arn(env)?,
            scan_timeout: Duration::from_secs(num(
                env,
                "SCAN_TIMEOUT_SECS",
                d.scan_timeout.as_secs(),
            )?),
            unscannable_policy: choice(
                env,
                "UNSCANNABLE_POLICY",
                UNSCANNABLE,
                d.unscannable_policy,
            )?,
            trash_days: u32::try_from(num(env, "TRASH_DAYS", u64::from(d.trash_days))?)
                .unwrap_or(u32::MAX),
            max_webhooks: u32::try_from(num(env, "MAX_WEBHOOKS", u64::from(d.max_webhooks))?)
                .unwrap_or(u32::MAX),
            max_versions: u32::try_from(num(env, "MAX_VERSIONS", u64::from(d.max_versions))?)
                .unwrap_or(u32::MAX),
            retention_notice_days: u32::try_from(num(
                env,
                "RETENTION_NOTICE_DAYS",
                u64::from(d.retention_notice_days),
            )?)
            .unwrap_or(u32::MAX),
        }
        .clamped();
        Ok(Self {
            bucket: opt(env, "BUCKET_NAME"),
            files_table: opt(env, "FILES_TABLE"),
            quotas_table: opt(env, "QUOTAS_TABLE"),
            upload_log_table: opt(env, "UPLOAD_LOG_TABLE"),
            links_table: opt(env, "LINKS_TABLE"),
            rate_limit_table: opt(env, "RATE_LIMIT_TABLE"),
            shares_table: opt(env, "SHARES_TABLE"),
            download_log_table: opt(env, "DOWNLOAD_LOG_TABLE"),
            audit_table: opt(env, "AUDIT_TABLE"),
            api_keys_table: opt(env, "API_KEYS_TABLE"),
            webhooks_table: opt(env, "WEBHOOKS_TABLE"),
            allow_loopback_webhooks: false,
            webhook_queue_url: opt(env, "WEBHOOK_QUEUE_URL"),
            webhook_backoff_scale: BackoffScale(scale(env, "WEBHOOK_BACKOFF_SCALE")?),
            webhook_disable_after: DisableAfter(
                u32::try_from(num(
                    env,
                    "WEBHOOK_DISABLE_AFTER",
                    u64::from(DisableAfter::default().0),
                )?)
                .unwrap_or(u32::MAX)
                .max(1),
            ),
            webhook_max_in_flight: MaxInFlight::from_env(num(
                env,
                "WEBHOOK_MAX_IN_FLIGHT",
                u64::from(MaxInFlight::default().0),
            )?)?,
            audit_retention_days: RetentionDays(
                u32::try_from(num(env, "AUDIT_RETENTION_DAYS", AUDIT_RETENTION_DAYS)?)
                    .unwrap_or(u32::MAX)
                    .clamp(1, 36_500),
            ),
            topic_arn: opt(env, "TOPIC_ARN"),
            event_bus_name: opt(env, "EVENT_BUS_NAME"),
            user_pool_id: opt(env, "USER_POOL_ID"),
            user_pool_client_id: opt(env, "USER_POOL_CLIENT_ID"),
            mail_sender: opt(env, "MAIL_SENDER"),
            token_key: opt(env, "TOKEN_KEY"),
            auto_confirm_signup: flag(env, "AUTO_CONFIRM_SIGNUP"),
            require_admin_mfa: AdminMfa(!matches!(
                env("REQUIRE_ADMIN_MFA").as_deref().map(str::trim),
                Some("false" | "0" | "no")
            )),
            s3_force_path_style: flag(env, "S3_FORCE_PATH_STYLE"),
            settings,
        })
    }

    /// Fails early, at cold start, when a variable this function needs is missing, or when
    /// `names` holds one this configuration does not know (a misspelling would pass otherwise).
    /// `SCAN_PLAN_ARN` is needed only while scanning is on: without it no scan result could
    /// count, and files would wait for a verdict that never comes.
    pub fn require(&self, names: &[&'static str]) -> Result<(), InfraError> {
        for &n in names {
            let v = match n {
                "SCAN_PLAN_ARN" => match &self.settings.scan_plan_arn {
                    Some(arn) => arn,
                    None if !self.settings.malware_scanning => continue,
                    None => return Err(InfraError::MissingEnv(n)),
                },
                "BUCKET_NAME" => &self.bucket,
                "FILES_TABLE" => &self.files_table,
                "QUOTAS_TABLE" => &self.quotas_table,
                "UPLOAD_LOG_TABLE" => &self.upload_log_table,
                "LINKS_TABLE" => &self.links_table,
                "RATE_LIMIT_TABLE" => &self.rate_limit_table,
                "SHARES_TABLE" => &self.shares_table,
                "DOWNLOAD_LOG_TABLE" => &self.download_log_table,
                "AUDIT_TABLE" => &self.audit_table,
                "API_KEYS_TABLE" => &self.api_keys_table,
                "WEBHOOKS_TABLE" => &self.webhooks_table,
                "WEBHOOK_QUEUE_URL" => &self.webhook_queue_url,
                "TOPIC_ARN" => &self.topic_arn,
                "EVENT_BUS_NAME" => &self.event_bus_name,
                "USER_POOL_ID" => &self.user_pool_id,
                "USER_POOL_CLIENT_ID" => &self.user_pool_client_id,
                "MAIL_SENDER" => &self.mail_sender,
                "TOKEN_KEY" => &self.token_key,
                _ => return Err(InfraError::UnknownEnv(n)),
            };
            if v.is_empty() {
                return Err(InfraError::MissingEnv(n));
            }
        }
        Ok(())
    }

    /// The variables as the local stack sets them for a function, so that the same
    /// `from_lookup` reads them.
    pub fn to_env(&self) -> Vec<(&'static str, String)> {
        let s = &self.settings;
        vec![
            ("BUCKET_NAME", self.bucket.clone()),
            ("FILES_TABLE", self.files_table.clone()),
            ("QUOTAS_TABLE", self.quotas_table.clone()),
            ("UPLOAD_LOG_TABLE", self.upload_log_table.clone()),
            ("LINKS_TABLE", self.links_table.clone()),
            ("RATE_LIMIT_TABLE", self.rate_limit_table.clone()),
            ("SHARES_TABLE", self.shares_table.clone()),
            ("DOWNLOAD_LOG_TABLE", self.download_log_table.clone()),
            ("AUDIT_TABLE", self.audit_table.clone()),
            ("API_KEYS_TABLE", self.api_keys_table.clone()),
            ("WEBHOOKS_TABLE", self.webhooks_table.clone()),
            ("WEBHOOK_QUEUE_URL", self.webhook_queue_url.clone()),
            (
                "WEBHOOK_BACKOFF_SCALE",
                self.webhook_backoff_scale.0.to_string(),
            ),
            (
                "WEBHOOK_DISABLE_AFTER",
                self.webhook_disable_after.0.to_string(),
            ),
            (
                "WEBHOOK_MAX_IN_FLIGHT",
                self.webhook_max_in_flight.0.to_string(),
            ),
            (
                "AUDIT_RETENTION_DAYS",
                self.audit_retention_days.0.to_string(),
            ),
            ("TOPIC_ARN", self.topic_arn.clone()),
            ("EVENT_BUS_NAME", self.event_bus_name.clone()),
            ("USER_POOL_ID", self.user_pool_id.clone()),
            ("USER_POOL_CLIENT_ID", self.user_pool_client_id.clone()),
            ("MAIL_SENDER", self.mail_sender.clone()),
            ("TOKEN_KEY", self.token_key.clone()),
            ("MAX_FILE_BYTES", s.max_file_size.to_string()),
            ("QUOTA_BYTES", s.quota_bytes.to_string()),
            ("ALLOWED_TYPES", s.allowed_types.to_env()),
            (
                "UPLOAD_URL_TTL_SECS",
                s.upload_url_ttl.as_secs().to_string(),
            ),
            (
                "DOWNLOAD_URL_TTL_SECS",
                s.download_url_ttl.as_secs().to_string(),
            ),
            ("PENDING_GRACE_SECS", s.pending_grace.as_secs().to_string()),
            ("PUBLIC_BASE_URL", s.public_base_url.clone()),
            ("MAX_LINK_TTL_SECS", s.max_link_ttl.as_secs().to_string()),
            ("LOOKUP_FAILURE_LIMIT", s.lookup_failure_limit.to_string()),
            ("PENDING_SHARDS", s.pending_shards.to_string()),
            (
                "LOOKUP_FAILURE_WINDOW_SECS",
                s.lookup_failure_window.as_secs().to_string(),
            ),
            ("MAX_SHARE_TTL_SECS", s.max_share_ttl.as_secs().to_string()),
            ("SINGLE_PUT_MAX_BYTES", s.single_put_max_bytes.to_string()),
            (
                "MULTIPART_UPLOAD_TTL_SECS",
                s.multipart_upload_ttl.as_secs().to_string(),
            ),
            ("LOG_DOWNLOADER_IP", s.log_downloader_ip.to_string()),
            ("DROP_IDLE_SECS", s.drop_idle.as_secs().to_string()),
            ("LINK_GIVEBACKS", s.link_givebacks.to_string()),
            (
                "DOWNLOAD_LOG_RETENTION_DAYS",
                s.download_log_retention_days.to_string(),
            ),
            ("SHARE_MAX_FAILURES", s.share_max_failures.to_string()),
            ("SHARE_LOCKOUT_SECS", s.share_lockout.as_secs().to_string()),
            (
                "MALWARE_SCANNING",
                spelled(SCANNING, &s.malware_scanning).to_owned(),
            ),
            ("SCAN_PLAN_ARN", s.scan_plan_arn.clone().unwrap_or_default()),
            ("SCAN_TIMEOUT_SECS", s.scan_timeout.as_secs().to_string()),
            (
                "UNSCANNABLE_POLICY",
                spelled(UNSCANNABLE, &s.unscannable_policy).to_owned(),
            ),
            ("TRASH_DAYS", s.trash_days.to_string()),
            ("MAX_WEBHOOKS", s.max_webhooks.to_string()),
            ("MAX_VERSIONS", s.max_versions.to_string()),
            ("RETENTION_NOTICE_DAYS", s.retention_notice_days.to_string()),
            ("AUTO_CONFIRM_SIGNUP", self.auto_confirm_signup.to_string()),
            ("S3_FORCE_PATH_STYLE", self.s3_force_path_style.to_string()),
            ("REQUIRE_ADMIN_MFA", self.require_admin_mfa.0.to_string()),
        ]
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
