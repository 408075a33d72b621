//! Routing: dispatch over the route table (`table.rs`) to each route's handler, 404 against
//! 405, the request budget, and the request log line (the route's pattern, never the raw path:
//! paths carry tokens). The handlers live one module per resource.

mod account;
mod answer;
mod apikeys;
mod audit;
mod auth;
mod drop;
mod edits;
mod erasure;
mod files;
mod holds;
mod links;
mod mfa;
mod pages;
mod parts;
mod retention;
mod review;
mod security;
mod shares;
mod table;
mod trash;
mod users;
mod versions;
mod webhooks;

use std::time::{Duration, Instant};

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use serde_json::json;

use crate::deps::{AuthDeps, Deps};
use dropgate_core::identity::Principal;

use crate::http::{ApiError, error_response, install_caller, json_response};
use crate::web::{self, PageHeaders};

use answer::Answer;
use table::{Op, is_auth, matching, pure_read};
pub use table::{ROUTES, Route, is_auth_path, needs_token};

/// The longest a request may take: under the function's 10 s timeout, so that a client always
/// gets an answer in the error shape (503 `unavailable`) rather than API Gateway's bare 503.
pub const REQUEST_BUDGET: Duration = Duration::from_secs(8);

/// The upload API's version (docs/API.md): 2 added multipart uploads of large files.
pub const UPLOAD_API_VERSION: u32 = 2;

/// One of the two functions that serve the route table, with what its invocations borrow.
pub(crate) trait Function: Sync {
    /// Whether this function answers `op`; the other's routes are a 404 here (API Gateway
    /// never sends them).
    fn serves(op: Op) -> bool;
    fn call(
        &self,
        op: Op,
        params: &[&str],
        req: &ApiGatewayV2httpRequest,
    ) -> impl Future<Output = Answer> + Send;
    /// The pages' security headers, for a function that serves pages.
    fn pages(&self) -> Option<&PageHeaders>;
    /// Who calls `route`: `None` for a public route, the caller whose credential verified
    /// otherwise, or why not (`401`, `403`, or `503` when the keys could not be read). Their
    /// account's standing is [`Function::standing`]'s.
    fn admit(
        &self,
        route: &Route,
        params: &[&str],
        req: &ApiGatewayV2httpRequest,
    ) -> impl Future<Output = Result<Option<Principal>, ApiError>> + Send;
    /// Whether the admitted caller's account lets them through `route` now: not disabled, the
    /// credential not revoked, an admin's second factor where required (`403`, `401`, or `503`
    /// when the records could not be read: never a pass).
    fn standing(
        &self,
        route: &Route,
        who: &Principal,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
}

/// The request's path as API Gateway received it.
pub(crate) fn request_path(req: &ApiGatewayV2httpRequest) -> &str {
    req.raw_path
        .as_deref()
        .or(req.request_context.http.path.as_deref())
        .unwrap_or_default()
}

fn no_route() -> ApiError {
    ApiError::new(404, "not_found", "no such route")
}

pub(crate) async fn dispatch<F: Function>(
    mut req: ApiGatewayV2httpRequest,
    deps: &F,
) -> ApiGatewayV2httpResponse {
    let started = Instant::now();
    // Nothing a request brings counts as a caller: only the gate installs one.
    install_caller(&mut req, None);
    let method = req.request_context.http.method.clone();
    let path = request_path(&req).to_owned();
    let request_id = req.request_context.request_id.clone().unwrap_or_default();
    // HEAD is GET without the body (link checkers and previews send it; it counts nothing).
    let head = method == "HEAD";
    let wanted = if head { "GET" } else { method.as_str() };
    let mut candidates = matching(&path);
    candidates.retain(|(r, _)| F::serves(r.op));
    let chosen = candidates
        .iter()
        .find(|(r, _)| r.method == wanted)
        .or_else(|| candidates.first());
    // The log names the route's pattern: the raw path may hold a token or receipt.
    let route = chosen.map_or("(unknown)", |(r, _)| r.pattern);
    let answer = match chosen {
        Some((r, params)) if r.method == wanted => {
            let gated = async {
                let who = deps.admit(r, params, &req).await?;
                install_caller(&mut req, who.as_ref());
                let req = &req;
                match who {
                    None => deps.call(r.op, params, req).await,
                    // A read that writes nothing runs beside the standing check, so the check
                    // adds no round trip; its answer goes out only if the standing admits.
                    Some(who) if pure_read(r.op) => {
                        let (standing, answer) =
                            tokio::join!(deps.standing(r, &who), deps.call(r.op, params, req));
                        standing.and(answer)
                    }
                    Some(who) => {
                        deps.standing(r, &who).await?;
                        deps.call(r.op, params, req).await
                    }
                }
            };
            tokio::time::timeout(REQUEST_BUDGET, gated)
                .await
                .unwrap_or_else(|_| {
                    Err(ApiError {
                        cause: Some(format!("request budget of {REQUEST_BUDGET:?} spent")),
                        ..ApiError::from(dropgate_core::CoreError::Unavailable(String::new()))
                    })
                })
        }
        Some(_) => Err(ApiError::new(
            405,
            "method_not_allowed",
            format!("{method} is not allowed here"),
        )),
        None => Err(no_route()),
    };
    let mut response = match answer {
        Ok(r) => r,
        Err(e) => {
            if e.status >= 500 {
                let cause = e.cause.as_deref().unwrap_or("");
                tracing::error!(request_id, method = %method, route, code = e.code, cause, "request failed");
            }
            error_response(&e)
        }
    };
    // A person who followed a wrong address gets a page, with the same 404; a program (any
    // client that does not ask for HTML first) keeps the JSON.
    if let Some(pages) = deps
        .pages()
        .filter(|_| chosen.is_none() && web::prefers_html(&req))
    {
        response = web::not_found_page(pages);
    }
    // A page or asset path answers its errors (404, 405) with the pages' security headers too.
    let page = chosen.is_some_and(|(r, _)| {
        matches!(
            r.op,
            Op::AppPage | Op::AdminPage | Op::DropPage | Op::SharePage | Op::Asset
        )
    });
    if let Some(pages) = deps.pages().filter(|_| page && response.status_code >= 400) {
        pages.apply(&mut response.headers);
    }
    if head {
        response.body = None;
        response.is_base64_encoded = false;
    }
    // Operators' actions, counted by route (EMF, in Lambda only).
    if route.starts_with("/admin/") {
        dropgate_infra::metrics::put(
            "api",
            &[("Route", route)],
            0,
            &[
                ("AdminActions", "Count", 1),
                (
                    "AdminRefusals",
                    "Count",
                    u64::from(response.status_code == 403),
                ),
            ],
        );
    }
    tracing::info!(
        request_id,
        method = %method,
        route,
        status = response.status_code,
        duration_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

impl Function for Deps {
    fn serves(op: Op) -> bool {
        !is_auth(op)
    }

    async fn admit(
        &self,
        route: &Route,
        params: &[&str],
        req: &ApiGatewayV2httpRequest,
    ) -> Result<Option<Principal>, ApiError> {
        if route.public {
            return Ok(None);
        }
        let authorization = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        // The first parameter is the file id on the routes that grant only a file's creator.
        let who = self
            .gate
            .credential(authorization, route.scopes, params.first().copied())
            .await?;
        Ok(Some(who))
    }

    async fn standing(&self, route: &Route, who: &Principal) -> Result<(), ApiError> {
        self.gate.check_standing(who).await?;
        // An admin on an admin route, when admins must use TOTP: refused without it (a
        // non-admin goes on to the route's own `403 admin_only`, which tells nothing more).
        if self.require_admin_mfa && who.admin && route.pattern.starts_with("/admin/") {
            self.totp.require_for_admin(&who.owner).await?;
        }
        Ok(())
    }

    fn pages(&self) -> Option<&PageHeaders> {
        Some(&self.pages)
    }

    async fn call(&self, op: Op, p: &[&str], req: &ApiGatewayV2httpRequest) -> Answer {
        let deps = self;
        let first = p.first().copied().unwrap_or_default();
        match op {
            Op::Health => {
                let mut r = json_response(200, &json!({"status": "ok"}));
                r.headers.insert(
                    "dropgate-upload-api",
                    aws_lambda_events::http::HeaderValue::from(UPLOAD_API_VERSION),
                );
                Ok(r)
            }
            Op::SignUp
            | Op::Confirm
            | Op::Login
            | Op::LoginTotp
            | Op::Refresh
            | Op::Logout
            | Op::Forgot
            | Op::Reset => Err(no_route()),
            Op::CreateFile => files::create(req, deps).await,
            Op::ListFiles => files::list(req, deps).await,
            Op::GetFile => files::get(req, deps, first).await,
            Op::DeleteFile => files::delete(req, deps, first).await,
            Op::Download => files::download(req, deps, first).await,
            Op::Quota => files::quota(req, deps).await,
            Op::GetProfile => account::get(req, deps).await,
            Op::SetProfile => account::set(req, deps).await,
            Op::ChangeEmail => security::change_email(req, deps).await,
            Op::VerifyEmail => security::verify_email(req, deps).await,
            Op::ChangePassword => security::change_password(req, deps).await,
            Op::SignOutAll => security::sign_out_all(req, deps).await,
            Op::TotpEnroll => mfa::enroll(req, deps).await,
            Op::TotpVerify => mfa::verify(req, deps).await,
            Op::TotpDisable => mfa::disable(req, deps).await,
            Op::TotpStatus => mfa::status(req, deps).await,
            Op::PresignParts => parts::presign(req, deps, first).await,
            Op::ListParts => parts::list(req, deps, first).await,
            Op::CompleteFile => parts::complete(req, deps, first).await,
            Op::DropPresignParts => parts::drop_presign(req, deps, first).await,
            Op::DropListParts => parts::drop_list(req, deps, first).await,
            Op::DropComplete => parts::drop_complete(req, deps, first).await,
            Op::CreateLink => links::create(req, deps).await,
            Op::ListLinks => links::list(req, deps).await,
            Op::GetLink => links::get(req, deps, first).await,
            Op::EditLink => links::edit(req, deps, first).await,
            Op::RevokeLink => links::revoke(req, deps, first).await,
            Op::DropInfo => drop::info(req, deps, first).await,
            Op::DropFile => drop::upload(req, deps, first).await,
            Op::Receipt => drop::receipt(req, deps, first).await,
            Op::CreateShare => shares::create(req, deps, first).await,
            Op::FileShares => shares::list_for_file(req, deps, first).await,
            Op::ListShares => shares::list(req, deps).await,
            Op::GetShare => shares::get(req, deps, first).await,
            Op::EditShare => shares::edit(req, deps, first).await,
            Op::RevokeShare => shares::revoke(req, deps, first).await,
            Op::ShareDownloads => shares::downloads(req, deps, first).await,
            Op::ShareInfo => shares::info(req, deps, first).await,
            Op::ShareDownload => shares::download(req, deps, first).await,
            Op::ShareUnlock => shares::unlock(req, deps, first).await,
            Op::SharePage => pages::share_page(req, deps),
            Op::AppPage => pages::app(req, deps),
            Op::AdminPage => pages::admin(req, deps),
            Op::DropPage => pages::drop_page(req, deps),
            Op::Asset => pages::asset(req, deps, first),
            Op::ListTrash => trash::list(req, deps).await,
            Op::RestoreTrash => trash::restore(req, deps, first).await,
            Op::PurgeTrash => trash::purge(req, deps, first).await,
            Op::DeletionReceipts => trash::receipts(req, deps).await,
            Op::AuditList => audit::list(req, deps).await,
            Op::AuditExport => audit::export(req, deps).await,
            Op::CreateApiKey => apikeys::create(req, deps).await,
            Op::ListApiKeys => apikeys::list(req, deps).await,
            Op::RevokeApiKey => apikeys::revoke(req, deps, first).await,
            Op::EditFile => retention::edit_file(req, deps, first).await,
            Op::GetSettings => retention::settings(req, deps).await,
            Op::EditSettings => retention::edit_settings(req, deps).await,
            Op::AdminUsers => users::list(req, deps).await,
            Op::AdminUser => users::get(req, deps, first).await,
            Op::AdminEditUser => users::patch(req, deps, first).await,
            Op::AdminFiles => review::files(req, deps).await,
            Op::AdminRelease => review::release(req, deps, first).await,
            Op::AdminHold => holds::place(req, deps, first).await,
            Op::AdminUnhold => holds::lift(req, deps, first).await,
            Op::AdminDeleteFile => review::delete_file(req, deps, first).await,
            Op::AdminLinks => review::links(req, deps).await,
            Op::AdminRevokeLink => review::revoke_link(req, deps, first).await,
            Op::AdminEraseUser => erasure::by_admin(req, deps, first).await,
            Op::DeleteAccount => erasure::own(req, deps).await,
            Op::CreateWebhook => webhooks::create(req, deps).await,
            Op::ListWebhooks => webhooks::list(req, deps).await,
            Op::GetWebhook => webhooks::get(req, deps, first).await,
            Op::EditWebhook => webhooks::edit(req, deps, first).await,
            Op::RemoveWebhook => webhooks::remove(req, deps, first).await,
            Op::TestWebhook => webhooks::test(req, deps, first).await,
            Op::ListDeliveries => webhooks::deliveries(req, deps, first).await,
            Op::Redeliver => {
                let delivery = p.get(1).copied().unwrap_or_default();
                webhooks::redeliver(req, deps, first, delivery).await
            }
            Op::CreateVersion => versions::create(req, deps, first).await,
            Op::ListVersions => versions::list(req, deps, first).await,
            Op::VersionDownload => versions::download(req, deps, first, second(p)).await,
            Op::RestoreVersion => versions::restore(req, deps, first, second(p)).await,
            Op::DeleteVersion => versions::delete(req, deps, first, second(p)).await,
        }
    }
}

/// A route's second path parameter (`{n}` of a file's version).
fn second<'a>(p: &[&'a str]) -> &'a str {
    p.get(1).copied().unwrap_or_default()
}

impl Function for AuthDeps {
    fn serves(op: Op) -> bool {
        is_auth(op)
    }

    /// Every `/auth/*` route is public: the credential is in the body, for Cognito to judge.
    async fn admit(
        &self,
        route: &Route,
        _: &[&str],
        _: &ApiGatewayV2httpRequest,
    ) -> Result<Option<Principal>, ApiError> {
        if route.public {
            Ok(None)
        } else {
            Err(ApiError::new(
                401,
                "unauthorized",
                "a valid bearer id token is required",
            ))
        }
    }

    /// Never reached: no caller is admitted here.
    async fn standing(&self, _: &Route, _: &Principal) -> Result<(), ApiError> {
        Ok(())
    }

    fn pages(&self) -> Option<&PageHeaders> {
        None
    }

    async fn call(&self, op: Op, _: &[&str], req: &ApiGatewayV2httpRequest) -> Answer {
        match op {
            Op::SignUp => auth::signup(req, self).await,
            Op::Confirm => auth::confirm(req, self).await,
            Op::Login => auth::login(req, self).await,
            Op::LoginTotp => mfa::login(req, self).await,
            Op::Refresh => auth::refresh(req, self).await,
            Op::Logout => auth::logout(req, self).await,
            Op::Forgot => auth::forgot(req, self).await,
            Op::Reset => auth::reset(req, self).await,
            _ => Err(no_route()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// API Gateway sends `/auth/{proxy+}` to the auth function (template.yaml): the routes it
    /// serves are exactly those, and the api serves every other one.
    #[test]
    fn each_route_is_served_by_the_function_its_path_goes_to() {
        for r in ROUTES {
            let auth = is_auth_path(r.pattern);
            assert_eq!(<AuthDeps as Function>::serves(r.op), auth, "{}", r.pattern);
            assert_eq!(<Deps as Function>::serves(r.op), !auth, "{}", r.pattern);
        }
        assert_eq!(ROUTES.iter().filter(|r| is_auth(r.op)).count(), 8);
    }
}
