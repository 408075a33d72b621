//! The HTTP API (API Gateway HTTP API, payload v2): decode, call `dropgate-core`, encode.
//! The JWT is verified before this code runs (API Gateway's authorizer in AWS, the local
//! stack's identical check locally); the handler reads the verified claims.
//!
//! Two functions serve it, one route table: the `auth` function answers the five `/auth/*`
//! routes (`handle_auth`, Cognito only), the `api` function every other route (`handle`,
//! DynamoDB and S3). Neither links the other's SDK clients or holds the other's permissions.

mod deps;
mod http;
mod routes;
pub mod web;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};

pub use deps::{AUTH_REQUIRED_ENV, AuthDeps, Deps, PasswordLimits, Ports, REQUIRED_ENV};
pub use http::MAX_BODY_BYTES;
pub use routes::{ROUTES, Route, is_auth_path, needs_token};

/// Handles one API request (any route but `/auth/*`). Never fails and never panics on any input:
/// every outcome is an HTTP response.
pub async fn handle(req: ApiGatewayV2httpRequest, deps: &Deps) -> ApiGatewayV2httpResponse {
    routes::dispatch(req, deps).await
}

/// Handles one `/auth/*` request, with the same guarantees as `handle`.
pub async fn handle_auth(
    req: ApiGatewayV2httpRequest,
    deps: &AuthDeps,
) -> ApiGatewayV2httpResponse {
    routes::dispatch(req, deps).await
}

/// What API Gateway does with a request to the HTTP API: `/auth/*` to the auth function, any
/// other path to the api. For the local stack and the tests; each Lambda runs its own handler.
pub async fn handle_routed(
    req: ApiGatewayV2httpRequest,
    api: &Deps,
    auth: &AuthDeps,
) -> ApiGatewayV2httpResponse {
    if is_auth_path(routes::request_path(&req)) {
        handle_auth(req, auth).await
    } else {
        handle(req, api).await
    }
}
