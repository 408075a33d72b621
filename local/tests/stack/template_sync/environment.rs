//! The functions' environment: each gets the variables its handler requires, only variables
//! the configuration reads, each on the functions docs/RESOURCES.md names, one value everywhere,
//! and a variable naming a resource points at the resource the local stack wires it to.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;

use super::toolkit::{
    BUCKET, FUNCTION, LOCAL_API, TABLE, TOPIC, at, backticked, function_env, functions,
    local_resources, logical_id, logical_ids, ref_of, resource, resources_of_type, root, str_at,
    template,
};

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
    ("AUDIT_TABLE", TABLE),
    ("API_KEYS_TABLE", TABLE),
    ("WEBHOOKS_TABLE", TABLE),
    ("WEBHOOK_QUEUE_URL", "AWS::SQS::Queue"),
    ("TOPIC_ARN", TOPIC),
    ("EVENT_BUS_NAME", "AWS::Events::EventBus"),
    ("USER_POOL_ID", "AWS::Cognito::UserPool"),
    ("USER_POOL_CLIENT_ID", "AWS::Cognito::UserPoolClient"),
    ("SCAN_PLAN_ARN", "AWS::GuardDuty::MalwareProtectionPlan"),
    ("TOKEN_KEY", "AWS::KMS::Key"),
];

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
            } else if let Some(arn) = conditional_arn_of(value) {
                // A resource made only under a condition (the malware protection plan) is named
                // as `!If [condition, !GetAtt Resource.Arn, ""]`; malware_gate.rs holds the rest.
                arn == format!("{target}.Arn")
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
const LOCAL_ONLY: &[&str] = &["S3_FORCE_PATH_STYLE", "WEBHOOK_BACKOFF_SCALE"];

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

/// `Resource.Arn` of `!If [condition, !GetAtt Resource.Arn, ""]`.
fn conditional_arn_of(value: &Value) -> Option<String> {
    let (name, args) = super::toolkit::intrinsic(value)?;
    let args = args.as_sequence().filter(|_| name == "If")?;
    let (inner, inner_args) = super::toolkit::intrinsic(args.get(1)?)?;
    (inner == "GetAtt" && args.get(2)?.as_str() == Some(""))
        .then(|| inner_args.as_str().map(str::to_owned))
        .flatten()
}
