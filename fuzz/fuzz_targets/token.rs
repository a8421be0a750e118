//! Arbitrary text as an OAuth2 bearer token (a JWT or not), optionally followed by a newline and
//! the `--user` it is for: linting never panics, and the facts hold only sanitized text.
#![no_main]

use imapdoctor::checks::token::lint;
use imapdoctor_fuzz::assert_json_safe;
use libfuzzer_sys::fuzz_target;

/// A fixed "now" (2025-06-15), so a run is reproducible.
const NOW: i64 = 1_750_000_000;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (token, user) = text.split_once('\n').unwrap_or((&text, "user@example.com"));
    let facts = lint(token, user, NOW);
    assert_json_safe("token facts", &facts);
});
