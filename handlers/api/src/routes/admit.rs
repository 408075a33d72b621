//! The standing check every authenticated request passes before its handler: the token was
//! verified (its signature and expiry), but an account an operator stopped, or a token issued
//! before its owner signed out everywhere, is refused at once rather than when it expires.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use chrono::{DateTime, Utc};
use dropgate_core::standing::{Refusal, StandingStore};

use crate::http::{ApiError, caller, claim};

/// `Ok` when the caller's account may proceed. Fails closed: a standing that cannot be read is
/// a 503, never a pass.
pub(crate) async fn admit(
    req: &ApiGatewayV2httpRequest,
    standing: &dyn StandingStore,
) -> Result<(), ApiError> {
    let c = caller(req)?;
    let issued_at = claim(req, "iat")
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0))
        .ok_or_else(|| ApiError::new(401, "unauthorized", "a valid bearer id token is required"))?;
    let refusal = standing.standing(&c.owner).await?.refusal(issued_at);
    match refusal {
        None => Ok(()),
        Some(Refusal::Disabled) => {
            tracing::info!(owner = c.owner.as_str(), "refused: account disabled");
            Err(ApiError::new(
                403,
                "account_disabled",
                "this account has been disabled",
            ))
        }
        Some(Refusal::Revoked) => {
            tracing::info!(
                owner = c.owner.as_str(),
                "refused: token issued before a sign-out"
            );
            Err(ApiError::new(
                401,
                "token_revoked",
                "this token has been revoked: log in again",
            ))
        }
    }
}
