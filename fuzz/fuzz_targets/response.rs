//! Parsing one arbitrary message: never panics, and what it yields can be described; a mailbox
//! name from LIST round-trips through modified UTF-7.
#![no_main]

use imapdoctor::imap::mutf7;
use imapdoctor::imap::response::{Response, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse(data) {
        Response::Status(s) => {
            let _ = (s.describe(), s.capabilities(), s.code_name());
        }
        Response::List { name, .. } => {
            let _ = (mutf7::display(&name, false), mutf7::decode(&name));
            assert_eq!(
                mutf7::decode(&mutf7::encode(&name)).as_deref(),
                Some(name.as_str())
            );
        }
        Response::MailboxStatus { name, .. } => {
            let _ = mutf7::display(&name, false);
        }
        _ => {}
    }
});
