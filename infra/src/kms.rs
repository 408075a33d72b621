//! The token-sealing port over KMS: a token is encrypted under the stack's key with an
//! encryption context naming the item it belongs to (purpose, owner, id), so the stored
//! ciphertext is of no use to a reader of the tables, and one copied onto another item does
//! not decrypt. The ciphertext is stored as standard base64.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_kms::primitives::Blob;
use base64::Engine;
use dropgate_core::CoreError;
use dropgate_core::sealing::{SealContext, TokenSealer};

use crate::error::sdk_error;

pub struct KmsSealer {
    pub client: crate::lazy::Lazy<aws_sdk_kms::Client>,
    /// Key id, ARN or alias.
    pub key_id: String,
}

/// The encryption context: what a sealed token is bound to. The `dropgate:` prefix keeps it
/// apart from contexts AWS services add, and lets an IAM condition name it.
fn context(ctx: &SealContext<'_>) -> HashMap<String, String> {
    HashMap::from([
        (
            "dropgate:purpose".to_owned(),
            format!("{}-token", ctx.purpose),
        ),
        ("dropgate:owner".to_owned(), ctx.owner.to_string()),
        ("dropgate:id".to_owned(), ctx.id.to_owned()),
    ])
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[async_trait]
impl TokenSealer for KmsSealer {
    async fn seal(&self, ctx: &SealContext<'_>, token: &str) -> Result<String, CoreError> {
        let out = self
            .client
            .get()
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(token.as_bytes()))
            .set_encryption_context(Some(context(ctx)))
            .send()
            .await
            .map_err(|e| sdk_error("Encrypt", e))?;
        let blob = out
            .ciphertext_blob()
            .ok_or_else(|| CoreError::upstream("Encrypt answered no ciphertext"))?;
        Ok(B64.encode(blob.as_ref()))
    }

    async fn open(&self, ctx: &SealContext<'_>, sealed: &str) -> Result<Option<String>, CoreError> {
        let Ok(bytes) = B64.decode(sealed) else {
            return Ok(None);
        };
        if bytes.is_empty() {
            return Ok(None);
        }
        let out = match self
            .client
            .get()
            .decrypt()
            // A function that only opens (the deliverer) is not given the key's id: the
            // ciphertext names its key, and the encryption context binds it to its item.
            .set_key_id((!self.key_id.is_empty()).then(|| self.key_id.clone()))
            .ciphertext_blob(Blob::new(bytes))
            .set_encryption_context(Some(context(ctx)))
            .send()
            .await
        {
            Ok(out) => out,
            // Another item's, damaged, or not ours: it does not open (and says so in no
            // other way).
            Err(e)
                if e.as_service_error().is_some_and(|se| {
                    se.is_invalid_ciphertext_exception() || se.is_incorrect_key_exception()
                }) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(sdk_error("Decrypt", e)),
        };
        Ok(out
            .plaintext()
            .and_then(|p| String::from_utf8(p.as_ref().to_vec()).ok()))
    }
}
