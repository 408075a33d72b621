//! Queues, topic and bucket: the uploads queue's names and redrive, the notifier's on-failure
//! queue (encrypted, kept 14 days, alarmed), the events topic, and the bucket's notification of
//! the uploads prefix to the queue.

use std::collections::BTreeSet;

use dropgate_local::provision::{self, MAX_RECEIVE_COUNT};
use serde_yaml::Value;

use super::toolkit::{
    BUCKET, QUEUE, STACK, TOPIC, at, get_att_of, logical_id, logical_ids, resource,
    resources_of_type, seq_at, str_at, sub_with_stack, template,
};

/// The events the local stack subscribes the queue to (local/src/provision.rs).
const NOTIFIED_EVENT: &str = "s3:ObjectCreated:*";

/// The on-failure queue's retention, as the local stack creates it: 14 days.
const NOTIFY_DLQ_RETENTION_SECS: u64 = 1_209_600;

#[test]
fn queues_redrive_and_names_match() {
    let t = template();
    let ids = logical_ids();
    let queue_id = logical_id(&t, &ids, provision::QUEUE, QUEUE);
    let dlq_id = logical_id(&t, &ids, provision::DLQ, QUEUE);
    let queue = at(resource(&t, &queue_id, QUEUE), "Properties");
    let dlq = at(resource(&t, &dlq_id, QUEUE), "Properties");

    for (id, q, local) in [
        (&queue_id, queue, provision::QUEUE),
        (&dlq_id, dlq, provision::DLQ),
    ] {
        assert_eq!(
            sub_with_stack(at(q, "QueueName"), STACK).as_deref(),
            Some(local),
            "{id}.QueueName for stack {STACK:?}"
        );
    }
    let redrive = at(queue, "RedrivePolicy");
    assert_eq!(
        at(redrive, "maxReceiveCount").as_u64(),
        Some(u64::from(MAX_RECEIVE_COUNT)),
        "{queue_id} RedrivePolicy.maxReceiveCount vs provision::MAX_RECEIVE_COUNT"
    );
    assert_eq!(
        get_att_of(at(redrive, "deadLetterTargetArn")),
        Some(format!("{dlq_id}.Arn")),
        "{queue_id} RedrivePolicy.deadLetterTargetArn"
    );
    assert!(
        dlq.get("RedrivePolicy").is_none(),
        "{dlq_id}: the dead-letter queue has no redrive of its own"
    );

    // The notifier's on-failure destination: encrypted like the others, kept 14 days, no redrive.
    let notify_id = logical_id(&t, &ids, provision::NOTIFY_DLQ, QUEUE);
    let notify = at(resource(&t, &notify_id, QUEUE), "Properties");
    assert_eq!(
        sub_with_stack(at(notify, "QueueName"), STACK).as_deref(),
        Some(provision::NOTIFY_DLQ),
        "{notify_id}.QueueName for stack {STACK:?}"
    );
    assert_eq!(
        at(notify, "MessageRetentionPeriod").as_u64(),
        Some(NOTIFY_DLQ_RETENTION_SECS),
        "{notify_id}.MessageRetentionPeriod vs the local stack's"
    );
    assert!(
        notify.get("RedrivePolicy").is_none(),
        "{notify_id}: the on-failure queue has no redrive of its own"
    );
    let key_id = logical_id(&t, &ids, provision::KMS_ALIAS, "AWS::KMS::Key");
    for (id, q) in [(&queue_id, queue), (&dlq_id, dlq), (&notify_id, notify)] {
        assert_eq!(
            get_att_of(at(q, "KmsMasterKeyId")),
            Some(format!("{key_id}.Arn")),
            "{id}: encrypted with the data key"
        );
    }
    // Someone is told when it holds anything.
    let watched: Vec<&str> = resources_of_type(&t, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| {
            let p = at(a, "Properties");
            p.get("Namespace").and_then(Value::as_str) == Some("AWS/SQS")
                && p.get("Dimensions")
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .any(|d| {
                        d.get("Value").and_then(get_att_of)
                            == Some(format!("{notify_id}.QueueName"))
                    })
        })
        .map(|(id, _)| id)
        .collect();
    assert!(
        !watched.is_empty(),
        "{notify_id}: no CloudWatch alarm on its messages"
    );

    let topic_id = logical_id(&t, &ids, provision::TOPIC, TOPIC);
    let topic = at(resource(&t, &topic_id, TOPIC), "Properties");
    assert_eq!(
        sub_with_stack(at(topic, "TopicName"), STACK).as_deref(),
        Some(provision::TOPIC),
        "{topic_id}.TopicName for stack {STACK:?}"
    );
}

#[test]
fn bucket_notifies_the_uploads_prefix_to_the_queue() {
    let t = template();
    let ids = logical_ids();
    let bucket_id = logical_id(&t, &ids, provision::BUCKET, BUCKET);
    let queue_id = logical_id(&t, &ids, provision::QUEUE, QUEUE);
    let bucket = at(resource(&t, &bucket_id, BUCKET), "Properties");
    let notification = at(bucket, "NotificationConfiguration");
    let kinds: BTreeSet<&str> = notification
        .as_mapping()
        .expect("NotificationConfiguration is a mapping")
        .keys()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["QueueConfigurations"]),
        "{bucket_id}: the local stack notifies only the uploads queue"
    );
    let configs = seq_at(notification, "QueueConfigurations");
    assert_eq!(configs.len(), 1, "{bucket_id}: one queue configuration");
    let c = &configs[0];
    assert_eq!(str_at(c, "Event"), NOTIFIED_EVENT, "{bucket_id} event");
    assert_eq!(
        get_att_of(at(c, "Queue")),
        Some(format!("{queue_id}.Arn")),
        "{bucket_id} notification target"
    );
    let rules: Vec<(String, &str)> = seq_at(c, "Filter.S3Key.Rules")
        .iter()
        .map(|r| (str_at(r, "Name").to_ascii_lowercase(), str_at(r, "Value")))
        .collect();
    assert_eq!(
        rules,
        vec![("prefix".to_owned(), dropgate_core::keys::UPLOADS_PREFIX)],
        "{bucket_id} notification filter vs dropgate_core::keys::UPLOADS_PREFIX"
    );
}
