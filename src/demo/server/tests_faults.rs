//! Fault tests: openings that misbehave, hostile input, hangs, shutdown, bad certificates.

use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::tests::{WAIT, connect, pki, tls_upgrade};
use super::*;
use crate::demo::pki::{LeafSpec, TestCa};

const QUIET: Duration = Duration::from_millis(300);

fn login_line() -> String {
    format!("LOGIN {DEMO_USER} \"{DEMO_PASSWORD}\"")
}

#[tokio::test]
async fn silent_opening_sends_nothing_and_stays_open() {
    let server = spawn(Script::default().with_opening(Opening::Silent))
        .await
        .unwrap();
    let mut c = connect(&server).await;
    assert!(c.stays_silent(QUIET).await);
    c.send(b"a NOOP\r\n").await;
    assert!(c.stays_silent(QUIET).await);
}

#[tokio::test]
async fn close_opening_closes() {
    let server = spawn(Script::default().with_opening(Opening::Close))
        .await
        .unwrap();
    let mut c = connect(&server).await;
    assert_eq!(c.try_line().await, None);
}

#[tokio::test]
async fn raw_opening_sends_bytes_then_silence() {
    let http = b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec();
    let server = spawn(Script::default().with_opening(Opening::Raw(http)))
        .await
        .unwrap();
    let mut c = connect(&server).await;
    assert_eq!(c.line().await, "HTTP/1.1 400 Bad Request");
    assert_eq!(c.line().await, "");
    assert!(c.stays_silent(QUIET).await);
}

#[tokio::test]
async fn endless_line_never_ends() {
    let server = spawn(Script::default().with_opening(Opening::EndlessLine))
        .await
        .unwrap();
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while got.len() < 256 * 1024 {
        let n = tokio::time::timeout(WAIT, tcp.read(&mut buf))
            .await
            .expect("data keeps coming")
            .unwrap();
        assert!(n > 0, "server closed");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.starts_with(b"* OK AAAA"));
    assert!(!got.contains(&b'\n'));
    drop(tcp);
    // The server notices the departure and the task ends; shutdown must not hang.
    tokio::time::timeout(WAIT, server.shutdown()).await.unwrap();
}

#[tokio::test]
async fn drip_sends_greeting_slowly_then_serves() {
    let line = "* OK drip".to_owned();
    let interval = Duration::from_millis(10);
    let script = Script::default().with_opening(Opening::Drip {
        line: line.clone(),
        interval,
    });
    let server = spawn(script).await.unwrap();
    let start = Instant::now();
    let mut c = connect(&server).await;
    assert_eq!(c.line().await, line);
    assert!(start.elapsed() >= interval * 9);
    assert_eq!(c.cmd("a", "NOOP").await, ["a OK NOOP completed."]);
}

#[tokio::test]
async fn bye_greeting_then_close() {
    let greeting = "* BYE Too many connections from your IP.".to_owned();
    let server = spawn(Script::default().with_opening(Opening::Greet(greeting.clone())))
        .await
        .unwrap();
    let mut c = connect(&server).await;
    assert_eq!(c.line().await, greeting);
    assert_eq!(c.try_line().await, None);
}

#[tokio::test]
async fn overlong_line_gets_bye() {
    let server = spawn(Script::default()).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    let long = vec![b'x'; MAX_LINE + 10];
    c.send(&long).await;
    assert_eq!(c.line().await, "* BYE line too long");
    assert!(c.closes().await);

    // The same with the CRLF in the same packet.
    let mut c = connect(&server).await;
    c.line().await;
    let mut long = b"a LOGIN ".to_vec();
    long.extend(vec![b'x'; MAX_LINE]);
    long.extend_from_slice(b"\r\n");
    c.send(&long).await;
    assert_eq!(c.line().await, "* BYE line too long");
    assert!(c.closes().await);
}

#[tokio::test]
async fn oversized_literals_are_refused() {
    let server = spawn(Script::default()).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    let lines = c.cmd("a", &format!("LOGIN {{{}}}", MAX_LITERAL + 1)).await;
    assert!(lines[0].starts_with("a BAD "), "{lines:?}");
    assert_eq!(c.cmd("b", "NOOP").await, ["b OK NOOP completed."]);
    c.send(b"c LOGIN {99999999+}\r\n").await;
    assert_eq!(c.line().await, "* BYE line too long");
    assert!(c.closes().await);
}

#[tokio::test]
async fn garbage_gets_bad_and_the_session_survives() {
    let server = spawn(Script::default()).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    c.send(b"\x00\xff\xfe garbage\r\n").await;
    assert!(c.line().await.starts_with("* BAD Error in IMAP command"));
    c.send(b"\r\n").await; // empty lines are ignored
    for (tag, junk) in [
        ("a", "LOGIN \"unterminated"),
        ("b", "LOGIN  two-spaces x"),
        ("c", "LOGIN {abc}"),
        ("d", "SELECT"),
        ("e", "LOGIN \"bad\\q\" x"),
        ("f", ""),
    ] {
        let lines = c.cmd(tag, junk).await;
        assert!(
            lines[0].starts_with(&format!("{tag} BAD ")),
            "{junk:?}: {lines:?}"
        );
    }
    c.send(b"\"quoted-tag\" NOOP\r\n+plus NOOP\r\n").await;
    assert!(c.line().await.starts_with("* BAD "));
    assert!(c.line().await.starts_with("* BAD "));
    assert_eq!(c.cmd("z", "NOOP").await, ["z OK NOOP completed."]);
}

#[tokio::test]
async fn hang_after_login() {
    let server = spawn(Script::default().with_after_login(AfterLogin::Hang))
        .await
        .unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    assert!(c.cmd("a", &login_line()).await[0].starts_with("a OK "));
    c.send(b"b LIST \"\" *\r\n").await;
    assert!(c.stays_silent(QUIET).await);
}

#[tokio::test]
async fn close_after_login() {
    let server = spawn(Script::default().with_after_login(AfterLogin::Close))
        .await
        .unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    assert!(c.cmd("a", &login_line()).await[0].starts_with("a OK "));
    assert_eq!(c.try_line().await, None);
}

#[tokio::test]
async fn login_delay_is_applied() {
    let script = Script {
        login_delay: Duration::from_millis(200),
        ..Script::default()
    };
    let server = spawn(script).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    let start = Instant::now();
    assert!(c.cmd("a", &login_line()).await[0].starts_with("a OK "));
    assert!(start.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn shutdown_closes_listener_and_connections() {
    let server = spawn(Script::default()).await.unwrap();
    let addr = server.addr();
    assert_eq!(server.port(), addr.port());
    let mut c = connect(&server).await;
    c.line().await;
    assert_eq!(server.accepted(), 1);
    tokio::time::timeout(WAIT, server.shutdown()).await.unwrap();
    assert!(c.closes().await);
    assert!(TcpStream::connect(addr).await.is_err());

    // Dropping the handle also stops everything.
    let server = spawn(Script::default().with_opening(Opening::Silent))
        .await
        .unwrap();
    let mut c = connect(&server).await;
    drop(server);
    assert!(c.closes().await);
}

#[tokio::test]
async fn spawn_on_uses_the_given_listener() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn_on(listener, Script::default()).await.unwrap();
    assert_eq!(server.addr(), addr);
    let mut c = connect(&server).await;
    assert!(c.line().await.starts_with("* OK "));
}

#[tokio::test]
async fn bad_certificates_fail_the_handshake_and_the_server_survives() {
    let (ca, _) = pki();
    let expired = ca.issue(&LeafSpec::expired(["localhost"]));
    let server = spawn(Script::healthy(Security::ImplicitTls(
        expired.server_config(),
    )))
    .await
    .unwrap();
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    assert!(tls_upgrade(&ca, tcp).await.is_err());

    let other = TestCa::new("someone else");
    let wrong_name = other.issue(&LeafSpec::valid_for(["mail.example.org"]));
    let server = spawn(Script::healthy(Security::StartTls(
        wrong_name.server_config(),
    )))
    .await
    .unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    assert_eq!(
        c.cmd("a", "STARTTLS").await,
        ["a OK Begin TLS negotiation now."]
    );
    assert!(tls_upgrade(&ca, c.io.into_inner()).await.is_err());
    // A later connection is served normally.
    let mut c = connect(&server).await;
    assert!(c.line().await.starts_with("* OK "));
}
