//! Arbitrary bytes as a server's stream: framed, then parsed message by message as the connection
//! does, each message recorded in the transcript. Nothing panics, and every transcript line is
//! sanitized.
#![no_main]

use imapdoctor::imap::response::{Response, parse};
use imapdoctor::transcript::Transcript;
use imapdoctor_fuzz::{assert_json_safe, messages};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let transcript = Transcript::new(std::time::Instant::now());
    for message in messages(data) {
        transcript.server(false, message);
        if let Response::Status(s) = parse(message) {
            let _ = (s.describe(), s.capabilities());
        }
    }
    assert_json_safe("transcript", &transcript.lines());
});
