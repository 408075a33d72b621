//! Event sources: the worker's SQS events on the uploads and scan results queues, and the upload log's change
//! stream to the notifier with the settings the local stream pump implements.

use std::collections::BTreeMap;
use std::time::Duration;

use dropgate_local::provision::{self, TABLE_SHAPES};
use dropgate_local::{pump, stream_pump};
use serde_yaml::Value;

use super::toolkit::{
    FUNCTION, MAPPING, QUEUE, SCAN_QUEUE, TABLE, at, bool_at, functions, get_att_of, intrinsic,
    logical_id, logical_ids, ref_of, resource, resources_of_type, seq_at, str_at, template,
};

/// Where the local stream pump starts reading a shard (local/src/stream_pump.rs).
const STARTING_POSITION: &str = "TRIM_HORIZON";

/// The worker's SQS event sources, by the queue each reads (`X.Arn` -> the event's properties).
pub(super) fn worker_sqs_sources(t: &Value) -> BTreeMap<String, &Value> {
    let events = at(resource(t, "WorkerFunction", FUNCTION), "Properties.Events");
    let mut out = BTreeMap::new();
    for (name, e) in events.as_mapping().expect("Events is a mapping") {
        if e.get("Type").and_then(Value::as_str) != Some("SQS") {
            continue;
        }
        let props = at(e, "Properties");
        let queue = get_att_of(at(props, "Queue"))
            .unwrap_or_else(|| panic!("WorkerFunction event {name:?}: Queue is not !GetAtt X.Arn"));
        assert!(
            out.insert(queue.clone(), props).is_none(),
            "WorkerFunction: two events on {queue}"
        );
    }
    out
}

/// The worker reads two queues, the uploads queue and the scan results queue, each like the
/// local pump: batches of `pump::BATCH`, partial batch responses, and the batching window the
/// local stack defaults to (no window: a person waits on the drop page for the verdict).
#[test]
fn the_worker_consumes_both_queues_as_the_local_pump_does() {
    let t = template();
    let ids = logical_ids();
    let uploads = logical_id(&t, &ids, provision::QUEUE, QUEUE);
    let scans = logical_id(&t, &ids, SCAN_QUEUE, QUEUE);
    let sources = worker_sqs_sources(&t);
    assert_eq!(
        sources.keys().cloned().collect::<Vec<_>>(),
        {
            let mut v = vec![format!("{uploads}.Arn"), format!("{scans}.Arn")];
            v.sort();
            v
        },
        "WorkerFunction's SQS event sources: the uploads queue and the scan results queue"
    );
    let local_window = dropgate_local::Options::default().batch_window;
    for (queue, p) in &sources {
        let d = format!("WorkerFunction's event on {queue}");
        assert_eq!(
            at(p, "BatchSize").as_u64(),
            Some(pump::BATCH as u64),
            "{d}: BatchSize vs pump::BATCH"
        );
        assert!(
            seq_at(p, "FunctionResponseTypes")
                .iter()
                .any(|v| v.as_str() == Some("ReportBatchItemFailures")),
            "{d}: must report partial batch failures, as the local pump honours them"
        );
        let window = at(p, "MaximumBatchingWindowInSeconds")
            .as_u64()
            .unwrap_or_else(|| panic!("{d}: MaximumBatchingWindowInSeconds is not a number"));
        assert_eq!(
            Duration::from_secs(window),
            local_window,
            "{d}: the batching window vs the local pump's default (--batch-window-ms)"
        );
    }
    // Scanning off: the scan results queue is not polled (nothing could arrive there).
    let enabled = sources[&format!("{scans}.Arn")]
        .get("Enabled")
        .expect("the scan results event's Enabled follows MalwareScanning");
    let (name, args) = intrinsic(enabled).expect("Enabled is an !If");
    let args = args.as_sequence().map(Vec::as_slice).unwrap_or_default();
    assert_eq!(name, "If");
    assert_eq!(
        args,
        [
            Value::from("ScanningOn"),
            Value::from(true),
            Value::from(false)
        ],
        "the scan results event is enabled exactly when scanning is on"
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
