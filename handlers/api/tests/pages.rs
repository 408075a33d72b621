//! The web client's pages and assets, served by the api from what was embedded at build time.

mod common;

use aws_lambda_events::encodings::Body;
use common::{Resp, expect_error, req, send, world};

fn header<'a>(r: &'a common::Resp, name: &str) -> &'a str {
    r.raw
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

#[tokio::test]
async fn pages_are_public_html_with_their_security_headers() {
    let w = world();
    for (path, script) in [
        ("/", "/assets/app.js"),
        ("/d/some-token", "/assets/drop.js"),
    ] {
        // No claims: no account needed.
        let r = send(&w, req("GET", path)).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
        let body = r.body.as_deref().unwrap();
        assert!(body.contains(&format!("src=\"{script}\"")), "{path}");
        let csp = header(&r, "content-security-policy");
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self' http://uploads.test",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(part), "{part} in {csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert_eq!(header(&r, "referrer-policy"), "no-referrer");
        assert_eq!(header(&r, "cache-control"), "no-cache");
        assert!(
            r.raw.is_base64_encoded,
            "bytes go through API Gateway as base64"
        );
    }
}

#[tokio::test]
async fn assets_have_their_types_and_nothing_else_is_served() {
    let w = world();
    for (path, ty) in [
        ("/assets/app.js", "text/javascript; charset=utf-8"),
        ("/assets/style.css", "text/css; charset=utf-8"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let r = send(&w, req("GET", path)).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(header(&r, "content-type"), ty, "{path}");
        assert!(r.raw.headers.contains_key("content-security-policy"));
    }
    for path in [
        "/assets/nope.js",
        "/assets/..",
        "/assets/..%2Findex.html",
        "/assets/tests",
    ] {
        let r = expect_error(&w, req("GET", path), 404, "not_found").await;
        assert_page_headers(&r, path);
    }
    for (method, path) in [
        ("POST", "/"),
        ("DELETE", "/d/x"),
        ("POST", "/assets/app.js"),
    ] {
        let r = expect_error(&w, req(method, path), 405, "method_not_allowed").await;
        assert_page_headers(&r, path);
    }
    // API routes keep their own headers.
    let r = expect_error(&w, req("GET", "/nowhere"), 404, "not_found").await;
    assert!(!r.raw.headers.contains_key("content-security-policy"));
}

/// A page path's error answer carries the pages' security headers too.
fn assert_page_headers(r: &Resp, path: &str) {
    for name in [
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
    ] {
        assert!(r.raw.headers.contains_key(name), "{path}: {name}");
    }
}

#[tokio::test]
async fn gzip_when_accepted_and_304_when_unchanged() {
    let w = world();
    let plain = send(&w, req("GET", "/assets/app.js")).await;
    let zipped = send(
        &w,
        req("GET", "/assets/app.js").header("accept-encoding", "gzip, deflate, br"),
    )
    .await;
    assert!(!plain.raw.headers.contains_key("content-encoding"));
    assert_eq!(header(&zipped, "content-encoding"), "gzip");
    assert_eq!(header(&zipped, "vary"), "accept-encoding");
    let (Some(Body::Binary(a)), Some(Body::Binary(z))) = (&plain.raw.body, &zipped.raw.body) else {
        panic!("binary bodies");
    };
    assert_eq!(&z[..2], &[0x1f, 0x8b], "a gzip stream");
    assert!(z.len() < a.len());
    // Each representation has its own ETag, and each revalidates.
    let (e1, e2) = (header(&plain, "etag"), header(&zipped, "etag"));
    assert_ne!(e1, e2);
    let again = send(&w, req("GET", "/assets/app.js").header("if-none-match", e1)).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_none());
    let stale = send(
        &w,
        req("GET", "/assets/app.js").header("if-none-match", "\"0000\""),
    )
    .await;
    assert_eq!(stale.status, 200);
}

/// An unknown address is `404` either way: a page for a browser that asks for HTML first, the
/// JSON error for everything else (`*/*` included), so scripts keep matching on `code`.
#[tokio::test]
async fn an_unknown_address_is_a_page_for_a_browser_and_json_otherwise() {
    let w = world();
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for path in ["/nowhere", "/files/a/b/c", "/d/"] {
        let r = send(&w, req("GET", path).header("accept", browser)).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
        assert!(
            r.body.as_deref().unwrap_or("").contains("Page not found"),
            "{path}: {:?}",
            r.body
        );
        assert_eq!(header(&r, "cache-control"), "no-store");
        assert_page_headers(&r, path);
    }
    for accept in ["*/*", "application/json", "text/html;q=0.5, */*"] {
        let r = expect_error(
            &w,
            req("GET", "/nowhere").header("accept", accept),
            404,
            "not_found",
        )
        .await;
        assert!(
            header(&r, "content-type").starts_with("application/json"),
            "{accept}"
        );
    }
    // A known route keeps its JSON errors whatever the Accept: only unknown addresses are pages.
    expect_error(
        &w,
        req("POST", "/").header("accept", browser),
        405,
        "method_not_allowed",
    )
    .await;
}
