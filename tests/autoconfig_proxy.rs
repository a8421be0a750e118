//! The autoconfig fetch ignores proxies from the environment: it checks the direct path, as the
//! IMAP connection does. Its own test binary, because it sets `HTTPS_PROXY` for the process
//! before any other thread exists.

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use imapdoctor::demo::pki::{LeafSpec, TestCa};
use imapdoctor::discover::autoconfig::{AutoconfigOptions, lookup};
use support::https_server::{HttpsServer, Reply};

const DOCUMENT: &str = r#"<clientConfig version="1.1"><emailProvider id="example.test">
<incomingServer type="imap"><hostname>mail.test</hostname><port>993</port>
<socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>"#;

#[test]
fn https_proxy_from_the_environment_is_not_used() {
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://127.0.0.1:{}", proxy.local_addr().unwrap().port());
    for name in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        // SAFETY: this is the binary's only test, and no other thread of it has started yet
        // (the runtime is built below).
        unsafe { std::env::set_var(name, &proxy_url) };
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let ca = TestCa::new("imapdoctor autoconfig test CA");
        let leaf = ca.issue(&LeafSpec::valid_for([
            "autoconfig.example.test",
            "example.test",
        ]));
        let server = HttpsServer::start(&leaf, |_| Reply::xml(DOCUMENT)).await;
        let loopback = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
        let options = AutoconfigOptions {
            timeout: Duration::from_secs(5),
            extra_roots: vec![ca.cert_der.clone()],
            resolve: vec![
                (
                    "autoconfig.example.test".into(),
                    server.port(),
                    loopback.clone(),
                ),
                ("example.test".into(), server.port(), loopback),
            ],
            port: server.port(),
        };
        let attempts = lookup("example.test", "alice@example.test", &options).await;
        for attempt in &attempts {
            assert_eq!(attempt.outcome.as_ref().map(Vec::len), Ok(1), "{attempt:?}");
        }
    });
    assert!(proxy.accept().is_err(), "the environment's proxy was used");
}
