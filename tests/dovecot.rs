//! Integration tests against a real Dovecot (see `support/dovecot.rs`): first a self-test of the
//! harness with plain sockets, then the `imapdoctor` binary end to end.
//!
//! Without Dovecot installed every test here passes after printing "skipped: dovecot not
//! installed"; set IMAPDOCTOR_REQUIRE_DOVECOT=1 (CI) to make that a failure.

#![cfg(unix)]

mod support;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use support::cli::{CHECK_IDS, Imapdoctor};
use support::dovecot::{
    CANARY_PASSWORD, Dovecot, INBOX_MESSAGES, QUOTER_PASSWORD, QUOTER_USER, SPECIAL_MAILBOXES, USER,
};
use support::imap_session::login_literal;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

// ---------------------------------------------------------------------------------------------
// The harness itself, with plain sockets.

/// One line from the server (bounded wait).
async fn read_line<S: AsyncRead + AsyncWrite + Unpin>(io: &mut BufReader<S>) -> String {
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), io.read_line(&mut line))
        .await
        .expect("the server did not answer within 10 s")
        .expect("reading from the server");
    assert!(!line.is_empty(), "the server closed the connection");
    line
}

/// Sends `<tag> <command>\r\n`; returns the untagged lines and the tagged completion.
async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    tag: &str,
    command: &[u8],
) -> (Vec<String>, String) {
    let mut bytes = format!("{tag} ").into_bytes();
    bytes.extend_from_slice(command);
    bytes.extend_from_slice(b"\r\n");
    io.get_mut().write_all(&bytes).await.unwrap();
    let mut untagged = Vec::new();
    loop {
        let line = read_line(io).await;
        if line.starts_with(&format!("{tag} ")) {
            return (untagged, line);
        }
        untagged.push(line);
    }
}

/// A TLS connector trusting only the CA in `dc.ca_file`.
fn connector(dc: &Dovecot) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&dc.ca_file).expect("reading ca_file") {
        roots.add(cert.expect("a PEM certificate")).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn harness_serves_imaps_and_starttls() {
    let started = Instant::now();
    let Some(dc) = Dovecot::start() else { return };
    eprintln!("dovecot ready in {:?}", started.elapsed());
    let tls = connector(&dc);
    let server_name = ServerName::from(dc.host);

    // The STARTTLS port: a plaintext greeting offering STARTTLS and (like real servers) refusing
    // plaintext LOGIN until then.
    let tcp = TcpStream::connect((dc.host, dc.imap_port)).await.unwrap();
    let mut plain = BufReader::new(tcp);
    let greeting = read_line(&mut plain).await;
    assert!(greeting.starts_with("* OK [CAPABILITY "), "{greeting}");
    assert!(greeting.contains(" STARTTLS"), "{greeting}");
    assert!(greeting.contains(&dc.greeting), "{greeting}");
    if dc.login_disabled_before_tls {
        assert!(greeting.contains(" LOGINDISABLED"), "{greeting}");
        assert!(!greeting.contains("AUTH=PLAIN"), "{greeting}");
    } else {
        eprintln!("note: loopback fallback, Dovecot treats the connection as secured");
    }
    let (_, done) = command(&mut plain, "a", b"STARTTLS").await;
    assert!(done.starts_with("a OK"), "{done}");
    assert!(
        plain.buffer().is_empty(),
        "nothing may follow the STARTTLS reply"
    );
    let upgraded = tls
        .connect(server_name.clone(), plain.into_inner())
        .await
        .expect("STARTTLS handshake trusting only the test CA");
    let mut starttls = BufReader::new(upgraded);
    let (untagged, done) = command(&mut starttls, "b", b"CAPABILITY").await;
    assert!(done.starts_with("b OK"), "{done}");
    let capability = untagged.concat();
    assert!(capability.contains("AUTH=PLAIN"), "{capability}");
    assert!(!capability.contains("LOGINDISABLED"), "{capability}");
    assert!(!capability.contains("STARTTLS"), "{capability}");
    let plain_blob =
        base64::engine::general_purpose::STANDARD.encode(format!("\0{}\0{}", dc.user, dc.password));
    let (_, done) = command(
        &mut starttls,
        "c",
        format!("AUTHENTICATE PLAIN {plain_blob}").as_bytes(),
    )
    .await;
    assert!(done.starts_with("c OK"), "{done}\n{}", dc.log());
    command(&mut starttls, "d", b"LOGOUT").await;

    // The imaps port: TLS first, then the greeting.
    let connect_tls = || async {
        let tcp = TcpStream::connect((dc.host, dc.imaps_port)).await.unwrap();
        let stream = tls
            .connect(server_name.clone(), tcp)
            .await
            .expect("implicit TLS handshake trusting only the test CA");
        let mut io = BufReader::new(stream);
        let greeting = read_line(&mut io).await;
        assert!(greeting.starts_with("* OK"), "{greeting}");
        assert!(!greeting.contains("LOGINDISABLED"), "{greeting}");
        io
    };

    let mut imaps = connect_tls().await;
    let (_, done) = command(&mut imaps, "a", &login_literal(&dc.user, &dc.password)).await;
    assert!(done.starts_with("a OK"), "{done}\n{}", dc.log());
    let (list, done) = command(&mut imaps, "b", b"LIST \"\" \"*\"").await;
    assert!(done.starts_with("b OK"), "{done}");
    assert!(
        list.iter().any(|l| l.contains("INBOX")),
        "LIST lacks INBOX: {list:?}"
    );
    for (name, flag) in SPECIAL_MAILBOXES {
        assert!(
            list.iter()
                .any(|l| l.contains(flag) && l.trim_end().ends_with(&format!(" {name}"))),
            "LIST lacks {name} with {flag}: {list:?}"
        );
    }
    let (select, done) = command(&mut imaps, "c", b"SELECT INBOX").await;
    assert!(done.starts_with("c OK"), "{done}");
    let exists = format!("* {INBOX_MESSAGES} EXISTS");
    assert!(select.iter().any(|l| l.starts_with(&exists)), "{select:?}");
    command(&mut imaps, "d", b"LOGOUT").await;

    // The quoting account, with a quoted string.
    let mut imaps = connect_tls().await;
    let quoted = dc
        .quoter_password
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    let login = format!("LOGIN {} \"{quoted}\"", dc.quoter_user);
    let (_, done) = command(&mut imaps, "a", login.as_bytes()).await;
    assert!(done.starts_with("a OK"), "{done}\n{}", dc.log());

    // A wrong password fails fast (auth_failure_delay = 0s: answered on Dovecot's 0.5 s tick).
    let mut imaps = connect_tls().await;
    let asked = Instant::now();
    let (_, done) = command(&mut imaps, "a", &login_literal(&dc.user, WRONG_PASSWORD)).await;
    assert!(done.starts_with("a NO"), "{done}");
    assert!(
        asked.elapsed() < Duration::from_millis(1500),
        "{:?}",
        asked.elapsed()
    );

    // A clean configuration: nothing worse than Info in Dovecot's log.
    let log = dc.log();
    eprintln!("--- dovecot.log ---\n{log}");
    for level in [": Warning: ", ": Error: ", ": Fatal: ", ": Panic: "] {
        assert!(!log.contains(level), "dovecot logged{level}\n{log}");
    }
}

#[test]
fn harness_instances_are_independent() {
    let Some(a) = Dovecot::start() else { return };
    let Some(b) = Dovecot::start() else { return };
    assert_ne!(a.imaps_port, b.imaps_port);
    assert_ne!(a.imap_port, b.imap_port);
    assert_ne!(a.dir(), b.dir());
    let dir = a.dir().to_path_buf();
    let stopping = Instant::now();
    drop(a);
    eprintln!("dovecot stopped in {:?}", stopping.elapsed());
    assert!(!dir.exists(), "the temp dir is removed on drop");
    // b still serves.
    let stream = std::net::TcpStream::connect((b.host, b.imap_port)).unwrap();
    let mut greeting = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stream), &mut greeting).unwrap();
    assert!(greeting.contains(&b.greeting), "{greeting}");
}

// ---------------------------------------------------------------------------------------------
// The binary, end to end.

/// A wrong password that is a canary too.
const WRONG_PASSWORD: &str = "Wrong-canary-3e1fd2-pässword";

/// Registers every test password as a secret that must not leak, in any form.
fn secrets(doctor: Imapdoctor) -> Imapdoctor {
    doctor
        .secret(USER, CANARY_PASSWORD, "7f3a9c")
        .secret(QUOTER_USER, QUOTER_PASSWORD, "9d2b41e7")
        .secret(USER, WRONG_PASSWORD, "3e1fd2")
}

/// `imapdoctor <args> --user <user> --ca-file <test CA> <url>`, every test password a secret
/// that must not leak, Dovecot's log in the explanation.
fn doctor<'a>(dc: &'a Dovecot, args: &[&str], user: &str, url: &str) -> Imapdoctor<'a> {
    let ca = dc.ca_file.to_str().expect("a UTF-8 temp path");
    let args = [args, &["--user", user, "--ca-file", ca, url]].concat();
    secrets(Imapdoctor::new(&args)).context(|| format!("--- dovecot.log ---\n{}", dc.log()))
}

#[test]
fn implicit_tls_all_checks_pass() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let run = doctor(&dc, &["--json"], &dc.user, &url)
        .password(&dc.password)
        .run();
    run.assert_all_pass();
    let report = run.report();
    let why = run.explain();
    assert_eq!(report["schema_version"], 1, "{why}");
    assert_eq!(report["tool"]["name"], "imapdoctor", "{why}");
    assert_eq!(report["target"]["input"], url.as_str(), "{why}");
    assert_eq!(report["target"]["host"], dc.host.to_string(), "{why}");
    assert_eq!(report["target"]["port"], dc.imaps_port, "{why}");
    assert_eq!(report["target"]["security"], "tls", "{why}");
    assert_eq!(report["target"]["user"], dc.user.as_str(), "{why}");
    assert!(report.get("transcript").is_none_or(Value::is_null), "{why}");
}

#[test]
fn starttls_all_checks_pass() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imap_url();
    let run = doctor(&dc, &["--json"], &dc.user, &url)
        .password(&dc.password)
        .run();
    run.assert_all_pass();
    let why = run.explain();
    assert_eq!(run.report()["target"]["security"], "starttls", "{why}");
    assert_eq!(run.report()["target"]["port"], dc.imap_port, "{why}");
    assert_eq!(run.check("capability")["status"], "pass", "{why}");
}

#[test]
fn authenticate_plain_forced() {
    let Some(dc) = Dovecot::start() else { return };
    let args = ["--json", "--auth", "plain"];
    let invocation = doctor(&dc, &args, &dc.user, &dc.imaps_url());
    invocation.password(&dc.password).run().assert_all_pass();
}

#[test]
fn login_command_forced() {
    let Some(dc) = Dovecot::start() else { return };
    let args = ["--json", "--auth", "login"];
    let invocation = doctor(&dc, &args, &dc.user, &dc.imaps_url());
    invocation.password(&dc.password).run().assert_all_pass();
}

#[test]
fn login_command_quotes_the_password() {
    let Some(dc) = Dovecot::start() else { return };
    let args = ["--json", "-v", "--auth", "login"];
    let invocation = doctor(&dc, &args, &dc.quoter_user, &dc.imaps_url());
    invocation
        .password(&dc.quoter_password)
        .run()
        .assert_all_pass();
}

#[test]
fn wrong_password_is_an_account_fault() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let run = doctor(&dc, &["--json", "-v"], &dc.user, &url)
        .password(WRONG_PASSWORD)
        .run();
    let why = run.explain();
    assert_eq!(run.code, 14, "{why}");
    assert_eq!(run.verdict("fault"), "account", "{why}");
    let expected = ["pass", "pass", "pass", "pass", "fail", "skip"];
    let expected: Vec<(String, String)> = CHECK_IDS
        .iter()
        .zip(expected)
        .map(|(id, status)| (id.to_string(), status.to_string()))
        .collect();
    assert_eq!(run.statuses(), expected, "{why}");
}

#[test]
fn missing_mailbox_fails_folders() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let args = ["--json", "--mailbox", "NoSuchBox"];
    let run = doctor(&dc, &args, &dc.user, &url)
        .password(&dc.password)
        .run();
    let why = run.explain();
    assert_eq!(run.code, 15, "{why}");
    assert_eq!(run.check("auth")["status"], "pass", "{why}");
    assert_eq!(run.check("folders")["status"], "fail", "{why}");
    assert_ne!(run.verdict("fault"), "none", "{why}");
}

#[test]
fn nothing_listening_fails_tcp() {
    // No Dovecot needed: a port that was free a moment ago.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("imaps://127.0.0.1:{port}");
    let run = secrets(Imapdoctor::new(&["--json", &url])).run();
    let why = run.explain();
    assert_eq!(run.code, 11, "{why}");
    assert_eq!(run.check("tcp")["status"], "fail", "{why}");
    assert_ne!(run.verdict("fault"), "none", "{why}");
}

#[test]
fn verbose_human_report_does_not_leak_the_password() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imap_url();
    for auth in ["login", "plain"] {
        // `run` asserts that no canary appears in stdout or stderr.
        let run = doctor(&dc, &["-v", "--auth", auth], &dc.user, &url)
            .password(&dc.password)
            .run();
        let why = run.explain();
        assert_eq!(run.code, 0, "{why}");
        assert!(!run.stdout.trim().is_empty(), "{why}");
    }
}

#[test]
fn verbose_json_transcript_redacts_the_login() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let args = ["--json", "-v", "--auth", "login"];
    let run = doctor(&dc, &args, &dc.user, &url)
        .password(&dc.password)
        .run();
    run.assert_all_pass();
    let why = run.explain();
    let transcript = run.report()["transcript"]
        .as_array()
        .unwrap_or_else(|| panic!("-v --json has a transcript array\n{why}"));
    // What the client sent (entries are objects with `direction` and `text`; plain strings are
    // taken as they are).
    let sent: Vec<String> = transcript
        .iter()
        .filter(|entry| entry.get("direction").is_none_or(|d| d == "client"))
        .map(|entry| match entry.get("text").unwrap_or(entry) {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect();
    let login = sent
        .iter()
        .position(|text| text.contains(" LOGIN "))
        .unwrap_or_else(|| panic!("no LOGIN command in the transcript\n{why}"));
    // The password is either inline (`a1 LOGIN user ***`) or in a literal sent as the next line.
    let redacted = sent[login..]
        .iter()
        .take(2)
        .any(|text| text.contains("***"));
    assert!(
        redacted,
        "LOGIN not redacted: {:?}\n{why}",
        &sent[login..(login + 2).min(sent.len())]
    );
}

#[test]
fn password_from_stdin() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let invocation = doctor(&dc, &["--json"], &dc.user, &url);
    invocation
        .password_stdin(&dc.password)
        .run()
        .assert_all_pass();
}
