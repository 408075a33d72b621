//! template.yaml as SAM translates it (scripts/sam-translate.py, aws-sam-translator in
//! .venv-lint/sam): the CloudFormation that `sam deploy` really creates, with the roles, the
//! HTTP API's stage and the event source mappings SAM generates. Also the template's own
//! intrinsics in the long form the translation spells them in, and a walk over every reference
//! of a template.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_yaml::{Mapping, Value};

use super::toolkit::{at, root, template_path};

/// The interpreter scripts/install-lint.sh installs aws-sam-translator (with aws-sam-cli) for.
fn python() -> PathBuf {
    root().join(".venv-lint/sam/bin/python")
}

/// The translated template, translated once for all the tests that read it. Read with the
/// toolkit's helpers (`at`, `ref_of`, `get_att_of` take the long forms too).
pub(super) fn translated() -> &'static Value {
    static TRANSLATED: OnceLock<Result<Value, String>> = OnceLock::new();
    match TRANSLATED.get_or_init(translate) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

fn translate() -> Result<Value, String> {
    let python = python();
    // Missing is a failure, not a skip: these checks are the only ones of what SAM generates.
    if !python.is_file() {
        return Err(format!(
            "{python:?} is missing, so aws-sam-translator is not installed: run \
             scripts/install-lint.sh (scripts/test.sh runs it before cargo test)"
        ));
    }
    let script = root().join("scripts/sam-translate.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(template_path())
        .output()
        .map_err(|e| format!("{python:?} {script:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "scripts/sam-translate.py failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // JSON is YAML: read it as the source is read, with the same helpers.
    serde_yaml::from_slice(&out.stdout)
        .map_err(|e| format!("scripts/sam-translate.py printed no JSON template: {e}"))
}

/// A source value with its short-form intrinsics (`!GetAtt X.Arn`, `!Sub ...`) in the long form
/// the translation writes (`{"Fn::GetAtt": [X, Arn]}`, `{"Fn::Sub": ...}`), to compare the two.
pub(super) fn long_form(v: &Value) -> Value {
    match v {
        Value::Tagged(t) => {
            let name = t.tag.to_string().trim_start_matches('!').to_owned();
            let arg = match (&t.value, name.as_str()) {
                (Value::String(s), "GetAtt") => {
                    let (id, attr) = s.split_once('.').unwrap_or((s, ""));
                    Value::Sequence(vec![id.into(), attr.into()])
                }
                (other, _) => long_form(other),
            };
            let key = match name.as_str() {
                "Ref" | "Condition" => name,
                _ => format!("Fn::{name}"),
            };
            Value::Mapping(Mapping::from_iter([(Value::String(key), arg)]))
        }
        Value::Sequence(s) => Value::Sequence(s.iter().map(long_form).collect()),
        Value::Mapping(m) => {
            Value::Mapping(m.iter().map(|(k, v)| (k.clone(), long_form(v))).collect())
        }
        other => other.clone(),
    }
}

/// The pseudo parameters CloudFormation resolves in any template.
const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// The names a long-form template defines: resources, parameters (with the pseudo ones) and
/// conditions.
struct Names {
    resources: BTreeSet<String>,
    parameters: BTreeSet<String>,
    conditions: BTreeSet<String>,
}

fn keys_of(t: &Value, section: &str) -> BTreeSet<String> {
    t.get(section)
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.as_str().map(str::to_owned))
        .collect()
}

/// Every reference of the long-form template `t` that names nothing it defines: `Ref`,
/// `Fn::GetAtt`, the `${...}` of `Fn::Sub`, `Fn::If`'s condition, a resource's `Condition` and
/// `DependsOn`; each with where it is.
pub(super) fn unresolved_references(t: &Value) -> Vec<String> {
    let mut parameters = keys_of(t, "Parameters");
    parameters.extend(PSEUDO_PARAMETERS.iter().map(|p| p.to_string()));
    let names = Names {
        resources: keys_of(t, "Resources"),
        parameters,
        conditions: keys_of(t, "Conditions"),
    };
    let mut bad = Vec::new();
    for (id, r) in at(t, "Resources").as_mapping().expect("Resources").iter() {
        let id = id.as_str().unwrap_or("?");
        if let Some(c) = r.get("Condition").and_then(Value::as_str)
            && !names.conditions.contains(c)
        {
            bad.push(format!("{id}: Condition {c}"));
        }
        let depends: Vec<&str> = match r.get("DependsOn") {
            Some(Value::String(d)) => vec![d.as_str()],
            Some(Value::Sequence(d)) => d.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        for d in depends {
            if !names.resources.contains(d) {
                bad.push(format!("{id}: DependsOn {d}"));
            }
        }
    }
    for section in ["Resources", "Outputs", "Conditions"] {
        if let Some(v) = t.get(section) {
            walk(v, section, &names, &mut bad);
        }
    }
    bad
}

fn walk(v: &Value, path: &str, names: &Names, bad: &mut Vec<String>) {
    match v {
        Value::Sequence(s) => {
            for (i, x) in s.iter().enumerate() {
                walk(x, &format!("{path}[{i}]"), names, bad);
            }
        }
        Value::Mapping(m) => {
            if m.len() == 1 {
                let (k, arg) = m.iter().next().expect("one entry");
                check_intrinsic(k.as_str().unwrap_or(""), arg, path, names, bad);
            }
            for (k, x) in m {
                walk(
                    x,
                    &format!("{path}.{}", k.as_str().unwrap_or("?")),
                    names,
                    bad,
                );
            }
        }
        _ => {}
    }
}

fn check_intrinsic(name: &str, arg: &Value, path: &str, names: &Names, bad: &mut Vec<String>) {
    let defined = |n: &str| names.resources.contains(n) || names.parameters.contains(n);
    match (name, arg) {
        ("Ref", Value::String(r)) if !defined(r) => bad.push(format!("{path}: Ref {r}")),
        ("Fn::GetAtt", Value::Sequence(parts)) => {
            let id = parts.first().and_then(Value::as_str).unwrap_or("");
            if !names.resources.contains(id) {
                bad.push(format!("{path}: GetAtt {id}"));
            }
        }
        ("Fn::GetAtt", Value::String(s)) => {
            let id = s.split('.').next().unwrap_or("");
            if !names.resources.contains(id) {
                bad.push(format!("{path}: GetAtt {s}"));
            }
        }
        ("Fn::Sub", sub) => {
            let (text, vars) = match sub {
                Value::String(s) => (s.as_str(), None),
                Value::Sequence(p) => (
                    p.first().and_then(Value::as_str).unwrap_or(""),
                    p.get(1).and_then(Value::as_mapping),
                ),
                _ => ("", None),
            };
            for var in sub_variables(text) {
                let local = vars.is_some_and(|m| m.contains_key(var));
                let resolved = match var.split_once('.') {
                    // ${X.Attr}: an attribute of the resource X.
                    Some((id, _)) if !var.starts_with("AWS::") => names.resources.contains(id),
                    _ => defined(var),
                };
                if !local && !resolved {
                    bad.push(format!("{path}: Sub ${{{var}}}"));
                }
            }
        }
        ("Fn::If", Value::Sequence(args)) => {
            let c = args.first().and_then(Value::as_str).unwrap_or("");
            if !names.conditions.contains(c) {
                bad.push(format!("{path}: If {c}"));
            }
        }
        ("Condition", Value::String(c)) if !names.conditions.contains(c.as_str()) => {
            bad.push(format!("{path}: Condition {c}"));
        }
        _ => {}
    }
}

/// The `${name}` variables of a `Fn::Sub` string (`${!Literal}` is no variable).
fn sub_variables(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let var = after[..end].trim();
        if !var.starts_with('!') {
            out.push(var);
        }
        rest = &after[end + 1..];
    }
    out
}
