//! The notifier: batches of the upload log's change stream (DynamoDB Streams), which is the
//! notification outbox (see `dropgate_core::notify`). Each new entry becomes the operators'
//! SNS message, an event on the integrators' bus (EventBridge), one webhook delivery per
//! subscribed active webhook of its owner (enqueued for the deliverer) and, for verdicts, the
//! owner's mail, sent to the owner's address as the user pool holds it then. A batch reports the first record it could not deliver (partial batch
//! response), so the event source retries from there, bisecting a failing batch; a record that
//! keeps failing ends in the on-failure destination. Nothing is lost; a retry may deliver
//! again, with the same `id`.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use dropgate_core::CoreError;
use dropgate_core::clock::SystemClock;
use dropgate_core::notify::{Announcement, Courier, Undelivered};
use dropgate_core::webhooks::Dispatch;
use dropgate_infra::cognito::CognitoAccounts;
use dropgate_infra::dynamo::outbox_lifecycle::announcement_from_image;
use dropgate_infra::{Clients, Config, InfraError};

#[derive(Clone)]
pub struct Deps {
    pub courier: Courier,
    /// The webhooks' fan-out: reads the owners' webhooks, writes deliveries and enqueues them.
    pub webhooks: Dispatch,
}

pub const REQUIRED_ENV: &[&str] = &[
    "TOPIC_ARN",
    "EVENT_BUS_NAME",
    "MAIL_SENDER",
    "LINKS_TABLE",
    "WEBHOOKS_TABLE",
    "WEBHOOK_QUEUE_URL",
    "USER_POOL_ID",
];

impl Deps {
    pub fn new(config: &Config, clients: &Clients) -> Result<Self, InfraError> {
        config.require(REQUIRED_ENV)?;
        Ok(Self {
            courier: Courier {
                notifier: clients.notifier(config),
                bus: clients.bus(config),
                mailer: clients.mailer(config),
                links: clients.ledger(config),
                // The owners' current addresses (AdminGetUser), read only when a batch mails:
                // its client is built then.
                addresses: Arc::new(CognitoAccounts {
                    client: clients.cognito_lazy(),
                    user_pool_id: config.user_pool_id.clone(),
                    client_id: config.user_pool_client_id.clone(),
                    auto_confirm: false,
                }),
            },
            webhooks: Dispatch {
                store: clients.webhooks(config),
                log: clients.deliveries(config),
                queue: clients.delivery_queue(config),
                clock: Arc::new(SystemClock),
                ids: Arc::new(dropgate_infra::ids::UuidV7Ids),
            },
        })
    }
}

/// The entry a stream record carries: `None` for records that announce nothing (an entry
/// removed by TTL, a modification), an error for one that cannot be read (a poison record).
fn entry_of(r: &EventRecord) -> Result<Option<Announcement>, CoreError> {
    if r.event_name != "INSERT" {
        return Ok(None);
    }
    let image = serde_json::to_value(&r.change.new_image).map_err(CoreError::upstream)?;
    announcement_from_image(&image).map(Some)
}

fn sequence(r: &EventRecord) -> String {
    r.change.sequence_number.clone().unwrap_or_default()
}

/// Delivers one batch, in order. Never fails as a whole: the answer names the first record not
/// delivered (everything before it was), or nothing when all were.
pub async fn handle(event: Event, deps: &Deps) -> DynamoDbEventResponse {
    let mut entries = Vec::new();
    // Records up to the first unreadable one; that one is reported as failed.
    let mut stop: Option<(usize, CoreError)> = None;
    let mut positions = Vec::new();
    for (i, r) in event.records.iter().enumerate() {
        match entry_of(r) {
            Ok(Some(e)) => {
                entries.push(e);
                positions.push(i);
            }
            Ok(None) => {}
            Err(e) => {
                stop = Some((i, e));
                break;
            }
        }
    }
    let outcome = match deps.courier.deliver_all(&entries).await {
        Ok(()) => fan_out(&entries, deps).await,
        Err(u) => Err(u),
    };
    let failed_at = match outcome {
        Ok(()) => {
            for e in &entries {
                let file_id = match e {
                    Announcement::File(f) => Some(f.file.id.as_str()),
                    Announcement::Lifecycle(_) | Announcement::Reminder(_) => None,
                };
                tracing::info!(entry = e.id(), event = e.event_name(), owner = %e.owner(), file_id, decision = "delivered", "notice delivered");
            }
            stop.map(|(i, e)| {
                tracing::error!(sequence = sequence(&event.records[i]), error = %e, decision = "poison", "unreadable outbox record; left to retries and the on-failure destination");
                i
            })
        }
        Err(u) => {
            let i = positions[u.index];
            tracing::warn!(entry = entries[u.index].id(), sequence = sequence(&event.records[i]), error = %u.error, decision = "retry", "delivery failed; the batch resumes here");
            Some(i)
        }
    };
    metrics(
        &event,
        delivered(entries.len(), &positions, failed_at),
        failed_at.is_some(),
    );
    DynamoDbEventResponse {
        batch_item_failures: failed_at
            .map(|i| DynamoDbBatchItemFailure {
                item_identifier: Some(sequence(&event.records[i])),
            })
            .into_iter()
            .collect(),
    }
}

/// The entries' webhook deliveries, enqueued. A failure fails them all from the first (the
/// retry sends the notices again, with their ids, and fans out to the same delivery ids).
async fn fan_out(entries: &[Announcement], deps: &Deps) -> Result<(), Undelivered> {
    let events: Vec<_> = entries.iter().flat_map(Announcement::events).collect();
    deps.webhooks
        .fan_out(&events)
        .await
        .map(|_| ())
        .map_err(|error| Undelivered { index: 0, error })
}

/// How many of the batch's readable entries were delivered, given where delivery stopped.
fn delivered(entries: usize, positions: &[usize], failed_at: Option<usize>) -> usize {
    match failed_at {
        None => entries,
        Some(i) => positions.iter().filter(|&&p| p < i).count(),
    }
}

/// The notifier's metrics (EMF, in Lambda only): notices delivered, deliveries that failed,
/// and the lag of the batch's oldest record (from its write to the upload log until now).
fn metrics(event: &Event, delivered: usize, failed: bool) {
    let now = chrono::Utc::now();
    let lag = event
        .records
        .iter()
        .map(|r| (now - r.change.approximate_creation_date_time).num_milliseconds())
        .max()
        .and_then(|ms| u64::try_from(ms).ok())
        .unwrap_or(0);
    dropgate_infra::metrics::put(
        "notifier",
        &[],
        0,
        &[
            ("NoticesDelivered", "Count", delivered as u64),
            ("NotifierFailures", "Count", u64::from(failed)),
            ("NotifierLag", "Milliseconds", lag),
        ],
    );
}
