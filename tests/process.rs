//! The process as a whole. Ctrl-C at the password prompt gives the terminal back as it was and
//! exits 130; Ctrl-C during a run writes the report of the checks finished so far (`interrupted`)
//! at once and exits 130, without waiting for a step or the control probe; a full disk behind
//! stdout or stderr never makes the program panic.
//! Unix only: the tests signal the process and read Linux's /dev/full.
#![cfg(unix)]

mod support;

use support::scripted::*;

/// Waits (polling, as a hang guard) until `ready` holds.
#[cfg(unix)]
async fn until(ready: impl Fn() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(std::time::Instant::now() < deadline, "never {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// What an interrupted run produced.
#[cfg(unix)]
struct Interrupted {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// From SIGINT to exit.
    after_signal: Duration,
}

#[cfg(unix)]
impl Interrupted {
    fn explain(&self) -> String {
        format!(
            "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the binary with `args` (clean environment), sends it SIGINT once `ready` holds, and
/// collects what it wrote.
#[cfg(unix)]
async fn interrupt_when(args: &[&str], ready: impl Fn() -> bool) -> Interrupted {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    cmd.env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("run imapdoctor");
    let pid = child.id().expect("a running child") as libc::pid_t;
    until(ready, "ready for the interrupt").await;
    let sent = std::time::Instant::now();
    // SAFETY: a plain kill(2) of our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("imapdoctor did not end after SIGINT")
        .unwrap();
    Interrupted {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        after_signal: sent.elapsed(),
    }
}

/// Runs the binary with `output` options against a plaintext server that accepts and never
/// greets (`--timeout 30`), and interrupts it once dns and tcp have certainly finished: after a
/// second of silence the client opens a second connection to probe for TLS, and that one has been
/// accepted. Asserts exit 130, promptly.
#[cfg(unix)]
async fn interrupted_while_waiting_for_a_greeting(output: &str) -> (Interrupted, String) {
    let script = Script::healthy(Security::Plain).with_opening(Opening::Silent);
    let silent = server::spawn(script).await.unwrap();
    let target = format!("imap://127.0.0.1:{}", silent.port());
    let args = [output, "--no-control", "--timeout", "30", &target];
    let run = interrupt_when(&args, || silent.accepted() >= 2).await;
    let why = run.explain();
    assert_eq!(run.code, Some(130), "{why}");
    assert!(run.after_signal < Duration::from_secs(5), "slow: {why}");
    (run, why)
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_run_writes_the_json_report_so_far_and_exits_130() {
    let (run, why) = interrupted_while_waiting_for_a_greeting("--json").await;
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect(&why);
    support::schema::assert_conforms(&report);
    assert_eq!(report["interrupted"], true, "{why}");
    let status = |id: &str| {
        let checks = report["checks"].as_array().expect(&why);
        let check = checks.iter().find(|c| c["id"] == id).expect(&why);
        check["status"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(status("dns"), "pass", "{why}");
    assert_eq!(status("tcp"), "pass", "{why}");
    for id in ["tls", "capability", "auth", "folders"] {
        assert_eq!(status(id), "skip", "{id}: {why}");
    }
    assert_eq!(report["verdict"]["code"], "interrupted", "{why}");
    assert_eq!(report["verdict"]["confidence"], "inconclusive", "{why}");
    let summary = report["verdict"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("interrupted"), "{why}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_run_writes_the_human_report_so_far_and_exits_130() {
    let (run, why) = interrupted_while_waiting_for_a_greeting("--no-color").await;
    let lines: Vec<&str> = run.stdout.lines().collect();
    let line = |id: &str| {
        let found = lines
            .iter()
            .find(|l| l.split_whitespace().nth(1) == Some(id));
        found.copied().expect(&why)
    };
    assert!(line("dns").trim_start().starts_with("PASS"), "{why}");
    assert!(line("tcp").trim_start().starts_with("PASS"), "{why}");
    assert!(
        line("capability").contains("skipped: the run was interrupted"),
        "{why}"
    );
    assert!(run.stdout.contains("Verdict [INTERRUPTED]"), "{why}");
    assert!(run.stdout.contains("code: interrupted"), "{why}");
}

/// A batch interrupted while two rows wait for their greetings (`--concurrency 2`, a third row
/// waiting for its turn): each row under way is written with what it had done (`interrupted`),
/// the third never starts, and the summary says the batch was cut short; exit 130, promptly.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_batch_writes_the_rows_under_way_and_the_summary() {
    let script = Script::healthy(Security::Plain).with_opening(Opening::Silent);
    let silent = server::spawn(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rows.txt");
    let row = format!("imap://127.0.0.1:{}\n", silent.port());
    std::fs::write(&file, row.repeat(3)).unwrap();
    let file = file.display().to_string();
    let args = [
        "batch",
        &file,
        "--concurrency",
        "2",
        "--no-control",
        "--timeout",
        "30",
    ];
    // Each row opens a second connection after a second of silence (the TLS probe).
    let run = interrupt_when(&args, || silent.accepted() >= 4).await;
    let why = run.explain();
    assert_eq!(run.code, Some(130), "{why}");
    assert!(run.after_signal < Duration::from_secs(5), "slow: {why}");
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(&why))
        .collect();
    for line in &lines {
        support::schema::assert_conforms(line);
    }
    let (summary, reports) = lines.split_last().expect(&why);
    assert_eq!(reports.len(), 2, "{why}");
    for line in reports {
        let report = &line["report"];
        assert_eq!(report["interrupted"], true, "{why}");
        assert_eq!(report["verdict"]["code"], "interrupted", "{why}");
        let tcp = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "tcp");
        assert_eq!(tcp.expect(&why)["status"], "pass", "{why}");
    }
    let summary = &summary["summary"];
    assert_eq!(summary["interrupted"], true, "{why}");
    assert_eq!(summary["targets"], 2, "{why}");
    assert_eq!(summary["exit_code"], 130, "{why}");
}

/// The target's port is closed, so the control probe is needed; the control endpoint accepts and
/// never answers the TLS handshake (`--timeout 30`). Ctrl-C must not wait for it.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_does_not_wait_for_the_control_probe() {
    let control = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    control.set_nonblocking(true).unwrap();
    let control_at = format!("127.0.0.1:{}", control.local_addr().unwrap().port());
    let target = format!("imaps://127.0.0.1:{}", closed_port());
    let args = [
        "--json",
        "--control",
        &control_at,
        "--timeout",
        "30",
        &target,
    ];
    let probed = std::sync::Mutex::new(Vec::new());
    let run = interrupt_when(&args, || match control.accept() {
        Ok((socket, _)) => {
            probed.lock().unwrap().push(socket);
            true
        }
        Err(_) => false,
    })
    .await;
    let why = run.explain();
    assert_eq!(run.code, Some(130), "{why}");
    assert!(run.after_signal < Duration::from_secs(5), "slow: {why}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect(&why);
    support::schema::assert_conforms(&report);
    assert_eq!(report["interrupted"], true, "{why}");
    assert!(report.get("control").is_none(), "{why}");
    let tcp = &report["checks"][2];
    assert_eq!(tcp["error"]["code"], "tcp.refused", "{why}");
    assert_eq!(report["verdict"]["code"], "interrupted", "{why}");
    let summary = report["verdict"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("tcp.refused"), "{why}");
}

#[cfg(target_os = "linux")]
mod prompt {
    use super::support::pty::OnTerminal;
    use super::support::scripted::{USER, closed_port};

    /// The binary at its password prompt, reading with the echo off.
    fn at_the_prompt() -> OnTerminal {
        let target = format!("imaps://127.0.0.1:{}", closed_port());
        let terminal = OnTerminal::spawn(&["--no-control", "--user", USER, &target]);
        terminal.wait_for_prompt();
        terminal.wait_for_echo_off();
        terminal
    }

    fn assert_interrupted_with_echo_back(mut terminal: OnTerminal) {
        let ended = terminal.ended();
        let why = format!("stdout:\n{}\nstderr:\n{}", ended.stdout, ended.stderr);
        assert_eq!(ended.status.code(), Some(130), "{:?} {why}", ended.status);
        assert!(
            terminal.echoes(),
            "the terminal was left without echo; {why}"
        );
        assert!(ended.stdout.is_empty(), "{why}");
    }

    /// Typed, Ctrl-C reaches rpassword as a key (the terminal is raw), which raises SIGINT itself.
    #[test]
    fn ctrl_c_typed_at_the_prompt_restores_the_echo_and_exits_130() {
        let mut terminal = at_the_prompt();
        terminal.type_keys(b"\x03");
        assert_interrupted_with_echo_back(terminal);
    }

    /// SIGINT from elsewhere while the prompt waits for a key.
    #[test]
    fn sigint_at_the_prompt_restores_the_echo_and_exits_130() {
        let terminal = at_the_prompt();
        // SAFETY: a plain kill(2) of our own child.
        assert_eq!(unsafe { libc::kill(terminal.pid(), libc::SIGINT) }, 0);
        assert_interrupted_with_echo_back(terminal);
    }
}

/// `>/dev/full` and `2>/dev/full`: help, version, usage errors (clap's and ours) and a report that
/// cannot be written end with their documented codes, never a panic (101).
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_behind_stdout_and_stderr_never_panics() {
    let full = || {
        let file = std::fs::OpenOptions::new().write(true).open("/dev/full");
        std::process::Stdio::from(file.unwrap())
    };
    let closed = format!("127.0.0.1:{}", closed_port());
    for (args, code) in [
        (vec!["--help"], 0),
        (vec!["--version"], 0),
        (vec!["--no-such-option", "x"], 2),
        (vec!["--timeout", "0", "127.0.0.1"], 2),
        (vec!["--mailbox", "A\r\nB", "127.0.0.1"], 2),
        (vec!["--no-control", "--timeout", "5", &closed], 3),
        (vec!["--json", "--no-control", "--timeout", "5", &closed], 3),
    ] {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"))
            .env_clear()
            .env("IMAPDOCTOR_CONFIG", "")
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(full())
            .stderr(full())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}: {status:?}");
    }
}
