//! Routing: method and path to the core call.

use std::time::Instant;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::Method;
use dropgate_core::accounts::{SignUpOutcome, validate_email, validate_password};
use dropgate_core::files::NewUpload;
use serde::Deserialize;
use serde_json::json;

use crate::Deps;
use crate::http::{ApiError, caller, error_response, json_response, parse_json, query, respond};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirmation {
    email: String,
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refresh {
    refresh_token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateFile {
    name: String,
    size: u64,
    content_type: String,
}

type Answer = Result<ApiGatewayV2httpResponse, ApiError>;

pub async fn dispatch(req: ApiGatewayV2httpRequest, deps: &Deps) -> ApiGatewayV2httpResponse {
    let started = Instant::now();
    let method = req.request_context.http.method.clone();
    let path = req
        .raw_path
        .clone()
        .or_else(|| req.request_context.http.path.clone())
        .unwrap_or_default();
    let request_id = req.request_context.request_id.clone().unwrap_or_default();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let answer = route(&method, &segments, &req, deps).await;
    let response = match answer {
        Ok(r) => r,
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(request_id, method = %method, path, code = e.code, "request failed");
            }
            error_response(&e)
        }
    };
    // One line per request; the path holds ids only, never tokens.
    tracing::info!(
        request_id,
        method = %method,
        path,
        status = response.status_code,
        duration_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

async fn route(
    method: &Method,
    seg: &[&str],
    req: &ApiGatewayV2httpRequest,
    deps: &Deps,
) -> Answer {
    match (seg, method) {
        (["health"], &Method::GET) => Ok(json_response(200, &json!({"status": "ok"}))),
        (["auth", "signup"], &Method::POST) => signup(req, deps).await,
        (["auth", "confirm"], &Method::POST) => confirm(req, deps).await,
        (["auth", "login"], &Method::POST) => login(req, deps).await,
        (["auth", "refresh"], &Method::POST) => refresh(req, deps).await,
        (["files"], &Method::POST) => create_file(req, deps).await,
        (["files"], &Method::GET) => list_files(req, deps).await,
        (["files", id], &Method::GET) => get_file(req, deps, id).await,
        (["files", id], &Method::DELETE) => delete_file(req, deps, id).await,
        (["files", id, "download"], &Method::GET) => download(req, deps, id).await,
        (["quota"], &Method::GET) => quota(req, deps).await,
        (
            ["health"]
            | ["auth", _]
            | ["files"]
            | ["files", _]
            | ["files", _, "download"]
            | ["quota"],
            _,
        ) => Err(ApiError::new(
            405,
            "method_not_allowed",
            format!("{method} is not allowed here"),
        )),
        _ => Err(ApiError::new(404, "not_found", "no such route")),
    }
}

async fn signup(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let c: Credentials = parse_json(req)?;
    let email = validate_email(&c.email)?;
    validate_password(&c.password)?;
    let outcome = deps.accounts.sign_up(&email, &c.password).await?;
    Ok(json_response(
        201,
        &json!({"email": email, "confirmed": outcome == SignUpOutcome::Confirmed}),
    ))
}

async fn confirm(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let c: Confirmation = parse_json(req)?;
    let email = validate_email(&c.email)?;
    if c.code.is_empty() || c.code.len() > 64 {
        return Err(ApiError::new(400, "invalid_code", "the code is wrong"));
    }
    deps.accounts.confirm(&email, &c.code).await?;
    Ok(json_response(
        200,
        &json!({"email": email, "confirmed": true}),
    ))
}

async fn login(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let c: Credentials = parse_json(req)?;
    // A malformed address cannot belong to an account: same answer as a wrong password.
    let bad = || ApiError::new(401, "invalid_credentials", "email or password is wrong");
    let email = validate_email(&c.email).map_err(|_| bad())?;
    if c.password.is_empty() || c.password.len() > 1024 {
        return Err(bad());
    }
    let tokens = deps.accounts.login(&email, &c.password).await?;
    Ok(json_response(200, &tokens))
}

async fn refresh(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let r: Refresh = parse_json(req)?;
    if r.refresh_token.is_empty() || r.refresh_token.len() > 8192 {
        return Err(ApiError::new(
            401,
            "invalid_token",
            "the refresh token is not valid",
        ));
    }
    let tokens = deps.accounts.refresh(&r.refresh_token).await?;
    Ok(json_response(200, &tokens))
}

async fn create_file(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let c: CreateFile = parse_json(req)?;
    let created = deps
        .files
        .create_upload(
            &who.owner,
            NewUpload {
                name: c.name,
                size: c.size,
                content_type: c.content_type,
                via_link: None,
                owner_email: who.email,
            },
        )
        .await?;
    tracing::info!(owner = %who.owner, file_id = created.file.id, size = created.file.size, "upload reserved");
    Ok(json_response(201, &created))
}

async fn list_files(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let listing = deps
        .files
        .list(&who.owner, query(req, "limit"), query(req, "cursor"))
        .await?;
    Ok(json_response(200, &listing))
}

async fn get_file(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let file = deps.files.get(&who.owner, id).await?;
    Ok(json_response(200, &json!({"file": file.view()})))
}

async fn download(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let url = deps.files.download(&who.owner, id).await?;
    Ok(json_response(
        200,
        &json!({"url": url.url, "expires_at": url.expires_at}),
    ))
}

async fn delete_file(req: &ApiGatewayV2httpRequest, deps: &Deps, id: &str) -> Answer {
    let who = caller(req)?;
    let file = deps.files.delete(&who.owner, id).await?;
    tracing::info!(owner = %who.owner, file_id = %file.id, "file deleted");
    Ok(respond(204, None))
}

async fn quota(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    let usage = deps.files.quota(&who.owner).await?;
    Ok(json_response(200, &usage))
}
