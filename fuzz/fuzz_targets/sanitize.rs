//! The sanitizer on arbitrary bytes and text: never panics, its output holds no control (Cc),
//! format (Cf), line or paragraph separator (Zl, Zp) character by Unicode's own tables, and it
//! stays bounded (at most MAX_TEXT characters kept, each escaped to at most ten, plus the mark).
#![no_main]

use imapdoctor::sanitize::{MAX_TEXT, terminal_text, untrusted};
use imapdoctor_fuzz::assert_safe;
use libfuzzer_sys::fuzz_target;

fn bounded(out: &str) {
    assert!(
        out.chars().count() <= MAX_TEXT * 10 + 1,
        "{} characters",
        out.chars().count()
    );
}

fuzz_target!(|data: &[u8]| {
    let out = untrusted(data);
    assert_safe("untrusted", &out);
    bounded(&out);
    if let Ok(text) = std::str::from_utf8(data) {
        let out = terminal_text(text);
        assert_safe("terminal_text", &out);
        bounded(&out);
    }
});
