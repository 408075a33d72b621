//! An account's standing: whether an operator has stopped it, and when its owner last signed
//! out everywhere. Every authenticated request is checked against it, so that a disabled
//! account, or a token issued before a sign-out everywhere (or a password change), is refused
//! at once rather than when the token expires. It lives on the owner's account record.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{CoreError, OwnerId};

/// What the account record says about an owner's credentials. The default (nothing stored) is
/// an account in good standing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    /// Stopped by an operator: every request of the account is refused.
    pub disabled: bool,
    /// Tokens issued before this instant are refused. Tokens carry their issue time in whole
    /// seconds, so this is always a whole second (see [`Standing::refusal`]).
    pub signed_out_at: Option<DateTime<Utc>>,
}

/// Why a verified credential is refused all the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `403 account_disabled`.
    Disabled,
    /// `401 token_revoked`.
    Revoked,
}

impl Standing {
    /// Whether a credential issued at `issued_at` (whole seconds) is refused.
    pub fn refusal(&self, issued_at: DateTime<Utc>) -> Option<Refusal> {
        if self.disabled {
            return Some(Refusal::Disabled);
        }
        match self.signed_out_at {
            Some(cut) if issued_at < cut => Some(Refusal::Revoked),
            _ => None,
        }
    }
}

// The two cuts, side by side: both whole seconds (tokens carry their issue time in whole
// seconds), rounded apart on purpose. A sign-out everywhere leaves the account open, so a token
// issued in its second, before it, could be in use: the cut rounds up. A stop refuses every
// token while it lasts and no token can be issued meanwhile, so its cut is the second it falls
// in: a session begun right after a restore passes, however soon.

/// The cut of a sign-out everywhere at `now`: the next whole second, so that a token issued in
/// the same second, before the sign-out, is refused too. A login in that same second after it
/// is refused as well: fail closed, for at most a second.
pub fn sign_out_cut(now: DateTime<Utc>) -> DateTime<Utc> {
    let secs = now.timestamp() + i64::from(now.timestamp_subsec_nanos() > 0);
    DateTime::from_timestamp(secs, 0).unwrap_or(now)
}

/// The cut of an operator's stop at `now`: the whole second it falls in (see above).
pub fn stop_cut(now: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

/// Where standing lives (the owner's account record, beside their quota, in production).
#[async_trait]
pub trait StandingStore: Send + Sync {
    /// The owner's standing; good standing when nothing was ever stored.
    async fn standing(&self, owner: &OwnerId) -> Result<Standing, CoreError>;
    /// Refuses every credential of the owner issued before `cut` (a whole second), leaving the
    /// rest of the record as it is. A later cut replaces an earlier one; an earlier never does.
    async fn sign_out_all(&self, owner: &OwnerId, cut: DateTime<Utc>) -> Result<(), CoreError>;
    /// Stops (`true`) or restores (`false`) the account.
    async fn set_disabled(&self, owner: &OwnerId, disabled: bool) -> Result<(), CoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).unwrap()
    }

    #[test]
    fn a_token_from_before_the_cut_is_revoked_and_one_from_the_cut_on_is_not() {
        let s = Standing {
            disabled: false,
            signed_out_at: Some(at(100)),
        };
        assert_eq!(s.refusal(at(99)), Some(Refusal::Revoked));
        assert_eq!(s.refusal(at(100)), None);
        assert_eq!(Standing::default().refusal(at(1)), None);
    }

    #[test]
    fn a_disabled_account_refuses_every_token() {
        let s = Standing {
            disabled: true,
            signed_out_at: None,
        };
        assert_eq!(s.refusal(at(5)), Some(Refusal::Disabled));
    }

    #[test]
    fn a_sign_out_s_cut_rounds_up_and_a_stop_s_rounds_down() {
        let at = |s: i64, n: u32| Utc.timestamp_opt(s, n).unwrap();
        assert_eq!(sign_out_cut(at(100, 1)), at(101, 0));
        assert_eq!(sign_out_cut(at(100, 999_999_999)), at(101, 0));
        assert_eq!(sign_out_cut(at(100, 0)), at(100, 0));
        assert_eq!(stop_cut(at(100, 1)), at(100, 0));
        assert_eq!(stop_cut(at(100, 999_999_999)), at(100, 0));
        assert_eq!(stop_cut(at(100, 0)), at(100, 0));
    }
}
