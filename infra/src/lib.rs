//! Adapters: Dropgate's ports over aws-sdk clients, and configuration from the environment.

pub mod aws;
pub mod cognito;
mod cognito_own;
mod cognito_totp;
pub mod config;
pub mod directory;
pub mod dynamo;
pub mod error;
pub mod eventbridge;
pub mod ids;
pub mod jwks;
pub mod kms;
mod lambda_sdk;
pub mod lazy;
pub mod logging;
pub mod metrics;
pub mod resolve;
pub mod s3;
pub mod s3_multipart;
pub mod ses;
pub mod sns;
pub mod sqs_deliveries;
pub mod webhook_http;
mod webhook_settings;

pub use aws::Clients;
pub use config::Config;
pub use error::InfraError;
