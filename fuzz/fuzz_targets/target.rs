//! Arbitrary text as TARGET, a `--resolve` entry and a `--control` entry: parsing never panics,
//! and what it accepts is what the network code expects (an ASCII host the host check accepts
//! again, a port from 1 to 65535).
#![no_main]

use imapdoctor::config::{Security, Target, parse_control, parse_resolve};
use imapdoctor::host;
use libfuzzer_sys::fuzz_target;

fn accepted_host(host: &str) {
    assert!(host.is_ascii(), "{host:?}");
    assert!(
        host::to_ascii(host).is_ok(),
        "{host:?} accepted once, refused again"
    );
    let _ = host::display(host);
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    for (port, security) in [
        (None, None),
        (Some(143), None),
        (Some(993), Some(Security::Starttls)),
    ] {
        if let Ok(target) = Target::parse(input, port, security) {
            accepted_host(&target.host);
            assert_ne!(target.port, 0);
            let _ = (target.ip(), target.host_unicode());
        }
    }
    if let Ok((host, port, addrs)) = parse_resolve(input) {
        accepted_host(&host);
        assert!(port != 0 && !addrs.is_empty());
    }
    if let Ok(control) = parse_control(input) {
        accepted_host(&control.host);
        assert_ne!(control.port, 0);
    }
    let _ = (host::to_ascii(input), host::to_unicode(input));
});
