//! Arbitrary bytes as a Mozilla autoconfig document for `alice@example.test`: reading it never
//! panics, every IMAP server it yields has a host the host check accepts again (placeholders
//! filled in) and a port that is not 0, and an error holds only sanitized text.
#![no_main]

use imapdoctor::discover::autoconfig::imap_servers;
use imapdoctor::host;
use imapdoctor_fuzz::assert_safe;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match imap_servers(data, "alice@example.test", "example.test") {
        Ok(servers) => {
            assert!(!servers.is_empty());
            for server in servers {
                assert!(server.host.is_ascii(), "{:?}", server.host);
                assert!(
                    host::to_ascii(&server.host).is_ok(),
                    "{:?} accepted once, refused again",
                    server.host
                );
                assert_ne!(server.port, 0);
            }
        }
        Err(why) => assert_safe("autoconfig error", &why),
    }
});
