//! The HTTP API (API Gateway HTTP API, payload v2): decode, call `dropgate-core`, encode.
//! The JWT is verified before this code runs (API Gateway's authorizer in AWS, the local
//! stack's identical check locally); the handler reads the verified claims.
//!
//! Two functions serve it, one route table: the `auth` function answers the five `/auth/*`
//! routes (`handle_auth`, Cognito only), the `api` function every other route (`handle`,
//! DynamoDB and S3). Neither links the other's SDK clients or holds the other's permissions.

mod http;
mod routes;
pub mod web;

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use dropgate_core::accounts::Accounts;
use dropgate_core::clock::{Clock, SystemClock};
use dropgate_core::files::FileService;
use dropgate_core::ids::IdSource;
use dropgate_core::links::{DropService, LinkService};
use dropgate_core::multipart::Multiparts;
use dropgate_core::ratelimit::RateLimiter;
use dropgate_core::shares::{ShareAccess, ShareService};
use dropgate_infra::cognito::CognitoAccounts;
use dropgate_infra::ids::UuidV7Ids;
use dropgate_infra::{Clients, Config, InfraError};

pub use http::MAX_BODY_BYTES;
pub use routes::{ROUTES, Route, is_auth_path, needs_token};

/// Everything an invocation borrows; built once per cold start.
#[derive(Clone)]
pub struct Deps {
    pub files: FileService,
    pub links: LinkService,
    pub drops: DropService,
    pub shares: ShareService,
    pub share_access: ShareAccess,
    /// The headers of the web client's pages (their CSP names the upload origin).
    pub pages: web::PageHeaders,
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
];

/// Share passwords: attempts per share and source address (counted before the verify), and
/// wrong passwords per source address (whatever share), in windows of this long. Enough for a
/// person who mistypes; a guesser gets a few hundred tries a day at most against Argon2id.
const PASSWORD_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);
const PASSWORD_ATTEMPTS_PER_SHARE_AND_SOURCE: u64 = 10;
const PASSWORD_FAILURES_PER_SOURCE: u64 = 20;

impl Deps {
    pub fn new(config: &Config, clients: &Clients) -> Result<Self, InfraError> {
        config.require(REQUIRED_ENV)?;
        let ledger = clients.ledger(config);
        let store = clients.store(config);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let ids: Arc<dyn IdSource> = Arc::new(UuidV7Ids);
        let settings = config.settings.clone();
        let multipart = Multiparts {
            store: store.clone(),
            objects: store.clone(),
            settings: settings.clone(),
        };
        let files = FileService {
            ledger: ledger.clone(),
            store: store.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            multipart: multipart.clone(),
            settings: settings.clone(),
        };
        let links = LinkService {
            links: ledger.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            settings: settings.clone(),
        };
        let shares_store = clients.shares(config);
        let counters = clients.counters(config);
        let limiter = |scope: &'static str, limit: u64, window: std::time::Duration| RateLimiter {
            counters: counters.clone(),
            clock: clock.clone(),
            scope,
            limit,
            window,
        };
        let shares = ShareService {
            shares: shares_store.clone(),
            files: ledger.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            settings: settings.clone(),
        };
        let share_access = ShareAccess {
            shares: shares_store,
            files: ledger.clone(),
            store: store.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            lookups: limiter(
                "lookup",
                settings.lookup_failure_limit,
                settings.lookup_failure_window,
            ),
            per_share: limiter(
                "password-share",
                PASSWORD_ATTEMPTS_PER_SHARE_AND_SOURCE,
                PASSWORD_WINDOW,
            ),
            per_source: limiter(
                "password-source",
                PASSWORD_FAILURES_PER_SOURCE,
                PASSWORD_WINDOW,
            ),
            settings: settings.clone(),
        };
        let drops = DropService {
            links: ledger.clone(),
            ledger,
            multipart,
            clock: clock.clone(),
            ids,
            limiter: limiter(
                "lookup",
                settings.lookup_failure_limit,
                settings.lookup_failure_window,
            ),
            settings,
        };
        Ok(Self {
            files,
            links,
            drops,
            shares,
            share_access,
            pages: web::PageHeaders::new(&clients.upload_origin(config)),
        })
    }
}

/// Handles one API request (any route but `/auth/*`). Never fails and never panics on any input:
/// every outcome is an HTTP response.
pub async fn handle(req: ApiGatewayV2httpRequest, deps: &Deps) -> ApiGatewayV2httpResponse {
    routes::dispatch(req, deps).await
}

/// What the `auth` function's invocations borrow; built once per cold start.
#[derive(Clone)]
pub struct AuthDeps {
    pub accounts: Arc<dyn Accounts>,
}

/// The environment variables the `auth` function cannot run without.
pub const AUTH_REQUIRED_ENV: &[&str] = &["USER_POOL_ID", "USER_POOL_CLIENT_ID"];

impl AuthDeps {
    pub fn new(config: &Config, clients: &Clients) -> Result<Self, InfraError> {
        config.require(AUTH_REQUIRED_ENV)?;
        Ok(Self {
            accounts: Arc::new(CognitoAccounts {
                client: clients.cognito().clone(),
                user_pool_id: config.user_pool_id.clone(),
                client_id: config.user_pool_client_id.clone(),
                auto_confirm: config.auto_confirm_signup,
            }),
        })
    }
}

/// Handles one `/auth/*` request, with the same guarantees as `handle`.
pub async fn handle_auth(
    req: ApiGatewayV2httpRequest,
    deps: &AuthDeps,
) -> ApiGatewayV2httpResponse {
    routes::dispatch(req, deps).await
}

/// What API Gateway does with a request to the HTTP API: `/auth/*` to the auth function, any
/// other path to the api. For the local stack and the tests; each Lambda runs its own handler.
pub async fn handle_routed(
    req: ApiGatewayV2httpRequest,
    api: &Deps,
    auth: &AuthDeps,
) -> ApiGatewayV2httpResponse {
    if is_auth_path(routes::request_path(&req)) {
        handle_auth(req, auth).await
    } else {
        handle(req, api).await
    }
}
