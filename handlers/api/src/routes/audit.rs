//! The audit log, for admins: a filtered listing, newest first, and an export in pages, oldest
//! first, in JSON lines (what `dropgate admin audit verify` reads) or CSV.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use dropgate_core::audit::{AuditQuery, ExportFormat};

use super::answer::Answer;
use crate::deps::Deps;
use crate::http::{ApiError, caller, json_response, query, require_admin, respond};

/// The header that carries an export's next page (none on the last page).
pub const NEXT_CURSOR_HEADER: &str = "dropgate-next-cursor";

fn filters(req: &ApiGatewayV2httpRequest) -> Result<AuditQuery, ApiError> {
    Ok(AuditQuery::parse(
        query(req, "since"),
        query(req, "until"),
        query(req, "action"),
        query(req, "actor"),
        query(req, "target"),
    )?)
}

/// `GET /admin/audit?since=&until=&action=&actor=&target=KIND:ID&cursor=&limit=`.
pub(super) async fn list(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    require_admin(&who)?;
    let q = filters(req)?;
    let page = deps
        .audit
        .list(&q, query(req, "cursor"), query(req, "limit"))
        .await?;
    Ok(json_response(200, &page))
}

/// `GET /admin/audit/export?since=&until=&format=jsonl|csv&cursor=`: one page of at most
/// `EXPORT_PAGE` entries; the next page's cursor is in the `Dropgate-Next-Cursor` header. The
/// first page records the export.
pub(super) async fn export(req: &ApiGatewayV2httpRequest, deps: &Deps) -> Answer {
    let who = caller(req)?;
    require_admin(&who)?;
    let q = filters(req)?;
    let format = ExportFormat::parse(query(req, "format"))?;
    let cursor = query(req, "cursor");
    let page = deps
        .audit
        .export(who.owner.as_str(), &q, format, cursor)
        .await?;
    tracing::info!(
        admin = %who.owner,
        format = format.as_str(),
        first = cursor.is_none(),
        entries = page.entries,
        last = page.next_cursor.is_none(),
        "audit export page"
    );
    let mut r = respond(200, None);
    r.body = Some(Body::Text(page.body));
    r.headers.insert(
        "content-type",
        HeaderValue::from_static(format.content_type()),
    );
    if let Some(next) = page.next_cursor
        && let Ok(v) = HeaderValue::from_str(&next)
    {
        r.headers.insert(NEXT_CURSOR_HEADER, v);
    }
    Ok(r)
}
