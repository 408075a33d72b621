//! Parameters: their defaults against the code's, and PUBLIC_BASE_URL's fallback to the HTTP
//! API's own address.

use std::collections::BTreeMap;

use serde_yaml::Value;

use super::toolkit::{
    STACK, at, function_env, functions, intrinsic, local_resources, ref_of, sub_with_stack,
    template,
};

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
