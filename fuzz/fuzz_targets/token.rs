//! Arbitrary text as an OAuth2 bearer token, optionally followed by a newline and the `--user` it
//! is for: linting never panics, and the facts hold only sanitized text. Text starting with `{`
//! is taken as a JWT's claims and wrapped into one (header, base64url payload, signature), so the
//! fuzzer reaches the claim checks without having to find valid base64 first.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use imapdoctor::checks::token::lint;
use imapdoctor_fuzz::assert_json_safe;
use libfuzzer_sys::fuzz_target;

/// A fixed "now" (2025-06-15), so a run is reproducible.
const NOW: i64 = 1_750_000_000;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (token, user) = text.split_once('\n').unwrap_or((&text, "user@example.com"));
    let token = if token.starts_with('{') {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(token)
        )
    } else {
        token.to_string()
    };
    let facts = lint(&token, user, NOW);
    assert_json_safe("token facts", &facts);
});
