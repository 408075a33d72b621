//! SDK clients, built once per cold start and shared by every invocation.

use std::sync::Arc;

use aws_config::SdkConfig;

use crate::Config;
use crate::dynamo::DynamoLedger;
use crate::s3::S3Store;
use crate::ses::SesMailer;
use crate::sns::SnsNotifier;

#[derive(Clone, Debug)]
pub struct Clients {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub sns: aws_sdk_sns::Client,
    pub ses: aws_sdk_ses::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// From the standard chain (Lambda's role, or `AWS_*` variables including
    /// `AWS_ENDPOINT_URL` for the emulator).
    pub async fn from_env(config: &Config, function: &str) -> Self {
        let sdk = aws_config::load_from_env().await;
        Self::new(&sdk, config.s3_force_path_style, function)
    }

    /// `function` goes into every request's user agent (`app/<function>`), so that requests can
    /// be told apart per function (CloudTrail, the local emulator's call counts).
    pub fn new(sdk: &SdkConfig, s3_force_path_style: bool, function: &str) -> Self {
        let mut builder = sdk.to_builder();
        if let Ok(app) = aws_config::AppName::new(function.to_owned()) {
            builder.set_app_name(Some(app));
        }
        let sdk = &builder.build();
        let s3_conf = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(s3_force_path_style)
            .build();
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            ses: aws_sdk_ses::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
        }
    }

    /// The adapters over these clients, for the resources `config` names.
    pub fn ledger(&self, config: &Config) -> Arc<DynamoLedger> {
        Arc::new(DynamoLedger {
            client: self.dynamodb.clone(),
            files_table: config.files_table.clone(),
            quotas_table: config.quotas_table.clone(),
            log_table: config.upload_log_table.clone(),
        })
    }

    pub fn store(&self, config: &Config) -> Arc<S3Store> {
        Arc::new(S3Store {
            client: self.s3.clone(),
            bucket: config.bucket.clone(),
        })
    }

    pub fn notifier(&self, config: &Config) -> Arc<SnsNotifier> {
        Arc::new(SnsNotifier {
            client: self.sns.clone(),
            topic_arn: config.topic_arn.clone(),
        })
    }

    pub fn mailer(&self, config: &Config) -> Arc<SesMailer> {
        Arc::new(SesMailer {
            client: self.ses.clone(),
            sender: config.mail_sender.clone(),
        })
    }
}
