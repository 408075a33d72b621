//! The deliverer: batches of the webhook deliveries' queue (SQS). Each message is one attempt
//! of one delivery ([`DeliveryJob`]); the attempts of a batch are sent concurrently, so a
//! receiver that is slow or never answers holds up only its own attempt (at most the 10 s
//! timeout), never the others' of the batch, and other batches run in other invocations. After
//! such an attempt its webhook is stalled for a window: its other jobs are parked in the
//! delivery log, off the queue (one probe per window waits out the timeout, sent by the
//! window's wake), so its batches do not keep invocations (or the local pump's slots) busy for
//! 10 s each, nor fill the queue other owners' deliveries go through; and before that first
//! timeout is known, a webhook has at most `WEBHOOK_MAX_IN_FLIGHT` attempts in flight (its
//! other jobs are parked until one ends), so a receiver that just went dead holds at most that
//! many invocations. A
//! message whose attempt could not be recorded (an AWS failure) is reported failed (partial
//! batch response) and comes back after the visibility timeout; one that cannot be read ends in
//! the dead-letter queue after its receives.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use dropgate_core::clock::SystemClock;
use dropgate_core::webhooks::deliveries::DeliveryJob;
use dropgate_core::webhooks::{Deliverer, Outcome};
use dropgate_infra::cognito::CognitoAccounts;
use dropgate_infra::webhook_http::WebhookHttp;
use dropgate_infra::{Clients, Config, InfraError};
use futures_util::future::join_all;

#[derive(Clone)]
pub struct Deps {
    pub deliverer: Deliverer,
}

pub const REQUIRED_ENV: &[&str] = &[
    "WEBHOOKS_TABLE",
    "WEBHOOK_QUEUE_URL",
    "MAIL_SENDER",
    "USER_POOL_ID",
];

impl Deps {
    pub fn new(config: &Config, clients: &Clients) -> Result<Self, InfraError> {
        config.require(REQUIRED_ENV)?;
        let sender =
            WebhookHttp::new(config.allow_loopback_webhooks).map_err(|e| InfraError::BadEnv {
                name: "WEBHOOK_QUEUE_URL",
                why: format!("the webhook client cannot be built: {e}"),
            })?;
        Ok(Self {
            deliverer: Deliverer {
                store: clients.webhooks(config),
                log: clients.deliveries(config),
                queue: clients.delivery_queue(config),
                sender: Arc::new(sender),
                sealer: clients.sealer(config),
                mailer: clients.mailer(config),
                // Read only when a webhook pauses (AdminGetUser): its client is built then.
                addresses: Arc::new(CognitoAccounts {
                    client: clients.cognito_lazy(),
                    user_pool_id: config.user_pool_id.clone(),
                    client_id: config.user_pool_client_id.clone(),
                    auto_confirm: false,
                }),
                clock: Arc::new(SystemClock),
                backoff_scale: config.webhook_backoff_scale.0,
                disable_after: config.webhook_disable_after.0,
                max_in_flight: config.webhook_max_in_flight.0,
                room: Arc::default(),
            },
        })
    }
}

/// Runs one batch, every attempt at once; answers the messages to retry.
pub async fn handle(event: SqsEvent, deps: &Deps) -> SqsBatchResponse {
    let runs = event.records.iter().map(|m| async move {
        let id = m.message_id.clone().unwrap_or_default();
        let body = m.body.as_deref().unwrap_or("");
        let job: DeliveryJob = match serde_json::from_str(body) {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(message_id = id, error = %e, decision = "malformed", "unreadable delivery message; left for retry and the DLQ");
                return Some(id);
            }
        };
        match deps.deliverer.run(&job).await {
            Ok(outcome) => {
                match outcome {
                    Outcome::Dropped(why) => {
                        tracing::info!(owner = job.owner, webhook_id = job.webhook_id, delivery_id = job.delivery_id, attempt = job.attempt, decision = "dropped", why, "webhook delivery dropped");
                    }
                    Outcome::Parked => {
                        tracing::info!(owner = job.owner, webhook_id = job.webhook_id, delivery_id = job.delivery_id, attempt = job.attempt, decision = "parked", "webhook stalled; delivery parked until its window's wake");
                    }
                    Outcome::Deferred => {
                        tracing::info!(owner = job.owner, webhook_id = job.webhook_id, delivery_id = job.delivery_id, attempt = job.attempt, decision = "deferred", "webhook stalled; delivery back on the queue until its window ends");
                    }
                    Outcome::Capped => {
                        tracing::info!(owner = job.owner, webhook_id = job.webhook_id, delivery_id = job.delivery_id, attempt = job.attempt, decision = "capped", "webhook's attempts in flight at the cap; delivery parked until a lease frees");
                    }
                    Outcome::Waiting | Outcome::Attempted(_) | Outcome::Released(_) => {}
                }
                None
            }
            Err(e) => {
                tracing::error!(owner = job.owner, webhook_id = job.webhook_id, delivery_id = job.delivery_id, attempt = job.attempt, error = %e, decision = "retry", "delivery attempt not recorded; the message comes back");
                Some(id)
            }
        }
    });
    let failed: Vec<String> = join_all(runs).await.into_iter().flatten().collect();
    SqsBatchResponse {
        batch_item_failures: failed
            .into_iter()
            .map(|item_identifier| BatchItemFailure { item_identifier })
            .collect(),
    }
}
