//! The user's own files are read with bounds and never block: `/dev/zero`, a FIFO, a directory or
//! an oversize file given to `--ca-file` or `--oauth-token-file` (or `/dev/zero` piped to
//! `--password-stdin`) is a usage error (exit 2) naming the option and the file, at once and with
//! little memory; `SSL_CERT_FILE` naming a FIFO fails the tls check as a local problem within
//! `--max-time`; a token file other users may read draws a warning. Each run's peak RSS and wall
//! time come from `wait4`.
#![cfg(unix)]

mod support;

use std::ffi::CString;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::measured::{self, Sample};
use support::scripted::*;

/// A refused input ends at once: start-up and exit on a busy machine.
const PROMPT: Duration = Duration::from_secs(3);
/// Peak RSS allowed, MiB (reading `/dev/zero` to the end would take gigabytes).
const MAX_RSS_MIB: f64 = 64.0;

/// The binary in a clean environment (PATH, NO_COLOR and `env`), JSON, no control probe, standard
/// input closed.
fn imapdoctor(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    command
        .env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .args(["--json", "--no-control", "--timeout", "2"])
        .args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

fn run(command: &mut Command) -> Sample {
    let sample = measured::measure(command, true).expect("run imapdoctor");
    eprintln!(
        "{:?}: exit {}, {} ms, peak RSS {:.1} MiB",
        command.get_args().collect::<Vec<_>>(),
        sample.code,
        sample.wall.as_millis(),
        sample.max_rss_mib()
    );
    assert!(
        sample.max_rss_mib() <= MAX_RSS_MIB,
        "peak RSS {:.1} MiB",
        sample.max_rss_mib()
    );
    sample
}

/// Asserts a usage error at once: exit 2, no report (the usage-error document), one `imapdoctor:`
/// line holding each of
/// `words`.
fn refused(command: &mut Command, words: &[&str]) {
    let sample = run(command);
    assert_eq!(
        sample.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        sample.stdout, sample.stderr
    );
    // With --json a usage error is one JSON document on stdout, never a report.
    let document: serde_json::Value =
        serde_json::from_str(&sample.stdout).expect("the usage-error document");
    support::schema::assert_conforms(&document);
    assert_eq!(document["error"]["code"], "usage", "{}", sample.stdout);
    assert!(document.get("checks").is_none(), "a report was written");
    assert!(
        sample.stderr.starts_with("imapdoctor: "),
        "{}",
        sample.stderr
    );
    for words in words {
        assert!(
            sample.stderr.contains(words),
            "expected {words:?} in:\n{}",
            sample.stderr
        );
    }
    assert!(sample.wall <= PROMPT, "took {} ms", sample.wall.as_millis());
}

fn mkfifo(dir: &Path) -> PathBuf {
    let path = dir.join("fifo");
    let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    path
}

/// A sparse regular file of `len` bytes.
fn file_of(dir: &Path, name: &str, len: u64) -> PathBuf {
    let path = dir.join(name);
    File::create(&path).unwrap().set_len(len).unwrap();
    path
}

/// `option` given `/dev/zero`, a FIFO, a directory and a sparse file of `bound` + 1 bytes (with
/// `args` before it): each refused, naming the option, the file and why.
fn refuses_what_is_not_a_small_regular_file(
    args: &[&str],
    option: &str,
    bound: u64,
    shown_bound: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = mkfifo(dir.path());
    let huge = file_of(dir.path(), "huge", bound + 1);
    let larger = format!("larger than {shown_bound}");
    for (path, why) in [
        (
            Path::new("/dev/zero"),
            "not a regular file but a character device",
        ),
        (fifo.as_path(), "not a regular file but a FIFO"),
        (dir.path(), "not a regular file but a directory"),
        (huge.as_path(), larger.as_str()),
    ] {
        let shown = path.display().to_string();
        let mut command = imapdoctor(args, &[]);
        command.args([option, &shown, "127.0.0.1:1"]);
        refused(&mut command, &[&format!("{option} {shown}: "), why]);
    }
}

#[test]
fn ca_files_that_are_not_regular_or_too_large_are_refused() {
    refuses_what_is_not_a_small_regular_file(&[], "--ca-file", 16 * 1024 * 1024, "16 MiB");
}

#[test]
fn token_files_that_are_not_regular_or_too_large_are_refused() {
    let user = ["--user", USER];
    refuses_what_is_not_a_small_regular_file(&user, "--oauth-token-file", 64 * 1024, "64 KiB");
}

#[test]
fn password_stdin_reads_at_most_4_kib() {
    let args = ["--user", USER, "--password-stdin", "127.0.0.1:1"];
    let mut command = imapdoctor(&args, &[]);
    command.stdin(File::open("/dev/zero").unwrap());
    refused(
        &mut command,
        &["--password-stdin", "no end of line within the first 4 KiB"],
    );
}

/// A batch read from an endless standard input (`/dev/zero`: one line that never ends) stops at
/// the batch file's bound with the line refused, in bounded time and memory.
#[test]
fn a_batch_from_an_endless_standard_input_ends() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
    command
        .env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["batch", "-", "--no-control", "--max-time", "2"])
        .stdin(File::open("/dev/zero").unwrap());
    let sample = run(&mut command);
    assert_eq!(sample.code, 2, "stderr:\n{}", sample.stderr);
    assert!(
        sample.stderr.contains("line 1: longer than 64 KiB"),
        "{}",
        sample.stderr
    );
    let summary: serde_json::Value =
        serde_json::from_str(sample.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["summary"]["bad_lines"], 1, "{}", sample.stdout);
    assert!(
        sample.wall <= Duration::from_secs(20),
        "took {} ms",
        sample.wall.as_millis()
    );
}

/// `SSL_CERT_FILE` naming a FIFO (which would block the trust store's load forever): the tls check
/// fails at once as a local problem naming it, well within `--max-time`.
#[tokio::test(flavor = "multi_thread")]
async fn ssl_cert_file_on_a_fifo_is_a_local_trust_store_failure() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = mkfifo(dir.path()).display().to_string();
    let ca = TestCa::new("t");
    let server = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    let target = format!("imaps://127.0.0.1:{}", server.port());
    let sample = tokio::task::spawn_blocking(move || {
        let args = ["--max-time", "2", &target];
        run(&mut imapdoctor(&args, &[("SSL_CERT_FILE", &fifo)]))
    })
    .await
    .unwrap();
    assert_eq!(
        sample.code, 12,
        "stdout:\n{}\nstderr:\n{}",
        sample.stdout, sample.stderr
    );
    assert!(
        sample.wall <= Duration::from_millis(2500),
        "took {} ms",
        sample.wall.as_millis()
    );
    let report: serde_json::Value = serde_json::from_str(&sample.stdout).unwrap();
    support::schema::assert_conforms(&report);
    assert_eq!(
        report["verdict"]["code"], "tls.no_trust_store",
        "{}",
        sample.stdout
    );
    assert_eq!(report["verdict"]["fault"], "local", "{}", sample.stdout);
    let tls = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "tls")
        .unwrap();
    let message = tls["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("SSL_CERT_FILE") && message.contains("a FIFO"),
        "{message}"
    );
}

/// A token file that other users may read draws a warning on stderr (the token never appears);
/// a private one does not.
#[test]
fn a_token_file_readable_by_others_draws_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{TOKEN_CANARY}\n")).unwrap();
    let shown = file.display().to_string();
    let port = closed_port().to_string();
    let args = [
        "--user",
        USER,
        "--oauth-token-file",
        &shown,
        "--max-time",
        "2",
    ];
    let target = format!("127.0.0.1:{port}");
    let warning = format!(
        "imapdoctor: warning: --oauth-token-file {shown} is readable by other users (mode 0644)"
    );
    for (mode, warned) in [(0o644, true), (0o600, false)] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let sample = run(imapdoctor(&args, &[]).arg(&target));
        assert_eq!(sample.code, 11, "stderr:\n{}", sample.stderr);
        assert_eq!(
            sample.stderr.contains(&warning),
            warned,
            "mode {mode:o}:\n{}",
            sample.stderr
        );
        assert!(!sample.stderr.contains(TOKEN_CANARY) && !sample.stdout.contains(TOKEN_CANARY));
    }
}
