//! An SDK client built on its first call rather than at cold start: a function's adapters
//! take every client they could call, but most invocations reach only a few (the api's
//! DynamoDB and S3 on every request; Cognito, SQS, SES and KMS on some routes). Built once per
//! cold start all the same, and shared by every clone.

use std::sync::{Arc, OnceLock};

use aws_config::SdkConfig;

pub struct Lazy<C> {
    sdk: SdkConfig,
    make: fn(&SdkConfig) -> C,
    client: Arc<OnceLock<C>>,
}

impl<C> Clone for Lazy<C> {
    fn clone(&self) -> Self {
        Self {
            sdk: self.sdk.clone(),
            make: self.make,
            client: self.client.clone(),
        }
    }
}

impl<C> Lazy<C> {
    pub fn new(sdk: &SdkConfig, make: fn(&SdkConfig) -> C) -> Self {
        Self {
            sdk: sdk.clone(),
            make,
            client: Arc::new(OnceLock::new()),
        }
    }

    /// A client built already (tests that hold one).
    pub fn ready(client: C) -> Self {
        let cell = OnceLock::new();
        let _ = cell.set(client);
        Self {
            sdk: SdkConfig::builder().build(),
            make: |_| unreachable!("built at construction"),
            client: Arc::new(cell),
        }
    }

    pub fn get(&self) -> &C {
        self.client.get_or_init(|| (self.make)(&self.sdk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_once_on_first_use_and_clones_share_it() {
        let sdk = SdkConfig::builder().build();
        let lazy = Lazy::new(&sdk, |_| std::time::Instant::now());
        let copy = lazy.clone();
        assert!(
            lazy.client.get().is_none(),
            "nothing built before the first call"
        );
        let first = *copy.get();
        assert_eq!(*lazy.get(), first, "one client for every clone");
    }
}
