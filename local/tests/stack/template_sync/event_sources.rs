//! Event sources: the worker's SQS event on the uploads queue, and the upload log's change
//! stream to the notifier with the settings the local stream pump implements.

use dropgate_local::provision::{self, TABLE_SHAPES};
use dropgate_local::stream_pump;
use serde_yaml::Value;

use super::toolkit::{
    FUNCTION, MAPPING, QUEUE, TABLE, at, bool_at, functions, get_att_of, logical_id, logical_ids,
    ref_of, resource, resources_of_type, seq_at, str_at, template,
};

/// Where the local stream pump starts reading a shard (local/src/stream_pump.rs).
const STARTING_POSITION: &str = "TRIM_HORIZON";

#[test]
fn the_worker_consumes_the_uploads_queue_with_partial_batch_responses() {
    let t = template();
    let ids = logical_ids();
    let queue_id = logical_id(&t, &ids, provision::QUEUE, QUEUE);
    let events = at(
        resource(&t, "WorkerFunction", FUNCTION),
        "Properties.Events",
    );
    let sqs: Vec<&Value> = events
        .as_mapping()
        .expect("Events is a mapping")
        .values()
        .filter(|e| e.get("Type").and_then(Value::as_str) == Some("SQS"))
        .collect();
    assert_eq!(sqs.len(), 1, "WorkerFunction: one SQS event source");
    assert_eq!(
        get_att_of(at(sqs[0], "Properties.Queue")),
        Some(format!("{queue_id}.Arn")),
        "WorkerFunction's queue"
    );
    assert!(
        seq_at(sqs[0], "Properties.FunctionResponseTypes")
            .iter()
            .any(|v| v.as_str() == Some("ReportBatchItemFailures")),
        "WorkerFunction must report partial batch failures, as the local pump honours them"
    );
}

/// A DynamoDB stream event source of a function, as a SAM `DynamoDB` event of the function or as
/// an `AWS::Lambda::EventSourceMapping` naming it: where it is declared, the table whose stream
/// it reads, its settings (the two spell them alike but for the stream's name), and whether SAM
/// grants the role its stream reads (the managed AWSLambdaDynamoDBExecutionRole, for events).
pub(super) struct StreamSource<'a> {
    pub(super) declared: String,
    pub(super) table: String,
    pub(super) props: &'a Value,
    pub(super) sam_event: bool,
}

pub(super) fn stream_sources<'a>(t: &'a Value, function: &str) -> Vec<StreamSource<'a>> {
    let table_of = |v: &Value, what: &str| -> String {
        get_att_of(v)
            .and_then(|a| a.strip_suffix(".StreamArn").map(str::to_owned))
            .unwrap_or_else(|| panic!("{what}: the stream is not !GetAtt <table>.StreamArn: {v:?}"))
    };
    let mut out = Vec::new();
    let events = at(resource(t, function, FUNCTION), "Properties")
        .get("Events")
        .and_then(Value::as_mapping);
    for (name, e) in events.into_iter().flatten() {
        if e.get("Type").and_then(Value::as_str) != Some("DynamoDB") {
            continue;
        }
        let declared = format!("{function} event {}", name.as_str().unwrap_or("?"));
        let props = at(e, "Properties");
        out.push(StreamSource {
            table: table_of(at(props, "Stream"), &declared),
            declared,
            props,
            sam_event: true,
        });
    }
    for (id, m) in resources_of_type(t, MAPPING) {
        let props = at(m, "Properties");
        let f = at(props, "FunctionName");
        let names_it = ref_of(f) == Some(function)
            || get_att_of(f).as_deref() == Some(format!("{function}.Arn").as_str());
        let source = at(props, "EventSourceArn");
        if !names_it || !get_att_of(source).is_some_and(|a| a.ends_with(".StreamArn")) {
            continue;
        }
        out.push(StreamSource {
            table: table_of(source, id),
            declared: id.to_owned(),
            props,
            sam_event: false,
        });
    }
    out
}

/// The upload log's change stream (the notification outbox) feeds the notifier, and nothing
/// else reads a stream: with the settings the local stream pump implements (batch size, retries,
/// bisection, partial batch responses, where it starts) and its on-failure queue.
#[test]
fn the_upload_log_stream_feeds_the_notifier_as_the_local_pump_does() {
    let t = template();
    let ids = logical_ids();
    let streamed: Vec<String> = TABLE_SHAPES
        .iter()
        .filter(|s| s.stream)
        .map(|s| logical_id(&t, &ids, s.name, TABLE))
        .collect();
    assert_eq!(
        streamed,
        vec![logical_id(&t, &ids, provision::UPLOAD_LOG_TABLE, TABLE)],
        "the tables with a stream in TABLE_SHAPES"
    );
    let notify_id = logical_id(&t, &ids, provision::NOTIFY_DLQ, QUEUE);

    let mut consumers: Vec<(String, String)> = Vec::new();
    for (function, _, _) in functions() {
        for s in stream_sources(&t, function) {
            consumers.push((function.to_owned(), s.table.clone()));
        }
    }
    assert_eq!(
        consumers,
        vec![("NotifierFunction".to_owned(), streamed[0].clone())],
        "stream event sources: (function, table)"
    );
    // A mapping that names no function of the template's would be a consumer this test misses.
    for (id, m) in resources_of_type(&t, MAPPING) {
        let f = at(m, "Properties.FunctionName");
        let target = ref_of(f)
            .map(str::to_owned)
            .or_else(|| get_att_of(f).and_then(|a| a.strip_suffix(".Arn").map(str::to_owned)));
        assert!(
            target
                .as_deref()
                .is_some_and(|f| functions().iter().any(|(id, _, _)| *id == f)),
            "{id}: maps to {f:?}, not a function of the template"
        );
    }

    let [source] = &stream_sources(&t, "NotifierFunction")[..] else {
        unreachable!("checked above")
    };
    let (d, p) = (&source.declared, source.props);
    assert_eq!(
        str_at(p, "StartingPosition"),
        STARTING_POSITION,
        "{d}: StartingPosition vs the local pump's shard iterators"
    );
    assert_eq!(
        at(p, "BatchSize").as_u64(),
        Some(stream_pump::BATCH as u64),
        "{d}: BatchSize vs stream_pump::BATCH"
    );
    assert_eq!(
        at(p, "MaximumRetryAttempts").as_u64(),
        Some(u64::from(stream_pump::MAX_RETRIES)),
        "{d}: MaximumRetryAttempts vs stream_pump::MAX_RETRIES"
    );
    assert!(
        bool_at(p, "BisectBatchOnFunctionError"),
        "{d}: the local pump bisects a failing batch"
    );
    assert!(
        seq_at(p, "FunctionResponseTypes")
            .iter()
            .any(|v| v.as_str() == Some("ReportBatchItemFailures")),
        "{d}: the notifier reports the first record it did not deliver; without \
         ReportBatchItemFailures Lambda would ignore that and checkpoint past it"
    );
    // Not more than one batch at a time per shard (the local pump's; and each owner's entries
    // stay in order).
    if let Some(f) = p.get("ParallelizationFactor") {
        assert_eq!(f.as_u64(), Some(1), "{d}: ParallelizationFactor");
    }
    assert_eq!(
        get_att_of(at(p, "DestinationConfig.OnFailure.Destination")),
        Some(format!("{notify_id}.Arn")),
        "{d}: the on-failure destination vs provision::NOTIFY_DLQ"
    );
    // The local pump hands every record to the notifier, which skips all but INSERTs: a filter
    // may drop the rest before they invoke, never an INSERT.
    if let Some(filters) = p.get("FilterCriteria") {
        for f in seq_at(filters, "Filters") {
            let pattern: serde_json::Value = serde_json::from_str(str_at(f, "Pattern"))
                .unwrap_or_else(|e| panic!("{d}: a filter pattern is not JSON: {e}"));
            assert_eq!(
                pattern,
                serde_json::json!({"eventName": ["INSERT"]}),
                "{d}: the only filter that drops nothing the notifier delivers"
            );
        }
    }
}
