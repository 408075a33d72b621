//! The web client's files, embedded at compile time (see build.rs), and the headers every page
//! carries. Pages hold no data: they are the same for everyone and call the API from the
//! browser, so serving one never touches AWS.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};

pub struct Asset {
    /// Path under `web/`: `index.html`, `assets/app.js`.
    pub name: &'static str,
    pub content_type: &'static str,
    /// Hex of the first 16 bytes of the SHA-256 of `body`.
    pub etag: &'static str,
    pub body: &'static [u8],
    /// The same bytes gzipped, when that is smaller.
    pub gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The headers of every page and asset. The page talks to its own origin and, for uploads
/// straight to S3, to the bucket's; nothing inline, nothing evaluated, never framed.
#[derive(Debug, Clone)]
pub struct PageHeaders {
    pub csp: String,
}

impl PageHeaders {
    /// `upload_origin` is where presigned upload URLs point (scheme, host and port).
    pub fn new(upload_origin: &str) -> Self {
        let csp = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self' {upload_origin}; form-action 'self'; base-uri 'none'; \
             manifest-src 'self'; frame-ancestors 'none'"
        );
        Self { csp }
    }

    /// The security headers of every page and asset answer, error answers included.
    pub(crate) fn apply(&self, h: &mut HeaderMap) {
        if let Ok(v) = HeaderValue::from_str(&self.csp) {
            h.insert("content-security-policy", v);
        }
        h.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        // Drop and share URLs carry a secret: never send them on to another site.
        h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
        h.insert(
            "permissions-policy",
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        );
    }
}

fn header<'a>(req: &'a ApiGatewayV2httpRequest, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

fn accepts_gzip(req: &ApiGatewayV2httpRequest) -> bool {
    header(req, "accept-encoding").is_some_and(|v| {
        v.split(',').any(|c| {
            let mut parts = c.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
    })
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn not_modified(req: &ApiGatewayV2httpRequest, etag: &str) -> bool {
    header(req, "if-none-match").is_some_and(|v| {
        v.split(',').any(|t| {
            let t = t.trim().trim_start_matches("W/");
            t == "*" || t == etag
        })
    })
}

/// `asset` for `req`: gzipped when the client takes it, 304 when it already has these bytes.
/// Always revalidated (`no-cache`): the names carry no hash, so a deploy must reach every
/// browser at its next load, and a revalidation costs one small request.
pub fn serve(
    asset: &Asset,
    req: &ApiGatewayV2httpRequest,
    page: &PageHeaders,
) -> ApiGatewayV2httpResponse {
    let gzip = asset.gzip.filter(|_| accepts_gzip(req));
    let etag = match gzip {
        Some(_) => format!("\"{}-gz\"", asset.etag),
        None => format!("\"{}\"", asset.etag),
    };
    let mut headers = HeaderMap::new();
    page.apply(&mut headers);
    headers.insert("cache-control", HeaderValue::from_static("no-cache"));
    headers.insert("vary", HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert("etag", v);
    }
    let (status, body) = if not_modified(req, &etag) {
        (304, None)
    } else {
        headers.insert("content-type", HeaderValue::from_static(asset.content_type));
        match gzip {
            Some(gz) => {
                headers.insert("content-encoding", HeaderValue::from_static("gzip"));
                (200, Some(Body::Binary(gz.to_vec())))
            }
            None => (200, Some(Body::Binary(asset.body.to_vec()))),
        }
    };
    ApiGatewayV2httpResponse {
        status_code: status,
        headers,
        multi_value_headers: HeaderMap::new(),
        is_base64_encoded: body.is_some(),
        body,
        cookies: vec![],
    }
}

/// The q of each media range in an `Accept` header (1 when none is given).
fn accept_ranges(req: &ApiGatewayV2httpRequest) -> impl Iterator<Item = (String, f32)> + '_ {
    header(req, "accept").into_iter().flat_map(|v| {
        v.split(',').map(|item| {
            let mut parts = item.split(';');
            let range = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (range, q)
        })
    })
}

/// Whether the client prefers HTML to JSON: a browser's navigation names `text/html` above
/// anything else. `*/*` alone (curl, most libraries) and a tie keep the API's JSON.
pub fn prefers_html(req: &ApiGatewayV2httpRequest) -> bool {
    let (mut html, mut json) = (0.0_f32, 0.0_f32);
    for (range, q) in accept_ranges(req) {
        match range.as_str() {
            "text/html" | "text/*" => html = html.max(q),
            "application/json" | "application/*" | "*/*" => json = json.max(q),
            _ => {}
        }
    }
    html > 0.0 && html > json
}

/// The page of an unknown address, for a browser: `404` like the JSON answer, never cached.
pub fn not_found_page(page: &PageHeaders) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    page.apply(&mut headers);
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    let body = asset("404.html").map(|a| {
        headers.insert("content-type", HeaderValue::from_static(a.content_type));
        Body::Binary(a.body.to_vec())
    });
    ApiGatewayV2httpResponse {
        status_code: 404,
        headers,
        multi_value_headers: HeaderMap::new(),
        is_base64_encoded: body.is_some(),
        body,
        cookies: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_and_their_assets_are_embedded() {
        for name in [
            "index.html",
            "drop.html",
            "assets/app.js",
            "assets/style.css",
        ] {
            let a = asset(name).unwrap_or_else(|| panic!("{name} embedded"));
            assert!(!a.body.is_empty());
            assert_eq!(a.etag.len(), 32);
        }
        assert!(
            asset("tests/package.json").is_none(),
            "tests are not served"
        );
    }

    /// The pages' scripts are split into modules that import each other: one not embedded
    /// would break its page at load, with nothing else failing.
    #[test]
    fn every_module_a_script_imports_is_embedded_as_javascript() {
        let scripts = ASSETS.iter().filter(|a| a.name.ends_with(".js"));
        let mut imports = 0;
        for a in scripts {
            let text = std::str::from_utf8(a.body).expect("utf-8 script");
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let module = line
                    .split(" from './")
                    .nth(1)
                    .and_then(|rest| rest.split('\'').next())
                    .unwrap_or_else(|| panic!("{}: a relative import: {line}", a.name));
                let target = asset(&format!("assets/{module}"))
                    .unwrap_or_else(|| panic!("{} imports {module}, not embedded", a.name));
                assert_eq!(target.content_type, "text/javascript; charset=utf-8");
                imports += 1;
            }
        }
        assert!(imports > 0, "the scripts import their modules");
    }

    #[test]
    fn html_only_when_the_client_prefers_it() {
        let mut req = ApiGatewayV2httpRequest::default();
        assert!(!prefers_html(&req), "no Accept: JSON");
        for (v, want) in [
            (
                "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
                true,
            ),
            ("text/html", true),
            ("TEXT/HTML;q=0.5, application/json;q=0.4", true),
            ("*/*", false),
            ("application/json", false),
            ("application/json, text/html", false),
            ("text/html;q=0.5, */*", false),
            ("text/html;q=0", false),
            ("image/png", false),
        ] {
            req.headers.insert("accept", HeaderValue::from_static(v));
            assert_eq!(prefers_html(&req), want, "{v}");
        }
    }

    #[test]
    fn the_not_found_page_is_embedded() {
        let page = asset("404.html").expect("404.html embedded");
        assert!(std::str::from_utf8(page.body).is_ok_and(|t| t.contains("Page not found")));
    }

    #[test]
    fn gzip_is_taken_only_when_offered_and_not_refused() {
        let mut req = ApiGatewayV2httpRequest::default();
        assert!(!accepts_gzip(&req));
        for (v, want) in [
            ("gzip, deflate, br", true),
            ("br;q=1.0, gzip;q=0.8", true),
            ("gzip;q=0", false),
            ("identity", false),
            ("*", true),
        ] {
            req.headers
                .insert("accept-encoding", HeaderValue::from_static(v));
            assert_eq!(accepts_gzip(&req), want, "{v}");
        }
    }
}
