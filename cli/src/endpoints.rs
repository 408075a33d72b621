//! The API's routes as typed calls (docs/API.md). The multipart routes exist twice, under a
//! file id for the owner and under a receipt for a dropper: [`Target`] picks which.

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{Api, Repeat};
use crate::error::{CliError, Result};
use crate::wire::{
    CompletedPart, Created, DownloadUrl, DropInfo, FileEnvelope, FileView, Link, ListedPart,
    LoginAnswer, Page, PartUrl, PartUrls, PartsListing, Quota, Share, Tokens, UploaderInfo,
};

/// Rounds of 2 s (after the API client's own retries) a completion may wait for storage.
const COMPLETION_WAITS: u32 = 100;

/// The upload a file belongs to: the owner's file id, or the dropper's receipt.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    File(String),
    Receipt(String),
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::File(id) => write!(f, "File({id})"),
            // A receipt is a credential.
            Target::Receipt(_) => f.write_str("Receipt(..)"),
        }
    }
}

impl Target {
    fn segments<'a>(&'a self, tail: &'a str) -> Vec<&'a str> {
        let mut s = match self {
            Target::File(id) => vec!["files", id.as_str()],
            Target::Receipt(r) => vec!["drop", "receipts", r.as_str()],
        };
        if !tail.is_empty() {
            s.push(tail);
        }
        s
    }

    /// The file id, for the owner's uploads.
    pub fn file_id(&self) -> Option<&str> {
        match self {
            Target::File(id) => Some(id),
            Target::Receipt(_) => None,
        }
    }
}

/// What `POST .../complete` answered.
#[derive(Debug, PartialEq)]
pub enum Completion {
    Done,
    /// `409 incomplete_upload`: parts to send (again).
    Incomplete(Vec<u32>),
}

/// A 404 (any code: `not_found`, `receipt_not_found`) as `None`.
fn found<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Err(e) if e.api_code().is_some_and(|(s, _)| s == 404) => Ok(None),
        other => other.map(Some),
    }
}

impl Api {
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginAnswer> {
        let url = self.url(&["auth", "login"], &[])?;
        let body = json!({ "email": email, "password": password });
        self.json(Method::POST, url, Some(&body), Repeat::Safe)
            .await
    }

    /// A login's second step: the code for its two-factor challenge. Not repeated: a session
    /// answers once.
    pub async fn login_totp(&self, session: &str, code: &str) -> Result<Tokens> {
        let url = self.url(&["auth", "login", "totp"], &[])?;
        let body = json!({ "session": session, "code": code });
        self.json(Method::POST, url, Some(&body), Repeat::OnlyUnsent)
            .await
    }

    /// Asks for a reset code to be mailed (the answer is the same whatever the address).
    pub async fn forgot(&self, email: &str) -> Result<()> {
        let url = self.url(&["auth", "forgot"], &[])?;
        let body = json!({ "email": email });
        self.request(Method::POST, url, Some(&body), Repeat::Safe)
            .await?;
        Ok(())
    }

    /// Sets a new password with the mailed code.
    pub async fn reset(&self, email: &str, code: &str, password: &str) -> Result<()> {
        let url = self.url(&["auth", "reset"], &[])?;
        let body = json!({ "email": email, "code": code, "password": password });
        self.request(Method::POST, url, Some(&body), Repeat::Safe)
            .await?;
        Ok(())
    }

    /// Ends the session at the server: its refresh token is revoked.
    pub async fn logout(&self, refresh_token: &str) -> Result<()> {
        let url = self.url(&["auth", "logout"], &[])?;
        let body = json!({ "refresh_token": refresh_token });
        self.request(Method::POST, url, Some(&body), Repeat::Safe)
            .await?;
        Ok(())
    }

    pub async fn create_file(
        &self,
        name: &str,
        size: u64,
        content_type: &str,
        delete_after: Option<&str>,
    ) -> Result<Created> {
        let url = self.url(&["files"], &[])?;
        let mut body = json!({ "name": name, "size": size, "content_type": content_type });
        if let Some(at) = delete_after {
            body["delete_after"] = json!(at);
        }
        self.json(Method::POST, url, Some(&body), Repeat::OnlyUnsent)
            .await
    }

    /// `POST /files/{id}/versions`: a new version's reservation and upload instructions.
    pub async fn create_version(&self, of: &str, size: u64, content_type: &str) -> Result<Created> {
        let url = self.url(&["files", of, "versions"], &[])?;
        let body = json!({ "size": size, "content_type": content_type });
        self.json(Method::POST, url, Some(&body), Repeat::OnlyUnsent)
            .await
    }

    pub async fn drop_info(&self, token: &str) -> Result<DropInfo> {
        let url = self.url(&["drop", token], &[])?;
        self.json(Method::GET, url, None, Repeat::Safe).await
    }

    pub async fn drop_file(
        &self,
        token: &str,
        name: &str,
        size: u64,
        content_type: &str,
        uploader: Option<&UploaderInfo>,
    ) -> Result<Created> {
        let url = self.url(&["drop", token, "files"], &[])?;
        let mut body = json!({ "name": name, "size": size, "content_type": content_type });
        if let Some(u) = uploader {
            body["uploader"] = serde_json::to_value(u).expect("an uploader serializes");
        }
        self.json(Method::POST, url, Some(&body), Repeat::OnlyUnsent)
            .await
    }

    /// The file as it stands; `None` once the server no longer knows it.
    pub async fn status(&self, target: &Target) -> Result<Option<FileView>> {
        let url = self.url(&target.segments(""), &[])?;
        let env: Option<FileEnvelope> =
            found(self.json(Method::GET, url, None, Repeat::Safe).await)?;
        Ok(env.map(|e| e.file))
    }

    /// Fresh presigned URLs for these parts (at most 100), in the order asked.
    pub async fn part_urls(&self, target: &Target, numbers: &[u32]) -> Result<Vec<PartUrl>> {
        let url = self.url(&target.segments("parts"), &[])?;
        let body = json!({ "part_numbers": numbers });
        let urls: PartUrls = self
            .json(Method::POST, url, Some(&body), Repeat::Safe)
            .await?;
        Ok(urls.parts)
    }

    /// What storage holds of a multipart upload; `None` when it is not (or no longer) one.
    pub async fn list_parts(&self, target: &Target) -> Result<Option<PartsListing>> {
        let url = self.url(&target.segments("parts"), &[])?;
        found(self.json(Method::GET, url, None, Repeat::Safe).await)
    }

    pub async fn complete(&self, target: &Target, parts: &[CompletedPart]) -> Result<Completion> {
        let url = self.url(&target.segments("complete"), &[])?;
        let body = json!({ "parts": parts });
        // Storage assembles a large object for a while (the API answers 503
        // `upload_completing`, or cuts a slow completion short with 503 `unavailable`): keep
        // asking, for up to about five minutes, before giving up.
        let mut waits = 0;
        let answer = loop {
            match self
                .json::<Value>(Method::POST, url.clone(), Some(&body), Repeat::Safe)
                .await
            {
                Err(CliError::Api { status: 503, .. }) if waits < COMPLETION_WAITS => {
                    waits += 1;
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
                other => break other,
            }
        };
        match answer {
            Ok(_) => Ok(Completion::Done),
            Err(CliError::Api {
                status: 409,
                code,
                extra,
                ..
            }) if code == "incomplete_upload" => {
                let mut again: Vec<u32> = ["missing_parts", "wrong_size_parts", "mismatched_parts"]
                    .iter()
                    .filter_map(|k| extra.get(*k).and_then(Value::as_array))
                    .flatten()
                    .filter_map(Value::as_u64)
                    .filter_map(|n| u32::try_from(n).ok())
                    .collect();
                again.sort_unstable();
                again.dedup();
                Ok(Completion::Incomplete(again))
            }
            Err(e) => Err(e),
        }
    }

    /// One of the caller's files (`GET /files/{id}`).
    pub async fn file(&self, id: &str) -> Result<FileView> {
        let url = self.url(&["files", id], &[])?;
        let env: FileEnvelope = self.json(Method::GET, url, None, Repeat::Safe).await?;
        Ok(env.file)
    }

    /// The server's `TRASH_DAYS` (`GET /trash` says it); `None` from a server without a trash.
    pub async fn trash_days(&self) -> Result<Option<u64>> {
        let url = self.url(&["trash"], &[("limit", "1")])?;
        let page: Value = match self.json(Method::GET, url, None, Repeat::Safe).await {
            Ok(v) => v,
            Err(CliError::Api { status: 404, .. } | CliError::Protocol { status: 404, .. }) => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        Ok(page["trash_days"].as_u64())
    }

    /// The caller's account settings (`GET /account/settings`).
    pub async fn settings(&self) -> Result<Value> {
        let url = self.url(&["account", "settings"], &[])?;
        self.json(Method::GET, url, None, Repeat::Safe).await
    }

    /// `PATCH /account/settings`.
    pub async fn edit_settings(&self, body: &Value) -> Result<Value> {
        let url = self.url(&["account", "settings"], &[])?;
        self.json(Method::PATCH, url, Some(body), Repeat::Safe)
            .await
    }

    pub async fn delete_file(&self, id: &str) -> Result<()> {
        let url = self.url(&["files", id], &[])?;
        self.request(Method::DELETE, url, None, Repeat::Safe)
            .await?;
        Ok(())
    }

    /// Restores a file from the trash; a repeat after a lost answer finds it restored (`404`).
    pub async fn restore_trash(&self, id: &str) -> Result<()> {
        let url = self.url(&["trash", id, "restore"], &[])?;
        self.request(Method::POST, url, None, Repeat::OnlyUnsent)
            .await?;
        Ok(())
    }

    /// `POST /account/tokens`: the token, with its secret.
    pub async fn create_api_token(
        &self,
        name: &str,
        scope: &str,
        expires_in: Option<u64>,
    ) -> Result<Value> {
        let url = self.url(&["account", "tokens"], &[])?;
        let mut body = serde_json::json!({ "name": name, "scope": scope });
        if let Some(secs) = expires_in {
            body["expires_in"] = secs.into();
        }
        let mut answer: Value = self
            .json(Method::POST, url, Some(&body), Repeat::OnlyUnsent)
            .await?;
        Ok(answer["token"].take())
    }

    /// `GET /account/tokens`.
    pub async fn api_tokens(&self) -> Result<Vec<Value>> {
        let url = self.url(&["account", "tokens"], &[])?;
        let mut answer: Value = self.json(Method::GET, url, None, Repeat::Safe).await?;
        Ok(match answer["tokens"].take() {
            Value::Array(a) => a,
            _ => Vec::new(),
        })
    }

    /// `DELETE /account/tokens/{id}`.
    pub async fn revoke_api_token(&self, id: &str) -> Result<()> {
        let url = self.url(&["account", "tokens", id], &[])?;
        self.request(Method::DELETE, url, None, Repeat::OnlyUnsent)
            .await?;
        Ok(())
    }

    pub async fn purge_trash(&self, id: &str) -> Result<()> {
        let url = self.url(&["trash", id], &[])?;
        self.request(Method::DELETE, url, None, Repeat::OnlyUnsent)
            .await?;
        Ok(())
    }

    pub async fn download_url(&self, id: &str) -> Result<DownloadUrl> {
        let url = self.url(&["files", id, "download"], &[])?;
        self.json(Method::GET, url, None, Repeat::Safe).await
    }

    pub async fn quota(&self) -> Result<Quota> {
        let url = self.url(&["quota"], &[])?;
        self.json(Method::GET, url, None, Repeat::Safe).await
    }

    /// Every page of `GET /files` or `GET /links`.
    pub async fn list_all<T: for<'de> Deserialize<'de>>(&self, what: &str) -> Result<Vec<T>> {
        self.list_pages(&[what]).await
    }

    /// Every page of a listing under `segments` (`["shares"]`, `["files", id, "shares"]`, ...).
    pub async fn list_pages<T: for<'de> Deserialize<'de>>(
        &self,
        segments: &[&str],
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("limit", "100")];
            if let Some(c) = &cursor {
                query.push(("cursor", c));
            }
            let url = self.url(segments, &query)?;
            let page: Page<T> = self.json(Method::GET, url, None, Repeat::Safe).await?;
            all.extend(page.items);
            match page.next_cursor {
                Some(c) if !c.is_empty() => cursor = Some(c),
                _ => return Ok(all),
            }
        }
    }

    pub async fn create_link(&self, body: &Value) -> Result<Link> {
        #[derive(Deserialize)]
        struct Env {
            link: Link,
        }
        let url = self.url(&["links"], &[])?;
        let env: Env = self
            .json(Method::POST, url, Some(body), Repeat::OnlyUnsent)
            .await?;
        Ok(env.link)
    }

    pub async fn revoke_link(&self, id: &str) -> Result<()> {
        let url = self.url(&["links", id], &[])?;
        self.request(Method::DELETE, url, None, Repeat::Safe)
            .await?;
        Ok(())
    }

    pub async fn create_share(&self, file_id: &str, body: &Value) -> Result<Share> {
        #[derive(Deserialize)]
        struct Env {
            share: Share,
        }
        let url = self.url(&["files", file_id, "shares"], &[])?;
        let env: Env = self
            .json(Method::POST, url, Some(body), Repeat::OnlyUnsent)
            .await?;
        Ok(env.share)
    }

    pub async fn revoke_share(&self, id: &str) -> Result<()> {
        let url = self.url(&["shares", id], &[])?;
        self.request(Method::DELETE, url, None, Repeat::Safe)
            .await?;
        Ok(())
    }
}

/// The parts to name in a completion: every part with its etag, by number.
pub fn completion_list(etags: &std::collections::BTreeMap<u32, String>) -> Vec<CompletedPart> {
    // A part whose answer carried no ETag is left for the server to find by listing.
    etags
        .iter()
        .filter(|(_, e)| !e.is_empty())
        .map(|(n, e)| CompletedPart {
            number: *n,
            etag: e.trim_matches('"').to_owned(),
        })
        .collect()
}

/// Listed parts' etags by number.
pub fn etags_of<'a>(parts: impl IntoIterator<Item = &'a ListedPart>) -> Vec<(u32, String)> {
    parts
        .into_iter()
        .map(|p| (p.number, p.etag.trim_matches('"').to_owned()))
        .collect()
}
