//! Faults no real server produces on demand, from scripted in-process servers: each scenario
//! asserts the failing check, the exit code, and the verdict's fault and code. Every scenario that
//! authenticates uses a canary password and asserts it appears nowhere in stdout or stderr.

use std::time::Duration;

use imapdoctor::demo::pki::{Leaf, LeafSpec, TestCa};
use imapdoctor::demo::server::{self, AfterLogin, Opening, Script, Security};
use serde_json::Value;

const USER: &str = "alice@example.test";
const CANARY: &str = "Canary-Pw-5c1e9d";
const TOKEN_CANARY: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.canary-token-77ab";

/// What one run of the binary produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    json: Option<Value>,
}

impl Run {
    fn verdict(&self, field: &str) -> &str {
        self.json.as_ref().unwrap()["verdict"][field]
            .as_str()
            .unwrap_or_default()
    }

    fn status(&self, id: &str) -> &str {
        self.check(id)["status"].as_str().unwrap()
    }

    fn check(&self, id: &str) -> &Value {
        let checks = self.json.as_ref().unwrap()["checks"].as_array().unwrap();
        checks.iter().find(|c| c["id"] == id).unwrap()
    }

    fn assert_no_secret(&self) {
        for secret in [CANARY, TOKEN_CANARY] {
            assert!(
                !self.stdout.contains(secret),
                "secret in stdout:\n{}",
                self.stdout
            );
            assert!(
                !self.stderr.contains(secret),
                "secret in stderr:\n{}",
                self.stderr
            );
        }
    }
}

/// Runs the binary in a clean environment (only PATH, plus `env`), bounded as a hang guard.
async fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("imapdoctor hung")
        .expect("run imapdoctor");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    Run {
        code: output.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout).ok(),
        stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A scripted server with its CA file on disk.
struct Fixture {
    server: server::ServerHandle,
    ca_file: tempfile::NamedTempFile,
}

impl Fixture {
    async fn start(script: Script, ca: &TestCa) -> Fixture {
        let ca_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca_file.path(), &ca.cert_pem).unwrap();
        Fixture {
            server: server::spawn(script).await.unwrap(),
            ca_file,
        }
    }

    fn ca(&self) -> String {
        self.ca_file.path().display().to_string()
    }

    /// Runs a check with the user and the canary password, as JSON.
    async fn check(&self, scheme: &str, extra: &[&str]) -> Run {
        let target = format!("{scheme}://127.0.0.1:{}", self.server.port());
        let ca = self.ca();
        let mut args = vec!["--json", "--timeout", "2", "--ca-file", &ca, "--user", USER];
        if !extra.contains(&"--control") {
            args.push("--no-control");
        }
        args.extend_from_slice(extra);
        args.push(&target);
        let run = run(&args, &[("IMAPDOCTOR_PASSWORD", CANARY)]).await;
        run.assert_no_secret();
        run
    }
}

fn leaf(ca: &TestCa) -> Leaf {
    ca.issue(&LeafSpec::valid_for(["127.0.0.1", "localhost"]))
}

fn tls_script(leaf: &Leaf) -> Script {
    Script::healthy(Security::ImplicitTls(leaf.server_config())).with_account(USER, CANARY)
}

/// Asserts exit code, failing check, fault and verdict code.
fn expect(run: &Run, exit: i32, failing: &str, fault: &str, code: &str) {
    assert_eq!(
        run.code, exit,
        "exit code; stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert_eq!(
        run.status(failing),
        "fail",
        "{failing} should fail:\n{}",
        run.stdout
    );
    assert_eq!(run.verdict("fault"), fault, "fault:\n{}", run.stdout);
    assert_eq!(run.verdict("code"), code, "code:\n{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn bye_greeting_is_the_servers_problem() {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet("* BYE Server overloaded, try later".into()));
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 13, "capability", "server", "capability.bye");
    assert!(
        run.check("capability")["summary"]
            .as_str()
            .unwrap()
            .contains("Server overloaded")
    );
    assert_eq!(run.status("auth"), "skip");
}

#[tokio::test(flavor = "multi_thread")]
async fn bye_greeting_with_unavailable_code() {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet("* BYE [UNAVAILABLE] Maintenance".into()));
    let f = Fixture::start(script, &ca).await;
    expect(
        &f.check("imaps", &[]).await,
        13,
        "capability",
        "server",
        "capability.unavailable",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_server_times_out_on_the_greeting() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_opening(Opening::Silent), &ca).await;
    let run = f.check("imaps", &["--timeout", "1"]).await;
    expect(&run, 13, "capability", "server", "capability.timeout");
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_instead_of_a_greeting_is_not_imap() {
    let ca = TestCa::new("t");
    let garbage = b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n".to_vec();
    let f = Fixture::start(
        tls_script(&leaf(&ca)).with_opening(Opening::Raw(garbage)),
        &ca,
    )
    .await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 13, "capability", "config", "capability.not_imap");
    assert!(
        run.check("capability")["summary"]
            .as_str()
            .unwrap()
            .contains("HTTP/1.1 400")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_greeting_is_cut_off() {
    let ca = TestCa::new("t");
    let f = Fixture::start(
        tls_script(&leaf(&ca)).with_opening(Opening::EndlessLine),
        &ca,
    )
    .await;
    expect(
        &f.check("imaps", &[]).await,
        13,
        "capability",
        "server",
        "capability.too_long",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dripping_greeting_ends_at_the_step_timeout() {
    let ca = TestCa::new("t");
    let drip = Opening::Drip {
        line: "* OK this greeting arrives one byte at a time".into(),
        interval: Duration::from_millis(300),
    };
    let f = Fixture::start(tls_script(&leaf(&ca)).with_opening(drip), &ca).await;
    let run = f.check("imaps", &["--timeout", "1"]).await;
    expect(&run, 13, "capability", "server", "capability.timeout");
    assert!(
        run.check("capability")["summary"]
            .as_str()
            .unwrap()
            .contains("never finished")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn close_right_after_connect() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_opening(Opening::Close), &ca).await;
    expect(
        &f.check("imaps", &[]).await,
        13,
        "capability",
        "server",
        "capability.closed",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_certificate() {
    let ca = TestCa::new("t");
    let expired = ca.issue(&LeafSpec::expired(["127.0.0.1"]));
    let f = Fixture::start(tls_script(&expired), &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "server", "tls.certificate_expired");
    let tls = &run.check("tls")["details"];
    assert_eq!(tls["verification"]["reason"], "expired");
    assert!(
        tls["chain"][0]["days_left"].as_i64().unwrap() < 0,
        "chain captured despite the failure"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn not_yet_valid_certificate() {
    let ca = TestCa::new("t");
    let early = ca.issue(&LeafSpec::not_yet_valid(["127.0.0.1"]));
    let f = Fixture::start(tls_script(&early), &ca).await;
    expect(
        &f.check("imaps", &[]).await,
        12,
        "tls",
        "server",
        "tls.certificate_not_yet_valid",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_host_certificate_suggests_the_certificates_name() {
    let ca = TestCa::new("t");
    let other = ca.issue(&LeafSpec::valid_for(["mail.example.net"]));
    let f = Fixture::start(tls_script(&other), &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "server", "tls.name_mismatch");
    let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(hints.contains("mail.example.net"), "{hints}");
}

#[tokio::test(flavor = "multi_thread")]
async fn self_signed_certificate() {
    let ca = TestCa::new("t");
    let own = Leaf::self_signed(&LeafSpec::valid_for(["127.0.0.1"]));
    let f = Fixture::start(tls_script(&own), &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "server", "tls.self_signed");
    assert_eq!(run.check("tls")["details"]["chain"][0]["self_issued"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_issuer_without_ca_file() {
    let ca = TestCa::new("Private Corp CA");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let run = run(&["--json", "--no-control", &target], &[]).await;
    expect(&run, 12, "tls", "server", "tls.unknown_issuer");
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_accepts_a_bad_certificate_but_warns() {
    let ca = TestCa::new("t");
    let own = Leaf::self_signed(&LeafSpec::valid_for(["127.0.0.1"]));
    let f = Fixture::start(tls_script(&own), &ca).await;
    let run = f.check("imaps", &["--insecure"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.status("tls"), "warn");
    assert_eq!(
        run.check("tls")["details"]["verification"]["insecure"],
        true
    );
    assert_eq!(run.verdict("code"), "ok.with_warnings");
}

#[tokio::test(flavor = "multi_thread")]
async fn certificate_expiring_soon_warns() {
    let ca = TestCa::new("t");
    let soon = ca.issue(&LeafSpec::expiring_in(["127.0.0.1"], 5));
    let f = Fixture::start(tls_script(&soon), &ca).await;
    let run = f.check("imaps", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.status("tls"), "warn");
    assert_eq!(run.verdict("fault"), "none");
}

#[tokio::test(flavor = "multi_thread")]
async fn plaintext_greeting_on_a_tls_port() {
    let ca = TestCa::new("t");
    let script = Script::healthy(Security::Plain).with_account(USER, CANARY);
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "config", "tls.plaintext_greeting");
    assert!(
        run.check("tls")["details"]["received_instead"]
            .as_str()
            .unwrap()
            .starts_with("* OK")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_not_offered() {
    let ca = TestCa::new("t");
    let f = Fixture::start(
        Script::healthy(Security::Plain).with_account(USER, CANARY),
        &ca,
    )
    .await;
    expect(
        &f.check("imap", &[]).await,
        13,
        "capability",
        "config",
        "capability.starttls_unavailable",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_happy_path() {
    let ca = TestCa::new("t");
    let script =
        Script::healthy(Security::StartTls(leaf(&ca).server_config())).with_account(USER, CANARY);
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imap", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let caps = &run.check("capability")["details"];
    assert_eq!(caps["starttls"]["offered"], true);
    assert_eq!(
        caps["login_disabled"], false,
        "capabilities re-read inside TLS"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credentials_over_plaintext() {
    let ca = TestCa::new("t");
    let f = Fixture::start(
        Script::healthy(Security::Plain).with_account(USER, CANARY),
        &ca,
    )
    .await;
    let run = f.check("imap", &["--security", "none"]).await;
    expect(&run, 14, "auth", "config", "auth.plaintext_refused");
    let sent: Vec<String> = f.server.received().into_iter().map(|r| r.command).collect();
    assert!(
        !sent
            .iter()
            .any(|c| c.eq_ignore_ascii_case("LOGIN") || c.eq_ignore_ascii_case("AUTHENTICATE")),
        "{sent:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plaintext_auth_when_explicitly_allowed() {
    let ca = TestCa::new("t");
    let f = Fixture::start(
        Script::healthy(Security::Plain).with_account(USER, CANARY),
        &ca,
    )
    .await;
    let run = f
        .check("imap", &["--security", "none", "--allow-plaintext-auth"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.status("tls"), "skip");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password() {
    let ca = TestCa::new("t");
    let script = Script::healthy(Security::ImplicitTls(leaf(&ca).server_config()))
        .with_account(USER, "another-password");
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 14, "auth", "account", "auth.rejected");
    assert_eq!(
        run.check("auth")["details"]["response_code"],
        "AUTHENTICATIONFAILED"
    );
    assert_eq!(run.status("folders"), "skip");
}

async fn login_reply(reply: &str) -> Run {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_login_reply(reply), &ca).await;
    f.check("imaps", &[]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_backend_unavailable_is_the_servers_problem() {
    let run =
        login_reply("NO [UNAVAILABLE] Temporary authentication failure. [mx1:2026-11-23 10:00:00]")
            .await;
    expect(&run, 14, "auth", "server", "auth.unavailable");
}

#[tokio::test(flavor = "multi_thread")]
async fn exchange_login_failed_points_to_basic_auth() {
    let run = login_reply("NO LOGIN failed.").await;
    expect(&run, 14, "auth", "account", "auth.basic_auth_refused");
    assert!(
        run.json.as_ref().unwrap()["verdict"]["hints"]
            .to_string()
            .contains("OAuth2")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gmail_app_password_required() {
    let run = login_reply("NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)").await;
    expect(&run, 14, "auth", "account", "auth.app_password_required");
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_connections_is_not_a_password_problem() {
    let run = login_reply("NO [ALERT] Too many simultaneous connections. (Failure)").await;
    expect(&run, 14, "auth", "account", "auth.too_many_connections");
    assert!(run.verdict("summary").contains("not a password problem"));
}

#[tokio::test(flavor = "multi_thread")]
async fn privacy_required_is_a_settings_problem() {
    let run = login_reply("NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.").await;
    expect(&run, 14, "auth", "config", "auth.privacy_required");
}

async fn after_login(behaviour: AfterLogin) -> Run {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_after_login(behaviour), &ca).await;
    f.check("imaps", &["--timeout", "1"]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn hang_after_login() {
    expect(
        &after_login(AfterLogin::Hang).await,
        15,
        "folders",
        "server",
        "folders.timeout",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn close_after_login() {
    expect(
        &after_login(AfterLogin::Close).await,
        15,
        "folders",
        "server",
        "folders.closed",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exchange_authenticated_but_not_connected() {
    let run = after_login(AfterLogin::Bad(
        "User is authenticated but not connected.".into(),
    ))
    .await;
    expect(&run, 15, "folders", "account", "folders.not_connected");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_mailbox() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let run = f.check("imaps", &["--mailbox", "No Such Box"]).await;
    expect(&run, 15, "folders", "config", "folders.mailbox_missing");
}

#[tokio::test(flavor = "multi_thread")]
async fn xoauth2_token_rejected_with_error_detail() {
    let ca = TestCa::new("t");
    let f = Fixture::start(
        tls_script(&leaf(&ca)).with_oauth(USER, "the-right-token"),
        &ca,
    )
    .await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let ca_path = f.ca();
    let args = [
        "--json",
        "-v",
        "--no-control",
        "--ca-file",
        &ca_path,
        "--user",
        USER,
        &target,
    ];
    let run = run(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", TOKEN_CANARY)]).await;
    run.assert_no_secret();
    expect(&run, 14, "auth", "account", "auth.token_rejected");
    let auth = &run.check("auth")["details"];
    assert_eq!(auth["mechanism"], "XOAUTH2");
    assert!(
        auth["sasl_error"].as_str().unwrap().contains("401"),
        "{auth}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn xoauth2_token_accepted() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_oauth(USER, TOKEN_CANARY), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let ca_path = f.ca();
    let args = [
        "-v",
        "--no-control",
        "--ca-file",
        &ca_path,
        "--user",
        USER,
        &target,
    ];
    let run = run(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", TOKEN_CANARY)]).await;
    run.assert_no_secret();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("AUTHENTICATE XOAUTH2 ***"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn preauth_greeting_needs_no_login() {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca)).with_opening(Opening::Greet(
        "* PREAUTH [CAPABILITY IMAP4rev1] welcome back".into(),
    ));
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.check("auth")["details"]["mechanism"], "PREAUTH");
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_escapes_from_the_server_are_neutralised() {
    let ca = TestCa::new("t");
    let evil = "* BYE \x1b]0;pwned\x07\x1b[2J\u{202e}gnp.exe";
    let f = Fixture::start(
        tls_script(&leaf(&ca)).with_opening(Opening::Greet(evil.into())),
        &ca,
    )
    .await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let ca_path = f.ca();
    for format in ["--json", "--no-color"] {
        let run = run(
            &[format, "-v", "--no-control", "--ca-file", &ca_path, &target],
            &[],
        )
        .await;
        assert_eq!(run.code, 13);
        assert!(
            !run.stdout.contains('\x1b'),
            "raw ESC reached the output:\n{}",
            run.stdout
        );
        assert!(
            !run.stdout.contains('\u{202e}'),
            "bidi override reached the output"
        );
        assert!(run.stdout.contains("pwned"), "the text is shown, escaped");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn human_report_and_transcript_redact_the_password() {
    let ca = TestCa::new("t");
    for mech in ["login", "plain"] {
        let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
        let target = format!("imaps://127.0.0.1:{}", f.server.port());
        let ca_path = f.ca();
        let args = [
            "-v",
            "--no-control",
            "--auth",
            mech,
            "--ca-file",
            &ca_path,
            "--user",
            USER,
            &target,
        ];
        let run = run(&args, &[("IMAPDOCTOR_PASSWORD", CANARY)]).await;
        run.assert_no_secret();
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert!(run.stdout.contains("***"), "{}", run.stdout);
    }
}

/// A loopback port with nothing listening.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_target_with_reachable_control_is_the_servers_problem() {
    let ca = TestCa::new("t");
    let control = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    let control_arg = format!("127.0.0.1:{}", control.port());
    let target = format!("imaps://127.0.0.1:{}", closed_port());
    let run = run(&["--json", "--control", &control_arg, &target], &[]).await;
    expect(&run, 11, "tcp", "server", "tcp.refused");
    assert_eq!(run.json.as_ref().unwrap()["control"]["status"], "reachable");
    assert!(control.accepted() >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_reachable_is_local() {
    let control_arg = format!("127.0.0.1:{}", closed_port());
    let target = format!("imaps://127.0.0.1:{}", closed_port());
    let run = run(&["--json", "--control", &control_arg, &target], &[]).await;
    expect(&run, 11, "tcp", "local", "network.nothing_reachable");
    assert_eq!(
        run.json.as_ref().unwrap()["control"]["status"],
        "unreachable"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_check_never_touches_the_control() {
    let ca = TestCa::new("t");
    let control = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let control_arg = format!("127.0.0.1:{}", control.port());
    let ca_path = f.ca();
    let run = run(
        &[
            "--json",
            "--ca-file",
            &ca_path,
            "--control",
            &control_arg,
            &target,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.json.as_ref().unwrap()["control"]["status"],
        "not_needed"
    );
    assert_eq!(
        control.accepted(),
        0,
        "the control was probed although the target was healthy"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn private_root_for_a_public_provider_is_interception() {
    let proxy = TestCa::new("Contoso Corporate Proxy CA");
    let forged = proxy.issue(&LeafSpec::valid_for(["outlook.office365.com"]));
    let f = Fixture::start(tls_script(&forged), &proxy).await;
    let resolve = format!("outlook.office365.com:{}:127.0.0.1", f.server.port());
    let target = format!("outlook.office365.com:{}", f.server.port());
    let ca_path = f.ca();
    let run = run(
        &[
            "--json",
            "--no-control",
            "--resolve",
            &resolve,
            "--ca-file",
            &ca_path,
            &target,
        ],
        &[],
    )
    .await;
    expect(&run, 12, "tls", "local", "tls.intercepted");
    assert!(
        run.check("tls")["summary"]
            .as_str()
            .unwrap()
            .contains("Contoso Corporate Proxy CA")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn antivirus_mail_shield_is_named() {
    let shield = TestCa::new("Avast Web/Mail Shield Root");
    let forged = shield.issue(&LeafSpec::valid_for(["127.0.0.1"]));
    let f = Fixture::start(tls_script(&forged), &shield).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 12, "tls", "local", "tls.intercepted");
    assert!(
        run.check("tls")["summary"]
            .as_str()
            .unwrap()
            .contains("Avast")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn private_ca_for_an_internal_server_is_only_noted() {
    let ca = TestCa::new("Example Internal CA");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let run = f.check("imaps", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.check("tls")["details"]["origin"]["public_root"], false);
    assert!(run.check("tls")["notes"].to_string().contains("private CA"));
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_target_and_control_mean_a_wrong_clock() {
    let ca = TestCa::new("t");
    let expired = || ca.issue(&LeafSpec::expired(["127.0.0.1"]));
    let control = server::spawn(tls_script(&expired())).await.unwrap();
    let f = Fixture::start(tls_script(&expired()), &ca).await;
    let control_arg = format!("127.0.0.1:{}", control.port());
    let run = f.check("imaps", &["--control", &control_arg]).await;
    expect(&run, 12, "tls", "local", "tls.clock_wrong");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_target_with_a_healthy_control_is_the_server() {
    let ca = TestCa::new("t");
    let control = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    let f = Fixture::start(
        tls_script(&ca.issue(&LeafSpec::expired(["127.0.0.1"]))),
        &ca,
    )
    .await;
    let control_arg = format!("127.0.0.1:{}", control.port());
    let run = f.check("imaps", &["--control", &control_arg]).await;
    expect(&run, 12, "tls", "server", "tls.certificate_expired");
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_against_an_implicit_tls_port() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let run = f.check("imap", &["--timeout", "1"]).await;
    expect(&run, 13, "capability", "config", "capability.tls_port");
}

#[tokio::test(flavor = "multi_thread")]
async fn exchange_greeting_names_the_front_end() {
    use base64::Engine;
    let ca = TestCa::new("t");
    let front_end = "LO4P123CA0233.GBRP123.PROD.OUTLOOK.COM";
    let utf16: Vec<u8> = front_end
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(utf16);
    let greeting = format!("* OK The Microsoft Exchange IMAP4 service is ready. [{b64}]");
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet(greeting))
        .with_login_reply("NO LOGIN failed.");
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &[]).await;
    expect(&run, 14, "auth", "account", "auth.basic_auth_refused");
    let provider = &run.check("capability")["details"]["provider"];
    assert_eq!(provider["id"], "microsoft");
    assert_eq!(provider["front_end"], front_end);
}

#[tokio::test(flavor = "multi_thread")]
async fn gmail_greeting_reports_the_public_address() {
    let ca = TestCa::new("t");
    let greeting = "* OK Gimap ready for requests from 203.0.113.7 h12mb123456lfb".to_string();
    let f = Fixture::start(
        tls_script(&leaf(&ca)).with_opening(Opening::Greet(greeting)),
        &ca,
    )
    .await;
    let run = f.check("imaps", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.check("capability")["details"]["provider"]["client_ip"],
        "203.0.113.7"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exchange_server_fault_points_to_service_health() {
    let ca = TestCa::new("t");
    let greeting = "* OK The Microsoft Exchange IMAP4 service is ready.".to_string();
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet(greeting))
        .with_after_login(AfterLogin::Close);
    let f = Fixture::start(script, &ca).await;
    let run = f.check("imaps", &["--timeout", "1"]).await;
    expect(&run, 15, "folders", "server", "folders.closed");
    assert!(
        run.json.as_ref().unwrap()["verdict"]["hints"]
            .to_string()
            .contains("Service health")
    );
}

fn jwt(claims: serde_json::Value) -> String {
    use base64::Engine;
    let enc = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    format!(
        "{}.{}.c2lnbmF0dXJl",
        enc(serde_json::json!({"typ": "JWT", "alg": "RS256"})),
        enc(claims)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn graph_token_is_explained_before_the_server_rejects_it() {
    let ca = TestCa::new("t");
    let token = jwt(serde_json::json!({
        "iss": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
        "aud": "https://graph.microsoft.com", "scp": "Mail.Read", "upn": USER, "exp": 4_000_000_000u64
    }));
    let f = Fixture::start(
        tls_script(&leaf(&ca)).with_oauth(USER, "another-token"),
        &ca,
    )
    .await;
    let token_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token_file.path(), format!("{token}\n")).unwrap();
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let (ca_path, token_path) = (f.ca(), token_file.path().display().to_string());
    let args = [
        "--json",
        "-v",
        "--no-control",
        "--ca-file",
        &ca_path,
        "--oauth-token-file",
        &token_path,
        "--user",
        USER,
        &target,
    ];
    let run = run(&args, &[]).await;
    assert!(
        !run.stdout.contains(&token) && !run.stderr.contains(&token),
        "token leaked"
    );
    expect(&run, 14, "auth", "account", "auth.token_rejected");
    let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(hints.contains("Microsoft Graph"), "{hints}");
    let findings = &run.check("auth")["details"]["token"]["findings"];
    assert_eq!(findings[0]["code"], "wrong_audience");
}

#[tokio::test(flavor = "multi_thread")]
async fn accepted_token_with_a_finding_warns() {
    let ca = TestCa::new("t");
    let token = jwt(serde_json::json!({
        "iss": "https://login.microsoftonline.com/contoso/v2.0", "aud": "https://outlook.office.com",
        "scp": "IMAP.AccessAsUser.All", "upn": "someone.else@example.test", "exp": 4_000_000_000u64
    }));
    let f = Fixture::start(tls_script(&leaf(&ca)).with_oauth(USER, &token), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let ca_path = f.ca();
    let args = [
        "--json",
        "--no-control",
        "--ca-file",
        &ca_path,
        "--user",
        USER,
        &target,
    ];
    let run = run(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", &token)]).await;
    assert!(!run.stdout.contains(&token), "token leaked");
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.status("auth"), "warn");
    assert_eq!(
        run.check("auth")["warning"]["code"],
        "auth.token_user_mismatch"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn oauthbearer_is_used_when_forced() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_oauth(USER, TOKEN_CANARY), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let ca_path = f.ca();
    let args = [
        "--json",
        "--no-control",
        "--auth",
        "oauthbearer",
        "--ca-file",
        &ca_path,
        "--user",
        USER,
        &target,
    ];
    let run = run(&args, &[("IMAPDOCTOR_OAUTH_TOKEN", TOKEN_CANARY)]).await;
    run.assert_no_secret();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.check("auth")["details"]["mechanism"], "OAUTHBEARER");
}

#[tokio::test(flavor = "multi_thread")]
async fn close_after_the_greeting() {
    let ca = TestCa::new("t");
    let opening = Opening::RawThenClose(b"* OK ready\r\n".to_vec());
    let f = Fixture::start(tls_script(&leaf(&ca)).with_opening(opening), &ca).await;
    // No capabilities in the greeting: the CAPABILITY command meets a closed connection.
    expect(
        &f.check("imaps", &[]).await,
        13,
        "capability",
        "server",
        "capability.closed",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_old_tls_versions_on_offer() {
    // What a TLS 1.0-only server answers to a TLS 1.2/1.3 ClientHello: a protocol_version alert.
    let alert = vec![0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];
    let ca = TestCa::new("t");
    let f = Fixture::start(
        Script::healthy(Security::Plain).with_opening(Opening::RawThenClose(alert)),
        &ca,
    )
    .await;
    expect(
        &f.check("imaps", &[]).await,
        12,
        "tls",
        "server",
        "tls.protocol_version",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_login_beyond_the_timeout() {
    let ca = TestCa::new("t");
    let mut script = tls_script(&leaf(&ca));
    script.login_delay = Duration::from_secs(5);
    let f = Fixture::start(script, &ca).await;
    expect(
        &f.check("imaps", &["--timeout", "1"]).await,
        14,
        "auth",
        "server",
        "auth.timeout",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_password() {
    let run = login_reply("NO [EXPIRED] Password expired, change it in webmail").await;
    expect(&run, 14, "auth", "account", "auth.expired");
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_limit_per_user_and_address() {
    let ca = TestCa::new("t");
    let greeting = "* BYE Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)";
    let f = Fixture::start(
        tls_script(&leaf(&ca)).with_opening(Opening::Greet(greeting.into())),
        &ca,
    )
    .await;
    expect(
        &f.check("imaps", &[]).await,
        13,
        "capability",
        "account",
        "capability.too_many_connections",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn web_login_required() {
    let run = login_reply(
        "NO [WEBALERT https://accounts.google.com/signin/continue?sarp=1] Web login required.",
    )
    .await;
    expect(&run, 14, "auth", "account", "auth.web_login_required");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_disabled_without_a_password_mechanism() {
    let ca = TestCa::new("t");
    let mut script = tls_script(&leaf(&ca));
    script.capabilities = vec![
        "IMAP4rev1".into(),
        "LOGINDISABLED".into(),
        "AUTH=GSSAPI".into(),
    ];
    let f = Fixture::start(script, &ca).await;
    expect(
        &f.check("imaps", &[]).await,
        14,
        "auth",
        "config",
        "auth.no_mechanism",
    );
}
