//! Lambda's DynamoDB Streams event source mapping, locally: read the upload log's change
//! stream (the notification outbox), hand batches of up to [`BATCH`] records to the
//! notifier's `handle`, resume from the first record it reports failed, bisect a batch that
//! keeps failing, and after [`MAX_RETRIES`] failed attempts of a single record send its
//! description to the on-failure queue and move on, as template.yaml configures in AWS.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::Event;
use aws_sdk_dynamodbstreams::types::{AttributeValue as Av, Record, ShardIteratorType};
use serde_json::{Value, json};
use tokio::sync::watch;

/// template.yaml: BatchSize.
pub const BATCH: usize = 10;
/// template.yaml: MaximumRetryAttempts.
pub const MAX_RETRIES: u32 = 5;

pub struct Stream {
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub stream_arn: String,
    /// The on-failure destination.
    pub failure_queue_url: String,
}

pub async fn run(s: Stream, deps: dropgate_notifier::Deps, mut stop: watch::Receiver<bool>) {
    let mut reader = Reader::default();
    let mut pending: VecDeque<Value> = VecDeque::new();
    let mut size = BATCH;
    let mut attempts = 0u32;
    loop {
        if *stop.borrow() {
            return;
        }
        if pending.is_empty() {
            match reader.next(&s).await {
                Ok(records) => pending.extend(records.iter().map(lambda_record)),
                Err(e) => tracing::warn!(error = %e, "stream read failed; retrying"),
            }
            if pending.is_empty() {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                continue;
            }
        }
        let batch: Vec<Value> = pending.iter().take(size).cloned().collect();
        let event: Event = match serde_json::from_value(json!({ "Records": batch })) {
            Ok(e) => e,
            Err(e) => {
                // Not something Lambda would deliver: give the head record up at once.
                tracing::error!(error = %e, "stream record not representable");
                give_up(&s, pending.pop_front()).await;
                continue;
            }
        };
        let r = dropgate_notifier::handle(event, &deps).await;
        let failed = r
            .batch_item_failures
            .first()
            .and_then(|f| f.item_identifier.clone());
        let Some(seq) = failed else {
            pending.drain(..batch.len());
            size = BATCH;
            attempts = 0;
            continue;
        };
        // Everything before the reported record was delivered: checkpoint past it.
        let done = batch
            .iter()
            .position(|r| r["dynamodb"]["SequenceNumber"] == seq.as_str())
            .unwrap_or(0);
        pending.drain(..done);
        if done > 0 {
            attempts = 0;
            continue;
        }
        attempts += 1;
        if size > 1 {
            // BisectBatchOnFunctionError: narrow down to the record that fails.
            size = size.div_ceil(2);
        } else if attempts > MAX_RETRIES {
            give_up(&s, pending.pop_front()).await;
            attempts = 0;
            size = BATCH;
            continue;
        }
        // Seconds, doubling, as Lambda backs off a failing stream batch: the retries of one
        // record span about 30 s (1 + 2 + 4 + 8 + 16) before it is given up, so an outage of
        // SNS or SES shorter than that loses no notice (the freeze test holds it for 10 s).
        let backoff = Duration::from_millis(500 << attempts.min(6));
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Sends what Lambda's on-failure destination gets: where the record was, not its content.
async fn give_up(s: &Stream, record: Option<Value>) {
    let Some(r) = record else { return };
    let body = json!({
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": MAX_RETRIES + 1},
        "DDBStreamBatchInfo": {
            "streamArn": s.stream_arn,
            "startSequenceNumber": r["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": r["dynamodb"]["SequenceNumber"],
            "batchSize": 1,
        },
        "eventID": r["eventID"],
    });
    tracing::error!(sequence = %r["dynamodb"]["SequenceNumber"], decision = "on_failure", "stream record given up; described in the on-failure queue");
    if let Err(e) = s
        .sqs
        .send_message()
        .queue_url(&s.failure_queue_url)
        .message_body(body.to_string())
        .send()
        .await
    {
        tracing::error!(error = %e, "on-failure queue unreachable; the record's description is only in this log");
    }
}

/// How long a shard may answer nothing before its iterator is taken again from the checkpoint.
/// AWS expires iterators after 15 minutes; the emulator's go stale sooner: a failed
/// transaction puts back a copy of the table, stream included, and an iterator taken before
/// keeps reading the discarded one.
const REFRESH: Duration = Duration::from_secs(1);

/// How many of the last records read the checkpoint keeps: as many as one transaction may
/// write (TransactWriteItems takes up to 100 items), so that it reaches back past every record
/// a rolled-back transaction may have left in a discarded stream.
const KEEP: usize = 100;

/// Where the pump is in one shard: a checkpoint, as Lambda keeps one. Not a bare sequence
/// number: the emulator numbers a shard's records by their position in it, and a failed
/// transaction's writes are applied (and appended to the stream) before it puts back the copy
/// of the table it took at the start. A pump that read such a record from the discarded stream
/// would resume after its number and skip the real record that takes the same number next. So
/// the checkpoint is the last [`KEEP`] records read, by sequence number and event id: reading
/// again starts at the oldest of them and passes over those already read (by event id, unique
/// to a record), so whatever the live stream holds at those positions and was not read yet is
/// delivered. In AWS, where a number is never reused, this only reads a few records twice.
struct Cursor {
    shard: String,
    iterator: Option<String>,
    /// Oldest first: (sequence number, event id).
    read: VecDeque<(String, String)>,
    taken_at: Instant,
    idle: bool,
    closed: bool,
}

impl Cursor {
    /// Passes over the records already read; remembers and returns the others, in order.
    fn unread(&mut self, records: &[Record]) -> Vec<Record> {
        let newest = self.read.back().map(|(seq, _)| seq.clone());
        let mut fresh = Vec::new();
        for r in records {
            let seq = r
                .dynamodb()
                .and_then(|d| d.sequence_number())
                .unwrap_or_default()
                .to_owned();
            let id = r.event_id().map_or_else(|| seq.clone(), str::to_owned);
            if self.read.iter().any(|(_, e)| *e == id) {
                continue;
            }
            if newest.as_deref().is_some_and(|n| !later(&seq, n)) {
                tracing::warn!(sequence = %seq, shard = %self.shard, "stream record at or before the checkpoint not read yet (the emulator rolled back a transaction the pump had read from); delivering it");
            }
            self.read.push_back((seq, id));
            if self.read.len() > KEEP {
                self.read.pop_front();
            }
            fresh.push(r.clone());
        }
        fresh
    }
}

/// Whether sequence number `a` comes after `b` (decimal strings, not all of one length).
fn later(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

/// Reads the stream's shards from their start (TRIM_HORIZON, as the template's
/// StartingPosition), then from each checkpoint.
#[derive(Default)]
struct Reader {
    cursors: Vec<Cursor>,
}

impl Reader {
    async fn next(&mut self, s: &Stream) -> Result<Vec<Record>, String> {
        if self.cursors.iter().all(|c| c.closed) {
            // First read, or every shard closed: look for the shards (and successors).
            let d = s
                .streams
                .describe_stream()
                .stream_arn(&s.stream_arn)
                .send()
                .await
                .map_err(|e| format!("DescribeStream: {e:?}"))?;
            let known: Vec<String> = self.cursors.iter().map(|c| c.shard.clone()).collect();
            let shards = d
                .stream_description()
                .map(|d| d.shards())
                .unwrap_or_default();
            for id in shards.iter().filter_map(|sh| sh.shard_id()) {
                if !known.iter().any(|k| k == id) {
                    self.cursors.push(Cursor {
                        shard: id.to_owned(),
                        iterator: None,
                        read: VecDeque::new(),
                        taken_at: Instant::now(),
                        idle: false,
                        closed: false,
                    });
                }
            }
        }
        let mut out = Vec::new();
        for c in self.cursors.iter_mut().filter(|c| !c.closed) {
            if c.iterator.is_none() || (c.idle && c.taken_at.elapsed() >= REFRESH) {
                let req = s
                    .streams
                    .get_shard_iterator()
                    .stream_arn(&s.stream_arn)
                    .shard_id(&c.shard);
                let horizon = req
                    .clone()
                    .shard_iterator_type(ShardIteratorType::TrimHorizon);
                let it = match c.read.front() {
                    Some((seq, _)) => match req
                        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
                        .sequence_number(seq)
                        .send()
                        .await
                    {
                        // Aged out of the stream (after 24 h in AWS): what is left starts later.
                        Err(e)
                            if e.as_service_error()
                                .is_some_and(|e| e.is_trimmed_data_access_exception()) =>
                        {
                            horizon.send().await
                        }
                        other => other,
                    },
                    None => horizon.send().await,
                };
                let it = match it {
                    Ok(it) => it,
                    Err(e) if out.is_empty() => return Err(format!("GetShardIterator: {e:?}")),
                    Err(e) => {
                        // As a failed read below: hand over what other shards gave.
                        tracing::warn!(error = ?e, "stream read failed for one shard; retrying it");
                        break;
                    }
                };
                c.iterator = it.shard_iterator().map(str::to_owned);
                c.taken_at = Instant::now();
            }
            let Some(it) = c.iterator.clone() else {
                c.closed = true;
                continue;
            };
            let r = match s
                .streams
                .get_records()
                .shard_iterator(&it)
                .limit(KEEP as i32)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    // Taken again from the checkpoint next time: the same records come again.
                    c.iterator = None;
                    if out.is_empty() {
                        return Err(format!("GetRecords: {e:?}"));
                    }
                    // Other shards' records of this pass are already past their checkpoints:
                    // hand them over now, this shard is read again next time.
                    tracing::warn!(error = ?e, "stream read failed for one shard; retrying it");
                    break;
                }
            };
            let fresh = c.unread(r.records());
            c.idle = fresh.is_empty();
            match r.next_shard_iterator() {
                Some(next) => c.iterator = Some(next.to_owned()),
                None => c.closed = true,
            }
            out.extend(fresh);
        }
        Ok(out)
    }
}

/// A stream record as Lambda delivers it in a DynamoDB Streams event.
fn lambda_record(r: &Record) -> Value {
    let d = r.dynamodb();
    let image = |m: Option<&std::collections::HashMap<String, Av>>| {
        Value::Object(
            m.into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), av_json(v)))
                .collect(),
        )
    };
    json!({
        "eventID": r.event_id(),
        "eventName": r.event_name().map(|n| n.as_str()),
        "eventVersion": r.event_version(),
        "eventSource": "aws:dynamodb",
        "awsRegion": crate::provision::REGION,
        "dynamodb": {
            "ApproximateCreationDateTime": d
                .and_then(|d| d.approximate_creation_date_time())
                .map(|t| t.as_secs_f64())
                .unwrap_or_default(),
            "Keys": image(d.and_then(|d| d.keys.as_ref())),
            "NewImage": image(d.and_then(|d| d.new_image.as_ref())),
            "SequenceNumber": d.and_then(|d| d.sequence_number()),
            "SizeBytes": d.and_then(|d| d.size_bytes()).unwrap_or_default(),
            "StreamViewType": "NEW_IMAGE",
        },
    })
}

/// One attribute in DynamoDB's JSON.
fn av_json(a: &Av) -> Value {
    match a {
        Av::S(x) => json!({ "S": x }),
        Av::N(x) => json!({ "N": x }),
        Av::Bool(x) => json!({ "BOOL": x }),
        Av::Ss(x) => json!({ "SS": x }),
        Av::Ns(x) => json!({ "NS": x }),
        Av::L(x) => json!({ "L": x.iter().map(av_json).collect::<Vec<_>>() }),
        Av::M(x) => {
            json!({ "M": x.iter().map(|(k, v)| (k.clone(), av_json(v))).collect::<serde_json::Map<_, _>>() })
        }
        _ => json!({ "NULL": true }),
    }
}
