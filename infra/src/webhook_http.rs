//! Sending one webhook attempt: a POST with a 10 s timeout, no redirect followed, no proxy, at
//! most 1 KiB of the answer read, to an address checked at connect time. The client's resolver
//! refuses a name with any address inside the network and hands the connector only the
//! address it checked, so DNS that changed since registration (or answers differently now)
//! cannot aim a delivery inside; a literal address is checked before the request.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use dropgate_core::webhooks::address::{Host, Target, check_resolved, check_url};
use dropgate_core::webhooks::delivery::{MAX_RESPONSE_BYTES, TIMEOUT};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// What one attempt came to; never the URL (it may carry a credential) nor the answer's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    /// Timed out or could not connect: no answer (what stalls the webhook).
    pub unanswered: bool,
}

/// Resolves through the system, then refuses unless every address is allowed; answers the
/// first, the one connected to.
struct CheckingResolver;

impl Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let ips: Vec<IpAddr> = found.map(|a| a.ip()).collect();
            let target = Target {
                host: Host::Name(host),
                port: 0,
                loopback: false,
            };
            let ip = check_resolved(&target, &ips).map_err(std::io::Error::other)?;
            let addrs: Addrs = Box::new(std::iter::once(SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

pub struct WebhookHttp {
    client: reqwest::Client,
    /// The local stack's `--allow-loopback-webhooks`.
    pub allow_loopback: bool,
}

impl WebhookHttp {
    pub fn new(allow_loopback: bool) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .no_proxy()
            .dns_resolver(Arc::new(CheckingResolver))
            .user_agent("Dropgate-Webhooks/1")
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            allow_loopback,
        })
    }

    /// One attempt: the URL's form and literal address are checked first (a name is checked
    /// by the resolver as it connects).
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: String,
    ) -> Attempt {
        let started = Instant::now();
        let elapsed = |s: Instant| u64::try_from(s.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Err(why) = check_url(url, self.allow_loopback) {
            return Attempt {
                status_code: None,
                error: Some(format!("refused: {why}")),
                duration_ms: 0,
                unanswered: false,
            };
        }
        let mut req = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        match req.send().await {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                // Read a little of the answer (so the receiver is not cut off mid-write), never
                // more than 1 KiB, and keep none of it.
                let mut read = 0usize;
                while read < MAX_RESPONSE_BYTES {
                    match resp.chunk().await {
                        Ok(Some(c)) => read += c.len(),
                        _ => break,
                    }
                }
                Attempt {
                    status_code: Some(status),
                    error: None,
                    duration_ms: elapsed(started),
                    unanswered: false,
                }
            }
            Err(e) => Attempt {
                status_code: None,
                error: Some(describe(&e)),
                duration_ms: elapsed(started),
                unanswered: e.is_timeout() || e.is_connect(),
            },
        }
    }
}

#[async_trait::async_trait]
impl dropgate_core::webhooks::deliveries::WebhookSender for WebhookHttp {
    async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: String,
    ) -> dropgate_core::webhooks::deliveries::Sent {
        let a = WebhookHttp::post(self, url, headers, body).await;
        dropgate_core::webhooks::deliveries::Sent {
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
            unanswered: a.unanswered,
        }
    }
}

/// The error without its URL, with its cause (a refusal by the resolver says why).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}

#[cfg(test)]
#[path = "webhook_http_tests.rs"]
mod tests;
