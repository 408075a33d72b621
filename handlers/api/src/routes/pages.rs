//! The web client's pages and assets (see `crate::web`): public, the same for everyone, and
//! never an AWS call.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::ApiError;
use crate::web;

fn file(req: &ApiGatewayV2httpRequest, deps: &Deps, name: &str) -> Answer {
    let asset = web::asset(name).ok_or_else(|| ApiError::new(404, "not_found", "no such file"))?;
    Ok(web::serve(asset, req, &deps.pages))
}

/// `/`: the owner's app.
pub(super) fn app(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    file(req, deps, "index.html")
}

/// `/admin`: the operator console. Public like every page (it holds no data): its script asks
/// the admin routes, which refuse anyone but an admin.
pub(super) fn admin(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    file(req, deps, "admin.html")
}

/// `/d/{token}`: the uploader's drop page; its script reads the token from the address.
pub(super) fn drop_page(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    file(req, deps, "drop.html")
}

/// `/s/{token}`: a share's page; serving it counts nothing (only its Download button does).
pub(super) fn share_page(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    file(req, deps, "share.html")
}

/// `/assets/{name}`: scripts, styles and icons. Only names embedded under `web/assets/`.
pub(super) fn asset(req: &ApiGatewayV2httpRequest, deps: &Deps, name: &str) -> Answer {
    if name.contains("..") || name.contains('/') || name.contains('\\') {
        return Err(ApiError::new(404, "not_found", "no such file"));
    }
    file(req, deps, &format!("assets/{name}"))
}
