//! The route table: every route's method, pattern, whether it is public, what each API token
//! scope may do there, and what it does; and how a path fits a pattern. Dispatch, 404 against
//! 405, the request log line and the gate all read it; docs/openapi.yaml is held to it by a
//! test.

use dropgate_core::apikeys::{Grant, Scopes};

/// What a route does; the path parameters come in the order of the pattern's `{…}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Health,
    SignUp,
    Confirm,
    Login,
    Refresh,
    Logout,
    Forgot,
    Reset,
    CreateFile,
    ListFiles,
    GetFile,
    DeleteFile,
    Download,
    Quota,
    GetProfile,
    SetProfile,
    ChangeEmail,
    VerifyEmail,
    ChangePassword,
    SignOutAll,
    TotpEnroll,
    TotpVerify,
    TotpDisable,
    TotpStatus,
    LoginTotp,
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
    CreateApiKey,
    ListApiKeys,
    RevokeApiKey,
    EditFile,
    GetSettings,
    EditSettings,
    AdminUsers,
    AdminUser,
    AdminEditUser,
    AdminFiles,
    AdminRelease,
    AdminHold,
    AdminUnhold,
    AdminDeleteFile,
    AdminLinks,
    AdminRevokeLink,
    AdminEraseUser,
    DeleteAccount,
    CreateWebhook,
    ListWebhooks,
    GetWebhook,
    EditWebhook,
    RemoveWebhook,
    TestWebhook,
    ListDeliveries,
    Redeliver,
    CreateVersion,
    ListVersions,
    VersionDownload,
    RestoreVersion,
    DeleteVersion,
}

pub struct Route {
    pub method: &'static str,
    pub pattern: &'static str,
    /// Served to anyone: the gate does not stand before it (the token in its path, if any, is
    /// the credential).
    pub public: bool,
    /// What an API token of each scope may do here (docs/API.md, "API tokens"). Every route
    /// declares it: a new route is closed to API tokens until someone decides otherwise.
    pub scopes: Scopes,
    pub(super) op: Op,
}

const fn r(
    method: &'static str,
    pattern: &'static str,
    public: bool,
    op: Op,
    scopes: Scopes,
) -> Route {
    Route {
        method,
        pattern,
        public,
        scopes,
        op,
    }
}

/// Closed to API tokens: public routes (no credential), admin routes (a token is never an
/// admin), account and token management.
const NONE: Scopes = Scopes::NONE;
/// A change to the owner's things: `full` only.
const CHANGE: Scopes = Scopes::CHANGE;
/// A read of the owner's things: `full` and `read`.
const READ: Scopes = Scopes::READ;
/// The quota: every scope.
const ALL: Scopes = Scopes::ALL;
/// Starting an upload: `full` and `upload`.
const UPLOAD: Scopes = Scopes {
    full: Grant::Yes,
    upload: Grant::Yes,
    read: Grant::No,
};
/// Carrying on an upload: `full`, and `upload` on the files that token created.
const UPLOAD_OWN: Scopes = Scopes {
    full: Grant::Yes,
    upload: Grant::Created,
    read: Grant::No,
};
/// A file's status: `full`, `read`, and `upload` on the files that token created.
const READ_OR_UPLOAD_OWN: Scopes = Scopes {
    full: Grant::Yes,
    upload: Grant::Created,
    read: Grant::Yes,
};

pub const ROUTES: &[Route] = &[
    r("GET", "/health", true, Op::Health, NONE),
    r("POST", "/auth/signup", true, Op::SignUp, NONE),
    r("POST", "/auth/confirm", true, Op::Confirm, NONE),
    r("POST", "/auth/login", true, Op::Login, NONE),
    r("POST", "/auth/login/totp", true, Op::LoginTotp, NONE),
    r("POST", "/auth/refresh", true, Op::Refresh, NONE),
    r("POST", "/auth/logout", true, Op::Logout, NONE),
    r("POST", "/auth/forgot", true, Op::Forgot, NONE),
    r("POST", "/auth/reset", true, Op::Reset, NONE),
    r("POST", "/files", false, Op::CreateFile, UPLOAD),
    r("GET", "/files", false, Op::ListFiles, READ),
    r("GET", "/files/{id}", false, Op::GetFile, READ_OR_UPLOAD_OWN),
    r("DELETE", "/files/{id}", false, Op::DeleteFile, CHANGE),
    r("GET", "/files/{id}/download", false, Op::Download, READ),
    r("GET", "/quota", false, Op::Quota, ALL),
    r("GET", "/account/profile", false, Op::GetProfile, NONE),
    r("PUT", "/account/profile", false, Op::SetProfile, NONE),
    r("POST", "/account/email", false, Op::ChangeEmail, NONE),
    r(
        "POST",
        "/account/email/verify",
        false,
        Op::VerifyEmail,
        NONE,
    ),
    r("POST", "/account/password", false, Op::ChangePassword, NONE),
    r("POST", "/account/signout-all", false, Op::SignOutAll, NONE),
    r("POST", "/account/mfa/totp", false, Op::TotpEnroll, NONE),
    r(
        "POST",
        "/account/mfa/totp/verify",
        false,
        Op::TotpVerify,
        NONE,
    ),
    r("DELETE", "/account/mfa/totp", false, Op::TotpDisable, NONE),
    r("GET", "/account/mfa", false, Op::TotpStatus, NONE),
    r(
        "POST",
        "/files/{id}/parts",
        false,
        Op::PresignParts,
        UPLOAD_OWN,
    ),
    r("GET", "/files/{id}/parts", false, Op::ListParts, UPLOAD_OWN),
    r(
        "POST",
        "/files/{id}/complete",
        false,
        Op::CompleteFile,
        UPLOAD_OWN,
    ),
    r("POST", "/links", false, Op::CreateLink, CHANGE),
    r("GET", "/links", false, Op::ListLinks, READ),
    r("GET", "/links/{id}", false, Op::GetLink, CHANGE),
    r("PATCH", "/links/{id}", false, Op::EditLink, CHANGE),
    r("DELETE", "/links/{id}", false, Op::RevokeLink, CHANGE),
    r("GET", "/drop/{token}", true, Op::DropInfo, NONE),
    r("POST", "/drop/{token}/files", true, Op::DropFile, NONE),
    r("GET", "/drop/receipts/{receipt}", true, Op::Receipt, NONE),
    r(
        "POST",
        "/drop/receipts/{receipt}/parts",
        true,
        Op::DropPresignParts,
        NONE,
    ),
    r(
        "GET",
        "/drop/receipts/{receipt}/parts",
        true,
        Op::DropListParts,
        NONE,
    ),
    r(
        "POST",
        "/drop/receipts/{receipt}/complete",
        true,
        Op::DropComplete,
        NONE,
    ),
    r("POST", "/files/{id}/shares", false, Op::CreateShare, CHANGE),
    r("GET", "/files/{id}/shares", false, Op::FileShares, READ),
    r("GET", "/shares", false, Op::ListShares, READ),
    r("GET", "/shares/{id}", false, Op::GetShare, CHANGE),
    r("PATCH", "/shares/{id}", false, Op::EditShare, CHANGE),
    r("DELETE", "/shares/{id}", false, Op::RevokeShare, CHANGE),
    r(
        "GET",
        "/shares/{id}/downloads",
        false,
        Op::ShareDownloads,
        CHANGE,
    ),
    r("GET", "/share/{token}", true, Op::ShareInfo, NONE),
    r(
        "POST",
        "/share/{token}/download",
        true,
        Op::ShareDownload,
        NONE,
    ),
    r("POST", "/share/{token}/unlock", true, Op::ShareUnlock, NONE),
    r("GET", "/s/{token}", true, Op::SharePage, NONE),
    r("GET", "/", true, Op::AppPage, NONE),
    r("GET", "/admin", true, Op::AdminPage, NONE),
    r("GET", "/d/{token}", true, Op::DropPage, NONE),
    r("GET", "/assets/{name}", true, Op::Asset, NONE),
    r("GET", "/trash", false, Op::ListTrash, CHANGE),
    r(
        "POST",
        "/trash/{id}/restore",
        false,
        Op::RestoreTrash,
        CHANGE,
    ),
    r("DELETE", "/trash/{id}", false, Op::PurgeTrash, CHANGE),
    r(
        "GET",
        "/receipts/deletions",
        false,
        Op::DeletionReceipts,
        CHANGE,
    ),
    r("GET", "/admin/audit", false, Op::AuditList, NONE),
    r("GET", "/admin/audit/export", false, Op::AuditExport, NONE),
    r("POST", "/account/tokens", false, Op::CreateApiKey, NONE),
    r("GET", "/account/tokens", false, Op::ListApiKeys, NONE),
    r(
        "DELETE",
        "/account/tokens/{id}",
        false,
        Op::RevokeApiKey,
        NONE,
    ),
    r("PATCH", "/files/{id}", false, Op::EditFile, CHANGE),
    r(
        "POST",
        "/files/{id}/versions",
        false,
        Op::CreateVersion,
        CHANGE,
    ),
    r("GET", "/files/{id}/versions", false, Op::ListVersions, READ),
    r(
        "GET",
        "/files/{id}/versions/{n}/download",
        false,
        Op::VersionDownload,
        READ,
    ),
    r(
        "POST",
        "/files/{id}/versions/{n}/restore",
        false,
        Op::RestoreVersion,
        CHANGE,
    ),
    r(
        "DELETE",
        "/files/{id}/versions/{n}",
        false,
        Op::DeleteVersion,
        CHANGE,
    ),
    r("GET", "/account/settings", false, Op::GetSettings, NONE),
    r("PATCH", "/account/settings", false, Op::EditSettings, NONE),
    r("GET", "/admin/users", false, Op::AdminUsers, NONE),
    r("GET", "/admin/users/{id}", false, Op::AdminUser, NONE),
    r("PATCH", "/admin/users/{id}", false, Op::AdminEditUser, NONE),
    r("GET", "/admin/files", false, Op::AdminFiles, NONE),
    r(
        "POST",
        "/admin/files/{id}/release",
        false,
        Op::AdminRelease,
        NONE,
    ),
    r(
        "DELETE",
        "/admin/files/{id}",
        false,
        Op::AdminDeleteFile,
        NONE,
    ),
    r("POST", "/admin/files/{id}/hold", false, Op::AdminHold, NONE),
    r(
        "DELETE",
        "/admin/files/{id}/hold",
        false,
        Op::AdminUnhold,
        NONE,
    ),
    r("GET", "/admin/links", false, Op::AdminLinks, NONE),
    r(
        "DELETE",
        "/admin/links/{id}",
        false,
        Op::AdminRevokeLink,
        NONE,
    ),
    r(
        "DELETE",
        "/admin/users/{id}",
        false,
        Op::AdminEraseUser,
        NONE,
    ),
    r("DELETE", "/account", false, Op::DeleteAccount, NONE),
    r("POST", "/webhooks", false, Op::CreateWebhook, NONE),
    r("GET", "/webhooks", false, Op::ListWebhooks, NONE),
    r("GET", "/webhooks/{id}", false, Op::GetWebhook, NONE),
    r("PATCH", "/webhooks/{id}", false, Op::EditWebhook, NONE),
    r("DELETE", "/webhooks/{id}", false, Op::RemoveWebhook, NONE),
    r("POST", "/webhooks/{id}/test", false, Op::TestWebhook, NONE),
    r(
        "GET",
        "/webhooks/{id}/deliveries",
        false,
        Op::ListDeliveries,
        NONE,
    ),
    r(
        "POST",
        "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
        false,
        Op::Redeliver,
        NONE,
    ),
];

/// The account routes under `/auth/`, which the `auth` function answers.
pub(super) fn is_auth(op: Op) -> bool {
    matches!(
        op,
        Op::SignUp
            | Op::Confirm
            | Op::Login
            | Op::LoginTotp
            | Op::Refresh
            | Op::Logout
            | Op::Forgot
            | Op::Reset
    )
}

/// The routes that only read: no record, counter, audit entry, message or mail is written,
/// by the route or the services it calls (a presigned URL is computed, not stored). Dispatch
/// runs them beside the caller's standing check and drops the answer if the standing refuses,
/// so nothing of it reaches a refused caller and nothing was changed on their behalf. A route
/// that writes anything must not be here: it waits for the standing first.
pub(super) fn pure_read(op: Op) -> bool {
    matches!(
        op,
        Op::ListFiles
            | Op::GetFile
            | Op::Download
            | Op::Quota
            | Op::GetProfile
            | Op::ListLinks
            | Op::GetLink
            | Op::FileShares
            | Op::ListShares
            | Op::GetShare
            | Op::ShareDownloads
            | Op::ListTrash
            | Op::DeletionReceipts
            | Op::ListApiKeys
            | Op::GetSettings
            | Op::ListWebhooks
            | Op::GetWebhook
            | Op::ListDeliveries
            | Op::ListVersions
            | Op::VersionDownload
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

/// Whether the gate stands before `method path`: a route of the table answers it and is not
/// public. Anything else never reaches the gate: the router answers an unknown path 404 and a
/// wrong method 405, whoever asks.
pub fn needs_token(method: &str, path: &str) -> bool {
    let wanted = if method == "HEAD" { "GET" } else { method };
    matching(path)
        .iter()
        .find(|(r, _)| r.method == wanted)
        .is_some_and(|(r, _)| !r.public)
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
