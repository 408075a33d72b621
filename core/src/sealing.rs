//! The token-sealing port: a link's or share's token kept so that only its owner, through the
//! api, can see it again, and a reader of the tables cannot use it.
//!
//! Lookups stay by SHA-256 ([`crate::tokens::hash`]); the sealed form is only ever opened to
//! show the owner their URL. In AWS it is the token encrypted under the stack's KMS key
//! (`infra/src/kms.rs`), bound to the item it belongs to by the encryption context, so a
//! sealed token copied onto another item does not open.

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;

use crate::{CoreError, OwnerId};

/// Opens in flight at once for one listing page.
const OPEN_AT_ONCE: usize = 16;

/// What a sealed token is bound to; it opens only for exactly this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealContext<'a> {
    /// `"link"` or `"share"`.
    pub purpose: &'static str,
    pub owner: &'a OwnerId,
    /// The link's or share's id.
    pub id: &'a str,
}

#[async_trait]
pub trait TokenSealer: Send + Sync {
    /// The token in a form that is safe to store (text).
    async fn seal(&self, ctx: &SealContext<'_>, token: &str) -> Result<String, CoreError>;
    /// The token again; `None` when `sealed` does not open for `ctx` (another item's, damaged,
    /// not one this sealer made). Errors are the sealer's own failures (unreachable, denied).
    async fn open(&self, ctx: &SealContext<'_>, sealed: &str) -> Result<Option<String>, CoreError>;
}

/// Opens each of `items`' sealed tokens (a page of a listing), in order, a few at a time: a
/// page costs one round trip of the slowest, not one per item. A failure of the sealer fails
/// the whole page.
pub async fn open_all(
    sealer: &dyn TokenSealer,
    items: &[(SealContext<'_>, Option<&str>)],
) -> Result<Vec<Option<String>>, CoreError> {
    // Boxed, each with the one lifetime of the page: a plain closure's future is not `Send`
    // for every lifetime, which the api's handlers need.
    let mut opens: Vec<BoxFuture<'_, Result<Option<String>, CoreError>>> = Vec::new();
    for (ctx, sealed) in items {
        opens.push(match sealed {
            Some(s) => sealer.open(ctx, s),
            None => Box::pin(std::future::ready(Ok(None))),
        });
    }
    futures_util::stream::iter(opens)
        .buffered(OPEN_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}
