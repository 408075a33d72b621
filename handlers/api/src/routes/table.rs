//! The route table: every route's method, pattern, whether it is public, and what it does;
//! and how a path fits a pattern. Dispatch, 404 against 405, the request log line and the local
//! stack's authorizer all read it; docs/openapi.yaml is held to it by a test.

/// What a route does; the path parameters come in the order of the pattern's `{…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Health,
    SignUp,
    Confirm,
    Login,
    Refresh,
    Logout,
    CreateFile,
    ListFiles,
    GetFile,
    DeleteFile,
    Download,
    Quota,
    GetProfile,
    SetProfile,
    PresignParts,
    ListParts,
    CompleteFile,
    DropPresignParts,
    DropListParts,
    DropComplete,
    CreateLink,
    ListLinks,
    GetLink,
    EditLink,
    RevokeLink,
    DropInfo,
    DropFile,
    Receipt,
    CreateShare,
    FileShares,
    ListShares,
    GetShare,
    EditShare,
    RevokeShare,
    ShareDownloads,
    ShareInfo,
    ShareDownload,
    ShareUnlock,
    SharePage,
    AppPage,
    AdminPage,
    DropPage,
    Asset,
    ListTrash,
    RestoreTrash,
    PurgeTrash,
    DeletionReceipts,
    AuditList,
    AuditExport,
    AdminUsers,
    AdminUser,
    AdminEditUser,
}

pub struct Route {
    pub method: &'static str,
    pub pattern: &'static str,
    /// Served without the JWT authorizer.
    pub public: bool,
    pub(super) op: Op,
}

const fn r(method: &'static str, pattern: &'static str, public: bool, op: Op) -> Route {
    Route {
        method,
        pattern,
        public,
        op,
    }
}

pub const ROUTES: &[Route] = &[
    r("GET", "/health", true, Op::Health),
    r("POST", "/auth/signup", true, Op::SignUp),
    r("POST", "/auth/confirm", true, Op::Confirm),
    r("POST", "/auth/login", true, Op::Login),
    r("POST", "/auth/refresh", true, Op::Refresh),
    r("POST", "/auth/logout", true, Op::Logout),
    r("POST", "/files", false, Op::CreateFile),
    r("GET", "/files", false, Op::ListFiles),
    r("GET", "/files/{id}", false, Op::GetFile),
    r("DELETE", "/files/{id}", false, Op::DeleteFile),
    r("GET", "/files/{id}/download", false, Op::Download),
    r("GET", "/quota", false, Op::Quota),
    r("GET", "/account/profile", false, Op::GetProfile),
    r("PUT", "/account/profile", false, Op::SetProfile),
    r("POST", "/files/{id}/parts", false, Op::PresignParts),
    r("GET", "/files/{id}/parts", false, Op::ListParts),
    r("POST", "/files/{id}/complete", false, Op::CompleteFile),
    r("POST", "/links", false, Op::CreateLink),
    r("GET", "/links", false, Op::ListLinks),
    r("GET", "/links/{id}", false, Op::GetLink),
    r("PATCH", "/links/{id}", false, Op::EditLink),
    r("DELETE", "/links/{id}", false, Op::RevokeLink),
    r("GET", "/drop/{token}", true, Op::DropInfo),
    r("POST", "/drop/{token}/files", true, Op::DropFile),
    r("GET", "/drop/receipts/{receipt}", true, Op::Receipt),
    r(
        "POST",
        "/drop/receipts/{receipt}/parts",
        true,
        Op::DropPresignParts,
    ),
    r(
        "GET",
        "/drop/receipts/{receipt}/parts",
        true,
        Op::DropListParts,
    ),
    r(
        "POST",
        "/drop/receipts/{receipt}/complete",
        true,
        Op::DropComplete,
    ),
    r("POST", "/files/{id}/shares", false, Op::CreateShare),
    r("GET", "/files/{id}/shares", false, Op::FileShares),
    r("GET", "/shares", false, Op::ListShares),
    r("GET", "/shares/{id}", false, Op::GetShare),
    r("PATCH", "/shares/{id}", false, Op::EditShare),
    r("DELETE", "/shares/{id}", false, Op::RevokeShare),
    r("GET", "/shares/{id}/downloads", false, Op::ShareDownloads),
    r("GET", "/share/{token}", true, Op::ShareInfo),
    r("POST", "/share/{token}/download", true, Op::ShareDownload),
    r("POST", "/share/{token}/unlock", true, Op::ShareUnlock),
    r("GET", "/s/{token}", true, Op::SharePage),
    r("GET", "/", true, Op::AppPage),
    r("GET", "/admin", true, Op::AdminPage),
    r("GET", "/d/{token}", true, Op::DropPage),
    r("GET", "/assets/{name}", true, Op::Asset),
    r("GET", "/trash", false, Op::ListTrash),
    r("POST", "/trash/{id}/restore", false, Op::RestoreTrash),
    r("DELETE", "/trash/{id}", false, Op::PurgeTrash),
    r("GET", "/receipts/deletions", false, Op::DeletionReceipts),
    r("GET", "/admin/audit", false, Op::AuditList),
    r("GET", "/admin/audit/export", false, Op::AuditExport),
    r("GET", "/admin/users", false, Op::AdminUsers),
    r("GET", "/admin/users/{id}", false, Op::AdminUser),
    r("PATCH", "/admin/users/{id}", false, Op::AdminEditUser),
];

/// The five account routes, which the `auth` function answers.
pub(super) fn is_auth(op: Op) -> bool {
    matches!(
        op,
        Op::SignUp | Op::Confirm | Op::Login | Op::Refresh | Op::Logout
    )
}

/// Whether API Gateway sends a request for `path` to the `auth` function (its `/auth/{proxy+}`
/// route) rather than to the `api` function; the local stack routes the same way.
pub fn is_auth_path(path: &str) -> bool {
    // Leading slashes as `fit` takes them: `//auth/login` is the same route.
    path.trim_start_matches('/').starts_with("auth/")
}

/// The path parameters of `path` if it fits `pattern`. Literal segments win over parameters:
/// `/drop/receipts/x` is a receipt, never a token named `receipts`.
fn fit<'a>(pattern: &str, path: &'a str) -> Option<Vec<&'a str>> {
    let want: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_matches('/').split('/').collect();
    if want.len() != got.len() {
        return None;
    }
    let mut params = Vec::new();
    for (w, g) in want.iter().zip(&got) {
        if w.starts_with('{') {
            if g.is_empty() {
                return None;
            }
            params.push(*g);
        } else if w != g {
            return None;
        }
    }
    Some(params)
}

/// The routes whose pattern `path` fits, most literal first.
pub(super) fn matching(path: &str) -> Vec<(&'static Route, Vec<&str>)> {
    let mut found: Vec<_> = ROUTES
        .iter()
        .filter_map(|r| fit(r.pattern, path).map(|p| (r, p)))
        .collect();
    found.sort_by_key(|(_, p)| p.len());
    found
}

/// Whether API Gateway's JWT authorizer stands before `method path`: a route of the table
/// answers it and is not public. Anything else never reaches the authorizer: API Gateway routes
/// first, so an unknown path is a 404, whoever asks (and the local stack answers it the same).
pub fn needs_token(method: &str, path: &str) -> bool {
    let wanted = if method == "HEAD" { "GET" } else { method };
    matching(path)
        .iter()
        .find(|(r, _)| r.method == wanted)
        .is_some_and(|(r, _)| !r.public)
}

#[cfg(test)]
mod tests {
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
}
