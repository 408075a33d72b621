//! The data key: created once, found again by its alias, with rotation on.

use aws_config::SdkConfig;

use super::sdk::err;
use super::shapes::KMS_ALIAS;
use crate::error::LocalError;

pub(super) async fn kms_key(sdk: &SdkConfig) -> Result<String, LocalError> {
    let kms = aws_sdk_kms::Client::new(sdk);
    if let Ok(d) = kms.describe_key().key_id(KMS_ALIAS).send().await
        && let Some(id) = d.key_metadata().map(|m| m.key_id())
    {
        return Ok(id.to_owned());
    }
    let key = kms
        .create_key()
        .description("Dropgate data key (local)")
        .send()
        .await
        .map_err(|e| err("CreateKey", e))?;
    let id = key
        .key_metadata()
        .map(|m| m.key_id().to_owned())
        .unwrap_or_default();
    kms.enable_key_rotation()
        .key_id(&id)
        .send()
        .await
        .map_err(|e| err("EnableKeyRotation", e))?;
    kms.create_alias()
        .alias_name(KMS_ALIAS)
        .target_key_id(&id)
        .send()
        .await
        .map_err(|e| err("CreateAlias", e))?;
    Ok(id)
}
