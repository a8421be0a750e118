//! Framing arbitrary bytes into IMAP messages: never panics, never asks for more than the size
//! bound, and decides from the message's own bytes (a complete message is complete alone, and one
//! byte short of it is incomplete), so reading in chunks of any size frames the same way.
#![no_main]

use imapdoctor::imap::framing::{Framed, MAX_MESSAGE, literal_length, next_message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match next_message(data) {
        Framed::Complete(len) => {
            assert!(len > 0 && len <= data.len() && len <= MAX_MESSAGE);
            assert!(data[..len].ends_with(b"\n"));
            assert_eq!(next_message(&data[..len]), Framed::Complete(len));
            assert_eq!(next_message(&data[..len - 1]), Framed::Incomplete);
        }
        // Waiting for more is only allowed while the buffer is within the bound.
        Framed::Incomplete => assert!(data.len() <= MAX_MESSAGE),
        Framed::TooLong => {}
    }
    for line in data.split_inclusive(|&b| b == b'\n') {
        let _ = literal_length(line);
    }
});
