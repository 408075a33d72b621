//! What the two functions' invocations borrow (`Deps` for the api, `AuthDeps` for auth), and
//! the one place they are wired: `Deps::from_ports` builds the services from the ports, for
//! production (`Deps::new`, over the AWS adapters) and for tests (over the in-memory fakes)
//! alike, so that both run the same wiring (one counters table behind every rate limiter).

use std::sync::Arc;
use std::time::Duration;

use dropgate_core::Settings;
use dropgate_core::accounts::{AccountDirectory, Accounts, OwnAccount, Recovery};
use dropgate_core::apikeys::{ApiKeyService, ApiKeyStore};
use dropgate_core::audit::{AuditChain, AuditStore};
use dropgate_core::clock::{Clock, SystemClock};
use dropgate_core::erasure::{Eraser, ErasureStore};
use dropgate_core::files::{FileLookup, FileService, OwnerLedger};
use dropgate_core::holds::{HoldStore, Holds};
use dropgate_core::identity::{Gate, IdTokens};
use dropgate_core::ids::IdSource;
use dropgate_core::links::{DropService, LinkService, LinkStore};
use dropgate_core::mfa::{Totp, TotpDirectory, TotpLogin};
use dropgate_core::multipart::{MultipartStore, Multiparts};
use dropgate_core::notify::Mailer;
use dropgate_core::objects::ObjectStore;
use dropgate_core::profile::{ProfileService, Profiles};
use dropgate_core::ratelimit::{Counters, RateLimiter};
use dropgate_core::review::{Review, ReviewStore};
use dropgate_core::sealing::TokenSealer;
use dropgate_core::shares::{ShareAccess, ShareService, ShareStore};
use dropgate_core::standing::StandingStore;
use dropgate_core::users::{Directory, QuotaLimits, UserAdmin};
use dropgate_core::versions::{VersionLedger, VersionService};
use dropgate_core::webhooks::deliveries::{DeliveryLog, DeliveryQueue};
use dropgate_core::webhooks::{Dispatch, Resolver, WebhookService, WebhookStore};
use dropgate_infra::cognito::CognitoAccounts;
use dropgate_infra::ids::UuidV7Ids;
use dropgate_infra::resolve::SystemResolver;
use dropgate_infra::{Clients, Config, InfraError};

use crate::web::PageHeaders;

/// Everything an invocation borrows; built once per cold start.
#[derive(Clone)]
pub struct Deps {
    pub files: FileService,
    /// A file's versions.
    pub versions: VersionService,
    pub links: LinkService,
    pub drops: DropService,
    pub shares: ShareService,
    pub share_access: ShareAccess,
    pub profiles: ProfileService,
    /// The caller's own account settings (email change).
    pub own: OwnAccount,
    /// The audit log: what admin routes and system events append, and what admins read.
    pub audit: AuditChain,
    /// Who is calling: every non-public route passes it first.
    pub gate: Gate,
    /// The owner's API tokens (the gate checks presented ones through the same service).
    pub api_keys: ApiKeyService,
    /// Accounts, for admins: the directory joined with what each holds; own quotas; the switch.
    pub users: UserAdmin,
    /// The review queue and every link, for admins.
    pub review: Review,
    /// Legal holds on files, for admins.
    pub holds: Holds,
    /// Owners' webhook registrations.
    pub webhooks: WebhookService,
    /// Webhook deliveries: tests, redeliveries, the log.
    pub deliveries: Dispatch,
    /// Whether an account is stopped or signed out everywhere: read on every authenticated
    /// request.
    pub standing: Arc<dyn StandingStore>,
    /// The headers of the web client's pages (their CSP names the upload origin).
    pub pages: PageHeaders,
    /// The owner's second factor (TOTP).
    pub totp: Totp,
    /// Admin routes refuse an admin without TOTP on (`REQUIRE_ADMIN_MFA`; off over the fakes
    /// unless a test turns it on).
    pub require_admin_mfa: bool,
    /// Account erasure, by an admin or by the account itself.
    pub erasure: Eraser,
}

/// Every port the api uses: the AWS adapters in production, the fakes in tests.
#[derive(Clone)]
pub struct Ports {
    pub ledger: Arc<dyn OwnerLedger>,
    /// A file's versions (the ledger in production).
    pub versions: Arc<dyn VersionLedger>,
    pub links: Arc<dyn LinkStore>,
    pub shares: Arc<dyn ShareStore>,
    /// Owners' display names (beside their quota in production).
    pub profiles: Arc<dyn Profiles>,
    pub objects: Arc<dyn ObjectStore>,
    pub multipart: Arc<dyn MultipartStore>,
    /// The one counters table behind every rate limiter: limiters of one scope share counts.
    pub counters: Arc<dyn Counters>,
    /// Seals link and share tokens so their owner can see the URLs again.
    pub sealer: Arc<dyn TokenSealer>,
    /// Where the audit log's chain is kept.
    pub audit: Arc<dyn AuditStore>,
    /// Verifies the user pool's id tokens (the gate's first kind of credential).
    pub id_tokens: Arc<dyn IdTokens>,
    /// API tokens (the gate's second kind).
    pub api_keys: Arc<dyn ApiKeyStore>,
    /// The accounts' directory (the user pool), for the admin routes.
    pub directory: Arc<dyn Directory>,
    /// Users' own quotas (on their quota record in production).
    pub limits: Arc<dyn QuotaLimits>,
    /// Files and links across owners, for the operator's review (the ledger in production).
    pub review: Arc<dyn ReviewStore>,
    /// Legal holds on file records (the ledger in production).
    pub holds: Arc<dyn HoldStore>,
    /// Owners' webhooks, and how their hosts resolve (checked against the address rules).
    pub webhooks: Arc<dyn WebhookStore>,
    pub resolver: Arc<dyn Resolver>,
    /// Webhook deliveries' log, and their queue (tests and redeliveries are enqueued).
    pub deliveries: Arc<dyn DeliveryLog>,
    pub delivery_queue: Arc<dyn DeliveryQueue>,
    /// Accounts' standing (on the owner's record beside the quota, in production).
    pub standing: Arc<dyn StandingStore>,
    /// The user directory (Cognito), for what owners change of their own accounts.
    pub account_directory: Arc<dyn AccountDirectory>,
    /// Owners' second factor (Cognito's software token MFA).
    pub totp: Arc<dyn TotpDirectory>,
    /// What an erasure removes of an account, across its tables.
    pub erasure: Arc<dyn ErasureStore>,
    /// Mails the receipt of an owner's own erasure.
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

/// Share passwords: attempts per share and source address (counted before the verify), and
/// wrong passwords per source address (whatever share), in windows of `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordLimits {
    pub window: Duration,
    pub attempts_per_share_and_source: u64,
    pub failures_per_source: u64,
}

impl Default for PasswordLimits {
    /// Enough for a person who mistypes; a guesser gets a few hundred tries a day at most
    /// against Argon2id.
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            attempts_per_share_and_source: 10,
            failures_per_source: 20,
        }
    }
}

/// The environment variables this function cannot run without.
pub const REQUIRED_ENV: &[&str] = &[
    "BUCKET_NAME",
    "FILES_TABLE",
    "QUOTAS_TABLE",
    "UPLOAD_LOG_TABLE",
    "LINKS_TABLE",
    "RATE_LIMIT_TABLE",
    "SHARES_TABLE",
    "DOWNLOAD_LOG_TABLE",
    "AUDIT_TABLE",
    "WEBHOOKS_TABLE",
    "WEBHOOK_QUEUE_URL",
    "TOKEN_KEY",
    "USER_POOL_ID",
    "USER_POOL_CLIENT_ID",
    "API_KEYS_TABLE",
];

impl Deps {
    pub fn new(config: &Config, clients: &Clients) -> Result<Self, InfraError> {
        config.require(REQUIRED_ENV)?;
        let ledger = clients.ledger(config);
        let store = clients.store(config);
        let ports = Ports {
            ledger: ledger.clone(),
            versions: ledger.clone(),
            links: ledger.clone(),
            limits: ledger.clone(),
            review: ledger.clone(),
            holds: ledger.clone(),
            standing: ledger.clone(),
            profiles: ledger,
            directory: clients.directory(config),
            shares: clients.shares(config),
            objects: store.clone(),
            multipart: store,
            counters: clients.counters(config),
            sealer: clients.sealer(config),
            audit: clients.audit(config),
            id_tokens: clients.id_tokens(config),
            api_keys: clients.api_keys(config),
            webhooks: clients.webhooks(config),
            resolver: Arc::new(SystemResolver),
            deliveries: clients.deliveries(config),
            delivery_queue: clients.delivery_queue(config),
            account_directory: Arc::new(cognito(config, clients)),
            totp: Arc::new(cognito(config, clients)),
            erasure: clients.erasure(config),
            mailer: clients.mailer(config),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
        };
        let mut deps = Self::from_ports(
            ports,
            config.settings.clone(),
            PasswordLimits::default(),
            &clients.upload_origin(config),
        );
        deps.webhooks.allow_loopback = config.allow_loopback_webhooks;
        deps.require_admin_mfa = config.require_admin_mfa.0;
        Ok(deps)
    }

    /// The services over `ports`; `upload_origin` is where clients send the bytes (the pages'
    /// CSP names it).
    pub fn from_ports(
        ports: Ports,
        settings: Settings,
        passwords: PasswordLimits,
        upload_origin: &str,
    ) -> Self {
        let Ports {
            ledger,
            versions,
            links,
            shares,
            profiles,
            objects,
            multipart,
            counters,
            sealer,
            audit,
            id_tokens,
            api_keys,
            directory,
            limits,
            review,
            holds,
            webhooks,
            resolver,
            deliveries,
            delivery_queue,
            standing,
            account_directory,
            totp,
            erasure,
            mailer,
            clock,
            ids,
        } = ports;
        let api_keys = ApiKeyService {
            store: api_keys,
            clock: clock.clone(),
            ids: ids.clone(),
        };
        let gate = Gate {
            id_tokens,
            keys: api_keys.clone(),
            standing: standing.clone(),
            clock: clock.clone(),
        };
        let audit = AuditChain {
            store: audit,
            clock: clock.clone(),
        };
        let dispatch = Dispatch {
            store: webhooks.clone(),
            log: deliveries,
            queue: delivery_queue,
            clock: clock.clone(),
            ids: ids.clone(),
        };
        let webhooks = WebhookService {
            store: webhooks,
            sealer: sealer.clone(),
            resolver,
            clock: clock.clone(),
            ids: ids.clone(),
            max_webhooks: settings.max_webhooks,
            allow_loopback: false,
        };
        let lookup: Arc<dyn FileLookup> = ledger.clone();
        let limiter = |scope: &'static str, limit: u64, window: Duration| RateLimiter {
            counters: counters.clone(),
            clock: clock.clone(),
            scope,
            limit,
            window,
        };
        // One limiter for failed lookups of shares and of drops: guesses of either count
        // together toward the same limit.
        let lookups = limiter(
            "lookup",
            settings.lookup_failure_limit,
            settings.lookup_failure_window,
        );
        let multipart_store = multipart.clone();
        let multipart = Multiparts {
            store: multipart,
            objects: objects.clone(),
            settings: settings.clone(),
        };
        let versions = VersionService {
            files: lookup.clone(),
            versions,
            store: objects.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            multipart: multipart.clone(),
            settings: settings.clone(),
        };
        let files = FileService {
            ledger,
            store: objects.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            multipart: multipart.clone(),
            settings: settings.clone(),
        };
        let link_service = LinkService {
            links: links.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            sealer: sealer.clone(),
            settings: settings.clone(),
        };
        let holds = Holds {
            files: review.clone(),
            store: holds,
            directory: directory.clone(),
            audit: Arc::new(audit.clone()),
            clock: clock.clone(),
        };
        let review = Review {
            store: review,
            directory: directory.clone(),
            objects: objects.clone(),
            multipart: multipart.clone(),
            audit: Arc::new(audit.clone()),
            clock: clock.clone(),
        };
        let eraser = Eraser {
            store: erasure,
            objects: objects.clone(),
            multipart: multipart_store,
            directory: directory.clone(),
            accounts: account_directory.clone(),
            totp: totp.clone(),
            links: links.clone(),
            shares: shares.clone(),
            audit: Arc::new(audit.clone()),
            mailer,
            clock: clock.clone(),
        };
        let users = UserAdmin {
            directory,
            limits,
            links: links.clone(),
            shares: shares.clone(),
            standing: standing.clone(),
            audit: Arc::new(audit.clone()),
            clock: clock.clone(),
            settings: settings.clone(),
        };
        let share_service = ShareService {
            shares: shares.clone(),
            files: lookup.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            sealer,
            settings: settings.clone(),
        };
        let share_access = ShareAccess {
            shares,
            files: lookup.clone(),
            profiles: profiles.clone(),
            store: objects,
            clock: clock.clone(),
            ids: ids.clone(),
            lookups: lookups.clone(),
            per_share: limiter(
                "password-share",
                passwords.attempts_per_share_and_source,
                passwords.window,
            ),
            per_source: limiter(
                "password-source",
                passwords.failures_per_source,
                passwords.window,
            ),
            audit: Arc::new(audit.clone()),
            standing: standing.clone(),
            settings: settings.clone(),
        };
        let own = OwnAccount {
            directory: account_directory,
            standing: standing.clone(),
            clock: clock.clone(),
        };
        let drops = DropService {
            links,
            ledger: lookup,
            multipart,
            clock,
            ids,
            limiter: lookups,
            profiles: profiles.clone(),
            standing: standing.clone(),
            settings,
        };
        Self {
            files,
            versions,
            links: link_service,
            drops,
            shares: share_service,
            share_access,
            profiles: ProfileService { profiles },
            own,
            audit,
            gate,
            api_keys,
            users,
            review,
            holds,
            webhooks,
            deliveries: dispatch,
            standing,
            pages: PageHeaders::new(upload_origin),
            totp: Totp { directory: totp },
            require_admin_mfa: false,
            erasure: eraser,
        }
    }
}

/// What the `auth` function's invocations borrow; built once per cold start.
#[derive(Clone)]
pub struct AuthDeps {
    pub accounts: Arc<dyn Accounts>,
    /// Reset, sign-up without enumeration, sign-out everywhere after a reset.
    pub recovery: Recovery,
    /// Login, with its second step when the account has TOTP on.
    pub login: TotpLogin,
}

/// The environment variables the `auth` function cannot run without.
pub const AUTH_REQUIRED_ENV: &[&str] = &[
    "USER_POOL_ID",
    "USER_POOL_CLIENT_ID",
    "QUOTAS_TABLE",
    "MAIL_SENDER",
];

impl AuthDeps {
    pub fn new(config: &Config, clients: &Clients) -> Result<Self, InfraError> {
        config.require(AUTH_REQUIRED_ENV)?;
        let cognito = Arc::new(cognito(config, clients));
        Ok(Self::from_ports(
            cognito.clone(),
            cognito.clone(),
            cognito,
            clients.ledger(config),
            clients.mailer(config),
            Arc::new(SystemClock),
        ))
    }

    /// The auth function over `accounts` and the rest of its ports (fakes in tests).
    pub fn from_ports(
        accounts: Arc<dyn Accounts>,
        account_directory: Arc<dyn AccountDirectory>,
        totp: Arc<dyn TotpDirectory>,
        standing: Arc<dyn StandingStore>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            login: TotpLogin {
                accounts: accounts.clone(),
                totp,
                clock: clock.clone(),
            },
            recovery: Recovery {
                accounts: accounts.clone(),
                directory: account_directory,
                standing,
                mailer,
                clock,
            },
            accounts,
        }
    }
}

fn cognito(config: &Config, clients: &Clients) -> CognitoAccounts {
    CognitoAccounts {
        client: clients.cognito_lazy(),
        user_pool_id: config.user_pool_id.clone(),
        client_id: config.user_pool_client_id.clone(),
        auto_confirm: config.auto_confirm_signup,
    }
}
