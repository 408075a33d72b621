//! Tables: keys, attribute types, indexes, billing, TTL, point-in-time recovery, encryption and
//! change streams, against the local stack's TABLE_SHAPES.

use std::collections::BTreeSet;

use dropgate_local::provision::{self, TABLE_SHAPES};
use serde_yaml::Value;

use super::toolkit::{
    STACK, TABLE, at, bool_at, get_att_of, logical_id, logical_ids, resource, resources_of_type,
    seq_at, str_at, sub_with_stack, template,
};

/// The stream view the local stack gives a table with `stream: true` (local/src/provision.rs),
/// and what the notifier reads (each record's new image).
const STREAM_VIEW: &str = "NEW_IMAGE";

/// [(attribute, key type)] of a KeySchema list.
fn key_schema(v: &Value, path: &str) -> Vec<(String, String)> {
    seq_at(v, path)
        .iter()
        .map(|k| {
            (
                str_at(k, "AttributeName").to_owned(),
                str_at(k, "KeyType").to_owned(),
            )
        })
        .collect()
}

fn expected_keys(pk: &str, sk: Option<&str>) -> Vec<(String, String)> {
    let mut keys = vec![(pk.to_owned(), "HASH".to_owned())];
    if let Some(sk) = sk {
        keys.push((sk.to_owned(), "RANGE".to_owned()));
    }
    keys
}

#[test]
fn every_table_matches_its_local_shape() {
    let t = template();
    let ids = logical_ids();
    let mut seen = BTreeSet::new();
    for shape in TABLE_SHAPES {
        let id = logical_id(&t, &ids, shape.name, TABLE);
        let table = resource(&t, &id, TABLE);
        let p = at(table, "Properties");
        seen.insert(id.clone());

        assert_eq!(
            sub_with_stack(at(p, "TableName"), STACK).as_deref(),
            Some(shape.name),
            "{id}.TableName for stack {STACK:?}"
        );
        assert_eq!(
            str_at(p, "BillingMode"),
            "PAY_PER_REQUEST",
            "{id}.BillingMode"
        );
        assert_eq!(
            key_schema(p, "KeySchema"),
            expected_keys(shape.partition_key, shape.sort_key),
            "{id}.KeySchema"
        );

        // The local stack declares every key attribute as a string (S); CloudFormation rejects
        // definitions that no key uses, so the sets must be equal.
        let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
        let mut add = |name: &str| wanted.insert((name.to_owned(), "S".to_owned()));
        add(shape.partition_key);
        if let Some(sk) = shape.sort_key {
            add(sk);
        }
        for index in shape.indexes {
            add(index.partition_key);
            if let Some(sk) = index.sort_key {
                add(sk);
            }
        }
        let defined: BTreeSet<(String, String)> = seq_at(p, "AttributeDefinitions")
            .iter()
            .map(|a| {
                (
                    str_at(a, "AttributeName").to_owned(),
                    str_at(a, "AttributeType").to_owned(),
                )
            })
            .collect();
        assert_eq!(defined, wanted, "{id}.AttributeDefinitions");

        let gsis: &[Value] = p
            .get("GlobalSecondaryIndexes")
            .map(|g| {
                g.as_sequence()
                    .expect("GlobalSecondaryIndexes is a list")
                    .as_slice()
            })
            .unwrap_or(&[]);
        let names: BTreeSet<&str> = gsis.iter().map(|g| str_at(g, "IndexName")).collect();
        let local_names: BTreeSet<&str> = shape.indexes.iter().map(|i| i.name).collect();
        assert_eq!(names, local_names, "{id}.GlobalSecondaryIndexes names");
        for index in shape.indexes {
            let g = gsis
                .iter()
                .find(|g| str_at(g, "IndexName") == index.name)
                .expect("checked above");
            assert_eq!(
                key_schema(g, "KeySchema"),
                expected_keys(index.partition_key, index.sort_key),
                "{id} index {}: KeySchema",
                index.name
            );
            assert_eq!(
                str_at(g, "Projection.ProjectionType"),
                "ALL",
                "{id} index {}: projection",
                index.name
            );
        }
        assert!(
            p.get("LocalSecondaryIndexes").is_none(),
            "{id}: local secondary indexes the local stack does not create"
        );

        if shape.stream {
            assert_eq!(
                str_at(p, "StreamSpecification.StreamViewType"),
                STREAM_VIEW,
                "{id}: its local shape has a stream (of new images)"
            );
        } else {
            assert!(
                p.get("StreamSpecification").is_none(),
                "{id}: a change stream the local stack does not create"
            );
        }
        assert!(
            p.get("KinesisStreamSpecification").is_none(),
            "{id}: a Kinesis stream the local stack does not create"
        );

        assert_eq!(
            str_at(p, "TimeToLiveSpecification.AttributeName"),
            shape.ttl_attribute,
            "{id} TTL attribute"
        );
        assert!(bool_at(p, "TimeToLiveSpecification.Enabled"), "{id} TTL");
        assert!(
            bool_at(
                p,
                "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled"
            ),
            "{id} point-in-time recovery"
        );
        assert!(bool_at(p, "SSESpecification.SSEEnabled"), "{id} SSE");
        assert_eq!(
            str_at(p, "SSESpecification.SSEType"),
            "KMS",
            "{id} SSE type"
        );
        assert_eq!(
            get_att_of(at(p, "SSESpecification.KMSMasterKeyId")).as_deref(),
            Some(
                format!(
                    "{}.Arn",
                    logical_id(&t, &ids, provision::KMS_ALIAS, "AWS::KMS::Key")
                )
                .as_str()
            ),
            "{id} SSE key"
        );
    }
    let in_template: BTreeSet<String> = resources_of_type(&t, TABLE)
        .into_iter()
        .map(|(id, _)| id.to_owned())
        .collect();
    assert_eq!(
        in_template, seen,
        "tables in template.yaml vs TABLE_SHAPES (local/src/provision.rs)"
    );
}
