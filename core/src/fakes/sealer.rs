//! [`MemSealer`]: sealed tokens kept in memory, handed out as random handles that reveal
//! nothing of the token (as a ciphertext would not).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock::lock;
use crate::sealing::{SealContext, TokenSealer};
use crate::{CoreError, tokens};

#[derive(Default)]
pub struct MemSealer {
    /// handle -> (the context it was sealed for, the token)
    sealed: Mutex<HashMap<String, (String, String)>>,
    /// When set, every call fails as an unreachable KMS would.
    pub down: std::sync::atomic::AtomicBool,
}

fn context_key(ctx: &SealContext<'_>) -> String {
    format!("{}\n{}\n{}", ctx.purpose, ctx.owner, ctx.id)
}

impl MemSealer {
    fn check(&self) -> Result<(), CoreError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(CoreError::Unavailable("sealer down".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl TokenSealer for MemSealer {
    async fn seal(&self, ctx: &SealContext<'_>, token: &str) -> Result<String, CoreError> {
        self.check()?;
        let mut bytes = [0u8; tokens::SECRET_BYTES];
        distinct_bytes(&mut bytes);
        let handle = format!("mem:{}", tokens::encode(&bytes));
        lock(&self.sealed).insert(handle.clone(), (context_key(ctx), token.to_owned()));
        Ok(handle)
    }

    async fn open(&self, ctx: &SealContext<'_>, sealed: &str) -> Result<Option<String>, CoreError> {
        self.check()?;
        Ok(lock(&self.sealed)
            .get(sealed)
            .filter(|(c, _)| *c == context_key(ctx))
            .map(|(_, t)| t.clone()))
    }
}

/// Distinct handles without a random-number crate: a counter through SHA-256 is enough for a
/// fake (the handle only has to be unique and say nothing of the token).
fn distinct_bytes(out: &mut [u8; tokens::SECRET_BYTES]) {
    use sha2::{Digest, Sha256};
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    out.copy_from_slice(&Sha256::digest(n.to_le_bytes()));
}
