//! Scripted-server test support: run the binary in a clean environment, start a scripted server
//! with its CA on disk, and assert verdicts. Authenticating runs use canary secrets and assert they
//! never appear in stdout or stderr.

pub use std::time::Duration;

pub use imapdoctor::demo::pki::{Leaf, LeafSpec, TestCa};
pub use imapdoctor::demo::server::{self, AfterLogin, Mailbox, Opening, Script, Security};
use serde_json::Value;

pub const USER: &str = "alice@example.test";
pub const CANARY: &str = "Canary-Pw-5c1e9d";
pub const TOKEN_CANARY: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.canary-token-77ab";

/// What one run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub json: Option<Value>,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
}

impl Run {
    pub fn verdict(&self, field: &str) -> &str {
        self.json.as_ref().unwrap()["verdict"][field]
            .as_str()
            .unwrap_or_default()
    }

    /// The verdict's confidence and the owners of its alternatives.
    pub fn confidence(&self) -> (&str, Vec<&str>) {
        confidence_of(self.json.as_ref().unwrap())
    }

    /// The control section's status, and each endpoint's outcome.
    pub fn control(&self) -> (&str, Vec<&str>) {
        let control = &self.json.as_ref().unwrap()["control"];
        let endpoints = control["endpoints"].as_array().unwrap();
        (
            control["status"].as_str().unwrap(),
            endpoints
                .iter()
                .map(|p| p["outcome"].as_str().unwrap())
                .collect(),
        )
    }

    pub fn status(&self, id: &str) -> &str {
        self.check(id)["status"].as_str().unwrap()
    }

    pub fn summary(&self, id: &str) -> &str {
        self.check(id)["summary"].as_str().unwrap()
    }

    pub fn check(&self, id: &str) -> &Value {
        let checks = self.json.as_ref().unwrap()["checks"].as_array().unwrap();
        checks.iter().find(|c| c["id"] == id).unwrap()
    }

    pub fn assert_no_secret(&self) {
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

/// Runs the binary in a clean environment (only PATH and `IMAPDOCTOR_CONFIG=""`, which reads no
/// config file, plus `env`), bounded as a hang guard.
pub async fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    cmd.env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = std::time::Instant::now();
    let output = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("imapdoctor hung")
        .expect("run imapdoctor");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let json = super::schema::conforming_document(&stdout);
    Run {
        elapsed,
        code: output.status.code().unwrap_or(-1),
        json,
        stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A scripted server with its CA file on disk.
pub struct Fixture {
    pub server: server::ServerHandle,
    pub ca_file: tempfile::NamedTempFile,
}

impl Fixture {
    pub async fn start(script: Script, ca: &TestCa) -> Fixture {
        let ca_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca_file.path(), &ca.cert_pem).unwrap();
        Fixture {
            server: server::spawn(script).await.unwrap(),
            ca_file,
        }
    }

    pub fn ca(&self) -> String {
        self.ca_file.path().display().to_string()
    }

    /// Runs the binary against this server (`imaps://`) with the CA file, no control probe, and
    /// `args` before the target; asserts that no canary secret leaked.
    pub async fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let target = format!("imaps://127.0.0.1:{}", self.server.port());
        let ca = self.ca();
        let mut all = vec!["--no-control", "--ca-file", &ca];
        all.extend_from_slice(args);
        all.push(&target);
        let run = run(&all, env).await;
        run.assert_no_secret();
        run
    }

    /// Runs a check with the user and the canary password, as JSON.
    pub async fn check(&self, scheme: &str, extra: &[&str]) -> Run {
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

pub fn leaf(ca: &TestCa) -> Leaf {
    ca.issue(&LeafSpec::valid_for(["127.0.0.1", "localhost"]))
}

pub fn tls_script(leaf: &Leaf) -> Script {
    Script::healthy(Security::ImplicitTls(leaf.server_config())).with_account(USER, CANARY)
}

/// A JSON report's verdict confidence and the owners of its alternatives.
pub fn confidence_of(report: &Value) -> (&str, Vec<&str>) {
    let verdict = &report["verdict"];
    let alternatives = verdict["alternatives"].as_array().unwrap();
    (
        verdict["confidence"].as_str().unwrap(),
        alternatives
            .iter()
            .map(|a| a["fault"].as_str().unwrap())
            .collect(),
    )
}

/// Asserts exit code, failing check, fault and verdict code.
pub fn expect(run: &Run, exit: i32, failing: &str, fault: &str, code: &str) {
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

/// Exchange Online's greeting (provider text rules apply only when the provider is recognised).
pub const EXCHANGE_GREETING: &str = "* OK The Microsoft Exchange IMAP4 service is ready.";
/// Gmail's greeting.
pub const GMAIL_GREETING: &str = "* OK Gimap ready for requests from 127.0.0.1 a1b2c3";

pub async fn login_reply(reply: &str) -> Run {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_login_reply(reply), &ca).await;
    f.check("imaps", &[]).await
}

/// As [`login_reply`] from a server that greets with `greeting` (capabilities by command).
pub async fn login_reply_after(greeting: &str, reply: &str) -> Run {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca))
        .with_opening(Opening::Greet(greeting.into()))
        .with_login_reply(reply);
    let f = Fixture::start(script, &ca).await;
    f.check("imaps", &[]).await
}

/// A check (with login) against a healthy TLS server whose connection opens with `opening`.
pub async fn opening_run(opening: Opening, extra: &[&str]) -> Run {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_opening(opening), &ca).await;
    f.check("imaps", extra).await
}

pub async fn after_login(behaviour: AfterLogin) -> Run {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)).with_after_login(behaviour), &ca).await;
    f.check("imaps", &["--timeout", "1"]).await
}

/// A loopback port with nothing listening.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

pub fn jwt(claims: serde_json::Value) -> String {
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
