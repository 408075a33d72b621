//! SDK clients, built once per cold start and shared by every invocation.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::config::{ConfigBag, HttpClient, RuntimeComponents, SharedHttpClient};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};

use crate::dynamo::DynamoLedger;
use crate::dynamo::counters::DynamoCounters;
use crate::dynamo::shares::DynamoShares;
use crate::s3::S3Store;
use crate::ses::SesMailer;
use crate::sns::SnsNotifier;
use crate::{Config, InfraError};

/// The roots AWS service endpoints chain to (Amazon Trust Services, and the Starfield root that
/// cross-signs them), from the ca-certificates bundle.
pub(crate) const AMAZON_ROOTS: &[&str] = &[
    include_str!("../certs/Amazon_Root_CA_1.pem"),
    include_str!("../certs/Amazon_Root_CA_2.pem"),
    include_str!("../certs/Amazon_Root_CA_3.pem"),
    include_str!("../certs/Amazon_Root_CA_4.pem"),
    include_str!("../certs/Starfield_Services_Root_Certificate_Authority_-_G2.pem"),
];

/// An HTTPS client that trusts only the roots AWS endpoints use. The SDK's default reads and
/// parses the system's whole trust store (hundreds of certificates) for every client at cold
/// start; the functions talk to AWS only, so five roots are both enough and stricter.
pub fn https_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let builder =
        aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring));
    let client = match amazon_tls_context() {
        Ok(ctx) => builder.tls_context(ctx).build_https(),
        // Not reachable with the bundled roots (a unit test holds them to it); the SDK's default
        // trust store is the safe fallback.
        Err(_) => builder.build_https(),
    };
    SharedHttpClient::new(NoThrowawayConnector(client))
}

/// The SDK's HTTPS client, without the connector it builds and drops for every SDK client at
/// construction (`validate_base_client_config`: there to load the system's trust store at init
/// rather than on the first request). With the five bundled roots that throwaway is all cost:
/// each one parses the PEMs, their trust anchors and a TLS configuration (about 0.02 ms per SDK
/// client at cold start, docs/BENCHMARKS.md). The connector the first request builds is the one
/// that is kept, as before; nothing moves to the first request.
#[derive(Debug)]
struct NoThrowawayConnector(SharedHttpClient);

impl HttpClient for NoThrowawayConnector {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

fn amazon_tls_context() -> Result<aws_smithy_http_client::tls::TlsContext, impl std::fmt::Debug> {
    use aws_smithy_http_client::tls::{TlsContext, TrustStore};
    let store = AMAZON_ROOTS
        .iter()
        .fold(TrustStore::empty().with_native_roots(false), |s, pem| {
            s.with_pem_certificate(pem.as_bytes())
        });
    TlsContext::builder().with_trust_store(store).build()
}

/// Every call to AWS is bounded: an attempt that hangs (an outage, a frozen endpoint) is cut
/// off and retried, and a call gives up after [`OPERATION_TIMEOUT`], so a request fails fast
/// with `unavailable` instead of hanging for as long as the outage lasts. The api answers
/// within [`OPERATION_TIMEOUT`] times the calls a route makes in sequence, and its own
/// request budget (see the api handler) caps that below the function's 10 s timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(6);
/// Attempts per call, the first included (the SDK's standard mode: exponential backoff with
/// jitter, retrying throttling, 5xx, timeouts and connection failures).
pub const MAX_ATTEMPTS: u32 = 3;

fn timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

fn retries() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS)
}

/// `sdk` with every call bounded as above: for the functions' clients, and for any other client
/// that stands in for AWS's own machinery (the local stack's event-source pumps).
pub fn bounded(sdk: &SdkConfig) -> SdkConfig {
    let mut builder = sdk.to_builder();
    builder.set_timeout_config(Some(timeouts()));
    builder.set_retry_config(Some(retries()));
    builder.build()
}

/// The SDK clients a function uses, each built on first use: a function pays at cold start only
/// for the clients its handler needs (the api no SES, the worker no Cognito, ...).
#[derive(Clone, Debug)]
pub struct Clients {
    sdk: SdkConfig,
    s3_force_path_style: bool,
    s3: OnceLock<aws_sdk_s3::Client>,
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    cognito: OnceLock<aws_sdk_cognitoidentityprovider::Client>,
    sns: OnceLock<aws_sdk_sns::Client>,
    eventbridge: OnceLock<aws_sdk_eventbridge::Client>,
    ses: OnceLock<aws_sdk_ses::Client>,
    sqs: OnceLock<aws_sdk_sqs::Client>,
    kms: OnceLock<aws_sdk_kms::Client>,
}

impl Clients {
    /// From Lambda's environment: the region and the execution role's credentials, which Lambda
    /// always sets as `AWS_*` variables (`AWS_ENDPOINT_URL` for an emulator). The configuration
    /// is built by hand rather than by `aws_config`'s loader: the loader links, into every
    /// function, the provider chains a function never runs (profiles, SSO, IMDS, ECS, web
    /// identity and the STS client behind them), whose static data is relocated at each cold
    /// start (docs/BENCHMARKS.md, "Cold init: what was tried"). Without the region or the
    /// credentials the function does not start (fail closed).
    pub fn from_env(config: &Config, function: &str) -> Result<Self, InfraError> {
        Self::from_vars(config, function, &|k| std::env::var(k).ok())
    }

    /// [`Clients::from_env`] over the variables `env` answers (a test hands it an emulator's).
    pub fn from_vars(
        config: &Config,
        function: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, InfraError> {
        let sdk = crate::lambda_sdk::lambda_sdk_config(env, https_client())?;
        Ok(Self::new(&sdk, config.s3_force_path_style, function))
    }

    /// `function` goes into every request's user agent (`app/<function>`), so that requests can
    /// be told apart per function (CloudTrail, the local emulator's call counts).
    pub fn new(sdk: &SdkConfig, s3_force_path_style: bool, function: &str) -> Self {
        let mut builder = bounded(sdk).to_builder();
        if let Ok(app) = aws_config::AppName::new(function.to_owned()) {
            builder.set_app_name(Some(app));
        }
        Self {
            sdk: builder.build(),
            s3_force_path_style,
            s3: OnceLock::new(),
            dynamodb: OnceLock::new(),
            cognito: OnceLock::new(),
            sns: OnceLock::new(),
            eventbridge: OnceLock::new(),
            ses: OnceLock::new(),
            sqs: OnceLock::new(),
            kms: OnceLock::new(),
        }
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| {
            let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
                .force_path_style(self.s3_force_path_style)
                .build();
            aws_sdk_s3::Client::from_conf(conf)
        })
    }

    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        self.dynamodb
            .get_or_init(|| aws_sdk_dynamodb::Client::new(&self.sdk))
    }

    /// The user pool's client, built on its first call (the api reaches it only on its account
    /// and admin routes).
    pub fn cognito_lazy(&self) -> crate::lazy::Lazy<aws_sdk_cognitoidentityprovider::Client> {
        crate::lazy::Lazy::new(&self.sdk, aws_sdk_cognitoidentityprovider::Client::new)
    }

    pub fn cognito(&self) -> &aws_sdk_cognitoidentityprovider::Client {
        self.cognito
            .get_or_init(|| aws_sdk_cognitoidentityprovider::Client::new(&self.sdk))
    }

    pub fn sns(&self) -> &aws_sdk_sns::Client {
        self.sns.get_or_init(|| aws_sdk_sns::Client::new(&self.sdk))
    }

    pub fn eventbridge(&self) -> &aws_sdk_eventbridge::Client {
        self.eventbridge
            .get_or_init(|| aws_sdk_eventbridge::Client::new(&self.sdk))
    }

    pub fn ses(&self) -> &aws_sdk_ses::Client {
        self.ses.get_or_init(|| aws_sdk_ses::Client::new(&self.sdk))
    }

    pub fn kms(&self) -> &aws_sdk_kms::Client {
        self.kms.get_or_init(|| aws_sdk_kms::Client::new(&self.sdk))
    }

    /// Seals link and share tokens under the stack's key (`TOKEN_KEY`).
    pub fn sealer(&self, config: &Config) -> Arc<crate::kms::KmsSealer> {
        Arc::new(crate::kms::KmsSealer {
            client: crate::lazy::Lazy::new(&self.sdk, aws_sdk_kms::Client::new),
            key_id: config.token_key.clone(),
        })
    }

    pub fn sqs(&self) -> &aws_sdk_sqs::Client {
        self.sqs.get_or_init(|| aws_sdk_sqs::Client::new(&self.sdk))
    }

    /// Where presigned S3 URLs point, as an origin (`scheme://host[:port]`), for the web
    /// client's Content-Security-Policy: the endpoint override (an emulator) or the bucket's
    /// regional endpoint, as the presigner builds it.
    pub fn upload_origin(&self, config: &Config) -> String {
        if let Some(url) = self.sdk.endpoint_url() {
            return origin_of(url);
        }
        let region = self.sdk.region().map_or("us-east-1", |r| r.as_ref());
        if self.s3_force_path_style {
            format!("https://s3.{region}.amazonaws.com")
        } else {
            format!("https://{}.s3.{region}.amazonaws.com", config.bucket)
        }
    }

    /// The adapters over these clients, for the resources `config` names.
    /// The user pool's id-token verifier: its keys from the emulator when there is an
    /// endpoint override, from Cognito's issuer address otherwise.
    pub fn id_tokens(&self, config: &Config) -> Arc<crate::jwks::CognitoIdTokens> {
        let region = self.sdk.region().map_or("us-east-1", |r| r.as_ref());
        let issuer = crate::jwks::issuer(region, &config.user_pool_id);
        let base = self.sdk.endpoint_url().map_or_else(
            || issuer.clone(),
            |e| format!("{}/{}", e.trim_end_matches('/'), config.user_pool_id),
        );
        Arc::new(crate::jwks::CognitoIdTokens::new(
            format!("{base}/.well-known/jwks.json"),
            &issuer,
            &config.user_pool_client_id,
        ))
    }

    pub fn api_keys(&self, config: &Config) -> Arc<crate::dynamo::apikeys::DynamoApiKeys> {
        Arc::new(crate::dynamo::apikeys::DynamoApiKeys {
            client: self.dynamodb().clone(),
            table: config.api_keys_table.clone(),
        })
    }

    pub fn ledger(&self, config: &Config) -> Arc<DynamoLedger> {
        Arc::new(DynamoLedger {
            client: self.dynamodb().clone(),
            files_table: config.files_table.clone(),
            quotas_table: config.quotas_table.clone(),
            log_table: config.upload_log_table.clone(),
            links_table: config.links_table.clone(),
            pending_shards: config.settings.pending_shards,
        })
    }

    pub fn counters(&self, config: &Config) -> Arc<DynamoCounters> {
        Arc::new(DynamoCounters {
            client: self.dynamodb().clone(),
            table: config.rate_limit_table.clone(),
        })
    }

    pub fn shares(&self, config: &Config) -> Arc<DynamoShares> {
        Arc::new(DynamoShares {
            client: self.dynamodb().clone(),
            shares_table: config.shares_table.clone(),
            download_log_table: config.download_log_table.clone(),
            log_table: config.upload_log_table.clone(),
        })
    }

    pub fn audit(&self, config: &Config) -> Arc<crate::dynamo::audit::DynamoAudit> {
        Arc::new(crate::dynamo::audit::DynamoAudit {
            client: self.dynamodb().clone(),
            table: config.audit_table.clone(),
            retention_days: config.audit_retention_days.0,
        })
    }

    /// The accounts' directory (the user pool), for admins; its client is built on first use.
    pub fn directory(&self, config: &Config) -> Arc<crate::directory::CognitoDirectory> {
        Arc::new(crate::directory::CognitoDirectory {
            client: self.cognito_lazy(),
            user_pool_id: config.user_pool_id.clone(),
        })
    }

    pub fn webhooks(&self, config: &Config) -> Arc<crate::dynamo::webhooks::DynamoWebhooks> {
        Arc::new(crate::dynamo::webhooks::DynamoWebhooks {
            client: self.dynamodb().clone(),
            table: config.webhooks_table.clone(),
        })
    }

    /// What an account erasure removes, over every table an owner has items in.
    pub fn erasure(&self, config: &Config) -> Arc<crate::dynamo::erasure::DynamoErasure> {
        Arc::new(crate::dynamo::erasure::DynamoErasure {
            client: self.dynamodb().clone(),
            files_table: config.files_table.clone(),
            quotas_table: config.quotas_table.clone(),
            log_table: config.upload_log_table.clone(),
            links_table: config.links_table.clone(),
            shares_table: config.shares_table.clone(),
            download_log_table: config.download_log_table.clone(),
            webhooks_table: config.webhooks_table.clone(),
            api_keys_table: config.api_keys_table.clone(),
        })
    }

    /// Webhook deliveries and their log (on the webhooks table).
    pub fn deliveries(&self, config: &Config) -> Arc<crate::dynamo::deliveries::DynamoDeliveries> {
        Arc::new(crate::dynamo::deliveries::DynamoDeliveries {
            client: self.dynamodb().clone(),
            table: config.webhooks_table.clone(),
        })
    }

    /// The webhook deliveries' queue.
    pub fn delivery_queue(&self, config: &Config) -> Arc<crate::sqs_deliveries::SqsDeliveryQueue> {
        Arc::new(crate::sqs_deliveries::SqsDeliveryQueue {
            client: crate::lazy::Lazy::new(&self.sdk, aws_sdk_sqs::Client::new),
            queue_url: config.webhook_queue_url.clone(),
        })
    }

    pub fn store(&self, config: &Config) -> Arc<S3Store> {
        Arc::new(S3Store {
            client: self.s3().clone(),
            bucket: config.bucket.clone(),
        })
    }

    pub fn notifier(&self, config: &Config) -> Arc<SnsNotifier> {
        Arc::new(SnsNotifier {
            client: self.sns().clone(),
            topic_arn: config.topic_arn.clone(),
        })
    }

    pub fn bus(&self, config: &Config) -> Arc<crate::eventbridge::EventBridgeBus> {
        Arc::new(crate::eventbridge::EventBridgeBus {
            client: self.eventbridge().clone(),
            bus_name: config.event_bus_name.clone(),
        })
    }

    pub fn mailer(&self, config: &Config) -> Arc<SesMailer> {
        Arc::new(SesMailer {
            client: crate::lazy::Lazy::new(&self.sdk, aws_sdk_ses::Client::new),
            sender: config.mail_sender.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::AMAZON_ROOTS;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn every_amazon_root_is_one_parsable_certificate() {
        for pem in AMAZON_ROOTS {
            let certs: Vec<_> = CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<_, _>>()
                .expect("valid PEM");
            assert_eq!(certs.len(), 1);
            assert!(certs[0].len() > 300, "a DER certificate, not a fragment");
        }
        assert!(super::amazon_tls_context().is_ok());
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    url[..end].to_owned()
}

#[cfg(test)]
mod origin_tests {
    use super::*;

    fn clients(endpoint: Option<&str>, path_style: bool) -> Clients {
        let mut b = SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .behavior_version(aws_config::BehaviorVersion::latest());
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        Clients::new(&b.build(), path_style, "test")
    }

    #[test]
    fn the_upload_origin_is_where_presigned_urls_point() {
        let config = Config {
            bucket: "files-123".into(),
            ..Config::default()
        };
        assert_eq!(
            clients(Some("http://127.0.0.1:4566/"), true).upload_origin(&config),
            "http://127.0.0.1:4566"
        );
        assert_eq!(
            clients(None, false).upload_origin(&config),
            "https://files-123.s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            clients(None, true).upload_origin(&config),
            "https://s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            origin_of("https://h.example:8443/a?b#c"),
            "https://h.example:8443"
        );
    }
}

#[cfg(test)]
mod connector_tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the SDK's validation calls; never asked for a connector (no request is sent).
    #[derive(Debug, Default, Clone)]
    struct Counting(Arc<AtomicUsize>);

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            unreachable!("no request is sent in these tests")
        }

        fn validate_base_client_config(
            &self,
            _: &aws_sdk_s3::config::RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn build_two_clients(http: SharedHttpClient) {
        let sdk = SdkConfig::builder()
            .region(aws_config::Region::new("eu-west-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .http_client(http)
            .build();
        let _ = aws_sdk_dynamodb::Client::new(&sdk);
        let _ = aws_sdk_s3::Client::new(&sdk);
    }

    #[test]
    fn building_an_sdk_client_builds_no_throwaway_connector() {
        let direct = Counting::default();
        build_two_clients(SharedHttpClient::new(direct.clone()));
        assert_eq!(
            direct.0.load(Ordering::SeqCst),
            2,
            "the SDK asks the HTTP client once per SDK client (what the wrapper spares)"
        );

        let wrapped = Counting::default();
        build_two_clients(SharedHttpClient::new(NoThrowawayConnector(
            SharedHttpClient::new(wrapped.clone()),
        )));
        assert_eq!(wrapped.0.load(Ordering::SeqCst), 0);
    }
}
