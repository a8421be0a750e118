//! Arbitrary bytes as a server's first words: the first message is the greeting, and when it
//! carries no `[CAPABILITY ...]` code the following messages answer the CAPABILITY command (as
//! the `capability` check reads them). Nothing panics, and the finished check (its JSON form)
//! holds only sanitized text.
#![no_main]

use imapdoctor::checks::capability::{Progress, finish, greeting_facts};
use imapdoctor::imap::response::{Response, StatusKind, parse};
use imapdoctor_fuzz::{assert_json_safe, messages};
use libfuzzer_sys::fuzz_target;

/// Host names that identify a provider by themselves, and some that do not.
const HOSTS: [&str; 4] = [
    "imap.example.com",
    "outlook.office365.com",
    "imap.gmail.com",
    "192.0.2.7",
];

fuzz_target!(|data: &[u8]| {
    let mut messages = messages(data).into_iter();
    let Some(first) = messages.next() else { return };
    let host = HOSTS[data.len() % HOSTS.len()];
    let mut details = match greeting_facts(host, first) {
        Ok(details) => details,
        Err(check) => return assert_json_safe("failed greeting check", &check),
    };
    if details.capabilities_source.is_none() {
        // The CAPABILITY command's answer: untagged CAPABILITY data, then the tagged completion.
        let mut listed = None;
        for message in messages {
            match parse(message) {
                Response::Capability(caps) => {
                    listed.get_or_insert(caps);
                }
                Response::Status(s) if s.tag.is_some() || s.kind == StatusKind::Bye => {
                    if s.kind != StatusKind::Ok {
                        return;
                    }
                    let caps = listed.or_else(|| s.capabilities()).unwrap_or_default();
                    details.set_capabilities(caps, "command");
                    break;
                }
                _ => {}
            }
        }
    }
    let check = finish(Progress {
        details,
        elapsed_ms: 0,
    });
    assert_json_safe("capability check", &check);
});
