use super::*;

#[test]
fn patterns_fit_with_literals_first() {
    assert_eq!(fit("/files/{id}", "/files/abc"), Some(vec!["abc"]));
    assert_eq!(fit("/files/{id}", "/files/"), None);
    assert_eq!(fit("/files/{id}", "/files/a/b"), None);
    let m = matching("/drop/receipts/xyz");
    assert_eq!(m[0].0.pattern, "/drop/receipts/{receipt}");
    assert!(!needs_token("GET", "/drop/abc"));
    assert!(!needs_token("POST", "/drop/abc/files"));
    assert!(!needs_token("POST", "/auth/login"));
    assert!(needs_token("GET", "/links/abc"));
    assert!(needs_token("HEAD", "/files"));
    // The web client's pages and assets: the same for everyone.
    assert!(!needs_token("GET", "/"));
    assert!(!needs_token("GET", "/d/abc"));
    assert!(!needs_token("GET", "/assets/app.js"));
    // Unrouted (404) and wrong-method (405) requests are answered without a token.
    assert!(!needs_token("GET", "/d/abc/x"));
    assert!(!needs_token("GET", "/assets"));
    assert!(!needs_token("GET", "/nope"));
    assert!(!needs_token("PUT", "/files"));
    assert!(!needs_token("OPTIONS", "/files"));
}

/// What each scope may do, route by route, written out: a new route fails this test until
/// its line is added here, so someone decides what API tokens may do there.
#[test]
fn every_route_declares_what_each_scope_may_do() {
    use Grant::{Created as C, No as N, Yes as Y};
    // (method, pattern, full, upload, read)
    let expected: &[(&str, &str, Grant, Grant, Grant)] = &[
        ("POST", "/files", Y, Y, N),
        ("GET", "/files", Y, N, Y),
        ("GET", "/files/{id}", Y, C, Y),
        ("DELETE", "/files/{id}", Y, N, N),
        ("GET", "/files/{id}/download", Y, N, Y),
        ("GET", "/quota", Y, Y, Y),
        ("GET", "/account/profile", N, N, N),
        ("PUT", "/account/profile", N, N, N),
        ("POST", "/account/email", N, N, N),
        ("POST", "/account/email/verify", N, N, N),
        ("POST", "/account/password", N, N, N),
        ("POST", "/account/signout-all", N, N, N),
        ("POST", "/account/mfa/totp", N, N, N),
        ("POST", "/account/mfa/totp/verify", N, N, N),
        ("DELETE", "/account/mfa/totp", N, N, N),
        ("GET", "/account/mfa", N, N, N),
        ("PATCH", "/files/{id}", Y, N, N),
        ("POST", "/files/{id}/versions", Y, N, N),
        ("GET", "/files/{id}/versions", Y, N, Y),
        ("GET", "/files/{id}/versions/{n}/download", Y, N, Y),
        ("POST", "/files/{id}/versions/{n}/restore", Y, N, N),
        ("DELETE", "/files/{id}/versions/{n}", Y, N, N),
        ("GET", "/account/settings", N, N, N),
        ("PATCH", "/account/settings", N, N, N),
        ("POST", "/files/{id}/parts", Y, C, N),
        ("GET", "/files/{id}/parts", Y, C, N),
        ("POST", "/files/{id}/complete", Y, C, N),
        ("POST", "/links", Y, N, N),
        ("GET", "/links", Y, N, Y),
        ("GET", "/links/{id}", Y, N, N),
        ("PATCH", "/links/{id}", Y, N, N),
        ("DELETE", "/links/{id}", Y, N, N),
        ("POST", "/files/{id}/shares", Y, N, N),
        ("GET", "/files/{id}/shares", Y, N, Y),
        ("GET", "/shares", Y, N, Y),
        ("GET", "/shares/{id}", Y, N, N),
        ("PATCH", "/shares/{id}", Y, N, N),
        ("DELETE", "/shares/{id}", Y, N, N),
        ("GET", "/shares/{id}/downloads", Y, N, N),
        ("GET", "/trash", Y, N, N),
        ("POST", "/trash/{id}/restore", Y, N, N),
        ("DELETE", "/trash/{id}", Y, N, N),
        ("GET", "/receipts/deletions", Y, N, N),
        ("GET", "/admin/audit", N, N, N),
        ("GET", "/admin/audit/export", N, N, N),
        ("GET", "/admin/users", N, N, N),
        ("GET", "/admin/users/{id}", N, N, N),
        ("PATCH", "/admin/users/{id}", N, N, N),
        ("GET", "/admin/files", N, N, N),
        ("POST", "/admin/files/{id}/release", N, N, N),
        ("DELETE", "/admin/files/{id}", N, N, N),
        ("POST", "/admin/files/{id}/hold", N, N, N),
        ("DELETE", "/admin/files/{id}/hold", N, N, N),
        ("GET", "/admin/links", N, N, N),
        ("DELETE", "/admin/links/{id}", N, N, N),
        ("DELETE", "/admin/users/{id}", N, N, N),
        ("DELETE", "/account", N, N, N),
        ("POST", "/webhooks", N, N, N),
        ("GET", "/webhooks", N, N, N),
        ("GET", "/webhooks/{id}", N, N, N),
        ("PATCH", "/webhooks/{id}", N, N, N),
        ("DELETE", "/webhooks/{id}", N, N, N),
        ("POST", "/webhooks/{id}/test", N, N, N),
        ("GET", "/webhooks/{id}/deliveries", N, N, N),
        (
            "POST",
            "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            N,
            N,
            N,
        ),
        ("POST", "/account/tokens", N, N, N),
        ("GET", "/account/tokens", N, N, N),
        ("DELETE", "/account/tokens/{id}", N, N, N),
    ];
    for r in ROUTES.iter().filter(|r| !r.public) {
        let line = expected
            .iter()
            .find(|e| (e.0, e.1) == (r.method, r.pattern))
            .unwrap_or_else(|| panic!("{} {}: say what each scope may do", r.method, r.pattern));
        assert_eq!(
            (r.scopes.full, r.scopes.upload, r.scopes.read),
            (line.2, line.3, line.4),
            "{} {}",
            r.method,
            r.pattern
        );
        // Account, token and webhook management and admin routes: no API token at all.
        if r.pattern.starts_with("/account") || r.pattern.starts_with("/admin/") {
            assert_eq!(r.scopes, Scopes::NONE, "{} {}", r.method, r.pattern);
        }
        // A grant on created files only needs the file id as the first parameter.
        if [r.scopes.full, r.scopes.upload, r.scopes.read].contains(&C) {
            assert!(r.pattern.starts_with("/files/{id}"), "{}", r.pattern);
        }
    }
    assert_eq!(expected.len(), ROUTES.iter().filter(|r| !r.public).count());
    // Public routes take no credential: nothing to grant.
    for r in ROUTES.iter().filter(|r| r.public) {
        assert_eq!(r.scopes, Scopes::NONE, "{} {}", r.method, r.pattern);
    }
}

#[test]
fn every_route_is_unique() {
    for (i, a) in ROUTES.iter().enumerate() {
        for b in &ROUTES[i + 1..] {
            assert!(
                (a.method, a.pattern) != (b.method, b.pattern),
                "{} {}",
                a.method,
                a.pattern
            );
        }
    }
}

/// The reads that run beside the standing check are GET routes behind the gate: a public route
/// has no standing to check, and any other method changes something.
#[test]
fn reads_beside_the_standing_check_are_gated_gets() {
    let reads: Vec<_> = ROUTES.iter().filter(|r| pure_read(r.op)).collect();
    assert!(reads.len() >= 10, "the everyday reads are among them");
    for r in reads {
        assert_eq!(r.method, "GET", "{} {}", r.method, r.pattern);
        assert!(!r.public, "{} is public", r.pattern);
        assert!(!r.pattern.starts_with("/admin/"), "{}", r.pattern);
    }
    for op in [
        Op::CreateFile,
        Op::DeleteFile,
        Op::AuditExport,
        Op::SignOutAll,
    ] {
        assert!(!pure_read(op), "{op:?} writes");
    }
}
