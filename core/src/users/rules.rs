//! What an admin may ask of the accounts' routes: the email prefix, the cursor, a change.

use serde::Deserialize;
use serde_json::Value;

use super::AccountRecord;
use crate::{CoreError, OwnerId};

/// The largest own quota an admin may give: 1 PiB (beyond any bucket a team would pay for,
/// and far from where byte arithmetic could overflow).
pub const MAX_OWN_QUOTA: u64 = 1 << 50;
/// Cognito's ListUsers takes a filter of at most 256 characters (UTF-16 units), and
/// `email ^= ""` is 11 of them: a longer prefix would be refused upstream, a 500.
const MAX_QUERY: usize = 245;
const MAX_CURSOR: usize = 4096;

/// The email prefix to search by: trimmed, at most [`MAX_QUERY`] characters, no quote, backslash or
/// control character (the directory's filter syntax quotes it).
pub fn parse_query(raw: Option<&str>) -> Result<String, CoreError> {
    let q = raw.unwrap_or("").trim();
    if q.encode_utf16().count() > MAX_QUERY
        || q.chars().any(|c| c == '"' || c == '\\' || c.is_control())
    {
        return Err(CoreError::invalid(
            "invalid_query",
            format!(
                "query must be an email prefix of at most {MAX_QUERY} characters, without quotes \
                 or backslashes"
            ),
        ));
    }
    Ok(q.to_owned())
}

/// The directory's opaque cursor, as a previous page gave it.
pub fn parse_cursor(raw: Option<&str>) -> Result<Option<&str>, CoreError> {
    match raw {
        None => Ok(None),
        Some(c) if !c.is_empty() && c.len() <= MAX_CURSOR && !c.chars().any(char::is_control) => {
            Ok(Some(c))
        }
        Some(_) => Err(CoreError::invalid(
            "invalid_cursor",
            "cursor must be a next_cursor this route returned",
        )),
    }
}

/// `PATCH /admin/users/{id}`: `quota_bytes` a whole number of bytes up to [`MAX_OWN_QUOTA`]
/// (`null`: back to the default), `disabled` a boolean; at least one of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// `Some(None)`: remove the own limit.
    pub quota_bytes: Option<Option<u64>>,
    pub disabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatch {
    #[serde(default, deserialize_with = "present")]
    quota_bytes: Option<Value>,
    #[serde(default)]
    disabled: Option<Value>,
}

/// A present field, `null` included, as `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl UserPatch {
    pub fn parse(body: Value) -> Result<Self, CoreError> {
        let raw: RawPatch = serde_json::from_value(body).map_err(|e| {
            CoreError::invalid("invalid_request", format!("invalid request body: {e}"))
        })?;
        let quota_bytes = match raw.quota_bytes {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::Number(n)) if n.as_u64().is_some_and(|b| b <= MAX_OWN_QUOTA) => {
                Some(n.as_u64())
            }
            Some(_) => {
                return Err(CoreError::invalid(
                    "invalid_quota",
                    format!(
                        "quota_bytes must be a whole number of bytes from 0 to {MAX_OWN_QUOTA}, \
                         or null for the default"
                    ),
                ));
            }
        };
        let disabled = match raw.disabled {
            None => None,
            Some(Value::Bool(b)) => Some(b),
            Some(_) => {
                return Err(CoreError::invalid(
                    "invalid_disabled",
                    "disabled must be true or false",
                ));
            }
        };
        if quota_bytes.is_none() && disabled.is_none() {
            return Err(CoreError::invalid(
                "invalid_request",
                "give quota_bytes, disabled, or both",
            ));
        }
        Ok(Self {
            quota_bytes,
            disabled,
        })
    }
}

impl UserPatch {
    /// What of the patch would change the account as it is (its quota record, and whether the
    /// directory lets it sign in). An own quota it has already, `null` where it has none, and a
    /// switch to the state it is in on both sides drop out: the audit log records changes, so
    /// what changes nothing is neither applied nor recorded. A stop left half done (the standing
    /// written, the directory not reached) is still a change: applied, it is finished.
    pub fn changes(&self, record: &AccountRecord, signs_in: bool) -> Self {
        let own = record.usage.custom.then_some(record.usage.limit_bytes);
        let stopped = record.standing.disabled && !signs_in;
        let running = !record.standing.disabled && signs_in;
        Self {
            quota_bytes: self.quota_bytes.filter(|limit| *limit != own),
            disabled: self
                .disabled
                .filter(|&stop| if stop { !stopped } else { !running }),
        }
    }
}

/// An admin cannot stop or erase their own account from the console: the last admin would
/// lock everyone out of it (the account's own settings erase it, with its password).
pub fn not_own_account(admin: &OwnerId, target: &OwnerId) -> Result<(), CoreError> {
    if admin == target {
        return Err(CoreError::conflict(
            "own_account",
            "an admin cannot stop or erase their own account here",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_patch_takes_a_quota_a_null_and_a_switch() {
        let p = UserPatch::parse(json!({"quota_bytes": 10, "disabled": true})).unwrap();
        assert_eq!(p.quota_bytes, Some(Some(10)));
        assert_eq!(p.disabled, Some(true));
        let p = UserPatch::parse(json!({"quota_bytes": null})).unwrap();
        assert_eq!(p.quota_bytes, Some(None));
        assert_eq!(p.disabled, None);
    }

    #[test]
    fn bad_patches_have_their_codes() {
        let code = |v| UserPatch::parse(v).unwrap_err().code();
        assert_eq!(code(json!({})), "invalid_request");
        assert_eq!(code(json!({"quota": 1})), "invalid_request");
        assert_eq!(code(json!({"quota_bytes": -1})), "invalid_quota");
        assert_eq!(code(json!({"quota_bytes": 1.5})), "invalid_quota");
        assert_eq!(code(json!({"quota_bytes": "1"})), "invalid_quota");
        assert_eq!(
            code(json!({"quota_bytes": MAX_OWN_QUOTA + 1})),
            "invalid_quota"
        );
        assert_eq!(code(json!({"disabled": "yes"})), "invalid_disabled");
    }

    #[test]
    fn what_the_account_is_already_drops_out_of_a_patch() {
        let record = |own: Option<u64>, disabled: bool| {
            let mut r = AccountRecord::default();
            r.usage.limit_bytes = own.unwrap_or(1000);
            r.usage.custom = own.is_some();
            r.standing.disabled = disabled;
            r
        };
        let p = |v| UserPatch::parse(v).unwrap();
        let both = p(json!({"quota_bytes": 5000, "disabled": true}));
        assert_eq!(
            both.changes(&record(Some(5000), true), false),
            UserPatch::default()
        );
        assert_eq!(both.changes(&record(None, false), true), both);
        // The default's bytes as an own quota is a change; `null` where none is set is not.
        assert_eq!(
            p(json!({"quota_bytes": 1000}))
                .changes(&record(None, false), true)
                .quota_bytes,
            Some(Some(1000))
        );
        assert_eq!(
            p(json!({"quota_bytes": null})).changes(&record(None, false), true),
            UserPatch::default()
        );
        assert_eq!(
            p(json!({"quota_bytes": null}))
                .changes(&record(Some(5), false), true)
                .quota_bytes,
            Some(None)
        );
        // A switch half applied (standing and directory apart) is still to be made.
        let stop = p(json!({"disabled": true}));
        let start = p(json!({"disabled": false}));
        assert_eq!(stop.changes(&record(None, true), true), stop);
        assert_eq!(start.changes(&record(None, true), true), start);
        assert_eq!(start.changes(&record(None, false), false), start);
        assert_eq!(
            start.changes(&record(None, false), true),
            UserPatch::default()
        );
    }

    #[test]
    fn queries_and_cursors_are_checked() {
        assert_eq!(parse_query(None).unwrap(), "");
        assert_eq!(parse_query(Some(" al ")).unwrap(), "al");
        assert!(parse_query(Some("a\"b")).is_err());
        assert!(parse_query(Some(&"a".repeat(257))).is_err());
        // The longest prefix still makes a filter Cognito takes; one more character does not.
        let longest = parse_query(Some(&"a".repeat(MAX_QUERY))).unwrap();
        assert!(format!("email ^= \"{longest}\"").encode_utf16().count() <= 256);
        assert!(parse_query(Some(&"a".repeat(MAX_QUERY + 1))).is_err());
        // An emoji is two units of Cognito's length.
        let emoji = format!("{}\u{1F600}", "a".repeat(MAX_QUERY - 1));
        assert!(parse_query(Some(&emoji)).is_err());
        assert_eq!(parse_cursor(Some("abc")).unwrap(), Some("abc"));
        assert!(parse_cursor(Some("")).is_err());
    }
}
