//! What SAM generates from template.yaml and the source does not show, read in the translated
//! template (see `translation`): each function's role and the policies attached to it, the
//! authorization of every route of the generated HTTP API, the event source mappings' and the
//! stage's settings, and that every reference resolves.

use std::collections::{BTreeMap, BTreeSet};

use dropgate_local::provision;
use dropgate_local::{pump, stream_pump};
use serde_yaml::Value;

use super::routes::{DEFAULT_ROUTE, route_match};
use super::toolkit::{
    FUNCTION, MAPPING, QUEUE, SCAN_QUEUE, TABLE, at, bool_at, functions, get_att_of, logical_id,
    logical_ids, ref_of, resource, resources_of_type, seq_at, str_at, template,
};
use super::translation::{long_form, translated, unresolved_references};

/// The managed policies SAM attaches, as template.yaml's comment on the functions lists them:
/// logs for every function, X-Ray for `Tracing: Active`, the SQS poller's reads for an SQS
/// event. Nothing else: a `DynamoDB` event would add AWSLambdaDynamoDBExecutionRole (every
/// stream of the account), which NotifierStreamMapping exists to avoid.
const BASIC_EXECUTION: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const XRAY: &str = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess";
const SQS_POLLER: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole";

/// The only (function, action) granted on `Resource: "*"`: ListStreams has no resource-level
/// permissions (NotifierFunction's policy says why).
const ON_EVERY_RESOURCE: &[(&str, &str)] = &[("NotifierFunction", "dynamodb:ListStreams")];

/// The stage's throttling, as the API and auth functions' checkov skips state it (their
/// concurrency is bounded by it): burst 100, rate 50 per second.
const THROTTLING_BURST: u64 = 100;
const THROTTLING_RATE: u64 = 50;

/// The generated role's statements of a function: (policy name, statements).
fn inline_policies(role: &Value) -> Vec<(String, Value)> {
    at(role, "Properties")
        .get("Policies")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|p| {
            (
                str_at(p, "PolicyName").to_owned(),
                at(p, "PolicyDocument").clone(),
            )
        })
        .collect()
}

/// `Action` or `Resource` of a statement: one string or a list.
fn one_or_many(s: &Value, key: &str) -> Vec<Value> {
    match s.get(key) {
        Some(Value::Sequence(v)) => v.clone(),
        Some(v) => vec![v.clone()],
        None => vec![],
    }
}

/// Each function runs with a role of its own that SAM generates: assumable by Lambda only, with
/// the function's own `Policies` statements exactly as written (SAM adds none) and the
/// documented managed policies, nothing more. What those statements reach is checked on the
/// source (`policies`).
#[test]
fn each_generated_role_holds_its_functions_statements_and_the_documented_managed_policies() {
    let (src, out) = (template(), translated());
    let mut roles = BTreeSet::new();
    for (id, _, _) in functions() {
        let f = resource(out, id, "AWS::Lambda::Function");
        let role_id = get_att_of(at(f, "Properties.Role"))
            .and_then(|a| a.strip_suffix(".Arn").map(str::to_owned))
            .unwrap_or_else(|| panic!("{id}: Role is not a generated role's Arn"));
        assert_eq!(role_id, format!("{id}Role"), "{id}: its role");
        let role = resource(out, &role_id, "AWS::IAM::Role");
        roles.insert(role_id.clone());

        let trust = seq_at(role, "Properties.AssumeRolePolicyDocument.Statement");
        assert_eq!(trust.len(), 1, "{role_id}: one trust statement");
        assert_eq!(
            one_or_many(at(&trust[0], "Principal"), "Service"),
            vec![Value::from("lambda.amazonaws.com")],
            "{role_id}: assumed by Lambda only"
        );

        let source = at(resource(&src, id, FUNCTION), "Properties");
        let mut wanted = BTreeSet::from([BASIC_EXECUTION]);
        if source.get("Tracing").and_then(Value::as_str) == Some("Active") {
            wanted.insert(XRAY);
        }
        let events = source.get("Events").and_then(Value::as_mapping);
        if events
            .into_iter()
            .flatten()
            .any(|(_, e)| e.get("Type").and_then(Value::as_str) == Some("SQS"))
        {
            wanted.insert(SQS_POLLER);
        }
        let managed: BTreeSet<&str> = at(role, "Properties")
            .get("ManagedPolicyArns")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .map(|a| a.as_str().unwrap_or_else(|| panic!("{role_id}: {a:?}")))
            .collect();
        assert_eq!(managed, wanted, "{role_id}: managed policies");
        assert!(
            at(role, "Properties").get("PermissionsBoundary").is_none(),
            "{role_id}: a boundary the template does not set"
        );

        let own: Vec<(String, Value)> = source
            .get("Policies")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, p)| (format!("{role_id}Policy{i}"), long_form(p)))
            .collect();
        assert_eq!(
            inline_policies(role),
            own,
            "{role_id}: inline policies vs {id}'s Policies in template.yaml"
        );
    }
    let iam: BTreeSet<String> = [
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
    ]
    .into_iter()
    .flat_map(|ty| resources_of_type(out, ty))
    .map(|(id, _)| id.to_owned())
    .collect();
    // Besides the functions' roles, only GuardDuty's (checked in `malware_gate`).
    roles.insert("MalwareProtectionRole".to_owned());
    assert_eq!(iam, roles, "IAM resources of the translated template");
}

/// No wildcard action anywhere, and `Resource: "*"` only where IAM allows nothing narrower.
#[test]
fn no_generated_role_grants_wildcards_beyond_list_streams() {
    let out = translated();
    let mut on_every = BTreeSet::new();
    for (id, _, _) in functions() {
        let role = resource(out, &format!("{id}Role"), "AWS::IAM::Role");
        for (name, doc) in inline_policies(role) {
            for s in seq_at(&doc, "Statement") {
                let actions = one_or_many(s, "Action");
                for a in &actions {
                    let a = a.as_str().unwrap_or_else(|| panic!("{name}: action {a:?}"));
                    assert!(!a.contains('*'), "{id} ({name}): wildcard action {a}");
                }
                if one_or_many(s, "Resource")
                    .iter()
                    .any(|r| r.as_str() == Some("*"))
                {
                    for a in actions.iter().filter_map(Value::as_str) {
                        on_every.insert((id, a.to_owned()));
                    }
                }
                assert!(
                    s.get("NotAction").is_none() && s.get("NotResource").is_none(),
                    "{id} ({name}): NotAction/NotResource"
                );
            }
        }
    }
    let allowed: BTreeSet<(&str, String)> = ON_EVERY_RESOURCE
        .iter()
        .map(|(f, a)| (*f, a.to_string()))
        .collect();
    assert_eq!(
        on_every, allowed,
        "(function, action) granted on Resource \"*\""
    );
}

/// The generated HTTP API has no authorizer: a JWT authorizer would refuse API tokens, so every
/// route reaches the api function, whose gate checks the credential of every route that is not
/// public (`Route::public`, `needs_token`; docs/DESIGN.md section 5).
#[test]
fn no_generated_route_has_an_authorizer() {
    let out = translated();
    let api = resource(out, "HttpApi", "AWS::ApiGatewayV2::Api");
    let body = at(api, "Properties.Body");
    for ty in ["Route", "Authorizer", "Integration"] {
        let extra = resources_of_type(out, &format!("AWS::ApiGatewayV2::{ty}"));
        assert!(
            extra.is_empty(),
            "{ty}s outside the OpenAPI body: {extra:?}"
        );
    }
    let schemes = body
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .and_then(Value::as_mapping)
        .map_or(0, |m| m.len());
    assert_eq!(schemes, 0, "no authorizer in the generated API");

    // (method or ANY, path) -> public (all of them).
    let mut routes: BTreeMap<(String, String), bool> = BTreeMap::new();
    for (path, ops) in at(body, "paths").as_mapping().expect("paths") {
        let path = path.as_str().expect("paths are strings");
        for (method, op) in ops.as_mapping().expect("a path holds operations") {
            let method = match method.as_str().expect("methods are strings") {
                "x-amazon-apigateway-any-method" => "ANY".to_owned(),
                m => m.to_ascii_uppercase(),
            };
            assert!(
                op.get("security").is_none(),
                "{method} {path}: SAM put an authorizer on it"
            );
            routes.insert((method, path.to_owned()), true);
        }
    }

    let mut used = BTreeSet::new();
    for r in dropgate_api::ROUTES {
        let path: String = r
            .pattern
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        // The route API Gateway picks: literal segments first, a greedy one last.
        let ((method, pattern), public) = routes
            .iter()
            .filter(|((m, _), _)| m == r.method || m == "ANY")
            .filter_map(|(k, public)| {
                let (literal, greedy) = route_match(&k.1, &path)?;
                Some(((!greedy, literal, k.0 != "ANY"), (k, *public)))
            })
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, route)| route)
            .unwrap_or_else(|| panic!("{} {}: no generated route reaches it", r.method, r.pattern));
        // Every route reaches the function; the gate, not API Gateway, refuses a request
        // without a credential.
        assert!(public, "{} {}: {method} {pattern}", r.method, r.pattern);
        used.insert((method.clone(), pattern.clone()));
    }
    assert_eq!(
        routes.get(&("ANY".to_owned(), DEFAULT_ROUTE.to_owned())),
        Some(&true),
        "the generated API keeps a public $default route"
    );
    for (method, path) in routes.keys().filter(|(_, p)| p != DEFAULT_ROUTE) {
        assert!(
            used.contains(&(method.clone(), path.clone())),
            "the generated API routes {method} {path}, which reaches no route of the handlers"
        );
    }
}

/// The three event source mappings, as deployed: the worker's two, which SAM generates from its
/// SQS events (the uploads queue, the scan results queue), and the notifier's on the upload
/// log's stream; with the settings the local pumps implement and the template's comments state.
#[test]
fn the_generated_event_source_mappings_keep_their_settings() {
    let (src, out) = (template(), translated());
    let ids = logical_ids();
    let queue = logical_id(&src, &ids, provision::QUEUE, QUEUE);
    let scans = logical_id(&src, &ids, SCAN_QUEUE, QUEUE);
    let log = logical_id(&src, &ids, provision::UPLOAD_LOG_TABLE, TABLE);
    let notify_dlq = logical_id(&src, &ids, provision::NOTIFY_DLQ, QUEUE);
    let deliveries = logical_id(&src, &ids, provision::WEBHOOK_QUEUE, QUEUE);
    let mut by_source: BTreeMap<String, (&str, &Value)> = BTreeMap::new();
    for (id, m) in resources_of_type(out, MAPPING) {
        let p = at(m, "Properties");
        let function =
            ref_of(at(p, "FunctionName")).unwrap_or_else(|| panic!("{id}: FunctionName"));
        let source = get_att_of(at(p, "EventSourceArn")).unwrap_or_else(|| panic!("{id}: source"));
        assert!(
            by_source.insert(source.clone(), (function, p)).is_none(),
            "{source}: two mappings"
        );
    }
    let mut wanted = vec![
        (format!("{log}.StreamArn"), "NotifierFunction".to_owned()),
        (format!("{queue}.Arn"), "WorkerFunction".to_owned()),
        (format!("{scans}.Arn"), "WorkerFunction".to_owned()),
        (format!("{deliveries}.Arn"), "DelivererFunction".to_owned()),
    ];
    wanted.sort();
    assert_eq!(
        by_source
            .iter()
            .map(|(s, (f, _))| (s.clone(), f.to_string()))
            .collect::<Vec<_>>(),
        wanted,
        "event source mappings: (source, function)"
    );
    let reports_items = |p: &Value| {
        seq_at(p, "FunctionResponseTypes")
            .iter()
            .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
    };

    for q in [&queue, &scans] {
        let (_, w) = by_source[&format!("{q}.Arn")];
        let d = format!("the worker's mapping on {q}");
        assert_eq!(
            at(w, "BatchSize").as_u64(),
            Some(pump::BATCH as u64),
            "{d}: BatchSize vs pump::BATCH"
        );
        assert!(
            reports_items(w),
            "{d}: ReportBatchItemFailures, which the local pump honours"
        );
        assert!(
            w.get("DestinationConfig").is_none(),
            "{d}: SQS failures go to the queue's redrive, not to an on-failure destination"
        );
        assert!(
            at(w, "ScalingConfig.MaximumConcurrency").as_u64().is_some(),
            "{d}: the worker's concurrency is capped here (see its checkov skip)"
        );
        // Lambda's advice, which UploadsQueue's comment follows: visibility at least six times the
        // function's timeout plus the batching window.
        let window = at(w, "MaximumBatchingWindowInSeconds")
            .as_u64()
            .expect("a window");
        let timeout = at(
            resource(out, "WorkerFunction", "AWS::Lambda::Function"),
            "Properties.Timeout",
        )
        .as_u64()
        .expect("the worker's Timeout");
        let visibility = at(resource(out, q, QUEUE), "Properties.VisibilityTimeout")
            .as_u64()
            .expect("the queue's VisibilityTimeout");
        assert!(
            visibility >= 6 * timeout + window,
            "{q}.VisibilityTimeout {visibility} < 6 x {timeout} + {window}"
        );
    }

    // The deliverer's, as the local delivery pump runs it: batches of pump::BATCH, failures
    // reported per message, capped concurrency, visibility at least six times its timeout.
    let (_, dl) = by_source[&format!("{deliveries}.Arn")];
    let d = "the deliverer's mapping";
    assert_eq!(
        at(dl, "BatchSize").as_u64(),
        Some(pump::BATCH as u64),
        "{d}"
    );
    assert!(reports_items(dl), "{d}: ReportBatchItemFailures");
    assert!(
        dl.get("DestinationConfig").is_none(),
        "{d}: the queue's redrive"
    );
    assert!(
        at(dl, "ScalingConfig.MaximumConcurrency")
            .as_u64()
            .is_some(),
        "{d}: concurrency capped"
    );
    let timeout = at(
        resource(out, "DelivererFunction", "AWS::Lambda::Function"),
        "Properties.Timeout",
    )
    .as_u64()
    .expect("the deliverer's Timeout");
    let visibility = at(
        resource(out, &deliveries, QUEUE),
        "Properties.VisibilityTimeout",
    )
    .as_u64()
    .expect("the queue's VisibilityTimeout");
    assert!(visibility >= 6 * timeout, "{d}: visibility {visibility}");

    let (_, n) = by_source[&format!("{log}.StreamArn")];
    let d = "the notifier's mapping";
    assert_eq!(
        at(n, "BatchSize").as_u64(),
        Some(stream_pump::BATCH as u64),
        "{d}: BatchSize vs stream_pump::BATCH"
    );
    assert_eq!(
        at(n, "MaximumRetryAttempts").as_u64(),
        Some(u64::from(stream_pump::MAX_RETRIES)),
        "{d}: MaximumRetryAttempts vs stream_pump::MAX_RETRIES"
    );
    assert!(bool_at(n, "BisectBatchOnFunctionError"), "{d}: bisects");
    assert!(reports_items(n), "{d}: ReportBatchItemFailures");
    assert_eq!(str_at(n, "StartingPosition"), "TRIM_HORIZON", "{d}");
    assert_eq!(at(n, "ParallelizationFactor").as_u64(), Some(1), "{d}");
    assert!(
        at(n, "MaximumBatchingWindowInSeconds").as_u64().is_some(),
        "{d}: a batching window"
    );
    assert_eq!(
        get_att_of(at(n, "DestinationConfig.OnFailure.Destination")),
        Some(format!("{notify_dlq}.Arn")),
        "{d}: on-failure destination vs provision::NOTIFY_DLQ"
    );
}

/// The stage SAM generates for the HTTP API: `$default`, deployed on every change, throttled,
/// and logging each request by its route key (never the raw path, which carries tokens).
#[test]
fn the_generated_stage_throttles_logs_and_deploys() {
    let out = translated();
    let stages = resources_of_type(out, "AWS::ApiGatewayV2::Stage");
    let [(id, stage)] = stages[..] else {
        panic!("one stage, not {stages:?}");
    };
    let p = at(stage, "Properties");
    assert_eq!(ref_of(at(p, "ApiId")), Some("HttpApi"), "{id}.ApiId");
    assert_eq!(str_at(p, "StageName"), "$default", "{id}.StageName");
    assert!(bool_at(p, "AutoDeploy"), "{id}.AutoDeploy");
    assert_eq!(
        at(p, "DefaultRouteSettings.ThrottlingBurstLimit").as_u64(),
        Some(THROTTLING_BURST),
        "{id}: burst"
    );
    assert_eq!(
        at(p, "DefaultRouteSettings.ThrottlingRateLimit").as_u64(),
        Some(THROTTLING_RATE),
        "{id}: rate"
    );
    assert!(
        p.get("RouteSettings").is_none(),
        "{id}: per-route settings over the defaults"
    );
    assert_eq!(
        get_att_of(at(p, "AccessLogSettings.DestinationArn")).as_deref(),
        Some("ApiAccessLogGroup.Arn"),
        "{id}: access log destination"
    );
    let format: serde_json::Value = serde_json::from_str(str_at(p, "AccessLogSettings.Format"))
        .unwrap_or_else(|e| panic!("{id}: the access log format is not JSON: {e}"));
    let fields = format.as_object().expect("a JSON object");
    assert_eq!(
        fields.get("routeKey"),
        Some(&"$context.routeKey".into()),
        "{id}"
    );
    for (k, v) in fields {
        let v = v.as_str().unwrap_or_default();
        assert!(
            v.starts_with("$context."),
            "{id}: access log field {k} is {v:?}"
        );
        assert!(
            v != "$context.path" && !v.contains("rawPath"),
            "{id}: access log field {k} logs the raw path (tokens)"
        );
    }
}

#[test]
fn no_reference_is_left_unresolved() {
    let bad = unresolved_references(translated());
    assert!(
        bad.is_empty(),
        "references to nothing in the translated template: {bad:#?}"
    );
}

/// The walk behind `no_reference_is_left_unresolved` finds what it is there to find.
#[test]
fn unresolved_references_are_found() {
    let t: Value = serde_yaml::from_str(
        r#"
        Parameters: {P: {Type: String}}
        Conditions: {C: {"Fn::Equals": [{Ref: P}, ""]}}
        Resources:
          A:
            Type: X
            Condition: Gone
            DependsOn: [B, Nope]
            Properties:
              Ok: [{Ref: P}, {Ref: "AWS::Region"}, {"Fn::GetAtt": [B, Arn]}, {"Fn::Sub": "${B.Arn}/${!Lit}"}]
              Bad1: {Ref: Missing}
              Bad2: {"Fn::GetAtt": [Missing2, Arn]}
              Bad3: {"Fn::Sub": ["${Missing3}/${V}", {V: x}]}
              Bad4: {"Fn::If": [NoCond, a, b]}
          B: {Type: Y}
        "#,
    )
    .expect("yaml");
    let bad = unresolved_references(&t);
    for want in [
        "Condition Gone",
        "DependsOn Nope",
        "Ref Missing",
        "GetAtt Missing2",
        "Sub ${Missing3}",
        "If NoCond",
    ] {
        assert!(
            bad.iter().any(|b| b.ends_with(want)),
            "{want} not found in {bad:?}"
        );
    }
    assert_eq!(bad.len(), 6, "{bad:?}");
}
