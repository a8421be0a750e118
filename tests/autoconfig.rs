//! Discovery source 3 against a real local HTTPS server: `discover::autoconfig::lookup` fetches
//! both autoconfig URLs of `example.test` from a scripted HTTPS server on loopback (reached
//! through `resolve` entries and the test port), with the test CA as the extra root.

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use imapdoctor::config::Security;
use imapdoctor::demo::pki::{LeafSpec, TestCa};
use imapdoctor::discover::autoconfig::{
    AutoconfigAttempt, AutoconfigOptions, ImapServer, MAX_DOCUMENT, lookup,
};
use support::https_server::{HttpsServer, Reply};

const DOMAIN: &str = "example.test";
const ADDRESS: &str = "alice@example.test";
const PROVIDER_PATH: &str = "/mail/config-v1.1.xml?emailaddress=alice%40example.test";
const WELL_KNOWN_PATH: &str = "/.well-known/autoconfig/mail/config-v1.1.xml";

const DOCUMENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example</displayName>
    <incomingServer type="pop3">
      <hostname>pop.%EMAILDOMAIN%</hostname><port>995</port><socketType>SSL</socketType>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>mail.test</hostname><port>143</port><socketType>STARTTLS</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.%EMAILDOMAIN%</hostname><port>587</port><socketType>STARTTLS</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"#;

/// A test CA and a server certificate for both autoconfig host names.
struct Pki {
    ca: TestCa,
    leaf: imapdoctor::demo::pki::Leaf,
}

fn pki() -> Pki {
    let ca = TestCa::new("imapdoctor autoconfig test CA");
    let leaf = ca.issue(&LeafSpec::valid_for([
        "autoconfig.example.test",
        "example.test",
    ]));
    Pki { ca, leaf }
}

/// Options that reach `server` for both names, trusting the test CA.
fn options(pki: &Pki, server: &HttpsServer, timeout: Duration) -> AutoconfigOptions {
    let loopback = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    AutoconfigOptions {
        timeout,
        extra_roots: vec![pki.ca.cert_der.clone()],
        resolve: vec![
            (
                format!("autoconfig.{DOMAIN}"),
                server.port(),
                loopback.clone(),
            ),
            (DOMAIN.to_string(), server.port(), loopback),
        ],
        port: server.port(),
    }
}

/// Serves `provider` at the autoconfig host's path and `well_known` at the well-known path
/// (the test certificate covers both names; the server tells them apart by path).
async fn serve(pki: &Pki, provider: Reply, well_known: Reply) -> HttpsServer {
    HttpsServer::start(&pki.leaf, move |target| {
        if target == PROVIDER_PATH {
            provider.clone()
        } else if target == WELL_KNOWN_PATH {
            well_known.clone()
        } else {
            Reply::not_found()
        }
    })
    .await
}

fn error(attempt: &AutoconfigAttempt) -> &str {
    eprintln!("{} -> {:?}", attempt.url, attempt.outcome);
    attempt
        .outcome
        .as_ref()
        .expect_err("the attempt should have failed")
}

#[tokio::test]
async fn the_provider_document_gives_its_imap_servers_in_order() {
    let pki = pki();
    let server = serve(&pki, Reply::xml(DOCUMENT), Reply::not_found()).await;
    let attempts = lookup(
        DOMAIN,
        ADDRESS,
        &options(&pki, &server, Duration::from_secs(5)),
    )
    .await;
    let port = server.port();
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        attempts[0].url,
        format!("https://autoconfig.example.test:{port}{PROVIDER_PATH}")
    );
    assert_eq!(
        attempts[0].outcome,
        Ok(vec![
            ImapServer {
                host: "imap.example.test".into(),
                port: 993,
                security: Security::Tls
            },
            ImapServer {
                host: "mail.test".into(),
                port: 143,
                security: Security::Starttls
            },
        ])
    );
    assert_eq!(
        attempts[1].url,
        format!("https://example.test:{port}{WELL_KNOWN_PATH}")
    );
    assert_eq!(error(&attempts[1]), "HTTP 404 Not Found");
    let mut requests = server.requests.lock().unwrap().clone();
    requests.sort();
    assert_eq!(requests, [WELL_KNOWN_PATH, PROVIDER_PATH]);
}

#[tokio::test]
async fn the_well_known_document_is_found_when_the_provider_host_fails() {
    let pki = pki();
    let server = serve(
        &pki,
        Reply::Document {
            status: 500,
            content_type: "text/plain",
            body: b"oops".to_vec(),
        },
        Reply::xml(DOCUMENT),
    )
    .await;
    let attempts = lookup(
        DOMAIN,
        ADDRESS,
        &options(&pki, &server, Duration::from_secs(5)),
    )
    .await;
    assert_eq!(error(&attempts[0]), "HTTP 500 Internal Server Error");
    assert_eq!(attempts[1].outcome.as_ref().map(Vec::len), Ok(2));
}

#[tokio::test]
async fn an_html_page_is_not_xml() {
    let pki = pki();
    let html = Reply::Document {
        status: 200,
        content_type: "text/html",
        body: b"<!DOCTYPE html><html><body>Welcome to example.test</body></html>".to_vec(),
    };
    let server = serve(&pki, html.clone(), html).await;
    let attempts = lookup(
        DOMAIN,
        ADDRESS,
        &options(&pki, &server, Duration::from_secs(5)),
    )
    .await;
    for attempt in &attempts {
        assert!(
            error(attempt).starts_with("not XML (served as text/html): "),
            "{attempt:?}"
        );
    }
}

#[tokio::test]
async fn a_document_over_the_size_limit_is_refused() {
    let pki = pki();
    let oversize = Reply::Document {
        status: 200,
        content_type: "application/xml",
        body: vec![b' '; MAX_DOCUMENT + 1],
    };
    let server = serve(&pki, oversize, Reply::Endless).await;
    let attempts = lookup(
        DOMAIN,
        ADDRESS,
        &options(&pki, &server, Duration::from_secs(10)),
    )
    .await;
    // With a Content-Length, without one (an endless body read piece by piece).
    for attempt in &attempts {
        assert_eq!(error(attempt), "the document is larger than 256 KiB");
    }
    // The client hung up instead of reading on: the endless server could only fill the socket
    // buffers beyond what was read.
    let written = server
        .endless_written
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        written < 16 * 1024 * 1024,
        "the endless server wrote {written} bytes"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_given_up_after_the_timeout_for_both_at_once() {
    let pki = pki();
    let server = serve(&pki, Reply::Silent, Reply::Silent).await;
    let timeout = Duration::from_millis(800);
    let started = Instant::now();
    let attempts = lookup(DOMAIN, ADDRESS, &options(&pki, &server, timeout)).await;
    let elapsed = started.elapsed();
    for attempt in &attempts {
        assert_eq!(
            error(attempt),
            "no complete answer within 800 ms (the time limit)"
        );
        assert!(
            (780..3000).contains(&attempt.duration_ms),
            "{}",
            attempt.duration_ms
        );
    }
    // Both attempts ran at the same time: together they took one timeout, not two.
    assert!(
        elapsed < 2 * timeout - Duration::from_millis(100),
        "{elapsed:?}"
    );
    assert_eq!(server.requests.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_redirect_to_plain_http_is_refused_and_never_followed() {
    let pki = pki();
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    plain.set_nonblocking(true).unwrap();
    let to_http = format!(
        "http://127.0.0.1:{}/mail/config-v1.1.xml",
        plain.local_addr().unwrap().port()
    );
    let server = serve(&pki, Reply::Redirect(to_http.clone()), Reply::not_found()).await;
    let attempts = lookup(
        DOMAIN,
        ADDRESS,
        &options(&pki, &server, Duration::from_secs(5)),
    )
    .await;
    let why = error(&attempts[0]);
    assert!(
        why.starts_with(&format!(
            "redirect to {to_http} refused: only HTTPS is followed"
        )),
        "{why}"
    );
    assert!(
        plain.accept().is_err(),
        "the plain HTTP server was connected to"
    );
}

#[tokio::test]
async fn https_redirects_are_followed_but_not_forever() {
    let pki = pki();
    let server = HttpsServer::start(&pki.leaf, |target| match target {
        PROVIDER_PATH => Reply::Redirect("/moved/config-v1.1.xml".into()),
        "/moved/config-v1.1.xml" => Reply::xml(DOCUMENT),
        WELL_KNOWN_PATH => Reply::Redirect(WELL_KNOWN_PATH.into()),
        _ => Reply::not_found(),
    })
    .await;
    let attempts = lookup(
        DOMAIN,
        ADDRESS,
        &options(&pki, &server, Duration::from_secs(5)),
    )
    .await;
    assert_eq!(attempts[0].outcome.as_ref().map(Vec::len), Ok(2));
    let why = error(&attempts[1]);
    assert_eq!(why, "more than 5 redirects");
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused() {
    let pki = pki();
    let server = serve(&pki, Reply::xml(DOCUMENT), Reply::xml(DOCUMENT)).await;
    let mut options = options(&pki, &server, Duration::from_secs(5));
    options.extra_roots.clear();
    let attempts = lookup(DOMAIN, ADDRESS, &options).await;
    for attempt in &attempts {
        let why = error(attempt);
        assert!(
            why.starts_with("could not connect") && why.contains("certificate"),
            "{why}"
        );
    }
    assert!(
        server.requests.lock().unwrap().is_empty(),
        "a request was sent"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    let ca = TestCa::new("imapdoctor autoconfig test CA");
    let leaf = ca.issue(&LeafSpec::valid_for(["mail.test"]));
    let pki = Pki { ca, leaf };
    let server = serve(&pki, Reply::xml(DOCUMENT), Reply::xml(DOCUMENT)).await;
    let attempts = lookup(
        DOMAIN,
        ADDRESS,
        &options(&pki, &server, Duration::from_secs(5)),
    )
    .await;
    for attempt in &attempts {
        let why = error(attempt);
        assert!(why.contains("certificate"), "{why}");
    }
}

#[tokio::test]
async fn an_invalid_domain_asks_nothing() {
    let attempts = lookup("exa mple.test", ADDRESS, &AutoconfigOptions::default()).await;
    assert_eq!(attempts.len(), 2);
    for attempt in &attempts {
        assert!(error(attempt).starts_with("no URL to ask: "), "{attempt:?}");
        assert!(attempt.duration_ms < 1000);
    }
}
