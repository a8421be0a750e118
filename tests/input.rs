//! The user's own input is not the world's fault: invalid host names, a `--ca-file` without a
//! usable certificate and an empty password are usage errors (exit 2, naming what is wrong) before
//! any network activity; internationalised names reach DNS and TLS in their A-label form.

mod support;

use assert_cmd::Command;
use support::scripted::*;

/// What a usage-error run produced.
struct Refused {
    stderr: String,
}

/// Runs the binary (clean environment, JSON, no control probe) and asserts a usage error: exit 2,
/// no report on stdout (so no check ran, DNS included) but the usage-error document with the
/// message of the one `imapdoctor:` line on stderr.
fn refused(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Refused {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    cmd.env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["--json", "--no-control", "--timeout", "2"])
        .args(args)
        .write_stdin(stdin)
        .timeout(Duration::from_secs(20));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("running imapdoctor");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(2),
        "args {args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let document: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    support::schema::assert_conforms(&document);
    assert!(
        document.get("checks").is_none(),
        "a report was written (checks ran):\n{stdout}"
    );
    assert!(stderr.starts_with("imapdoctor: "), "{stderr}");
    assert_eq!(document["schema_version"], 1, "{stdout}");
    assert_eq!(document["error"]["code"], "usage", "{stdout}");
    assert_eq!(
        document["error"]["message"].as_str(),
        Some(stderr["imapdoctor: ".len()..].trim_end()),
        "{stdout}"
    );
    assert!(!stderr.contains(CANARY), "secret in stderr: {stderr}");
    Refused { stderr }
}

impl Refused {
    fn says(&self, words: &str) -> &Self {
        assert!(
            self.stderr.contains(words),
            "expected {words:?} in:\n{}",
            self.stderr
        );
        self
    }
}

#[test]
fn invalid_host_names_are_usage_errors() {
    let label64 = format!("{}.example", "a".repeat(64));
    let name254 = vec!["abcdefghi"; 25].join(".") + ".abcd";
    assert_eq!(name254.len(), 254);
    for (target, why) in [
        ("mail example.com", "space"),
        ("\"mail.example.com\"", "quote"),
        ("'mail.example.com'", "quote"),
        ("mail..example.com", "empty label"),
        (".mail.example.com", "empty label"),
        ("imaps://mail.example.com..:993", "empty label"),
        ("host:993:1", "more than one ':'"),
        ("mail.exa%mple.com", "'%' is not allowed"),
        ("imaps://-mail.example.com", "starts or ends with '-'"),
        ("192.168.1.300", "not a valid IP address"),
        (label64.as_str(), "at most 63"),
        (name254.as_str(), "at most 253"),
        ("[mail.example.com]:993", "brackets are only for IPv6"),
    ] {
        refused(&[target], &[], "")
            .says("cannot understand target")
            .says(why);
    }
}

#[test]
fn invalid_hosts_in_resolve_and_control_are_usage_errors() {
    refused(&["--resolve", "a..b:993:127.0.0.1", "127.0.0.1:1"], &[], "")
        .says("--resolve \"a..b:993:127.0.0.1\"")
        .says("empty label");
    // --control conflicts with --no-control, so run this one without it.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    let output = cmd
        .env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .args(["--control", "bad host:993", "127.0.0.1:1"])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("--control \"bad host:993\""), "{stderr}");
    assert!(stderr.contains("space"), "{stderr}");
}

#[test]
fn underscores_and_ip_literals_are_accepted() {
    // Accepted names get as far as the network: a closed loopback port (exit 11, not 2).
    let port = closed_port().to_string();
    for target in ["127.0.0.1", "[::1]"] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
        let output = cmd
            .env_clear()
            .env("IMAPDOCTOR_CONFIG", "")
            .args(["--json", "--no-control", "--port", &port, target])
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        assert_ne!(output.status.code(), Some(2), "{target}");
    }
    let resolve = format!("exchange_01.corp.test:{port}:127.0.0.1");
    let target = format!("exchange_01.corp.test:{port}");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    let output = cmd
        .env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .args(["--json", "--no-control", "--resolve", &resolve, &target])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(11),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A connectivity check of `target` through `--resolve resolve` against a server whose
/// certificate is for the A-label name only.
async fn idn_run(resolve_host: &str, target_host: &str, json: bool) -> Run {
    let ca = TestCa::new("t");
    let cert = ca.issue(&LeafSpec::valid_for(["xn--bcher-kva.example"]));
    let f = Fixture::start(tls_script(&cert), &ca).await;
    let port = f.server.port();
    let resolve = format!("{resolve_host}:{port}:127.0.0.1");
    let target = format!("{target_host}:{port}");
    let format = if json { "--json" } else { "--no-color" };
    let ca_path = f.ca();
    run(
        &[
            format,
            "--no-control",
            "--ca-file",
            &ca_path,
            "--resolve",
            &resolve,
            &target,
        ],
        &[],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn internationalised_names_use_a_labels_for_dns_and_tls() {
    for (resolve, target) in [
        ("xn--bcher-kva.example", "bücher.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "bücher.example"),
    ] {
        let run = idn_run(resolve, target, true).await;
        assert_eq!(run.code, 0, "{resolve} / {target}:\n{}", run.stdout);
        let report = run.json.as_ref().unwrap();
        assert_eq!(report["target"]["host"], "xn--bcher-kva.example");
        assert_eq!(report["target"]["host_unicode"], "bücher.example");
        assert_eq!(run.check("dns")["details"]["source"], "override");
        let tls = &run.check("tls")["details"];
        assert_eq!(tls["server_name"], "xn--bcher-kva.example");
        assert_eq!(tls["verification"]["verified"], true, "{}", run.stdout);
        assert_eq!(run.status("tls"), "pass");
        assert_eq!(run.verdict("code"), "ok");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn internationalised_names_are_shown_in_both_forms() {
    let run = idn_run("bücher.example", "bücher.example", false).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let header = run.stdout.lines().next().unwrap();
    assert!(
        header.contains("bücher.example:") && header.contains("(xn--bcher-kva.example; "),
        "{header}"
    );
    assert!(
        run.stdout
            .contains("bücher.example (xn--bcher-kva.example) → 127.0.0.1"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_ascii_names_have_no_unicode_form() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let run = f.run_with(&["--json"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.json.as_ref().unwrap()["target"]
            .get("host_unicode")
            .is_none()
    );
}

/// `--ca-file` holding `contents` against a live server: exit 2 naming the file, no connection.
async fn ca_file_refused(contents: &[u8], why: &str) {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), contents).unwrap();
    let path = file.path().display().to_string();
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let (p, t) = (path.clone(), target);
    let refused =
        tokio::task::spawn_blocking(move || refused(&["--ca-file", &p, &t], &[], "").stderr)
            .await
            .unwrap();
    assert!(
        refused.contains(&format!("--ca-file {path}: ")),
        "{refused}"
    );
    assert!(refused.contains(why), "expected {why:?} in {refused}");
    assert!(!refused.contains("trust store"), "{refused}");
    assert_eq!(f.server.accepted(), 0, "connected despite the usage error");
}

#[tokio::test(flavor = "multi_thread")]
async fn ca_file_without_a_usable_certificate_is_a_usage_error() {
    ca_file_refused(b"", "the file is empty").await;
    ca_file_refused(b"not a certificate\n", "no PEM certificate").await;
    let key_only = leaf(&TestCa::new("t")).key_pem;
    ca_file_refused(key_only.as_bytes(), "private key but no certificate").await;
    // A DER certificate (not PEM).
    let der = TestCa::new("t").cert_der.to_vec();
    ca_file_refused(&der, "no PEM certificate").await;
    // PEM armour around bytes that are not a certificate.
    let junk = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQsIG5vdCBhIGNlcnRpZmljYXRl\n-----END CERTIFICATE-----\n";
    ca_file_refused(junk.as_bytes(), "not a valid X.509 certificate").await;
    // One good certificate and one broken one: the verifier would refuse the whole file.
    let good = TestCa::new("t").cert_pem;
    ca_file_refused(
        format!("{good}{junk}").as_bytes(),
        "certificate 2 of 2 is not a valid X.509 certificate",
    )
    .await;
}

#[test]
fn missing_ca_file_is_a_usage_error() {
    refused(
        &["--ca-file", "/nonexistent/ca.pem", "127.0.0.1:1"],
        &[],
        "",
    )
    .says("--ca-file /nonexistent/ca.pem: ");
}

/// A line break cannot travel in an IMAP command: sent, it would end the command early (today's
/// failure: a `--mailbox` with CRLF checked INBOX and passed). NUL cannot reach argv at all; the
/// unit tests of `config::sendable` cover it.
#[tokio::test(flavor = "multi_thread")]
async fn line_breaks_in_user_or_mailbox_are_usage_errors() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let user_crlf = format!("{USER}\r\nA1 LOGOUT");
    tokio::task::spawn_blocking(move || {
        let password = [("IMAPDOCTOR_PASSWORD", CANARY)];
        for (option, value, what) in [
            (
                "--mailbox",
                "INBOX\r\nA9 DELETE INBOX",
                "a carriage return (CR)",
            ),
            ("--mailbox", "INBOX\n", "a line feed (LF)"),
            ("--mailbox", "\rINBOX", "a carriage return (CR)"),
            ("--user", user_crlf.as_str(), "a carriage return (CR)"),
            ("--user", "alice\n", "a line feed (LF)"),
        ] {
            refused(&["--user", USER, option, value, &target], &password, "")
                .says(&format!("{option} contains {what}"));
        }
    })
    .await
    .unwrap();
    assert_eq!(f.server.accepted(), 0, "connected despite the usage error");
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_passwords_are_usage_errors() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let t = target.clone();
    tokio::task::spawn_blocking(move || {
        refused(&["--user", USER, &t], &[("IMAPDOCTOR_PASSWORD", "")], "")
            .says("empty password")
            .says("IMAPDOCTOR_PASSWORD is set but empty");
        refused(&["--user", USER, "--password-stdin", &t], &[], "\n")
            .says("empty password")
            .says("standard input");
        refused(&["--user", USER, "--password-stdin", &t], &[], "\r\nx\n").says("empty password");
        // stdin wins over the environment, and an empty line there is not skipped.
        refused(
            &["--user", USER, "--password-stdin", &t],
            &[("IMAPDOCTOR_PASSWORD", CANARY)],
            "\n",
        )
        .says("empty password");
        // An empty token (a failed `$(get-token)`) does not quietly fall back to the password.
        for token in ["", "  "] {
            refused(
                &["--user", USER, &t],
                &[
                    ("IMAPDOCTOR_OAUTH_TOKEN", token),
                    ("IMAPDOCTOR_PASSWORD", CANARY),
                ],
                "",
            )
            .says("IMAPDOCTOR_OAUTH_TOKEN is set but empty");
        }
    })
    .await
    .unwrap();
    assert_eq!(f.server.accepted(), 0, "connected despite the usage error");
}

/// Enter at the no-echo prompt: the binary runs on a pseudo-terminal as its controlling terminal.
#[cfg(target_os = "linux")]
#[test]
fn empty_password_at_the_prompt_is_a_usage_error() {
    let target = format!("imaps://127.0.0.1:{}", closed_port());
    let mut terminal = support::pty::OnTerminal::spawn(&["--no-control", "--user", USER, &target]);
    terminal.wait_for_prompt();
    terminal.type_keys(b"\r");
    let support::pty::Ended {
        status,
        stdout,
        stderr,
    } = terminal.ended();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("empty password"), "{stderr}");
    assert!(stderr.contains("prompt"), "{stderr}");
}

/// `--password-stdin` with nothing piped (stdin is the terminal): the password is asked with the
/// echo off, never shown as typed, and is the one sent (the scripted server accepts only it).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_stdin_on_a_terminal_asks_without_echo() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let ca_path = f.ca();
    let (ended, screen) = tokio::task::spawn_blocking(move || {
        let args = [
            "--json",
            "--no-control",
            "--timeout",
            "5",
            "--ca-file",
            &ca_path,
            "--user",
            USER,
            "--password-stdin",
            &target,
        ];
        let mut terminal = support::pty::OnTerminal::spawn(&args);
        terminal.wait_for_prompt();
        terminal.wait_for_echo_off();
        terminal.type_keys(format!("{CANARY}\r").as_bytes());
        let ended = terminal.ended();
        let screen = terminal.final_screen();
        (ended, screen)
    })
    .await
    .unwrap();
    let why = format!(
        "stdout:\n{}\nstderr:\n{}\nterminal:\n{screen}",
        ended.stdout, ended.stderr
    );
    assert_eq!(ended.status.code(), Some(0), "{why}");
    assert!(!screen.contains(CANARY), "the password was echoed; {why}");
    assert!(!ended.stdout.contains(CANARY), "{why}");
    assert!(!ended.stderr.contains(CANARY), "{why}");
    let report: serde_json::Value = serde_json::from_str(&ended.stdout).expect("a JSON report");
    support::schema::assert_conforms(&report);
    assert_eq!(report["verdict"]["code"], "ok", "{why}");
}
