//! The functions' own policies (their Policies statements): the tables, streams, topic and mail
//! identity each reaches, against the variables it is given and the streams it consumes.

use std::collections::BTreeSet;

use serde_yaml::Value;

use super::event_sources::stream_sources;
use super::toolkit::{
    FUNCTION, TABLE, at, function_env, functions, get_att_of, intrinsic, ref_of, resource,
    resources_of_type, seq_at, str_at, sub_with_stack, template,
};

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

/// The resources a function's own policies grant `action` on.
pub(super) fn grants<'a>(t: &'a Value, id: &str, action: &str) -> Vec<&'a Value> {
    statements(t, id)
        .into_iter()
        .filter(|s| s.actions.iter().any(|a| a == action))
        .flat_map(|s| s.resources)
        .collect()
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

/// Cognito's admin operations, each on the user pool alone, and only those each function's
/// code calls: the api's owner's email and password changes and sign-out everywhere
/// (infra/src/cognito_own.rs) and the admin routes' directory (infra/src/directory.rs: finding,
/// stopping and restoring accounts, and deleting one as an erasure's last step; nothing that
/// creates or rewrites one); the auth
/// function's look-up of who holds an address and sign-out everywhere after a reset; the
/// deliverer's read of an owner's current address for a webhook's pause mail, and the
/// notifier's for the owners' mails.
/// Everything else the account routes do is an unauthenticated Cognito call or one on the
/// owner's own access token (infra/src/cognito.rs).
#[test]
fn cognito_permissions_are_exactly_the_admin_operations_called() {
    let t = template();
    let allowed = |id: &str| -> Vec<&str> {
        match id {
            "ApiFunction" => vec![
                "cognito-idp:AdminDeleteUser",
                "cognito-idp:AdminDisableUser",
                "cognito-idp:AdminEnableUser",
                "cognito-idp:AdminGetUser",
                "cognito-idp:AdminSetUserPassword",
                "cognito-idp:AdminUpdateUserAttributes",
                "cognito-idp:AdminUserGlobalSignOut",
                "cognito-idp:ListUsers",
            ],
            "AuthFunction" => vec![
                "cognito-idp:AdminGetUser",
                "cognito-idp:AdminUserGlobalSignOut",
            ],
            "DelivererFunction" => vec!["cognito-idp:AdminGetUser"],
            "NotifierFunction" => vec!["cognito-idp:AdminGetUser"],
            _ => vec![],
        }
    };
    for (id, _, _) in functions() {
        let mut granted = Vec::new();
        for s in statements(&t, id) {
            for a in s.actions.iter().filter(|a| a.starts_with("cognito-idp:")) {
                granted.push(a.to_string());
                for r in &s.resources {
                    assert_eq!(
                        get_att_of(r).as_deref(),
                        Some("UserPool.Arn"),
                        "{id} {}: {a} beyond the user pool",
                        s.sid
                    );
                }
            }
        }
        granted.sort();
        granted.dedup();
        assert_eq!(granted, allowed(id), "{id}");
    }
}

/// Sealed tokens (infra/src/kms.rs): only a function given `TOKEN_KEY` may encrypt with the
/// key, on that key alone, and only under an encryption context that names a link's or share's
/// token, as the sealer writes it.
#[test]
fn only_the_function_given_the_token_key_may_seal_and_only_tokens() {
    let t = template();
    let mut sealers = Vec::new();
    for (id, _, _) in functions() {
        let given = function_env(&t, id).contains_key("TOKEN_KEY");
        let encrypts = grants(&t, id, "kms:Encrypt");
        assert_eq!(
            given,
            !encrypts.is_empty(),
            "{id}: TOKEN_KEY given vs kms:Encrypt granted"
        );
        if !given {
            continue;
        }
        sealers.push(id);
        assert_eq!(ref_of(function_env(&t, id)["TOKEN_KEY"]), Some("DataKey"));
        let policies = seq_at(at(resource(&t, id, FUNCTION), "Properties"), "Policies");
        let stmts: Vec<&Value> = policies
            .iter()
            .flat_map(|p| seq_at(p, "Statement"))
            .filter(|s| format!("{:?}", at(s, "Action")).contains("kms:Encrypt"))
            .collect();
        assert_eq!(stmts.len(), 1, "{id}: one statement grants kms:Encrypt");
        let s = stmts[0];
        assert_eq!(
            at(s, "Action").as_str(),
            Some("kms:Encrypt"),
            "{id}: kms:Encrypt stands alone, under its condition"
        );
        assert_eq!(
            get_att_of(at(s, "Resource")).as_deref(),
            Some("DataKey.Arn")
        );
        let purposes: BTreeSet<&str> = seq_at(
            at(s, "Condition.StringEquals"),
            "kms:EncryptionContext:dropgate:purpose",
        )
        .iter()
        .filter_map(Value::as_str)
        .collect();
        assert_eq!(
            purposes,
            BTreeSet::from(["link-token", "share-token", "webhook-token"])
        );
    }
    assert_eq!(sealers, ["ApiFunction"], "only the api seals tokens");
}
