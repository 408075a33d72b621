//! The local stack: an emulated AWS on loopback, provisioned like template.yaml, with the
//! API handler served over HTTP, the queue pumped into the worker, and the janitor on a timer.
//! It runs exactly the handlers' library code that Lambda runs.

pub mod delivery_pump;
pub mod emulator;
mod error;
pub mod events;
pub mod exposure;
pub mod faults;
pub mod provision;
pub mod pump;
pub mod scanner;
pub mod server;
pub mod stream_pump;

pub use error::LocalError;

use std::sync::Arc;
use std::time::Duration;

use dropgate_infra::{Clients, Config};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::emulator::Emulator;
use crate::provision::Resources;

pub struct Options {
    pub listen: String,
    /// Join this emulator instead of starting one.
    pub aws_endpoint: Option<String>,
    /// How often the janitor runs.
    pub janitor_every: Duration,
    /// How long the queue pump gathers messages into a batch (Lambda's batching window). The
    /// default is the template's `MaximumBatchingWindowInSeconds` (0: a person waits on the drop
    /// page; a poll still brings whatever it finds, up to 10), held equal by the template tests.
    pub batch_window: Duration,
    /// Put a fault-injecting proxy ([`faults`], SPEC grammar there) between the functions and
    /// the emulator.
    pub inject_faults: Option<String>,
    /// The malware scanner playing GuardDuty ([`scanner`]), or none.
    pub scanner: scanner::Mode,
    /// Make the scanner misbehave ([`scanner::ScannerFaults`], SPEC grammar there).
    pub scanner_faults: Option<String>,
    /// Accounts made admins at start (`--admin EMAIL`), created if missing.
    pub admins: Vec<String>,
    /// The password of admins created at start (`DROPGATE_LOCAL_ADMIN_PASSWORD`); never printed.
    pub admin_password: Option<String>,
    /// Webhooks may be `http://127.0.0.1:<port>/...` (tests and demos); nothing else loopback.
    pub allow_loopback_webhooks: bool,
    /// Admin routes refuse an admin without TOTP on (`--require-admin-mfa`; off by default here,
    /// so that tests and demos can make an admin without a phone; on by default in AWS).
    pub require_admin_mfa: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:3000".into(),
            aws_endpoint: None,
            janitor_every: Duration::from_secs(30),
            batch_window: Duration::ZERO,
            inject_faults: None,
            scanner: scanner::Mode::Clamd,
            scanner_faults: None,
            admins: Vec::new(),
            admin_password: None,
            allow_loopback_webhooks: false,
            require_admin_mfa: false,
        }
    }
}

/// The ready line, printed once on stdout.
#[derive(Debug, Clone, Serialize)]
pub struct Ready {
    pub api: String,
    pub aws_endpoint: String,
    pub resources: Resources,
    /// The fault proxy the functions' AWS calls go through, when faults are injected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub faults: Option<String>,
    /// The accounts made admins at start, by email (their password is never printed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub admins: Vec<String>,
}

pub struct Stack {
    pub ready: Ready,
    emulator: Option<Emulator>,
    scanner: Option<scanner::Scanner>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    pub async fn start(opts: Options) -> Result<Self, LocalError> {
        let fault_spec = opts
            .inject_faults
            .as_deref()
            .map(faults::Spec::parse)
            .transpose()
            .map_err(|e| LocalError::Faults(e.to_string()))?;
        let scanner_faults = opts
            .scanner_faults
            .as_deref()
            .map(scanner::ScannerFaults::parse)
            .transpose()
            .map_err(|e| LocalError::Scanner(format!("--scanner-faults: {e}")))?
            .unwrap_or_default();
        let clamd = match opts.scanner {
            scanner::Mode::Clamd => {
                Some(scanner::preflight(&emulator::project_root()).map_err(LocalError::Scanner)?)
            }
            scanner::Mode::Off => None,
        };
        let limits = server::Limits::from_env().map_err(|why| LocalError::Listen {
            addr: opts.listen.clone(),
            why,
        })?;
        let listener = TcpListener::bind(&opts.listen)
            .await
            .map_err(|e| LocalError::Listen {
                addr: opts.listen.clone(),
                why: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| LocalError::Listen {
            addr: opts.listen.clone(),
            why: e.to_string(),
        })?;
        if let Some(warning) = exposure::warning(&addr) {
            // On stderr as well as in the log: a person starting the stack must see it even
            // with the log filtered or sent elsewhere. Before anything is served.
            eprintln!("dropgate-local: WARNING: {warning}");
            tracing::warn!(listen = %addr, "{warning}");
        }
        let api = format!("http://{addr}");
        let (emulator, endpoint) = match &opts.aws_endpoint {
            Some(url) => (None, url.trim_end_matches('/').to_owned()),
            None => {
                let e = Emulator::start(&emulator::project_root()).await?;
                let url = e.endpoint.clone();
                (Some(e), url)
            }
        };
        let sdk = provision::sdk_config(&endpoint).await;
        let mut origins = vec![api.clone(), format!("http://localhost:{}", addr.port())];
        if let Ok(extra) = std::env::var("CORS_ORIGINS") {
            origins.extend(
                extra
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty()),
            );
        }
        let mut resources = provision::provision(&sdk, &origins).await?;
        resources.scanner = opts.scanner.as_str().into();
        provision::promote_admins(
            &sdk,
            &resources.user_pool_id,
            &opts.admins,
            opts.admin_password.as_deref(),
        )
        .await?;
        let mut config = function_config(&resources, &api)?;
        config.allow_loopback_webhooks = opts.allow_loopback_webhooks;
        config.require_admin_mfa = dropgate_infra::config::AdminMfa(opts.require_admin_mfa);
        // Provisioning went to the emulator directly; the functions go through the fault proxy.
        let proxy = match fault_spec {
            Some(spec) => Some(faults::FaultProxy::bind(spec, &endpoint).await?),
            None => None,
        };
        let functions_sdk = match &proxy {
            Some(p) => faults::behind(&sdk, p.url()),
            None => sdk.clone(),
        };
        let client = |function: &str| Clients::new(&functions_sdk, true, function);

        // The notifier's puts, recorded for `GET /__events`.
        let events = Arc::new(events::Recorded::default());
        let front = Arc::new(server::Front {
            api: dropgate_api::Deps::new(&config, &client("dropgate-api"))?,
            auth: dropgate_api::AuthDeps::new(&config, &client("dropgate-auth"))?,
            events: events.clone(),
        });
        let worker_clients = client("dropgate-worker");
        let worker = dropgate_worker::Deps::new(&config, &worker_clients)?;
        let deliverer = dropgate_deliverer::Deps::new(&config, &client("dropgate-deliverer"))?;
        let janitor = dropgate_janitor::Deps::new(&config, &client("dropgate-janitor"))?;
        let mut notifier = dropgate_notifier::Deps::new(&config, &client("dropgate-notifier"))?;
        notifier.courier.bus = Arc::new(events::RecordingBus {
            inner: notifier.courier.bus.clone(),
            log: events.clone(),
        });

        let (shutdown, rx) = watch::channel(false);
        let mut tasks = Vec::new();
        // GuardDuty's part: it reads the bucket and writes the results queue with its own role,
        // straight to the emulator (the fault proxy is for the functions' calls).
        let (scanner, feed) = match clamd {
            Some(found) => {
                let own = Clients::new(&sdk, true, "dropgate-local-scanner");
                let target = scanner::Target {
                    s3: own.s3().clone(),
                    sqs: own.sqs().clone(),
                    bucket: resources.bucket.clone(),
                    queue_url: resources.scan_queue_url.clone(),
                    plan_arn: resources.scan_plan_arn.clone(),
                    account: provision::ACCOUNT.into(),
                    region: provision::REGION.into(),
                };
                let (s, feed) = scanner::Scanner::start(found, target, scanner_faults, rx.clone())
                    .await
                    .map_err(LocalError::Scanner)?;
                (Some(s), Some(feed))
            }
            None => (None, None),
        };
        let faults = proxy.map(|p| {
            let url = p.url().to_owned();
            tasks.push(tokio::spawn(p.serve(rx.clone())));
            url
        });
        // The connection cap, each connection's timeouts, graceful stop: see `server`.
        tasks.push(tokio::spawn(server::run(
            listener,
            server::router(front),
            limits,
            rx.clone(),
        )));
        // The pump is Lambda's event source mapping, not the worker: its calls are its own.
        let pump_sqs = client("dropgate-local-pump").sqs().clone();
        tasks.push(tokio::spawn(pump::run(
            pump_sqs.clone(),
            resources.scan_queue_url.clone(),
            worker.clone(),
            opts.batch_window,
            None,
            rx.clone(),
        )));
        tasks.push(tokio::spawn(pump::run(
            pump_sqs,
            resources.queue_url.clone(),
            worker,
            opts.batch_window,
            feed,
            rx.clone(),
        )));
        tasks.push(tokio::spawn(delivery_pump::run(
            client("dropgate-local-delivery-pump").sqs().clone(),
            resources.webhook_queue_url.clone(),
            deliverer,
            rx.clone(),
        )));
        // Lambda's stream event source for the notifier: its reads are its own, like the pump's.
        let streams = client("dropgate-local-stream-pump");
        // Named like the functions' clients, so the emulator's call counts show its reads.
        let mut reader = aws_sdk_dynamodbstreams::config::Builder::from(
            &dropgate_infra::aws::bounded(&functions_sdk),
        );
        if let Ok(app) = aws_config::AppName::new("dropgate-local-stream-pump") {
            reader = reader.app_name(app);
        }
        let stream_reader = aws_sdk_dynamodbstreams::Client::from_conf(reader.build());
        tasks.push(tokio::spawn(stream_pump::run(
            stream_pump::Stream {
                streams: stream_reader,
                sqs: streams.sqs().clone(),
                stream_arn: resources.upload_log_stream_arn.clone(),
                failure_queue_url: resources.notify_dlq_url.clone(),
            },
            notifier,
            rx.clone(),
        )));
        tasks.push(tokio::spawn(pump::janitor_timer(
            janitor,
            opts.janitor_every,
            rx,
        )));
        Ok(Self {
            ready: Ready {
                api,
                aws_endpoint: endpoint,
                resources,
                faults,
                admins: opts.admins,
            },
            emulator,
            scanner,
            shutdown,
            tasks,
        })
    }

    /// Stops the server, the pump and the timer, then the emulator this stack started.
    pub async fn stop(self) {
        // Fails only when every task has already ended and dropped its receiver: nothing to stop.
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            match tokio::time::timeout(Duration::from_secs(5), t).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "a local stack task failed"),
                Err(_) => tracing::warn!("a local stack task did not stop within 5 s; left behind"),
            }
        }
        if let Some(s) = self.scanner {
            s.stop().await;
        }
        if let Some(e) = self.emulator {
            e.stop().await;
        }
    }
}

/// The functions' configuration: the resources just provisioned, the stack's own address `api`
/// as the public base URL (upload links are `{api}/d/{token}`), plus the settings knobs from
/// this process's environment (`QUOTA_BYTES`, `MAX_FILE_BYTES`, ... as in docs/RESOURCES.md).
pub fn function_config(r: &Resources, api: &str) -> Result<Config, LocalError> {
    let mut config = Config::from_env()?;
    config.bucket = r.bucket.clone();
    config.files_table = r.tables.files.clone();
    config.quotas_table = r.tables.quotas.clone();
    config.upload_log_table = r.tables.upload_log.clone();
    config.links_table = r.tables.links.clone();
    config.rate_limit_table = r.tables.rate_limits.clone();
    config.shares_table = r.tables.shares.clone();
    config.download_log_table = r.tables.download_log.clone();
    config.audit_table = r.tables.audit.clone();
    config.api_keys_table = r.tables.api_keys.clone();
    config.webhooks_table = r.tables.webhooks.clone();
    config.webhook_queue_url = r.webhook_queue_url.clone();
    // As Settings::clamped would: no trailing slash.
    config.settings.public_base_url = api.trim_end_matches('/').to_owned();
    config.topic_arn = r.topic_arn.clone();
    config.event_bus_name = r.event_bus_name.clone();
    config.user_pool_id = r.user_pool_id.clone();
    config.user_pool_client_id = r.user_pool_client_id.clone();
    config.mail_sender = r.mail_sender.clone();
    // The stack's one key, by its alias (as the template gives the api the key itself).
    config.token_key = provision::KMS_ALIAS.to_owned();
    config.auto_confirm_signup = true;
    config.s3_force_path_style = true;
    // The local scanner's plan is the one whose results count; with `--scanner off` files are
    // judged on their type alone and say `scan: off`.
    config.settings.malware_scanning = r.scanner != scanner::Mode::Off.as_str();
    config.settings.scan_plan_arn = Some(r.scan_plan_arn.clone());
    Ok(config)
}
