//! The batch benchmark: writes a batch file of [`TARGETS`] rows (every one logging in to the same
//! private Dovecot, alternating implicit TLS and STARTTLS), runs the optimized binary on it as a
//! child, samples its open file descriptors from `/proc/PID/fd` every millisecond, and reaps it
//! with `wait4` for its peak RSS. Prints the figures and whether each meets its target.

// The test support this bench needs (not all of tests/support: the rest is for the tests).
#[allow(dead_code)]
#[path = "../../tests/support/dovecot.rs"]
mod dovecot;
#[allow(dead_code)]
#[path = "../../tests/support/loopback_server.rs"]
mod loopback_server;
#[path = "../../tests/support/maildir.rs"]
mod maildir;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dovecot::{CANARY_PASSWORD, Dovecot, USER};

const BINARY: &str = env!("CARGO_BIN_EXE_imapdoctor");
/// Rows in the batch file.
const TARGETS: usize = 1000;
/// `--concurrency`.
const CONCURRENCY: usize = 64;
/// Peak RSS target, MiB.
const RSS_TARGET_MIB: f64 = 64.0;
/// Open descriptors allowed above the concurrency (stdio, the runtime, the input file).
const FD_HEADROOM: usize = 16;

/// Dovecot's defaults allow 10 sessions per user and IP and 100 login processes: raise them
/// above the batch's concurrency, as a server under test by a fleet check must be.
const LIMITS: &str = r#"
# The batch benchmark: 64 concurrent logins of one user from one address.
mail_max_userip_connections = 10000
default_process_limit = 1000
default_client_limit = 10000
service imap-login {
  process_limit = 1000
}
service imap {
  process_limit = 1000
}
service anvil {
  client_limit = 10000
}
service auth {
  client_limit = 10000
}
"#;

pub fn main() {
    // On this thread, which keeps it (see Dovecot::start).
    let Some(dovecot) = Dovecot::start_with(LIMITS) else {
        eprintln!("batch: skipped: Dovecot (dovecot-imapd) not installed");
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("fleet.txt");
    let mut rows = String::new();
    for n in 0..TARGETS {
        let url = if n % 2 == 0 {
            dovecot.imaps_url()
        } else {
            dovecot.imap_url()
        };
        rows.push_str(&format!("{url} {USER}\n"));
    }
    std::fs::write(&file, rows).unwrap();
    let output = scratch.path().join("fleet.jsonl");
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("IMAPDOCTOR_PASSWORD", CANARY_PASSWORD)
        .args(["batch", "--no-control", "--timeout", "20", "--ca-file"])
        .arg(&dovecot.ca_file)
        .args(["--concurrency", &CONCURRENCY.to_string()])
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&output).unwrap())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let child = command.spawn().expect("run imapdoctor");
    let pid = child.id() as libc::pid_t;
    let most_fds = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (most_fds, done) = (Arc::clone(&most_fds), Arc::clone(&done));
        std::thread::spawn(move || {
            let dir = format!("/proc/{pid}/fd");
            let mut samples = 0u64;
            while !done.load(Ordering::Relaxed) {
                if let Ok(entries) = std::fs::read_dir(&dir) {
                    most_fds.fetch_max(entries.count(), Ordering::Relaxed);
                    samples += 1;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            samples
        })
    };
    let (status, usage) = wait4(pid);
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap();
    drop(child);
    let lines = std::fs::read_to_string(&output).unwrap();
    let summary: serde_json::Value = lines
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .expect("a summary line");
    let summary = &summary["summary"];
    let rss_mib = usage.ru_maxrss as f64 / 1024.0;
    let fds = most_fds.load(Ordering::Relaxed);
    let fd_limit = CONCURRENCY + FD_HEADROOM;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "batch: {TARGETS} targets (login, TLS and STARTTLS alternating) against a local Dovecot at --concurrency {CONCURRENCY}"
    );
    let _ = writeln!(
        out,
        "  exit status {status}; {} passed, {} failed, {} bad lines",
        summary["passed"], summary["failed"], summary["bad_lines"]
    );
    let _ = writeln!(
        out,
        "  wall time            {:>8.2} s   ({:.1} targets/s)",
        wall.as_secs_f64(),
        TARGETS as f64 / wall.as_secs_f64()
    );
    let cpu = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let _ = writeln!(
        out,
        "  CPU time             {:>8.2} s   ({:.2} ms per target)",
        cpu(usage.ru_utime) + cpu(usage.ru_stime),
        (cpu(usage.ru_utime) + cpu(usage.ru_stime)) * 1000.0 / TARGETS as f64
    );
    let _ = writeln!(
        out,
        "  peak RSS             {rss_mib:>8.1} MiB {}",
        verdict(
            rss_mib <= RSS_TARGET_MIB,
            &format!("≤ {RSS_TARGET_MIB} MiB")
        )
    );
    let _ = writeln!(
        out,
        "  most open fds        {fds:>8}     {} ({samples} samples of /proc/{pid}/fd)",
        verdict(fds <= fd_limit, &format!("≤ {CONCURRENCY} + {FD_HEADROOM}"))
    );
    if summary["failed"] != 0 {
        let _ = writeln!(out, "  reading: {}", summary["reading"]);
    }
}

fn verdict(met: bool, target: &str) -> String {
    if met {
        format!("(target {target}: met)")
    } else {
        format!("(target {target}: MISSED)")
    }
}

/// Reaps `pid`: its exit status and resource usage.
fn wait4(pid: libc::pid_t) -> (i32, libc::rusage) {
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; pid is our unreaped child.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            let code = if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            };
            return (code, usage);
        }
        assert_eq!(
            std::io::Error::last_os_error().kind(),
            std::io::ErrorKind::Interrupted,
            "wait4"
        );
    }
}
