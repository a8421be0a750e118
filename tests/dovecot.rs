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

use assert_cmd::Command;
use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use support::dovecot::{
    CANARY_PASSWORD, Dovecot, INBOX_MESSAGES, QUOTER_PASSWORD, QUOTER_USER, SPECIAL_MAILBOXES, USER,
};
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

/// `LOGIN user {n+}\r\n<password>`: a non-synchronizing literal (LITERAL+), which carries any
/// password, 8-bit or with quotes, unchanged.
fn login_literal(user: &str, password: &str) -> Vec<u8> {
    let mut bytes = format!("LOGIN {user} {{{}+}}\r\n", password.len()).into_bytes();
    bytes.extend_from_slice(password.as_bytes());
    bytes
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

/// The checks, in report order.
const CHECK_IDS: [&str; 6] = ["dns", "tcp", "tls", "capability", "auth", "folders"];

/// (exit code, stdout, stderr, the JSON document if `--json` was passed and stdout parsed).
type Outcome = (i32, String, String, Option<Value>);

/// Runs `imapdoctor --no-control --no-color --timeout 10 <args>` in an empty environment (PATH
/// only, plus IMAPDOCTOR_PASSWORD when `password` is given), and checks that no canary password
/// appears in its output, in any form.
fn run(args: &[&str], password: Option<&str>) -> Outcome {
    execute(args, password, None)
}

/// As [`run`], with `--password-stdin` and the password on standard input.
fn run_stdin(args: &[&str], password: &str) -> Outcome {
    let args = [&["--password-stdin"], args].concat();
    execute(&args, None, Some(format!("{password}\n")))
}

fn execute(args: &[&str], env_password: Option<&str>, stdin: Option<String>) -> Outcome {
    // The path cargo compiled in (unlike `Command::cargo_bin`, this also works when the test
    // binary is run directly, e.g. as another user).
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["--no-control", "--no-color", "--timeout", "10"])
        .args(args)
        .write_stdin(stdin.unwrap_or_default())
        .timeout(Duration::from_secs(60));
    if let Some(password) = env_password {
        cmd.env("IMAPDOCTOR_PASSWORD", password);
    }
    let output = cmd.output().expect("running imapdoctor");
    let code = output.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    for needle in leak_needles() {
        assert!(
            !stdout.contains(&needle) && !stderr.contains(&needle),
            "secret {needle:?} leaked (args {args:?})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        );
    }
    let json = args
        .contains(&"--json")
        .then(|| serde_json::from_str(&stdout).ok())
        .flatten();
    (code, stdout, stderr, json)
}

/// Every form in which a test password could leak: verbatim, base64 (AUTHENTICATE LOGIN), the
/// AUTHENTICATE PLAIN blob, and each canary's distinctive core, which survives any quoting or
/// escaping (`\"`, `\u00e4`, percent-encoding).
fn leak_needles() -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut needles = vec!["7f3a9c".to_string(), "9d2b41e7".into(), "3e1fd2".into()];
    for (user, password) in [
        (USER, CANARY_PASSWORD),
        (QUOTER_USER, QUOTER_PASSWORD),
        (USER, WRONG_PASSWORD),
    ] {
        needles.push(password.to_string());
        needles.push(b64(password));
        needles.push(b64(&format!("\0{user}\0{password}")));
    }
    needles
}

/// The outcome, for assertion messages.
fn explain(outcome: &Outcome, dc: Option<&Dovecot>) -> String {
    let (code, stdout, stderr, _) = outcome;
    let log = dc.map(Dovecot::log).unwrap_or_default();
    format!(
        "exit {code}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n--- dovecot.log ---\n{log}"
    )
}

/// The JSON report, or a panic explaining why there is none.
fn report<'a>(outcome: &'a Outcome, dc: Option<&Dovecot>) -> &'a Value {
    outcome
        .3
        .as_ref()
        .unwrap_or_else(|| panic!("no JSON report on stdout\n{}", explain(outcome, dc)))
}

/// (id, status) of each check, in order.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .expect("checks is an array")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_string(),
                c["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The check with this id.
fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no {id} check in {report:#}"))
}

/// Exit 0, the six checks in order, all passing, fault none.
fn assert_all_pass(outcome: &Outcome, dc: &Dovecot) {
    let why = explain(outcome, Some(dc));
    assert_eq!(outcome.0, 0, "{why}");
    let report = report(outcome, Some(dc));
    let expected: Vec<(String, String)> = CHECK_IDS
        .iter()
        .map(|id| (id.to_string(), "pass".to_string()))
        .collect();
    assert_eq!(statuses(report), expected, "{why}");
    assert_eq!(report["verdict"]["fault"], "none", "{why}");
}

/// The `--ca-file` argument.
fn ca(dc: &Dovecot) -> &str {
    dc.ca_file.to_str().expect("a UTF-8 temp path")
}

#[test]
fn implicit_tls_all_checks_pass() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let args = ["--json", "--user", &dc.user, "--ca-file", ca(&dc), &url];
    let outcome = run(&args, Some(&dc.password));
    assert_all_pass(&outcome, &dc);
    let report = report(&outcome, Some(&dc));
    let why = explain(&outcome, Some(&dc));
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
    let args = ["--json", "--user", &dc.user, "--ca-file", ca(&dc), &url];
    let outcome = run(&args, Some(&dc.password));
    assert_all_pass(&outcome, &dc);
    let report = report(&outcome, Some(&dc));
    let why = explain(&outcome, Some(&dc));
    assert_eq!(report["target"]["security"], "starttls", "{why}");
    assert_eq!(report["target"]["port"], dc.imap_port, "{why}");
    assert_eq!(check(report, "capability")["status"], "pass", "{why}");
}

#[test]
fn authenticate_plain_forced() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let args = [
        "--json",
        "--auth",
        "plain",
        "--user",
        &dc.user,
        "--ca-file",
        ca(&dc),
        &url,
    ];
    assert_all_pass(&run(&args, Some(&dc.password)), &dc);
}

#[test]
fn login_command_forced() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let args = [
        "--json",
        "--auth",
        "login",
        "--user",
        &dc.user,
        "--ca-file",
        ca(&dc),
        &url,
    ];
    assert_all_pass(&run(&args, Some(&dc.password)), &dc);
}

#[test]
fn login_command_quotes_the_password() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let args = [
        "--json",
        "-v",
        "--auth",
        "login",
        "--user",
        &dc.quoter_user,
        "--ca-file",
        ca(&dc),
        &url,
    ];
    assert_all_pass(&run(&args, Some(&dc.quoter_password)), &dc);
}

#[test]
fn wrong_password_is_an_account_fault() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let args = [
        "--json",
        "-v",
        "--user",
        &dc.user,
        "--ca-file",
        ca(&dc),
        &url,
    ];
    let outcome = run(&args, Some(WRONG_PASSWORD));
    let why = explain(&outcome, Some(&dc));
    assert_eq!(outcome.0, 14, "{why}");
    let report = report(&outcome, Some(&dc));
    assert_eq!(report["verdict"]["fault"], "account", "{why}");
    let statuses = statuses(report);
    let expected = ["pass", "pass", "pass", "pass", "fail", "skip"];
    let expected: Vec<(String, String)> = CHECK_IDS
        .iter()
        .zip(expected)
        .map(|(id, status)| (id.to_string(), status.to_string()))
        .collect();
    assert_eq!(statuses, expected, "{why}");
}

#[test]
fn missing_mailbox_fails_folders() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let args = [
        "--json",
        "--mailbox",
        "NoSuchBox",
        "--user",
        &dc.user,
        "--ca-file",
        ca(&dc),
        &url,
    ];
    let outcome = run(&args, Some(&dc.password));
    let why = explain(&outcome, Some(&dc));
    assert_eq!(outcome.0, 15, "{why}");
    let report = report(&outcome, Some(&dc));
    assert_eq!(check(report, "auth")["status"], "pass", "{why}");
    assert_eq!(check(report, "folders")["status"], "fail", "{why}");
    assert_ne!(report["verdict"]["fault"], "none", "{why}");
}

#[test]
fn nothing_listening_fails_tcp() {
    // No Dovecot needed: a port that was free a moment ago.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("imaps://127.0.0.1:{port}");
    let outcome = run(&["--json", &url], None);
    let why = explain(&outcome, None);
    assert_eq!(outcome.0, 11, "{why}");
    let report = report(&outcome, None);
    assert_eq!(check(report, "tcp")["status"], "fail", "{why}");
    assert_ne!(report["verdict"]["fault"], "none", "{why}");
}

#[test]
fn verbose_human_report_does_not_leak_the_password() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imap_url();
    for auth in ["login", "plain"] {
        let args = [
            "-v",
            "--auth",
            auth,
            "--user",
            &dc.user,
            "--ca-file",
            ca(&dc),
            &url,
        ];
        // `run` asserts that no canary appears in stdout or stderr.
        let outcome = run(&args, Some(&dc.password));
        let why = explain(&outcome, Some(&dc));
        assert_eq!(outcome.0, 0, "{why}");
        assert!(!outcome.1.trim().is_empty(), "{why}");
    }
}

#[test]
fn verbose_json_transcript_redacts_the_login() {
    let Some(dc) = Dovecot::start() else { return };
    let url = dc.imaps_url();
    let args = [
        "--json",
        "-v",
        "--auth",
        "login",
        "--user",
        &dc.user,
        "--ca-file",
        ca(&dc),
        &url,
    ];
    let outcome = run(&args, Some(&dc.password));
    assert_all_pass(&outcome, &dc);
    let report = report(&outcome, Some(&dc));
    let why = explain(&outcome, Some(&dc));
    let transcript = report["transcript"]
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
    let args = ["--json", "--user", &dc.user, "--ca-file", ca(&dc), &url];
    assert_all_pass(&run_stdin(&args, &dc.password), &dc);
}
