//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256(key, id + "." +
//! timestamp + "." + body)>`, with `webhook-id` the event's id and `webhook-timestamp` unix
//! seconds. A receiver rejects a timestamp further than [`TOLERANCE_SECS`] from its clock, so a
//! captured delivery cannot be replayed later.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// How far a delivery's timestamp may be from the receiver's clock.
pub const TOLERANCE_SECS: i64 = 300;

/// HMAC-SHA256 (RFC 2104) over sha2: one hash of the padded key and the message, one of the
/// other pad and that.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The `webhook-signature` header of one delivery.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    format!("v1,{}", STANDARD.encode(hmac_sha256(key, &message)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// No `v1` signature in the header matches.
    Signature,
    /// The timestamp is further than [`TOLERANCE_SECS`] from now (a replay, or a wrong clock).
    Timestamp,
}

/// Checks a delivery as a receiver does: the timestamp within the tolerance of `now` (unix
/// seconds), then any of the header's space-separated `v1,` signatures, compared in constant
/// time.
pub fn verify(
    key: &[u8],
    id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
    now: i64,
) -> Result<(), Invalid> {
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(Invalid::Timestamp);
    }
    let expected = sign(key, id, timestamp, body);
    let found = header
        .split_whitespace()
        .any(|candidate| same(candidate.as_bytes(), expected.as_bytes()));
    if found {
        Ok(())
    } else {
        Err(Invalid::Signature)
    }
}

/// Equal, in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhooks::key_of;

    // The Standard Webhooks specification's own example.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signs_as_the_specifications_example() {
        let key = key_of(SECRET).unwrap();
        assert_eq!(sign(&key, ID, TS, BODY), SIG);
    }

    #[test]
    fn hmac_matches_rfc_4231_with_a_long_key() {
        // RFC 4231, test case 6: a 131-byte key (hashed first).
        let key = [0xaau8; 131];
        let mac = hmac_sha256(
            &key,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn verifies_only_the_right_body_id_and_time() {
        let key = key_of(SECRET).unwrap();
        assert_eq!(verify(&key, ID, TS, BODY, SIG, TS + 10), Ok(()));
        // Among other signatures (a key being rotated).
        let several = format!("v1,bm90IGl0 {SIG}");
        assert_eq!(verify(&key, ID, TS, BODY, &several, TS), Ok(()));
        assert_eq!(
            verify(&key, ID, TS, br#"{"test": 1}"#, SIG, TS),
            Err(Invalid::Signature)
        );
        assert_eq!(
            verify(&key, "msg_other", TS, BODY, SIG, TS),
            Err(Invalid::Signature)
        );
        assert_eq!(
            verify(&[1; 32], ID, TS, BODY, SIG, TS),
            Err(Invalid::Signature)
        );
        assert_eq!(
            verify(&key, ID, TS, BODY, SIG, TS + TOLERANCE_SECS + 1),
            Err(Invalid::Timestamp)
        );
        assert_eq!(
            verify(&key, ID, TS, BODY, SIG, TS - TOLERANCE_SECS - 1),
            Err(Invalid::Timestamp)
        );
    }
}
