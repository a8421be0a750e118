//! Proof Key for Code Exchange (RFC 7636) and the `state` of the authorization request: random
//! values from the operating system's generator (ring's `SystemRandom`), the S256 challenge.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

use crate::secret::Secret;

/// The secret the token request proves possession of, and its challenge sent in the URL.
pub struct Pkce {
    /// `code_verifier`: 43 characters of base64url (32 random bytes; RFC 7636 §4.1). A secret.
    pub verifier: Secret,
    /// `code_challenge`: BASE64URL(SHA-256(verifier)) (§4.2, method S256).
    pub challenge: String,
}

/// `bytes` random bytes as base64url without padding.
fn random(bytes: usize) -> Result<String, String> {
    let mut buffer = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buffer)
        .map_err(|_| "the system's random number generator failed".to_string())?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// The S256 challenge of `verifier`.
pub fn challenge(verifier: &str) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(hash.as_ref())
}

/// A fresh verifier (registered for redaction) and its challenge.
pub fn new() -> Result<Pkce, String> {
    let verifier = Secret::new(random(32)?);
    let challenge = challenge(verifier.expose());
    Ok(Pkce {
        verifier,
        challenge,
    })
}

/// A fresh `state` value (16 random bytes), which the redirect must bring back unchanged.
pub fn state() -> Result<String, String> {
    random(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_example() {
        // RFC 7636, Appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_and_states_are_fresh_and_of_the_allowed_alphabet() {
        let (a, b) = (new().unwrap(), new().unwrap());
        assert_ne!(a.verifier.expose(), b.verifier.expose());
        assert_eq!(a.verifier.expose().len(), 43);
        assert_eq!(a.challenge, challenge(a.verifier.expose()));
        let s = state().unwrap();
        assert_ne!(s, state().unwrap());
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{s}"
        );
    }
}
