//! template.yaml (what `sam deploy` creates) against the local stack's provisioning (what
//! `dropgate-local` creates on the emulator), so that the two cannot drift apart unnoticed:
//! tables (keys, attribute types, indexes, billing, TTL, PITR, SSE, change streams), the uploads
//! queue's redrive, the notifier's on-failure queue, the bucket notification, the functions'
//! environment variables and how they are wired, the upload log stream's event source against the
//! local stream pump, the parameters' defaults against the code's, the tables, streams, topic and
//! mail identity each function's policy reaches, and the HTTP API's routes against the API
//! handler's route table.
//!
//! Local names map to logical ids through the table in docs/RESOURCES.md, which this test reads,
//! as it reads which function gets which variable there, so those tables are held in step too.
//! Offline: no emulator, no AWS.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use dropgate_local::provision::{self, MAX_RECEIVE_COUNT, TABLE_SHAPES};
use dropgate_local::stream_pump;
use serde_yaml::Value;

/// The stack name `sam deploy` uses by default (samconfig.toml): with it, the template's
/// `!Sub ${AWS::StackName}-...` names are the local stack's names.
const STACK: &str = "dropgate";
/// The events the local stack subscribes the queue to (local/src/provision.rs).
const NOTIFIED_EVENT: &str = "s3:ObjectCreated:*";

const TABLE: &str = "AWS::DynamoDB::Table";
const QUEUE: &str = "AWS::SQS::Queue";
const TOPIC: &str = "AWS::SNS::Topic";
const BUCKET: &str = "AWS::S3::Bucket";
const FUNCTION: &str = "AWS::Serverless::Function";
const MAPPING: &str = "AWS::Lambda::EventSourceMapping";
/// The stream view the local stack gives a table with `stream: true` (local/src/provision.rs),
/// and what the notifier reads (each record's new image).
const STREAM_VIEW: &str = "NEW_IMAGE";
/// Where the local stream pump starts reading a shard (local/src/stream_pump.rs).
const STARTING_POSITION: &str = "TRIM_HORIZON";
/// The on-failure queue's retention, as the local stack creates it: 14 days.
const NOTIFY_DLQ_RETENTION_SECS: u64 = 1_209_600;

/// The variables that name a resource, and its type. Every variable whose local value is a name
/// in docs/RESOURCES.md must be here (a test checks), so a new one cannot go unchecked.
const RESOURCE_VARIABLES: &[(&str, &str)] = &[
    ("BUCKET_NAME", BUCKET),
    ("FILES_TABLE", TABLE),
    ("QUOTAS_TABLE", TABLE),
    ("UPLOAD_LOG_TABLE", TABLE),
    ("LINKS_TABLE", TABLE),
    ("RATE_LIMIT_TABLE", TABLE),
    ("SHARES_TABLE", TABLE),
    ("DOWNLOAD_LOG_TABLE", TABLE),
    ("TOPIC_ARN", TOPIC),
    ("USER_POOL_ID", "AWS::Cognito::UserPool"),
    ("USER_POOL_CLIENT_ID", "AWS::Cognito::UserPoolClient"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// template.yaml, or the file `DROPGATE_TEMPLATE` names (to check, on an edited copy, that
/// this test catches a drift).
fn template() -> Value {
    let path = std::env::var_os("DROPGATE_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("template.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("template.yaml is not YAML: {e}"))
}

/// docs/RESOURCES.md, section "Names (local stack)": (local name, template logical id) rows.
/// A local name is not unique (the bucket and the uploads queue are both `dropgate-uploads`):
/// [`logical_id`] tells them apart by resource type.
fn logical_ids() -> Vec<(String, String)> {
    let path = root().join("docs/RESOURCES.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Names (local stack)"))
        .expect("docs/RESOURCES.md has a section \"## Names (local stack)\"");
    let mut rows = Vec::new();
    for line in section.lines() {
        // Rows like "| files table | `dropgate-files` | `FilesTable` |"; the KMS key's local
        // name is its alias, "created at start (alias `alias/dropgate`)".
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
        if let [_, local, id] = cells[..]
            && let (Some(local), Some(id)) = (backticked(local), backticked(id))
        {
            rows.push((local.to_owned(), id.to_owned()));
        }
    }
    assert!(
        rows.len() >= 10,
        "docs/RESOURCES.md: too few `local name` | `LogicalId` rows: {rows:?}"
    );
    rows
}

/// The first `backticked` span of a table cell.
fn backticked(cell: &str) -> Option<&str> {
    let (_, rest) = cell.split_once('`')?;
    Some(rest.split_once('`')?.0)
}

/// The logical id docs/RESOURCES.md gives the local resource `local` of type `ty`.
fn logical_id(t: &Value, ids: &[(String, String)], local: &str, ty: &str) -> String {
    let found: Vec<&String> = ids
        .iter()
        .filter(|(l, id)| {
            l == local
                && t.get("Resources")
                    .and_then(|r| r.get(id.as_str()))
                    .and_then(|r| r.get("Type"))
                    .and_then(Value::as_str)
                    == Some(ty)
        })
        .map(|(_, id)| id)
        .collect();
    match found[..] {
        [id] => id.clone(),
        _ => panic!(
            "docs/RESOURCES.md: {} logical ids of type {ty} in template.yaml for local name \
             {local:?}; expected one",
            found.len()
        ),
    }
}

/// `v[key]`, or a panic that names the path.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    let mut cur = v;
    for key in path.split('.') {
        cur = cur
            .get(key)
            .unwrap_or_else(|| panic!("template.yaml: {path}: no {key:?}"));
    }
    cur
}

fn str_at<'a>(v: &'a Value, path: &str) -> &'a str {
    at(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("template.yaml: {path} is not a string: {:?}", at(v, path)))
}

fn bool_at(v: &Value, path: &str) -> bool {
    match at(v, path) {
        Value::Bool(b) => *b,
        // CloudFormation also takes "true"/"false" strings.
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        other => panic!("template.yaml: {path} is not a boolean: {other:?}"),
    }
}

fn seq_at<'a>(v: &'a Value, path: &str) -> &'a [Value] {
    at(v, path)
        .as_sequence()
        .unwrap_or_else(|| panic!("template.yaml: {path} is not a list"))
}

/// An intrinsic function in short (`!Ref X`) or long (`{Ref: X}`, `{"Fn::GetAtt": ...}`) form:
/// its name without `Fn::` and its argument.
fn intrinsic(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        )),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            let k = k.as_str()?;
            (k == "Ref" || k.starts_with("Fn::"))
                .then(|| (k.trim_start_matches("Fn::").to_owned(), arg))
        }
        _ => None,
    }
}

/// `!Ref X` -> X.
fn ref_of(v: &Value) -> Option<&str> {
    match intrinsic(v)? {
        (name, Value::String(id)) if name == "Ref" => Some(id),
        _ => None,
    }
}

/// `!GetAtt X.Attr` or `!GetAtt [X, Attr]` -> "X.Attr".
fn get_att_of(v: &Value) -> Option<String> {
    match intrinsic(v)? {
        (name, Value::String(s)) if name == "GetAtt" => Some(s.clone()),
        (name, Value::Sequence(parts)) if name == "GetAtt" && parts.len() == 2 => {
            Some(format!("{}.{}", parts[0].as_str()?, parts[1].as_str()?))
        }
        _ => None,
    }
}

/// A `!Sub` of a plain string with `${AWS::StackName}` set to `stack` (other variables stay).
fn sub_with_stack(v: &Value, stack: &str) -> Option<String> {
    match intrinsic(v)? {
        (name, Value::String(s)) if name == "Sub" => Some(s.replace("${AWS::StackName}", stack)),
        _ => None,
    }
}

fn resource<'a>(t: &'a Value, id: &str, ty: &str) -> &'a Value {
    let r = t
        .get("Resources")
        .and_then(|r| r.get(id))
        .unwrap_or_else(|| panic!("template.yaml: no resource {id}"));
    assert_eq!(str_at(r, "Type"), ty, "template.yaml: {id}.Type");
    r
}

fn resources_of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    at(t, "Resources")
        .as_mapping()
        .expect("Resources is a mapping")
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(ty))
        .map(|(id, r)| (id.as_str().expect("logical ids are strings"), r))
        .collect()
}

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

/// The five functions: logical id, cargo binary, the variables their handler requires.
fn functions() -> [(&'static str, &'static str, &'static [&'static str]); 5] {
    [
        ("ApiFunction", "api", dropgate_api::REQUIRED_ENV),
        ("AuthFunction", "auth", dropgate_api::AUTH_REQUIRED_ENV),
        ("WorkerFunction", "worker", dropgate_worker::REQUIRED_ENV),
        ("JanitorFunction", "janitor", dropgate_janitor::REQUIRED_ENV),
        (
            "NotifierFunction",
            "notifier",
            dropgate_notifier::REQUIRED_ENV,
        ),
    ]
}

/// The variables the template sets on a function: Globals.Function first, the function's own
/// over them.
fn function_env<'a>(t: &'a Value, id: &str) -> BTreeMap<String, &'a Value> {
    let mut env = BTreeMap::new();
    let globals = t
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Environment"))
        .and_then(|e| e.get("Variables"));
    let own = resource(t, id, FUNCTION)
        .get("Properties")
        .and_then(|p| p.get("Environment"))
        .and_then(|e| e.get("Variables"));
    for vars in [globals, own].into_iter().flatten() {
        for (k, v) in vars.as_mapping().expect("Variables is a mapping") {
            env.insert(
                k.as_str().expect("variable names are strings").to_owned(),
                v,
            );
        }
    }
    env
}

#[test]
fn every_function_gets_the_variables_it_requires() {
    let t = template();
    let declared: BTreeSet<&str> = resources_of_type(&t, FUNCTION)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let known: BTreeSet<&str> = functions().iter().map(|(id, _, _)| *id).collect();
    assert_eq!(
        declared, known,
        "functions in template.yaml vs the handlers this test knows (add the new one's REQUIRED_ENV)"
    );
    for (id, binary, required) in functions() {
        let f = resource(&t, id, FUNCTION);
        assert_eq!(
            str_at(f, "Metadata.BuildProperties.Binary"),
            binary,
            "{id}: cargo binary"
        );
        let env = function_env(&t, id);
        for &name in required {
            let value = env
                .get(name)
                .unwrap_or_else(|| panic!("{id} does not set {name}, which its handler requires"));
            assert!(
                value.as_str() != Some(""),
                "{id} sets {name} to \"\", which its handler rejects"
            );
        }
    }
}

/// Variables the template sets for the AWS SDK itself, not for `dropgate_infra::Config`.
const SDK_VARIABLES: &[&str] = &["SMITHY_CLIENT_SDK_CUSTOM_PARTITION"];

/// The SDK's partitions variable names the file of the layer every function gets, with it, in
/// the `aws` partition only (infra/tests/partitions.rs holds the file to the SDK's own tables).
#[test]
fn the_partitions_table_comes_with_its_layer_on_every_function() {
    let t = template();
    let layer = t["Resources"]["PartitionsLayer"].clone();
    assert_eq!(layer["Condition"], "InAwsPartition");
    assert_eq!(layer["Properties"]["ContentUri"], "infra/partitions/");
    assert!(root().join("infra/partitions/partitions.json").is_file());
    for (id, _, _) in functions() {
        let props = &t["Resources"][id]["Properties"];
        let layers = format!("{:?}", props["Layers"]);
        assert!(
            layers.contains("InAwsPartition") && layers.contains("PartitionsLayer"),
            "{id}: Layers {layers}"
        );
        let var = format!(
            "{:?}",
            function_env(&t, id)
                .get("SMITHY_CLIENT_SDK_CUSTOM_PARTITION")
                .unwrap_or_else(|| panic!("{id} does not set the partitions variable"))
        );
        assert!(
            var.contains("InAwsPartition") && var.contains("/opt/partitions.json"),
            "{id}: {var}"
        );
    }
}

#[test]
fn every_variable_the_template_sets_is_one_the_config_reads() {
    let t = template();
    let known: BTreeSet<&str> = dropgate_infra::Config::default()
        .to_env()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for (id, _, _) in functions() {
        for (name, value) in function_env(&t, id) {
            assert!(
                known.contains(name.as_str()) || SDK_VARIABLES.contains(&name.as_str()),
                "{id} sets {name}, which dropgate_infra::Config does not read (a typo?)"
            );
            // Local-stack-only switches must stay off on AWS.
            if name == "AUTO_CONFIRM_SIGNUP" || name == "S3_FORCE_PATH_STYLE" {
                let v = value.as_str().map(str::to_ascii_lowercase);
                assert!(
                    v.as_deref() == Some("false"),
                    "{id} sets {name} to {value:?}: only the local stack turns it on"
                );
            }
        }
    }
}

/// The local stack's address in these tests.
const LOCAL_API: &str = "http://127.0.0.1:3000";

/// The resources the local stack provisions, named as it names them.
fn local_resources() -> provision::Resources {
    provision::Resources {
        bucket: provision::BUCKET.into(),
        queue_url: provision::QUEUE.into(),
        dlq_url: provision::DLQ.into(),
        notify_dlq_url: provision::NOTIFY_DLQ.into(),
        upload_log_stream_arn: format!(
            "arn:aws:dynamodb:{}:{}:table/{}/stream/2026-01-01T00:00:00.000",
            provision::REGION,
            provision::ACCOUNT,
            provision::UPLOAD_LOG_TABLE
        ),
        topic_arn: provision::TOPIC.into(),
        tables: provision::Tables {
            files: provision::FILES_TABLE.into(),
            quotas: provision::QUOTAS_TABLE.into(),
            upload_log: provision::UPLOAD_LOG_TABLE.into(),
            links: provision::LINKS_TABLE.into(),
            rate_limits: provision::RATE_LIMIT_TABLE.into(),
            shares: provision::SHARES_TABLE.into(),
            download_log: provision::DOWNLOAD_LOG_TABLE.into(),
        },
        user_pool_id: provision::USER_POOL.into(),
        user_pool_client_id: provision::USER_POOL_CLIENT.into(),
        kms_key_id: provision::KMS_ALIAS.into(),
        mail_sender: provision::MAIL_SENDER.into(),
    }
}

/// A variable naming a resource points at the resource the local stack gives it: the local
/// stack's own wiring (`function_config`) read back through `Config::to_env`, mapped to logical
/// ids by docs/RESOURCES.md.
#[test]
fn resource_variables_point_at_the_right_resources() {
    let t = template();
    let ids = logical_ids();
    let config = dropgate_local::function_config(&local_resources(), LOCAL_API)
        .expect("local function config");
    let mut wiring: BTreeMap<&str, String> = BTreeMap::new();
    for (var, local) in config.to_env() {
        let named = ids.iter().any(|(l, _)| *l == local);
        let ty = RESOURCE_VARIABLES
            .iter()
            .find(|(v, _)| *v == var)
            .map(|(_, ty)| *ty);
        match (named, ty) {
            (true, Some(ty)) => {
                wiring.insert(var, logical_id(&t, &ids, &local, ty));
            }
            (true, None) => panic!(
                "{var}: its local value {local:?} names a resource; add it to RESOURCE_VARIABLES"
            ),
            (false, Some(_)) => {
                panic!("{var}: its local value {local:?} is not a name in docs/RESOURCES.md")
            }
            (false, None) => {}
        }
    }

    for (id, _, _) in functions() {
        for (var, value) in function_env(&t, id) {
            let Some(target) = wiring.get(var.as_str()) else {
                continue;
            };
            let points_at = if ref_of(value) == Some(target.as_str()) {
                true
            } else {
                // The bucket's name is spelled out with !Sub (not !Ref) to break dependency
                // cycles (see template.yaml): it must be exactly the bucket's BucketName.
                let r = at(&t, "Resources").get(target.as_str());
                r.and_then(|r| r.get("Type")).and_then(Value::as_str) == Some(BUCKET)
                    && r.and_then(|r| r.get("Properties"))
                        .and_then(|p| p.get("BucketName"))
                        == Some(value)
            };
            assert!(
                points_at,
                "{id}: {var} is {value:?}, not the resource {target} (docs/RESOURCES.md)"
            );
        }
    }
}

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

/// A function gets exactly the resource variables its handler requires: a table, topic or pool
/// it does not need is a variable (and usually a policy) too many; one it needs and lacks fails
/// its cold start.
#[test]
fn the_resources_a_function_gets_are_the_ones_its_handler_requires() {
    let t = template();
    for (id, _, required) in functions() {
        let given: BTreeSet<String> = function_env(&t, id)
            .into_keys()
            .filter(|v| RESOURCE_VARIABLES.iter().any(|(r, _)| r == v))
            .collect();
        let wanted: BTreeSet<String> = required
            .iter()
            .filter(|v| RESOURCE_VARIABLES.iter().any(|(r, _)| r == *v))
            .map(|v| v.to_string())
            .collect();
        assert_eq!(
            given, wanted,
            "{id}: resource variables in template.yaml vs its handler's REQUIRED_ENV"
        );
    }
}

/// docs/RESOURCES.md, section "Environment variables": variable -> the functions ("read by")
/// that get it; "all" is every function.
fn documented_readers() -> BTreeMap<String, BTreeSet<String>> {
    let path = root().join("docs/RESOURCES.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Environment variables"))
        .expect("docs/RESOURCES.md has a section \"## Environment variables\"");
    let all: BTreeSet<String> = functions().iter().map(|(_, b, _)| b.to_string()).collect();
    let mut rows = BTreeMap::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
        let [var, readers, _] = cells[..] else {
            continue;
        };
        let Some(var) = backticked(var) else {
            continue;
        };
        let readers: BTreeSet<String> = match readers.trim() {
            "all" => all.clone(),
            list => list.split(',').map(|r| r.trim().to_owned()).collect(),
        };
        for r in &readers {
            assert!(
                all.contains(r),
                "docs/RESOURCES.md: {var} read by unknown function {r:?}"
            );
        }
        assert!(
            rows.insert(var.to_owned(), readers).is_none(),
            "docs/RESOURCES.md: {var} documented twice"
        );
    }
    rows
}

/// Variables the template never sets: only the local stack turns them on.
const LOCAL_ONLY: &[&str] = &["S3_FORCE_PATH_STYLE"];

/// Every variable the configuration reads is documented, and the template sets it on exactly the
/// functions docs/RESOURCES.md says read it.
#[test]
fn the_template_sets_each_variable_on_the_functions_the_docs_name() {
    let t = template();
    let documented = documented_readers();
    let known: BTreeSet<String> = dropgate_infra::Config::default()
        .to_env()
        .into_iter()
        .map(|(k, _)| k.to_owned())
        .collect();
    assert_eq!(
        documented.keys().cloned().collect::<BTreeSet<_>>(),
        known,
        "variables in docs/RESOURCES.md vs the ones dropgate_infra::Config reads"
    );
    let mut set_on: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, binary, _) in functions() {
        for var in function_env(&t, id).into_keys() {
            set_on.entry(var).or_default().insert(binary.to_owned());
        }
    }
    for (var, readers) in &documented {
        let given = set_on.get(var).cloned().unwrap_or_default();
        if LOCAL_ONLY.contains(&var.as_str()) {
            assert!(
                given.is_empty(),
                "template.yaml sets {var} (local stack only) on {given:?}"
            );
        } else {
            assert_eq!(
                &given, readers,
                "{var}: functions template.yaml sets it on vs \"read by\" in docs/RESOURCES.md"
            );
        }
    }
}

/// A variable set on several functions has one value on all of them: they share the tables,
/// the bucket and the settings (a quota, or PENDING_SHARDS, that differed between the function
/// that writes a pending file and the one that looks for it would strand files).
#[test]
fn a_variable_has_one_value_on_every_function_that_gets_it() {
    let t = template();
    let mut values: BTreeMap<String, (&str, &Value)> = BTreeMap::new();
    for (id, _, _) in functions() {
        for (var, value) in function_env(&t, id) {
            match values.get(&var) {
                None => {
                    values.insert(var, (id, value));
                }
                Some((first, v)) => {
                    assert_eq!(*v, value, "{var}: {first} and {id} set different values")
                }
            }
        }
    }
}

/// A variable set from a template parameter gets, by default, the value the code defaults to
/// (an empty default means "the code's default").
#[test]
fn parameter_defaults_are_the_code_defaults() {
    let t = template();
    let params = at(&t, "Parameters");
    let code: BTreeMap<&str, String> = dropgate_infra::Config::default()
        .to_env()
        .into_iter()
        .collect();
    let mut checked = 0;
    for (id, _, _) in functions() {
        for (var, value) in function_env(&t, id) {
            let Some(param) = ref_of(value).filter(|p| params.get(*p).is_some()) else {
                continue;
            };
            let default = match params.get(param).and_then(|p| p.get("Default")) {
                None => continue,
                Some(Value::String(s)) if s.is_empty() => continue,
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(other) => panic!("template.yaml: {param}.Default is {other:?}"),
            };
            let wanted = code
                .get(var.as_str())
                .unwrap_or_else(|| panic!("{id} sets {var}, which Config does not read"));
            assert_eq!(
                &default, wanted,
                "{id}: {var} from parameter {param}: its Default vs the code's default"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 8,
        "too few parameter defaults checked: {checked}"
    );
}

/// PUBLIC_BASE_URL: the PublicBaseUrl parameter when it is set, else the HTTP API's own address
/// (ApiUrl without its trailing slash); locally, the stack's own address.
#[test]
fn public_base_url_is_the_parameter_or_the_apis_own_address() {
    let t = template();
    let env = function_env(&t, "ApiFunction");
    let value = env
        .get("PUBLIC_BASE_URL")
        .expect("ApiFunction sets PUBLIC_BASE_URL");
    let (name, args) = intrinsic(value).expect("PUBLIC_BASE_URL is an !If");
    let args = args.as_sequence().map(Vec::as_slice).unwrap_or_default();
    let [cond, set, unset] = args else {
        panic!("PUBLIC_BASE_URL: {value:?} is not !If [condition, set, unset]");
    };
    assert_eq!(name, "If", "PUBLIC_BASE_URL");
    let cond = cond.as_str().expect("an !If's condition is a name");
    assert_eq!(
        ref_of(set),
        Some("PublicBaseUrl"),
        "PUBLIC_BASE_URL when {cond}"
    );

    // The condition: !Not [!Equals [!Ref PublicBaseUrl, ""]] (either order).
    let c = at(&t, "Conditions")
        .get(cond)
        .unwrap_or_else(|| panic!("no condition {cond}"));
    let (not, inner) = intrinsic(c).expect("condition is an intrinsic");
    let inner = inner
        .as_sequence()
        .and_then(|s| s.first())
        .expect("!Not [..]");
    let (equals, operands) = intrinsic(inner).expect("!Not [!Equals ..]");
    let operands = operands.as_sequence().expect("!Equals [a, b]");
    assert_eq!(
        (not.as_str(), equals.as_str()),
        ("Not", "Equals"),
        "condition {cond}"
    );
    assert!(
        operands.iter().any(|o| ref_of(o) == Some("PublicBaseUrl"))
            && operands.iter().any(|o| o.as_str() == Some("")),
        "condition {cond} is not \"PublicBaseUrl is not empty\": {operands:?}"
    );
    assert_eq!(
        at(&t, "Parameters.PublicBaseUrl.Default").as_str(),
        Some(""),
        "PublicBaseUrl defaults to empty (the API's own address)"
    );

    let api_url = sub_with_stack(at(&t, "Outputs.ApiUrl.Value"), STACK).expect("ApiUrl is a !Sub");
    assert_eq!(
        sub_with_stack(unset, STACK).as_deref(),
        Some(api_url.trim_end_matches('/')),
        "PUBLIC_BASE_URL without PublicBaseUrl vs the ApiUrl output"
    );

    let local = dropgate_local::function_config(&local_resources(), "http://127.0.0.1:4567/")
        .expect("local function config");
    assert_eq!(local.settings.public_base_url, "http://127.0.0.1:4567");
}

/// A `Resource` of a policy statement: (logical id, index name) for `!GetAtt X.Arn` and
/// `!Sub ${X.Arn}/index/NAME`; other resources (`!Ref`, ARNs spelled out, streams) give None.
fn policy_target(v: &Value) -> Option<(String, Option<String>)> {
    if let Some(att) = get_att_of(v) {
        return Some((att.strip_suffix(".Arn")?.to_owned(), None));
    }
    match intrinsic(v)? {
        (name, Value::String(s)) if name == "Sub" => {
            let rest = s.strip_prefix("${")?;
            let (id, rest) = rest.split_once(".Arn}")?;
            let index = match rest {
                "" => None,
                r => Some(r.strip_prefix("/index/")?.to_owned()),
            };
            Some((id.to_owned(), index))
        }
        _ => None,
    }
}

/// One statement of a function's own policies (Policies): its Sid, actions and resources.
struct Statement<'a> {
    sid: String,
    actions: Vec<String>,
    resources: Vec<&'a Value>,
}

fn statements<'a>(t: &'a Value, id: &str) -> Vec<Statement<'a>> {
    let mut out = Vec::new();
    // No `Policies`: SAM's basic execution role only (logs, and X-Ray with tracing on).
    let Some(policies) = resource(t, id, FUNCTION)
        .get("Properties")
        .and_then(|p| p.get("Policies"))
    else {
        return out;
    };
    for policy in policies.as_sequence().expect("Policies is a list") {
        for s in seq_at(policy, "Statement") {
            assert_eq!(
                s.get("Effect").and_then(Value::as_str),
                Some("Allow"),
                "{id}: only Allow statements are expected"
            );
            let actions = match at(s, "Action") {
                Value::Sequence(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                a => a.as_str().map(str::to_owned).into_iter().collect(),
            };
            let resources = match at(s, "Resource") {
                Value::Sequence(r) => r.iter().collect(),
                r => vec![r],
            };
            out.push(Statement {
                sid: s
                    .get("Sid")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned(),
                actions,
                resources,
            });
        }
    }
    out
}

/// Least privilege, held in step: a function's policy reaches exactly the tables whose variables
/// it gets, and an index only through `dynamodb:Query` on an index that table has.
#[test]
fn policies_reach_exactly_the_tables_a_function_is_given() {
    let t = template();
    let tables: BTreeSet<&str> = resources_of_type(&t, TABLE)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    for (id, _, _) in functions() {
        let given: BTreeSet<String> = function_env(&t, id)
            .into_values()
            .filter_map(|v| ref_of(v).map(str::to_owned))
            .filter(|r| tables.contains(r.as_str()))
            .collect();
        let mut reached = BTreeSet::new();
        for s in statements(&t, id) {
            let sid = &s.sid;
            for r in &s.resources {
                let Some((target, index)) = policy_target(r) else {
                    continue;
                };
                if !tables.contains(target.as_str()) {
                    continue;
                }
                assert!(
                    s.actions.iter().all(|a| a.starts_with("dynamodb:")),
                    "{id} {sid}: non-DynamoDB actions on the table {target}: {:?}",
                    s.actions
                );
                if let Some(index) = &index {
                    let indexes: Vec<&str> = at(resource(&t, &target, TABLE), "Properties")
                        .get("GlobalSecondaryIndexes")
                        .and_then(Value::as_sequence)
                        .map(|g| g.iter().map(|g| str_at(g, "IndexName")).collect())
                        .unwrap_or_default();
                    assert!(
                        indexes.contains(&index.as_str()),
                        "{id} {sid}: {target} has no index {index:?} (it has {indexes:?})"
                    );
                    assert_eq!(
                        s.actions,
                        vec!["dynamodb:Query"],
                        "{id} {sid}: only Query applies to the index {target}/{index}"
                    );
                }
                reached.insert(target);
            }
        }
        assert_eq!(
            reached, given,
            "{id}: tables its policy reaches vs tables its variables name"
        );
    }
}

/// The stream read actions Lambda's poller performs with the function's role.
const STREAM_READS: &[&str] = &[
    "dynamodb:DescribeStream",
    "dynamodb:GetShardIterator",
    "dynamodb:GetRecords",
];

/// A DynamoDB stream event source of a function, as a SAM `DynamoDB` event of the function or as
/// an `AWS::Lambda::EventSourceMapping` naming it: where it is declared, the table whose stream
/// it reads, its settings (the two spell them alike but for the stream's name), and whether SAM
/// grants the role its stream reads (the managed AWSLambdaDynamoDBExecutionRole, for events).
struct StreamSource<'a> {
    declared: String,
    table: String,
    props: &'a Value,
    sam_event: bool,
}

fn stream_sources<'a>(t: &'a Value, function: &str) -> Vec<StreamSource<'a>> {
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

/// A function that reads a stream may: its own policy grants the poller's reads on that stream
/// (unless SAM grants them, for a `DynamoDB` event) and the send to its on-failure queue (unless
/// SAM adds it, for an on-failure destination with `Type: SQS`). And no function reads a stream
/// it does not consume.
#[test]
fn stream_consumers_may_read_their_stream_and_only_it() {
    let t = template();
    for (id, _, _) in functions() {
        let sources = stream_sources(&t, id);
        let own = statements(&t, id);
        let granted = |action: &str, target: &str| {
            own.iter().any(|s| {
                s.actions.iter().any(|a| a == action)
                    && s.resources
                        .iter()
                        .any(|r| get_att_of(r).as_deref() == Some(target))
            })
        };
        for s in &own {
            for r in &s.resources {
                let Some(stream) = get_att_of(r).filter(|a| a.ends_with(".StreamArn")) else {
                    continue;
                };
                let table = stream.trim_end_matches(".StreamArn");
                assert!(
                    sources.iter().any(|src| src.table == table),
                    "{id} {}: reads the stream of {table}, which it does not consume",
                    s.sid
                );
                for a in &s.actions {
                    assert!(
                        STREAM_READS.contains(&a.as_str()),
                        "{id} {}: {a} on a stream (only {STREAM_READS:?})",
                        s.sid
                    );
                }
            }
            // Stream actions that name no stream: only ListStreams, which has no resource-level
            // permissions.
            for a in &s.actions {
                if STREAM_READS.contains(&a.as_str()) {
                    assert!(
                        s.resources
                            .iter()
                            .all(|r| get_att_of(r).is_some_and(|g| g.ends_with(".StreamArn"))),
                        "{id} {}: {a} on something other than a stream: {:?}",
                        s.sid,
                        s.resources
                    );
                }
            }
        }
        for src in &sources {
            let stream = format!("{}.StreamArn", src.table);
            if !src.sam_event {
                for a in STREAM_READS {
                    assert!(
                        granted(a, &stream),
                        "{id}: {} reads {stream}, but the role lacks {a} on it",
                        src.declared
                    );
                }
            }
            let Some(on_failure) = src
                .props
                .get("DestinationConfig")
                .and_then(|d| d.get("OnFailure"))
            else {
                continue;
            };
            let sam_adds =
                src.sam_event && on_failure.get("Type").and_then(Value::as_str) == Some("SQS");
            let queue = get_att_of(at(on_failure, "Destination")).unwrap_or_default();
            if !sam_adds {
                assert!(
                    granted("sqs:SendMessage", &queue),
                    "{id}: {}'s on-failure destination {queue}: the role lacks sqs:SendMessage \
                     on it",
                    src.declared
                );
            }
        }
    }
}

/// Only the notifier talks to SNS and SES (the others write outbox entries): a function's policy
/// publishes exactly to the topic its TOPIC_ARN names, and mails exactly from MAIL_SENDER's
/// identity, and a function without the variable has no statement for the service at all.
#[test]
fn only_the_functions_given_the_topic_or_the_sender_may_publish_or_mail() {
    let t = template();
    for (id, _, _) in functions() {
        let env = function_env(&t, id);
        let topic = env.get("TOPIC_ARN").and_then(|v| ref_of(v));
        let sender = env.get("MAIL_SENDER").and_then(|v| ref_of(v));
        let own = statements(&t, id);
        let of = |prefix: &str| -> Vec<&Statement<'_>> {
            own.iter()
                .filter(|s| s.actions.iter().any(|a| a.starts_with(prefix)))
                .collect()
        };
        let sns = of("sns:");
        match topic {
            None => assert!(
                sns.is_empty(),
                "{id}: no TOPIC_ARN, yet SNS statements {:?}",
                sns.iter().map(|s| &s.sid).collect::<Vec<_>>()
            ),
            Some(topic) => {
                assert!(!sns.is_empty(), "{id}: TOPIC_ARN but no sns:Publish");
                for s in sns {
                    assert_eq!(s.actions, vec!["sns:Publish"], "{id} {}", s.sid);
                    for r in &s.resources {
                        assert_eq!(
                            ref_of(r),
                            Some(topic),
                            "{id} {}: publishes elsewhere",
                            s.sid
                        );
                    }
                }
            }
        }
        let ses = of("ses:");
        match sender {
            None => assert!(
                ses.is_empty(),
                "{id}: no MAIL_SENDER, yet SES statements {:?}",
                ses.iter().map(|s| &s.sid).collect::<Vec<_>>()
            ),
            Some(param) => {
                assert!(!ses.is_empty(), "{id}: MAIL_SENDER but no ses:SendEmail");
                let identity = format!(
                    "arn:${{AWS::Partition}}:ses:${{AWS::Region}}:${{AWS::AccountId}}:identity/${{{param}}}"
                );
                for s in ses {
                    // infra/src/ses.rs sends with SES (v1) SendEmail, nothing else.
                    assert_eq!(s.actions, vec!["ses:SendEmail"], "{id} {}", s.sid);
                    for r in &s.resources {
                        assert_eq!(
                            sub_with_stack(r, "${AWS::StackName}").as_deref(),
                            Some(identity.as_str()),
                            "{id} {}: mails from another identity",
                            s.sid
                        );
                    }
                }
            }
        }
    }
}

/// The routes of the HTTP API's OpenAPI body: (method, or "ANY"; path; public; the logical id
/// of the function its integration invokes).
fn api_routes(t: &Value) -> Vec<(String, String, bool, &'static str)> {
    let api = resource(t, "HttpApi", "AWS::Serverless::HttpApi");
    let paths = at(api, "Properties.DefinitionBody.paths")
        .as_mapping()
        .expect("HttpApi's paths are a mapping");
    let uri_of = |id: &str| {
        format!(
            "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/\
             arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{}/invocations",
            sub_with_stack(
                at(resource(t, id, FUNCTION), "Properties.FunctionName"),
                "${AWS::StackName}",
            )
            .unwrap_or_else(|| panic!("{id}'s FunctionName is a !Sub"))
        )
    };
    let targets = [
        (uri_of("ApiFunction"), "ApiFunction"),
        (uri_of("AuthFunction"), "AuthFunction"),
    ];
    let mut routes = Vec::new();
    for (path, ops) in paths {
        let path = path.as_str().expect("paths are strings");
        for (method, op) in ops.as_mapping().expect("a path holds operations") {
            let method = match method.as_str().expect("methods are strings") {
                "x-amazon-apigateway-any-method" => "ANY".to_owned(),
                m => m.to_ascii_uppercase(),
            };
            let integration = at(op, "x-amazon-apigateway-integration");
            assert_eq!(str_at(integration, "type"), "aws_proxy", "{method} {path}");
            assert_eq!(
                str_at(integration, "payloadFormatVersion"),
                "2.0",
                "{method} {path}"
            );
            let uri = sub_with_stack(at(integration, "uri"), "${AWS::StackName}");
            let function = targets
                .iter()
                .find(|(u, _)| Some(u.as_str()) == uri.as_deref())
                .map(|(_, id)| *id)
                .unwrap_or_else(|| {
                    panic!("{method} {path}: integration is neither ApiFunction nor AuthFunction")
                });
            // No `security`: SAM puts the default (JWT) authorizer on it. `NONE`: public.
            let public = match op.get("security") {
                None => false,
                Some(s) => {
                    let none: Value = serde_yaml::from_str("[{NONE: []}]").expect("yaml");
                    assert_eq!(
                        s, &none,
                        "{method} {path}: security is either absent or NONE"
                    );
                    true
                }
            };
            routes.push((method, path.to_owned(), public, function));
        }
    }
    routes
}

/// How API Gateway would match `path` against the route path `pattern`: None if it does not,
/// else a specificity rank (more literal segments first, a greedy `{proxy+}` last).
fn route_match(pattern: &str, path: &str) -> Option<(usize, bool)> {
    let want: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut literal = 0;
    for (i, w) in want.iter().enumerate() {
        if w.starts_with('{') && w.ends_with("+}") {
            return (i == want.len() - 1 && got.len() > i).then_some((literal, true));
        }
        let g = got.get(i)?;
        if w.starts_with('{') {
            continue;
        }
        if w != g {
            return None;
        }
        literal += 1;
    }
    (want.len() == got.len()).then_some((literal, false))
}

/// The HTTP API routes are the API handler's routes (`dropgate_api::ROUTES`): every handler
/// route reaches the function through a template route that is public exactly when the handler's
/// route is, and every template route leads to at least one handler route.
#[test]
fn the_apis_routes_are_the_handlers_routes() {
    let t = template();
    let template_routes = api_routes(&t);
    let mut used = BTreeSet::new();
    for r in dropgate_api::ROUTES {
        // A request to this route, with a value in each parameter.
        let path: String = r
            .pattern
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let chosen = template_routes
            .iter()
            .filter(|(m, _, _, _)| m == r.method || m == "ANY")
            .filter_map(|route| {
                let (literal, greedy) = route_match(&route.1, &path)?;
                Some(((!greedy, literal, route.0 != "ANY"), route))
            })
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, route)| route)
            .unwrap_or_else(|| {
                panic!(
                    "{} {}: no route in template.yaml (HttpApi) reaches it",
                    r.method, r.pattern
                )
            });
        assert_eq!(
            chosen.2,
            r.public,
            "{} {} is {} in the handler but reached through {} {}, which is {}",
            r.method,
            r.pattern,
            if r.public { "public" } else { "authorized" },
            chosen.0,
            chosen.1,
            if chosen.2 { "public" } else { "authorized" },
        );
        // The function the route reaches is the one whose handler serves it.
        let function = if dropgate_api::is_auth_path(&path) {
            "AuthFunction"
        } else {
            "ApiFunction"
        };
        assert_eq!(
            chosen.3, function,
            "{} {} reaches {} through {} {}",
            r.method, r.pattern, chosen.3, chosen.0, chosen.1
        );
        used.insert((chosen.0.clone(), chosen.1.clone()));
    }
    for (method, path, _, _) in &template_routes {
        assert!(
            used.contains(&(method.clone(), path.clone())),
            "template.yaml routes {method} {path}, which reaches no route of the API handler"
        );
    }
}

/// The account routes call only Cognito's unauthenticated operations (infra/src/cognito.rs):
/// the auth function may only decrypt its own environment, and no function may touch the user
/// pool.
#[test]
fn no_function_has_a_cognito_permission() {
    let t = template();
    let auth = statements(&t, "AuthFunction");
    assert_eq!(auth.len(), 1, "AuthFunction: one statement");
    assert_eq!(auth[0].actions, vec!["kms:Decrypt"]);
    assert_eq!(
        get_att_of(auth[0].resources[0]).as_deref(),
        Some("DataKey.Arn")
    );
    for (id, _, _) in functions() {
        for s in statements(&t, id) {
            assert!(
                !s.actions.iter().any(|a| a.starts_with("cognito-idp:")),
                "{id} {}: {:?}",
                s.sid,
                s.actions
            );
        }
    }
}
