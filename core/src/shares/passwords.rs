//! Share passwords, stored as Argon2id hashes (PHC strings with their own salt and
//! parameters). The parameters are OWASP's first recommendation for Argon2id (19 MiB, two
//! passes, one lane): a verify takes tens of milliseconds on a Lambda-sized CPU
//! (`cargo run --release -p dropgate-bench --bin bench-password`, docs/BENCHMARKS.md), and a
//! stolen table costs an attacker as much per guess.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::CoreError;

const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Result<Argon2<'static>, CoreError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| CoreError::upstream(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string of `password` with a fresh salt from `salt` (16 random bytes).
pub fn hash_password(password: &str, salt: &[u8; 16]) -> Result<String, CoreError> {
    let salt = SaltString::encode_b64(salt)
        .map_err(|e| CoreError::upstream(format!("argon2 salt: {e}")))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::upstream(format!("argon2 hash: {e}")))
}

/// Whether `password` is the one `phc` was made from (with the parameters `phc` names).
pub fn verify_password(password: &str, phc: &str) -> Result<bool, CoreError> {
    let parsed =
        PasswordHash::new(phc).map_err(|e| CoreError::upstream(format!("stored hash: {e}")))?;
    Ok(argon2()?
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_password("correct horse", &[1; 16]).unwrap();
        let b = hash_password("correct horse", &[2; 16]).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a salt per hash");
        assert!(!a.contains("correct"));
        assert!(verify_password("correct horse", &a).unwrap());
        assert!(!verify_password("correct horse ", &a).unwrap());
        assert!(!verify_password("", &a).unwrap());
        assert!(verify_password("x", "not a hash").is_err());
    }
}
