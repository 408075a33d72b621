//! RFC 6238 codes for the tests (HMAC-SHA-1, 30-second steps, 6 digits), from a base32 secret
//! as Cognito (and the emulator) hand it out.

use hmac::{KeyInit, Mac};

/// The secret's bytes (RFC 4648 base32, any case, padding optional).
fn base32(secret: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut n, mut out) = (0u64, 0u32, Vec::new());
    for c in secret.trim_end_matches('=').bytes() {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .unwrap_or_else(|| panic!("not base32: {secret}")) as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

/// The code of `secret` at Unix time `t`.
pub fn code_at(secret: &str, t: u64) -> String {
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&base32(secret)).expect("key");
    mac.update(&(t / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[h.len() - 1] & 0x0f) as usize;
    let n = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]);
    format!("{:06}", n % 1_000_000)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A current code of `secret` with at least 4 seconds to live (waits out the end of a step, so
/// that the emulator, which takes the current step only, checks the same one).
pub async fn code(secret: &str) -> String {
    if 30 - now() % 30 < 4 {
        tokio::time::sleep(std::time::Duration::from_secs(30 - now() % 30)).await;
    }
    code_at(secret, now())
}

/// A six-digit code that is not `code`.
pub fn other_than(code: &str) -> String {
    let last = code
        .chars()
        .last()
        .and_then(|c| c.to_digit(10))
        .unwrap_or(0);
    format!("{}{}", &code[..5], (last + 1) % 10)
}

#[test]
fn rfc_6238_vectors() {
    // RFC 6238 appendix B, SHA-1, the last six digits of its eight.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
    assert_eq!(code_at(secret, 59), "287082");
    assert_eq!(code_at(secret, 1111111109), "081804");
    assert_eq!(code_at(secret, 2000000000), "279037");
}
