//! Bearer secrets (upload-link and share tokens, receipts): minted from 32 random bytes, looked
//! up by their SHA-256. A stolen table yields no usable token: a receipt is stored only hashed,
//! and a link's or share's token besides only sealed for its owner ([`crate::sealing`]).

use base64::Engine;
use sha2::{Digest, Sha256};

/// Random bytes in a secret: 256 bits, twice the 128 the field asks for.
pub const SECRET_BYTES: usize = 32;

/// The secret as clients see it: URL-safe base64 without padding (43 characters).
pub fn encode(bytes: &[u8; SECRET_BYTES]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form and lookup key: SHA-256, hex. A plain hash is enough: the secret has 256
/// bits of entropy, so there is nothing to guess from it.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_url_safe_and_hashes_stable() {
        let t = encode(&[0xff; SECRET_BYTES]);
        assert_eq!(t.len(), 43);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(hash(&t), t);
    }
}
