//! The HTTP client of the API: builds URLs under the API's base, sends JSON, maps error answers
//! to [`CliError`], retries what is safe to retry, and keeps the session fresh (a refresh when
//! the id token is about to expire, or once after a 401, then the request again).
//!
//! Nothing here prints or logs a URL: reqwest's errors name the URL they failed on (a presigned
//! one for storage), so they are reduced to their cause before they become a [`CliError`].

use std::time::Duration;

use reqwest::{Method, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::config::{ConfigDir, Session, now_secs};
use crate::error::{CliError, Result};
use crate::retry::{self, Backoff};
use crate::wire::Tokens;

/// A refresh this long before the id token's expiry, so a request does not race it.
const REFRESH_MARGIN_SECS: u64 = 60;
/// One API call; the API itself answers within about 10 s or not at all.
const API_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a request may be sent twice (a lost answer to a `POST /files` would otherwise
/// reserve quota twice; such requests are repeated only when they never left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Safe,
    OnlyUnsent,
}

pub struct Api {
    http: reqwest::Client,
    base: String,
    auth: Option<Auth>,
}

struct Auth {
    dir: ConfigDir,
    session: Mutex<Session>,
}

/// `http(s)://host[:port][/prefix]` without a trailing slash, query or fragment.
pub fn normalize_base(raw: &str) -> Result<String> {
    let bad = || CliError::Usage(format!("Not an http(s) URL for the API: {raw}"));
    let url = Url::parse(raw.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad());
    }
    // Tokens and passwords travel to this address: in clear only to this machine.
    if url.scheme() == "http" && !loopback(&url) {
        return Err(CliError::Usage(format!(
            "Refusing http:// for {raw}: only https://, or http:// to this machine (127.0.0.0/8, ::1, localhost)."
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("dropgate-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CliError::Config(format!("Cannot set up HTTPS: {}", cause(&e))))
}

/// The innermost cause of a transport error, without the URL reqwest puts in its own message.
pub fn cause(e: &reqwest::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(next) = inner.source() {
        inner = next;
    }
    if std::ptr::addr_eq(inner, e as &dyn std::error::Error) {
        if e.is_timeout() {
            return "timed out".into();
        }
        // Only reqwest's own words are left: drop the URL it names.
        let mut text = e.to_string();
        if let Some(cut) = text.find(" for url (") {
            text.truncate(cut);
        }
        return text;
    }
    tidy(&inner.to_string())
}

/// `Connection refused (os error 111)` reads as `connection refused`.
fn tidy(text: &str) -> String {
    let text = match text.find(" (os error ") {
        Some(cut) => &text[..cut],
        None => text,
    };
    let mut c = text.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

impl Api {
    /// A client for routes that need no account (login, the drop routes).
    pub fn public(base: &str) -> Result<Api> {
        Ok(Api {
            http: http_client()?,
            base: normalize_base(base)?,
            auth: None,
        })
    }

    /// A client with `$DROPGATE_TOKEN` (an API token, at `asked` or `$DROPGATE_API`), else
    /// with the saved session, whose API `asked` (an explicit `--api`) must be.
    pub fn logged_in(dir: ConfigDir, asked: Option<&str>) -> Result<Api> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(token) = var("DROPGATE_TOKEN") {
            let base = asked
                .map(str::to_owned)
                .or_else(|| var("DROPGATE_API"))
                .ok_or_else(|| {
                    CliError::Usage(
                        "DROPGATE_TOKEN needs the API's URL: pass --api URL or set DROPGATE_API."
                            .into(),
                    )
                })?;
            return Ok(Api {
                http: http_client()?,
                base: normalize_base(&base)?,
                auth: Some(Auth {
                    dir,
                    session: Mutex::new(Session::with_api_token(normalize_base(&base)?, token)),
                }),
            });
        }
        let session = Session::load(&dir)?.ok_or(CliError::NotLoggedIn)?;
        if let Some(asked) = asked {
            let asked = normalize_base(asked)?;
            if asked != session.api {
                return Err(CliError::OtherApi {
                    session: session.api,
                    asked,
                });
            }
        }
        Ok(Api {
            http: http_client()?,
            base: session.api.clone(),
            auth: Some(Auth {
                dir,
                session: Mutex::new(session),
            }),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The client for storage (presigned URLs): same connection pool, never a bearer token.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `base/seg/seg?k=v`, each segment percent-encoded.
    pub fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url> {
        let mut url = Url::parse(&self.base).map_err(|_| CliError::Config("bad API URL".into()))?;
        url.path_segments_mut()
            .map_err(|_| CliError::Config("bad API URL".into()))?
            .pop_if_empty()
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// A JSON request; the answer's body parsed as `T` (a `204` parses as `null`).
    pub async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<T> {
        let resp = self.request(method, url, body, repeat).await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| self.unreachable(&e))?;
        let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        serde_json::from_slice(bytes).map_err(|_| self.protocol(status))
    }

    /// Sends with the session's bearer token (if any), refreshing it as needed; an error answer
    /// becomes [`CliError::Api`].
    pub async fn request(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<Response> {
        let Some(auth) = &self.auth else {
            return self.send(method, url, body, None, repeat).await;
        };
        let token = self.fresh_token(auth).await?;
        match self
            .send(method.clone(), url.clone(), body, Some(&token), repeat)
            .await
        {
            // An API token is not refreshed: its 401 (revoked, expired) is the answer. Nor is a
            // route's own refusal of what was sent (a wrong password or two-factor code): the
            // token was fine, and sending it again would only try the same secret twice.
            Err(e)
                if e.api_code().is_some_and(|(s, c)| {
                    s == 401 && !matches!(c, "invalid_credentials" | "invalid_code")
                }) && !token.starts_with(crate::config::API_TOKEN_PREFIX) =>
            {
                self.refresh_after_401(auth, &token).await?;
                let token = auth.session.lock().await.id_token.clone();
                match self.send(method, url, body, Some(&token), repeat).await {
                    Err(e) if e.api_code().is_some_and(|(s, _)| s == 401) => {
                        Err(CliError::SessionExpired)
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    /// One logical request: retried after a failed connection always, and after a transient
    /// answer or a lost one when `repeat` allows.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        bearer: Option<&str>,
        repeat: Repeat,
    ) -> Result<Response> {
        let policy: Backoff = retry::API;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .timeout(API_TIMEOUT);
            if let Some(token) = bearer {
                req = req.bearer_auth(token);
            }
            if let Some(body) = body {
                req = req.json(body);
            }
            let wait = match req.send().await {
                Err(e) => {
                    let again = e.is_connect() || repeat == Repeat::Safe;
                    if !(again
                        && retry::network_error_retries(&e)
                        && policy.allows_another(attempt))
                    {
                        return Err(self.unreachable(&e));
                    }
                    policy.delay(attempt, fastrand::f64())
                }
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status();
                    let after = retry::retry_after(header(&resp, "retry-after"));
                    if repeat == Repeat::Safe
                        && retry::api_status_retries(status.as_u16())
                        && policy.allows_another(attempt)
                        && after.is_none_or(|d| d <= policy.cap)
                    {
                        after.unwrap_or_else(|| policy.delay(attempt, fastrand::f64()))
                    } else {
                        return Err(self.error_answer(status, resp).await);
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn error_answer(&self, status: StatusCode, resp: Response) -> CliError {
        let status = status.as_u16();
        let retry_after = header(&resp, "retry-after").and_then(|v| v.trim().parse::<u64>().ok());
        let Ok(body) = resp.json::<Value>().await else {
            return self.protocol(status);
        };
        match body.get("error") {
            Some(Value::Object(e)) => {
                let mut extra = e.clone();
                let code = take_str(&mut extra, "code");
                let message = take_str(&mut extra, "message");
                if let Some(secs) = retry_after {
                    extra.entry("retry_after").or_insert(secs.into());
                }
                CliError::Api {
                    status,
                    code: code.unwrap_or_else(|| "unknown".into()),
                    message: message.unwrap_or_default(),
                    extra,
                }
            }
            // API Gateway's own 401 (`{"message": "Unauthorized"}`) has no code.
            _ if status == 401 => CliError::Api {
                status,
                code: "unauthorized".into(),
                message: "unauthorized".into(),
                extra: Default::default(),
            },
            _ => self.protocol(status),
        }
    }

    pub fn unreachable(&self, e: &reqwest::Error) -> CliError {
        CliError::Unreachable {
            api: self.base.clone(),
            cause: cause(e),
        }
    }

    pub fn protocol(&self, status: u16) -> CliError {
        CliError::Protocol {
            api: self.base.clone(),
            status,
        }
    }

    async fn fresh_token(&self, auth: &Auth) -> Result<String> {
        let mut session = auth.session.lock().await;
        if session.expiring(REFRESH_MARGIN_SECS) {
            self.refresh(auth, &mut session).await?;
        }
        Ok(session.id_token.clone())
    }

    /// After a 401 with `used`: refresh, unless a parallel request already did.
    async fn refresh_after_401(&self, auth: &Auth, used: &str) -> Result<()> {
        let mut session = auth.session.lock().await;
        if session.id_token != used {
            return Ok(());
        }
        self.refresh(auth, &mut session).await
    }

    async fn refresh(&self, auth: &Auth, session: &mut Session) -> Result<()> {
        let url = self.url(&["auth", "refresh"], &[])?;
        let body = serde_json::json!({ "refresh_token": session.refresh_token });
        let tokens: Tokens = match self
            .send(Method::POST, url, Some(&body), None, Repeat::Safe)
            .await
        {
            Ok(resp) => resp.json().await.map_err(|_| self.protocol(200))?,
            Err(e) if e.api_code().is_some_and(|(s, _)| s == 401 || s == 400) => {
                return Err(CliError::SessionExpired);
            }
            Err(e) => return Err(e),
        };
        session.id_token = tokens.id_token;
        if let Some(r) = tokens.refresh_token {
            session.refresh_token = r;
        }
        session.expires_at = now_secs() + tokens.expires_in;
        session.save(&auth.dir)
    }
}

pub fn header<'a>(resp: &'a Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

fn take_str(map: &mut serde_json::Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_are_normalized_and_checked() {
        assert_eq!(
            normalize_base("http://127.0.0.1:3000/").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            normalize_base(" https://api.example.com/prod/ ").unwrap(),
            "https://api.example.com/prod"
        );
        for ok in [
            "http://127.9.8.7:1",
            "http://[::1]:3000",
            "http://localhost:3000",
        ] {
            assert!(normalize_base(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.example.com",
            "http://10.0.0.1:3000",
            "http://[::2]:3000",
            "http://localhost.example.com",
            "127.0.0.1:3000",
            "ftp://x",
            "http://x/?a=1",
            "http://u:p@x",
            "",
        ] {
            assert!(normalize_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_encode_each_segment_under_the_base() {
        let api = Api::public("https://api.example.com/prod").unwrap();
        let u = api
            .url(&["files", "a/b c"], &[("limit", "100"), ("cursor", "x&y")])
            .unwrap();
        assert_eq!(
            u.as_str(),
            "https://api.example.com/prod/files/a%2Fb%20c?limit=100&cursor=x%26y"
        );
        let root = Api::public("http://127.0.0.1:3000").unwrap();
        assert_eq!(
            root.url(&["quota"], &[]).unwrap().as_str(),
            "http://127.0.0.1:3000/quota"
        );
    }
}
