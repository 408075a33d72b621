//! The HTTP API's routes, as its OpenAPI body declares them, against the API handler's route
//! table: each handler route reached by the right function, none behind an authorizer.

use std::collections::BTreeSet;

use serde_yaml::Value;

use super::toolkit::{FUNCTION, at, resource, str_at, sub_with_stack, template};

/// API Gateway's catch-all route: what matches no other route (never a handler's own route).
pub(super) const DEFAULT_ROUTE: &str = "/$default";

/// The routes of the HTTP API's OpenAPI body: (method, or "ANY"; path; public (every route: the api is its own gate); the logical id
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
            // No authorizer anywhere: a JWT authorizer would refuse API tokens, so the api
            // function is its own gate and every route reaches it (docs/DESIGN.md section 5).
            assert!(
                op.get("security").is_none(),
                "{method} {path}: no route has an authorizer (security)"
            );
            let public = true;
            routes.push((method, path.to_owned(), public, function));
        }
    }
    routes
}

/// How API Gateway would match `path` against the route path `pattern`: None if it does not,
/// else a specificity rank (more literal segments first, a greedy `{proxy+}` last).
pub(super) fn route_match(pattern: &str, path: &str) -> Option<(usize, bool)> {
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
/// route reaches the function whose handler serves it through a template route, and every
/// template route leads to at least one handler route.
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
    // The catch-all: public, to the api, whose router answers what no route takes (404, 405).
    let fallback = template_routes
        .iter()
        .find(|(_, path, _, _)| path == DEFAULT_ROUTE)
        .expect("template.yaml has the $default route");
    assert_eq!(
        (fallback.0.as_str(), fallback.2, fallback.3),
        ("ANY", true, "ApiFunction"),
        "$default: any method, public, to the api"
    );
    for (method, path, _, _) in template_routes.iter().filter(|r| r.1 != DEFAULT_ROUTE) {
        assert!(
            used.contains(&(method.clone(), path.clone())),
            "template.yaml routes {method} {path}, which reaches no route of the API handler"
        );
    }
}
