//! `imapdoctor batch`: a mixed fleet against a real Dovecot (healthy accounts, wrong passwords
//! through per-row `password_env`, a server that is down), a provider outage from scripted
//! servers, bad lines, standard input, and secrets never in the output. Each test parses the
//! JSON Lines and asserts the summary's groups and reading.

mod support;

use std::process::Stdio;

use serde_json::Value;
use support::scripted::*;
use tokio::io::AsyncWriteExt;

/// One batch run's output.
struct Batch {
    code: i32,
    stdout: String,
    stderr: String,
    /// Every JSON line but the summary.
    lines: Vec<Value>,
    summary: Value,
}

impl Batch {
    /// The report line for the row at `line`.
    fn report(&self, line: u64) -> &Value {
        &self
            .lines
            .iter()
            .find(|l| l["line"] == line && l.get("report").is_some())
            .unwrap_or_else(|| panic!("no report for line {line}:\n{}", self.stdout))["report"]
    }

    fn assert_never_shows(&self, secrets: &[&str]) {
        for secret in secrets {
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

/// Runs `imapdoctor batch <args>` in a clean environment (PATH plus `env`), `stdin` piped in.
async fn batch(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Batch {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("batch")
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("run imapdoctor");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("imapdoctor batch hung")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // Every line is a document of the schema: a report line, an error line or the summary.
    lines.iter().for_each(support::schema::assert_conforms);
    let summary = lines
        .pop()
        .and_then(|last| last.get("summary").cloned())
        .unwrap_or_else(|| panic!("no summary line last:\n{stdout}"));
    Batch {
        code: output.status.code().unwrap_or(-1),
        stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        lines,
        summary,
    }
}

/// The summary's failure groups as (check, fault, code, count).
fn groups(summary: &Value) -> Vec<(String, String, String, u64)> {
    summary["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["check"].as_str().unwrap().into(),
                g["fault"].as_str().unwrap().into(),
                g["code"].as_str().unwrap().into(),
                g["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn group(check: &str, fault: &str, code: &str, count: u64) -> (String, String, String, u64) {
    (check.into(), fault.into(), code.into(), count)
}

fn readings(summary: &Value) -> Vec<&str> {
    summary["reading"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_summary_groups_a_mixed_fleet_against_dovecot() {
    use support::dovecot::{CANARY_PASSWORD, Dovecot, QUOTER_PASSWORD, QUOTER_USER, USER};
    let Some(dovecot) = Dovecot::start() else {
        return;
    };
    let imaps = dovecot.imaps_url();
    let down = format!("imaps://127.0.0.1:{}", closed_port());
    let file = tempfile::NamedTempFile::new().unwrap();
    let rows = [
        "# a mixed fleet".to_string(),
        format!("{imaps} {USER}"),
        format!(r#"{{"target": "{imaps}", "user": "{QUOTER_USER}", "password_env": "QUOTER_PW"}}"#),
        format!(r#"{{"target": "{imaps}", "user": "{USER}", "password_env": "WRONG_PW"}}"#),
        format!(r#"{{"target": "{imaps}", "user": "{QUOTER_USER}", "password_env": "WRONG_PW"}}"#),
        String::new(),
        format!("{down} {USER}"),
        format!("{imaps} {USER}"),
    ];
    std::fs::write(file.path(), rows.join("\n")).unwrap();
    let ca = dovecot.ca_file.display().to_string();
    let path = file.path().display().to_string();
    let run = batch(
        &[
            "--no-control",
            "--timeout",
            "10",
            "--ca-file",
            &ca,
            "--concurrency",
            "3",
            &path,
        ],
        &[
            ("IMAPDOCTOR_PASSWORD", CANARY_PASSWORD),
            ("QUOTER_PW", QUOTER_PASSWORD),
            ("WRONG_PW", "Wrong-canary-41c7e2"),
        ],
        "",
    )
    .await;
    run.assert_never_shows(&[
        CANARY_PASSWORD,
        QUOTER_PASSWORD,
        "Wrong-canary-41c7e2",
        "canary",
    ]);
    assert_eq!(
        run.code, 14,
        "the most frequent failure is auth's:\n{}",
        run.stdout
    );
    assert_eq!(run.lines.len(), 6, "one line per row:\n{}", run.stdout);
    for line in [2, 3, 8] {
        assert_eq!(run.report(line)["verdict"]["code"], "ok", "line {line}");
    }
    assert_eq!(run.report(3)["target"]["user"], QUOTER_USER);
    assert_eq!(run.report(4)["verdict"]["code"], "auth.rejected");
    assert_eq!(run.report(7)["verdict"]["code"], "tcp.refused");
    let summary = &run.summary;
    assert_eq!(
        (&summary["targets"], &summary["passed"], &summary["failed"]),
        (&Value::from(6), &Value::from(3), &Value::from(3))
    );
    assert_eq!(
        groups(summary),
        [
            group("auth", "account", "auth.rejected", 2),
            group("tcp", "server", "tcp.refused", 1)
        ]
    );
    assert_eq!(summary["failures"][0]["lines"], serde_json::json!([4, 5]));
    let server = imaps.trim_start_matches("imaps://");
    let down_server = down.trim_start_matches("imaps://");
    assert_eq!(
        readings(summary),
        [
            format!(
                "2 of 6 fail at auth with auth.rejected on {server}: those accounts (others on the same server pass)"
            ),
            format!("1 of 6 fails at tcp with tcp.refused on {down_server}: server side"),
        ]
    );
    assert_eq!(summary["servers"][0]["server"], server);
    assert_eq!(summary["servers"][0]["targets"], 5);
    assert_eq!(summary["servers"][0]["failed"], 2);
}

/// A TLS server on loopback answering every login with `NO [UNAVAILABLE]`.
async fn unavailable(ca: &TestCa) -> Fixture {
    let script = tls_script(&leaf(ca))
        .with_login_reply("NO [UNAVAILABLE] Temporary authentication failure.");
    Fixture::start(script, ca).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_on_two_servers_reads_server_side_from_stdin() {
    let ca = TestCa::new("t");
    let (first, second) = (unavailable(&ca).await, unavailable(&ca).await);
    let healthy = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let row = |f: &Fixture| format!("imaps://127.0.0.1:{} {USER}\n", f.server.port());
    let input = [row(&first), row(&first), row(&second), row(&healthy)].concat();
    let run = batch(
        &[
            "--no-control",
            "--timeout",
            "5",
            "--ca-file",
            &first.ca(),
            "-",
        ],
        &[("IMAPDOCTOR_PASSWORD", CANARY)],
        &input,
    )
    .await;
    run.assert_never_shows(&[CANARY]);
    assert_eq!(run.code, 14, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        groups(&run.summary),
        [group("auth", "server", "auth.unavailable", 3)]
    );
    let (a, b) = (first.server.port(), second.server.port());
    let (a, b) = (a.min(b), a.max(b));
    assert_eq!(
        readings(&run.summary),
        [format!(
            "3 of 4 fail at auth with auth.unavailable on 127.0.0.1:{a}, 127.0.0.1:{b}: server side"
        )]
    );
    assert_eq!(run.report(4)["verdict"]["code"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_lines_are_reported_with_their_number_and_skipped() {
    let ca = TestCa::new("t");
    let healthy = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let good = format!("imaps://127.0.0.1:{} {USER}", healthy.server.port());
    let input = [
        good.as_str(),
        r#"{"target": "imaps://127.0.0.1:1", "password": "Inline-canary-93e1"}"#,
        "host user third-word",
        r#"{"target": "imaps://127.0.0.1:1", "user": "bob", "password_env": "UNSET_PW"}"#,
        "imaps://[not a host",
        good.as_str(),
    ]
    .join("\n");
    let run = batch(
        &[
            "--no-control",
            "--timeout",
            "5",
            "--ca-file",
            &healthy.ca(),
            "-",
        ],
        &[("IMAPDOCTOR_PASSWORD", CANARY)],
        &input,
    )
    .await;
    run.assert_never_shows(&[CANARY, "Inline-canary-93e1"]);
    let errors: Vec<u64> = run
        .lines
        .iter()
        .filter(|l| l["error"]["code"] == "usage")
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(errors, [2, 3, 4, 5], "{}", run.stdout);
    for line in [2, 3, 4, 5] {
        assert!(
            run.stderr.contains(&format!("line {line}: ")),
            "line {line} on stderr:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("UNSET_PW"), "{}", run.stderr);
    assert_eq!(run.report(1)["verdict"]["code"], "ok");
    assert_eq!(run.report(6)["verdict"]["code"], "ok");
    assert_eq!(run.summary["bad_lines"], 4);
    assert_eq!(run.summary["passed"], 2);
    assert_eq!(run.code, 2, "bad lines were the only failures");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_batch_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    let output = command.args(["batch", "--json", &path]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a regular file"), "{stderr}");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    support::schema::assert_conforms(&document);
    assert_eq!(document["error"]["code"], "usage");
}
