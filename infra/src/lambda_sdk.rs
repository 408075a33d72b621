//! The shared SDK configuration of the functions in Lambda, built by hand from the environment
//! Lambda sets rather than by `aws_config`'s loader (see `Clients::from_env`).

use aws_config::SdkConfig;
use aws_sdk_s3::config::{SharedCredentialsProvider, SharedHttpClient};

use crate::InfraError;

/// The shared SDK configuration of a function in Lambda, from `env`: what `aws_config`'s loader
/// resolves there (no profile files, no other providers), as it resolves it.
pub(crate) fn lambda_sdk_config(
    env: &dyn Fn(&str) -> Option<String>,
    http: SharedHttpClient,
) -> Result<SdkConfig, InfraError> {
    let set = |k: &str| {
        env(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let flag = |k: &str| {
        set(k).and_then(|v| {
            if v.eq_ignore_ascii_case("true") {
                Some(true)
            } else if v.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        })
    };
    let region = set("AWS_REGION")
        .or_else(|| set("AWS_DEFAULT_REGION"))
        .ok_or(InfraError::MissingEnv("AWS_REGION"))?;
    // The execution role's credentials, as Lambda sets them for the life of the environment
    // (what the loader's environment provider reads, with no expiry either).
    let key = set("AWS_ACCESS_KEY_ID").ok_or(InfraError::MissingEnv("AWS_ACCESS_KEY_ID"))?;
    let secret =
        set("AWS_SECRET_ACCESS_KEY").ok_or(InfraError::MissingEnv("AWS_SECRET_ACCESS_KEY"))?;
    let credentials = aws_sdk_s3::config::Credentials::new(
        key,
        secret,
        set("AWS_SESSION_TOKEN"),
        None,
        "Environment",
    );
    let mut builder = SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .identity_cache(aws_config::identity::IdentityCache::lazy().build())
        // The clock signing and presigning read, and the sleep behind retries and timeouts,
        // as the loader sets them.
        .time_source(aws_smithy_async::time::SharedTimeSource::default())
        .sleep_impl(
            aws_smithy_async::rt::sleep::default_async_sleep()
                .ok_or(InfraError::MissingEnv("an async sleep (tokio)"))?,
        )
        .http_client(http);
    if let Some(fips) = flag("AWS_USE_FIPS_ENDPOINT") {
        builder = builder.use_fips(fips);
    }
    if let Some(dual) = flag("AWS_USE_DUALSTACK_ENDPOINT") {
        builder = builder.use_dual_stack(dual);
    }
    if flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != Some(true)
        && let Some(url) = set("AWS_ENDPOINT_URL")
    {
        builder = builder.endpoint_url(url);
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::SharedHttpClient;
    use std::collections::HashMap;

    fn http() -> SharedHttpClient {
        crate::aws::https_client()
    }

    fn from(vars: &[(&str, &str)]) -> Result<SdkConfig, InfraError> {
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        lambda_sdk_config(&|k| env.get(k).cloned(), http())
    }

    const LAMBDA: &[(&str, &str)] = &[
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
    ];

    #[test]
    fn lambdas_region_and_an_environment_credentials_provider() {
        let sdk = from(LAMBDA).expect("Lambda's variables are enough");
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert!(sdk.credentials_provider().is_some());
        assert!(sdk.identity_cache().is_some());
        assert!(sdk.http_client().is_some());
        assert!(sdk.behavior_version().is_some());
        assert_eq!(sdk.endpoint_url(), None);
        assert_eq!(sdk.use_fips(), None);
        assert_eq!(sdk.use_dual_stack(), None);
    }

    #[test]
    fn the_default_region_when_aws_region_is_absent() {
        let sdk = from(&[
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_ACCESS_KEY_ID", "A"),
            ("AWS_SECRET_ACCESS_KEY", "S"),
        ])
        .unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("us-west-2"));
    }

    #[test]
    fn no_start_without_a_region_or_credentials() {
        assert!(matches!(
            from(&[("AWS_ACCESS_KEY_ID", "A"), ("AWS_REGION", " ")]),
            Err(InfraError::MissingEnv("AWS_REGION"))
        ));
        assert!(matches!(
            from(&[("AWS_REGION", "eu-west-1")]),
            Err(InfraError::MissingEnv("AWS_ACCESS_KEY_ID"))
        ));
        assert!(matches!(
            from(&[("AWS_REGION", "eu-west-1"), ("AWS_ACCESS_KEY_ID", "A")]),
            Err(InfraError::MissingEnv("AWS_SECRET_ACCESS_KEY"))
        ));
    }

    #[test]
    fn endpoint_fips_and_dual_stack_from_their_variables() {
        let mut vars = LAMBDA.to_vec();
        vars.extend([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_USE_FIPS_ENDPOINT", "TRUE"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "false"),
        ]);
        let sdk = from(&vars).unwrap();
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:4566"));
        assert_eq!(sdk.use_fips(), Some(true));
        assert_eq!(sdk.use_dual_stack(), Some(false));

        vars.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"));
        assert_eq!(from(&vars).unwrap().endpoint_url(), None);

        let mut garbled = LAMBDA.to_vec();
        garbled.push(("AWS_USE_FIPS_ENDPOINT", "yes please"));
        assert_eq!(
            from(&garbled).unwrap().use_fips(),
            None,
            "not a boolean: unset"
        );
    }
}
