//! The shared world of the template checks: template.yaml read as YAML (short or long intrinsic
//! forms), docs/RESOURCES.md's name table (local name -> logical id), the five functions and the
//! variables the template sets on them, and the local stack's resources named as it names them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dropgate_local::provision;
use serde_yaml::Value;

/// The stack name `sam deploy` uses by default (samconfig.toml): with it, the template's
/// `!Sub ${AWS::StackName}-...` names are the local stack's names.
pub(super) const STACK: &str = "dropgate";

pub(super) const TABLE: &str = "AWS::DynamoDB::Table";

pub(super) const QUEUE: &str = "AWS::SQS::Queue";

pub(super) const TOPIC: &str = "AWS::SNS::Topic";

pub(super) const BUCKET: &str = "AWS::S3::Bucket";

pub(super) const FUNCTION: &str = "AWS::Serverless::Function";

pub(super) const MAPPING: &str = "AWS::Lambda::EventSourceMapping";

/// The local stack's scan results queue and its dead-letter queue (its scanner sends GuardDuty's
/// events there).
pub(super) use provision::{SCAN_DLQ, SCAN_QUEUE};

pub(super) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// template.yaml, or the file `DROPGATE_TEMPLATE` names (to check, on an edited copy, that
/// these tests catch a drift).
pub(super) fn template_path() -> PathBuf {
    std::env::var_os("DROPGATE_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("template.yaml"))
}

/// The template at [`template_path`], as YAML (intrinsics in whichever form it spells them).
pub(super) fn template() -> Value {
    let path = template_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("template.yaml is not YAML: {e}"))
}

/// docs/RESOURCES.md, section "Names (local stack)": (local name, template logical id) rows.
/// A local name is not unique (the bucket and the uploads queue are both `dropgate-uploads`):
/// [`logical_id`] tells them apart by resource type.
pub(super) fn logical_ids() -> Vec<(String, String)> {
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
pub(super) fn backticked(cell: &str) -> Option<&str> {
    let (_, rest) = cell.split_once('`')?;
    Some(rest.split_once('`')?.0)
}

/// The logical id docs/RESOURCES.md gives the local resource `local` of type `ty`.
pub(super) fn logical_id(t: &Value, ids: &[(String, String)], local: &str, ty: &str) -> String {
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
pub(super) fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    let mut cur = v;
    for key in path.split('.') {
        cur = cur
            .get(key)
            .unwrap_or_else(|| panic!("template.yaml: {path}: no {key:?}"));
    }
    cur
}

pub(super) fn str_at<'a>(v: &'a Value, path: &str) -> &'a str {
    at(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("template.yaml: {path} is not a string: {:?}", at(v, path)))
}

pub(super) fn bool_at(v: &Value, path: &str) -> bool {
    match at(v, path) {
        Value::Bool(b) => *b,
        // CloudFormation also takes "true"/"false" strings.
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        other => panic!("template.yaml: {path} is not a boolean: {other:?}"),
    }
}

pub(super) fn seq_at<'a>(v: &'a Value, path: &str) -> &'a [Value] {
    at(v, path)
        .as_sequence()
        .unwrap_or_else(|| panic!("template.yaml: {path} is not a list"))
}

/// An intrinsic function in short (`!Ref X`) or long (`{Ref: X}`, `{"Fn::GetAtt": ...}`) form:
/// its name without `Fn::` and its argument.
pub(super) fn intrinsic(v: &Value) -> Option<(String, &Value)> {
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
pub(super) fn ref_of(v: &Value) -> Option<&str> {
    match intrinsic(v)? {
        (name, Value::String(id)) if name == "Ref" => Some(id),
        _ => None,
    }
}

/// `!GetAtt X.Attr` or `!GetAtt [X, Attr]` -> "X.Attr".
pub(super) fn get_att_of(v: &Value) -> Option<String> {
    match intrinsic(v)? {
        (name, Value::String(s)) if name == "GetAtt" => Some(s.clone()),
        (name, Value::Sequence(parts)) if name == "GetAtt" && parts.len() == 2 => {
            Some(format!("{}.{}", parts[0].as_str()?, parts[1].as_str()?))
        }
        _ => None,
    }
}

/// A `!Sub` of a plain string with `${AWS::StackName}` set to `stack` (other variables stay).
pub(super) fn sub_with_stack(v: &Value, stack: &str) -> Option<String> {
    match intrinsic(v)? {
        (name, Value::String(s)) if name == "Sub" => Some(s.replace("${AWS::StackName}", stack)),
        _ => None,
    }
}

pub(super) fn resource<'a>(t: &'a Value, id: &str, ty: &str) -> &'a Value {
    let r = t
        .get("Resources")
        .and_then(|r| r.get(id))
        .unwrap_or_else(|| panic!("template.yaml: no resource {id}"));
    assert_eq!(str_at(r, "Type"), ty, "template.yaml: {id}.Type");
    r
}

pub(super) fn resources_of_type<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    at(t, "Resources")
        .as_mapping()
        .expect("Resources is a mapping")
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(ty))
        .map(|(id, r)| (id.as_str().expect("logical ids are strings"), r))
        .collect()
}

/// The five functions: logical id, cargo binary, the variables their handler requires.
pub(super) fn functions() -> [(&'static str, &'static str, &'static [&'static str]); 6] {
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
        (
            "DelivererFunction",
            "deliverer",
            dropgate_deliverer::REQUIRED_ENV,
        ),
    ]
}

/// The variables the template sets on a function: Globals.Function first, the function's own
/// over them.
pub(super) fn function_env<'a>(t: &'a Value, id: &str) -> BTreeMap<String, &'a Value> {
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

/// The local stack's address in these tests.
pub(super) const LOCAL_API: &str = "http://127.0.0.1:3000";

/// The resources the local stack provisions, named as it names them.
pub(super) fn local_resources() -> provision::Resources {
    provision::Resources {
        bucket: provision::BUCKET.into(),
        queue_url: provision::QUEUE.into(),
        dlq_url: provision::DLQ.into(),
        notify_dlq_url: provision::NOTIFY_DLQ.into(),
        scan_queue_url: provision::SCAN_QUEUE.into(),
        scan_dlq_url: provision::SCAN_DLQ.into(),
        webhook_queue_url: provision::WEBHOOK_QUEUE.into(),
        webhook_dlq_url: provision::WEBHOOK_DLQ.into(),
        scan_plan_arn: dropgate_local::scanner::PLAN_ARN.into(),
        scanner: dropgate_local::scanner::Mode::Clamd.as_str().into(),
        upload_log_stream_arn: format!(
            "arn:aws:dynamodb:{}:{}:table/{}/stream/2026-01-01T00:00:00.000",
            provision::REGION,
            provision::ACCOUNT,
            provision::UPLOAD_LOG_TABLE
        ),
        topic_arn: provision::TOPIC.into(),
        event_bus_name: provision::EVENT_BUS.into(),
        tables: provision::Tables {
            files: provision::FILES_TABLE.into(),
            quotas: provision::QUOTAS_TABLE.into(),
            upload_log: provision::UPLOAD_LOG_TABLE.into(),
            links: provision::LINKS_TABLE.into(),
            rate_limits: provision::RATE_LIMIT_TABLE.into(),
            shares: provision::SHARES_TABLE.into(),
            download_log: provision::DOWNLOAD_LOG_TABLE.into(),
            audit: provision::AUDIT_TABLE.into(),
            api_keys: provision::API_KEYS_TABLE.into(),
            webhooks: provision::WEBHOOKS_TABLE.into(),
        },
        user_pool_id: provision::USER_POOL.into(),
        user_pool_client_id: provision::USER_POOL_CLIENT.into(),
        kms_key_id: provision::KMS_ALIAS.into(),
        mail_sender: provision::MAIL_SENDER.into(),
    }
}
