//! The audit table is append-only for every function: no statement lets one delete an item,
//! write in batches, or update anything but the head, and entries are put only into the
//! entries' partition.

use serde_yaml::Value;

use super::toolkit::{FUNCTION, at, functions, get_att_of, ref_of, resource, seq_at, template};

const AUDIT: &str = "AuditTable";

/// `ForAllValues:StringEquals: dynamodb:LeadingKeys` of a statement, if any.
/// The partition keys a statement is held to, and whether as patterns (`StringLike`).
fn leading_keys(statement: &Value) -> Option<Vec<String>> {
    let condition = statement.get("Condition")?;
    let keys = condition
        .get("ForAllValues:StringEquals")
        .or_else(|| condition.get("ForAllValues:StringLike"))?
        .get("dynamodb:LeadingKeys")?;
    Some(
        keys.as_sequence()?
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn audit_is_append_only() {
    let t = template();
    let mut appenders = Vec::new();
    for (id, _, _) in functions() {
        let Some(policies) = resource(&t, id, FUNCTION)
            .get("Properties")
            .and_then(|p| p.get("Policies"))
        else {
            continue;
        };
        for policy in policies.as_sequence().expect("Policies is a list") {
            for s in seq_at(policy, "Statement") {
                let resources = match at(s, "Resource") {
                    Value::Sequence(r) => r.iter().collect(),
                    r => vec![r],
                };
                // The table itself or anything under it (an index, spelled with !Sub).
                let on_audit = resources.iter().any(|r| {
                    get_att_of(r).is_some_and(|a| a.starts_with(AUDIT))
                        || serde_yaml::to_string(r).is_ok_and(|y| y.contains(AUDIT))
                });
                if !on_audit {
                    continue;
                }
                let actions: Vec<&str> = match at(s, "Action") {
                    Value::Sequence(a) => a.iter().filter_map(Value::as_str).collect(),
                    a => a.as_str().into_iter().collect(),
                };
                for action in &actions {
                    match *action {
                        "dynamodb:GetItem" | "dynamodb:Query" => {}
                        "dynamodb:PutItem" => {
                            assert_eq!(
                                actions.len(),
                                1,
                                "{id}: PutItem on the audit table in a statement of its own"
                            );
                            assert_eq!(
                                leading_keys(s),
                                Some(vec!["entry#*".to_owned()]),
                                "{id}: PutItem on the audit table only into the entries"
                            );
                            appenders.push(id);
                        }
                        "dynamodb:UpdateItem" => {
                            assert_eq!(
                                actions.len(),
                                1,
                                "{id}: UpdateItem on the audit table in a statement of its own"
                            );
                            assert_eq!(
                                leading_keys(s),
                                Some(vec!["head".to_owned()]),
                                "{id}: UpdateItem on the audit table only of the head"
                            );
                        }
                        other => panic!("{id}: {other} on the audit table"),
                    }
                }
            }
        }
    }
    appenders.sort();
    assert_eq!(appenders, vec!["ApiFunction", "WorkerFunction"]);
}

/// Admins are the members of the user pool's group `admins`: the template declares it in the
/// pool, under the name the api checks and the local stack provisions.
#[test]
fn the_admins_group_is_declared_in_the_user_pool() {
    let t = template();
    let group = resource(&t, "AdminsGroup", "AWS::Cognito::UserPoolGroup");
    assert_eq!(
        at(group, "Properties.GroupName").as_str(),
        Some(dropgate_local::provision::ADMINS_GROUP)
    );
    assert_eq!(
        ref_of(at(group, "Properties.UserPoolId")),
        Some("UserPool"),
        "{group:?}"
    );
}
