//! CloudWatch metrics through the Embedded Metric Format: a JSON line on stdout that CloudWatch
//! Logs turns into metrics, with no API call from the function. Printed only inside Lambda
//! (`AWS_LAMBDA_FUNCTION_NAME` set), so the local stack, which calls the same handlers, prints
//! nothing new.

use serde_json::{Map, Value, json};

pub const NAMESPACE: &str = "Dropgate";

/// One metric of a line: name, CloudWatch unit, value.
pub type Metric<'a> = (&'a str, &'a str, u64);

/// The EMF document: `Service` and `dims` as dimensions (every prefix of `dims` that is longer
/// than `rollup` is its own dimension set, so `[Verdict, Reason]` with `rollup` 1 is counted
/// by verdict and by verdict and reason), and the metrics.
pub fn line(
    service: &str,
    dims: &[(&str, &str)],
    rollup: usize,
    metrics: &[Metric<'_>],
    ts_ms: i64,
) -> Value {
    let mut sets = Vec::new();
    for n in rollup.min(dims.len())..=dims.len() {
        let mut set = vec!["Service"];
        set.extend(dims[..n].iter().map(|(k, _)| *k));
        sets.push(set);
    }
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": ts_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": sets,
                "Metrics": metrics.iter().map(|(n, u, _)| json!({"Name": n, "Unit": u})).collect::<Vec<_>>(),
            }],
        }),
    );
    doc.insert("Service".into(), json!(service));
    for (k, v) in dims {
        doc.insert((*k).into(), json!(v));
    }
    for (n, _, v) in metrics {
        doc.insert((*n).into(), json!(v));
    }
    Value::Object(doc)
}

/// Whether this process is a Lambda function (where EMF lines become metrics).
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
}

/// Prints `doc` as one line, in Lambda only.
pub fn emit(doc: &Value) {
    if in_lambda() {
        println!("{doc}");
    }
}

/// [`line`] and [`emit`] at the current time.
pub fn put(service: &str, dims: &[(&str, &str)], rollup: usize, metrics: &[Metric<'_>]) {
    if in_lambda() {
        emit(&line(
            service,
            dims,
            rollup,
            metrics,
            chrono::Utc::now().timestamp_millis(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_its_dimension_sets_and_values() {
        let doc = line(
            "worker",
            &[("Verdict", "rejected"), ("Reason", "malware_found")],
            1,
            &[
                ("Uploads", "Count", 1),
                ("VerdictLatency", "Milliseconds", 420),
            ],
            1_000,
        );
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Service", "Verdict"], ["Service", "Verdict", "Reason"]])
        );
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Dropgate");
        assert_eq!(doc["Reason"], "malware_found");
        assert_eq!(doc["VerdictLatency"], 420);
        assert_eq!(doc["Service"], "worker");
    }
}
