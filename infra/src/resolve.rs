//! [`Resolver`] over the system's resolver (getaddrinfo, through tokio), bounded in time.

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use dropgate_core::CoreError;
use dropgate_core::webhooks::Resolver;

/// The longest a lookup may take before the caller is told the resolver is unavailable.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

pub struct SystemResolver;

#[async_trait]
impl Resolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, CoreError> {
        match tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port))).await {
            Ok(Ok(addrs)) => {
                let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
                ips.dedup();
                Ok(ips)
            }
            // getaddrinfo does not tell "no such name" from other failures: either way there
            // is no address to check, and no address is refused (fail closed).
            Ok(Err(e)) => {
                tracing::info!(host, error = %e, "webhook host does not resolve");
                Ok(Vec::new())
            }
            Err(_) => Err(CoreError::Unavailable(format!(
                "resolving {host} took over {LOOKUP_TIMEOUT:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_address_resolves_to_itself_and_a_bad_name_to_nothing() {
        let r = SystemResolver;
        assert_eq!(
            r.resolve("127.0.0.1", 80).await.unwrap(),
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
        assert!(
            r.resolve("no-such-host.invalid", 443)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
