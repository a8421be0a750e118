//! `--repeat` and `--watch` against scripted servers: one that refuses every Nth login with
//! `NO [UNAVAILABLE]` (an intermittent, server-side failure) and a healthy one. The JSON runs and
//! summary, the exit code of the most frequent failure, the one-line and human output, Ctrl-C's
//! summary so far, and the nonsense the command line refuses.

mod support;

use regex::Regex;
use serde_json::Value;
use support::scripted::*;

const UNAVAILABLE: &str = "NO [UNAVAILABLE] Temporary authentication failure.";

/// A TLS server that answers every `nth` login with `NO [UNAVAILABLE]` and logs the others in.
async fn intermittent(nth: u64) -> Fixture {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca)).with_login_reply_every(nth, UNAVAILABLE);
    Fixture::start(script, &ca).await
}

/// A healthy TLS server.
async fn healthy() -> Fixture {
    let ca = TestCa::new("t");
    Fixture::start(tls_script(&leaf(&ca)), &ca).await
}

fn summary(run: &Run) -> &Value {
    &run.json.as_ref().expect("one JSON document")["summary"]
}

fn check_summary<'a>(summary: &'a Value, id: &str) -> &'a Value {
    let checks = summary["checks"].as_array().unwrap();
    checks.iter().find(|c| c["id"] == id).unwrap()
}

#[tokio::test]
async fn json_holds_every_run_and_a_summary_of_the_intermittent_failure() {
    let f = intermittent(3).await;
    let run = f
        .check("imaps", &["--repeat", "6", "--interval", "0"])
        .await;
    let why = format!("stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert_eq!(run.code, 14, "{why}");
    assert_eq!(f.server.accepted(), 6, "a new connection per run; {why}");
    let document = run.json.as_ref().expect("one JSON document");
    let runs = document["runs"].as_array().unwrap();
    let codes: Vec<&str> = runs
        .iter()
        .map(|r| r["verdict"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "ok",
            "ok",
            "auth.unavailable",
            "ok",
            "ok",
            "auth.unavailable"
        ],
        "{why}"
    );
    let summary = summary(&run);
    assert_eq!(summary["planned"], 6);
    assert_eq!(summary["completed"], 6);
    assert_eq!(
        (summary["passed"].as_u64(), summary["failed"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(summary["interrupted"], false);
    assert_eq!(summary["exit_code"], 14);
    let auth = check_summary(summary, "auth");
    assert_eq!(
        (auth["ran"].as_u64(), auth["passed"].as_u64()),
        (Some(6), Some(4))
    );
    assert!((auth["pass_rate"].as_f64().unwrap() - 4.0 / 6.0).abs() < 1e-9);
    let latency = &auth["latency"];
    assert!(
        latency["min_ms"].as_u64() <= latency["p95_ms"].as_u64(),
        "{latency}"
    );
    assert!(
        latency["p95_ms"].as_u64() <= latency["max_ms"].as_u64(),
        "{latency}"
    );
    let folders = check_summary(summary, "folders");
    assert_eq!(
        (folders["ran"].as_u64(), folders["skipped"].as_u64()),
        (Some(4), Some(2))
    );
    let verdicts = summary["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2, "{why}");
    assert_eq!(
        (verdicts[0]["code"].as_str(), verdicts[0]["count"].as_u64()),
        (Some("ok"), Some(4))
    );
    assert_eq!(verdicts[1]["code"], "auth.unavailable");
    assert_eq!(verdicts[1]["fault"], "server");
    assert_eq!(verdicts[1]["check"], "auth");
    assert_eq!(verdicts[1]["count"], 2);
    assert_eq!(verdicts[1]["pattern"], "intermittent");
    assert_eq!(
        verdicts[1]["reading"],
        "auth failed 2 of 6 with auth.unavailable: intermittent, server side"
    );
}

#[tokio::test]
async fn oneline_writes_a_line_per_run_and_nothing_else() {
    let f = intermittent(3).await;
    let run = f
        .check(
            "imaps",
            &["--repeat", "3", "--interval", "0", "--format", "oneline"],
        )
        .await;
    assert_eq!(run.code, 14, "{}", run.stderr);
    let line = Regex::new(
        r"^run ([1-3])/3 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (PASS ok \[none\]|FAIL auth\.unavailable \[server\]) 127\.0\.0\.1:(\d+) \d+ ms$",
    )
    .unwrap();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    for (i, text) in lines.iter().enumerate() {
        let found = line
            .captures(text)
            .unwrap_or_else(|| panic!("{text:?} is not a run line"));
        assert_eq!(found[1], (i + 1).to_string());
        assert_eq!(found[2].starts_with("FAIL"), i == 2, "{text}");
        assert_eq!(found[3], f.server.port().to_string());
    }
}

#[tokio::test]
async fn the_human_summary_gives_pass_rates_latencies_verdicts_and_a_reading() {
    let f = intermittent(2).await;
    let run = f
        .check(
            "imaps",
            &["--repeat", "4", "--interval", "0.05", "--format", "human"],
        )
        .await;
    let out = &run.stdout;
    assert_eq!(run.code, 14, "{out}\n{}", run.stderr);
    assert_eq!(
        out.lines().filter(|l| l.starts_with("run ")).count(),
        4,
        "{out}"
    );
    let port = f.server.port();
    assert!(
        out.contains(&format!(
            "Summary: 4 runs of 127.0.0.1:{port}, 2 passed, 2 failed, 50 ms apart"
        )),
        "{out}"
    );
    let row = |id: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no {id} row:\n{out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row("check"),
        ["check", "passed", "rate", "min", "median", "p95", "max"]
    );
    assert_eq!(row("auth")[1..3], ["2/4", "50%"], "{out}");
    assert_eq!(row("folders")[1..3], ["2/2", "100%"], "{out}");
    assert_eq!(row("tls")[1..3], ["4/4", "100%"], "{out}");
    assert!(out.contains("2 × ok [none]"), "{out}");
    assert!(out.contains("2 × auth.unavailable [server]"), "{out}");
    assert!(
        out.contains("→ auth failed 2 of 4 with auth.unavailable: intermittent, server side"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("Exit code 14."), "{out}");
}

#[tokio::test]
async fn every_run_passing_exits_0() {
    let f = healthy().await;
    let run = f
        .check("imaps", &["--repeat", "3", "--interval", "0"])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let summary = summary(&run);
    assert_eq!(
        (summary["passed"].as_u64(), summary["failed"].as_u64()),
        (Some(3), Some(0))
    );
    for check in summary["checks"].as_array().unwrap() {
        // The discover check never runs for a server as TARGET.
        let expected = if check["id"] == "discover" {
            serde_json::Value::Null
        } else {
            1.0.into()
        };
        assert_eq!(check["pass_rate"], expected, "{check}");
    }
    let verdicts = summary["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0]["code"], "ok");
    assert_eq!(verdicts[0]["count"], 3);
    assert_eq!(verdicts[0]["reading"], Value::Null);
    assert_eq!(f.server.accepted(), 3);
}

#[tokio::test]
async fn nonsense_is_a_usage_error() {
    let f = healthy().await;
    for nonsense in [
        &["--repeat", "0"][..],
        &["--interval", "1"],
        &["--repeat", "2", "--watch"],
        &["--repeat", "2", "--interval", "-1"],
        &["--watch", "--format", "markdown"],
    ] {
        let run = f.run_with(nonsense, &[]).await;
        assert_eq!(run.code, 2, "{nonsense:?}: {}", run.stderr);
    }
    assert_eq!(f.server.accepted(), 0);
}

/// Runs the binary with `args` (clean environment, the canary password), sends SIGINT once
/// `ready` holds, and returns its exit code and stdout.
#[cfg(unix)]
async fn interrupted(args: &[String], ready: impl Fn() -> bool) -> (Option<i32>, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("IMAPDOCTOR_PASSWORD", CANARY)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("run imapdoctor");
    let pid = child.id().expect("a running child") as libc::pid_t;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(std::time::Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // SAFETY: a plain kill(2) of our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("imapdoctor did not end after SIGINT")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!stdout.contains(CANARY));
    (output.status.code(), stdout)
}

#[cfg(unix)]
fn args(f: &Fixture, extra: &[&str]) -> Vec<String> {
    let mut all = vec![
        "--no-control",
        "--ca-file",
        &f.ca(),
        "--user",
        USER,
        "--timeout",
        "30",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    all.extend(extra.iter().map(|s| s.to_string()));
    all.push(format!("imaps://127.0.0.1:{}", f.server.port()));
    all
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_ends_watch_with_the_summary_so_far() {
    let f = intermittent(2).await;
    let args = args(&f, &["--watch", "--interval", "0.05", "--format", "human"]);
    // Interrupted after at least four connections: the runs so far are summarized.
    let (code, out) = interrupted(&args, || f.server.accepted() >= 4).await;
    let runs = out.lines().filter(|l| l.starts_with("run ")).count();
    assert!(runs >= 3, "{out}");
    assert!(
        out.contains(&format!(
            "Summary (stopped by Ctrl-C): {runs} runs of 127.0.0.1:"
        )),
        "{out}"
    );
    assert!(out.contains("× auth.unavailable [server]"), "{out}");
    assert!(out.contains(": intermittent, server side"), "{out}");
    assert_eq!(code, Some(14), "the most frequent failure: {out}");
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_before_any_run_completed_exits_130_with_an_empty_summary() {
    let ca = TestCa::new("t");
    let silent = tls_script(&leaf(&ca)).with_opening(Opening::Silent);
    let f = Fixture::start(silent, &ca).await;
    let args = args(&f, &["--repeat", "5", "--json"]);
    let (code, out) = interrupted(&args, || f.server.accepted() >= 1).await;
    assert_eq!(code, Some(130), "{out}");
    let document: Value = serde_json::from_str(&out).expect("one JSON document");
    support::schema::assert_conforms(&document);
    assert_eq!(document["runs"], serde_json::json!([]));
    assert_eq!(document["summary"]["completed"], 0);
    assert_eq!(document["summary"]["interrupted"], true);
    assert_eq!(document["summary"]["exit_code"], 130);
    assert_eq!(document["summary"]["duration"], Value::Null);
}
