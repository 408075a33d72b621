//! `infra/partitions/partitions.json`, the partitions table the functions load instead of each SDK
//! crate's bundled one (template.yaml sets `SMITHY_CLIENT_SDK_CUSTOM_PARTITION` in the `aws`
//! partition; docs/BENCHMARKS.md says why), must resolve every endpoint the functions could ask
//! for exactly as the bundled tables do. The SDK reads the variable once per process, so the test
//! runs itself again as a child with the variable set and compares the two processes' answers.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const CHILD: &str = "DROPGATE_PARTITIONS_CHILD";
const MARK: &str = "endpoint\t";

/// The `aws` partition's regions as the SDK's bundled tables list them, its global pseudo-region,
/// and regions that do not exist yet (the partition's regex covers them).
const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "aws-global",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-southeast-9",
    "eu-central-3",
    "us-west-4",
];

macro_rules! resolve {
    ($out:expr, $service:literal, $krate:ident, $region:expr, $fips:expr, $dual:expr $(, $extra:ident($value:expr))*) => {{
        use $krate::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
        let params = Params::builder()
            .region($region)
            .use_fips($fips)
            .use_dual_stack($dual)
            $(.$extra($value))*
            .build()
            .expect("params");
        let answer = match DefaultResolver::new().resolve_endpoint(&params).await {
            Ok(endpoint) => endpoint.url().to_owned(),
            Err(e) => format!("error: {e}"),
        };
        $out.insert(format!("{} {} fips={} dual={}", $service, $region, $fips, $dual), answer);
    }};
}

/// Every (service, region, FIPS, dual-stack) the functions' clients could resolve, and the answer.
async fn endpoints() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for region in REGIONS {
        for fips in [false, true] {
            for dual in [false, true] {
                resolve!(out, "dynamodb", aws_sdk_dynamodb, *region, fips, dual);
                resolve!(
                    out,
                    "cognito-idp",
                    aws_sdk_cognitoidentityprovider,
                    *region,
                    fips,
                    dual
                );
                resolve!(out, "sns", aws_sdk_sns, *region, fips, dual);
                resolve!(out, "ses", aws_sdk_ses, *region, fips, dual);
                resolve!(
                    out,
                    "s3",
                    aws_sdk_s3,
                    *region,
                    fips,
                    dual,
                    bucket("dropgate-uploads-123456789012")
                );
                resolve!(
                    out,
                    "s3-path",
                    aws_sdk_s3,
                    *region,
                    fips,
                    dual,
                    bucket("dropgate-uploads-123456789012"),
                    force_path_style(true)
                );
            }
        }
    }
    out
}

#[tokio::test]
async fn the_partitions_file_resolves_every_endpoint_as_the_bundled_tables_do() {
    if std::env::var_os(CHILD).is_some() {
        for (key, url) in endpoints().await {
            println!("{MARK}{key}\t{url}");
        }
        return;
    }
    assert!(
        std::env::var_os("SMITHY_CLIENT_SDK_CUSTOM_PARTITION").is_none(),
        "the parent must resolve with the SDK's bundled tables"
    );
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("partitions/partitions.json");
    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "the_partitions_file_resolves_every_endpoint_as_the_bundled_tables_do",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("SMITHY_CLIENT_SDK_CUSTOM_PARTITION", &file)
        .output()
        .expect("run the test binary again");
    assert!(child.status.success(), "child failed: {child:?}");
    let stdout = String::from_utf8(child.stdout).expect("utf-8");
    let from_file: BTreeMap<String, String> = stdout
        .lines()
        // libtest may print "test NAME ... " on the line of the first mark.
        .filter_map(|l| l.find(MARK).map(|i| &l[i + MARK.len()..]))
        .map(|l| {
            let (key, url) = l.split_once('\t').expect("key and url");
            (key.to_owned(), url.to_owned())
        })
        .collect();

    let bundled = endpoints().await;
    assert_eq!(
        from_file.len(),
        bundled.len(),
        "the child answered every case"
    );
    let differing: Vec<_> = bundled
        .iter()
        .filter(|(k, v)| from_file.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: bundled {v}, file {:?}", from_file.get(k)))
        .collect();
    assert!(differing.is_empty(), "{differing:#?}");
    // The cases are real endpoints, not a shared failure.
    assert_eq!(
        bundled["dynamodb eu-west-1 fips=false dual=false"],
        "https://dynamodb.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        bundled["s3-path us-east-1 fips=true dual=true"],
        "https://s3-fips.dualstack.us-east-1.amazonaws.com/dropgate-uploads-123456789012"
    );
}
