//! Running a program as a measured child: wall time from spawn to reaping, and the child's own
//! resource usage (CPU time, peak RSS) from `wait4`. Shared by the memory tests and the
//! `roundtrips` benchmark (which includes this file by path). Unix only.

use std::io::{self, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child that runs longer than this is killed (a hang guard: no scenario takes nearly as long).
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// What one run of a program produced.
#[derive(Clone, Debug)]
pub struct Sample {
    /// From just before the spawn to just after the child was reaped.
    pub wall: Duration,
    /// The child's user + system CPU time.
    pub cpu: Duration,
    /// The child's peak resident set size, KiB.
    pub max_rss_kib: u64,
    /// Exit code (128 + signal when killed by a signal).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Sample {
    /// Peak RSS in MiB.
    pub fn max_rss_mib(&self) -> f64 {
        self.max_rss_kib as f64 / 1024.0
    }
}

/// Spawns `command` (its environment and standard input as the caller set them), captures its
/// output (or, with `capture: false`, leaves it where the caller sent it), and reaps it with
/// `wait4`.
///
/// Linux starts a child's `ru_maxrss` at its parent's peak RSS (the spawn shares the parent's
/// memory until `exec`), so the figure is exact only while the parent stays smaller than the
/// child: a parent measuring large outputs should send them to files, not capture them.
pub fn measure(command: &mut Command, capture: bool) -> io::Result<Sample> {
    if capture {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let started = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let (done, watched) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if watched.recv_timeout(HANG_GUARD) == Err(mpsc::RecvTimeoutError::Timeout) {
            // SAFETY: the child has not been reaped yet (the caller is still in wait4), so the
            // pid is still ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if capture {
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err_pipe.read_to_end(&mut buf);
            buf
        });
        let _ = child
            .stdout
            .take()
            .expect("piped stdout")
            .read_to_end(&mut stdout);
        stderr = err_reader.join().unwrap_or_default();
    }
    let reaped = wait4(pid);
    let wall = started.elapsed();
    let _ = done.send(());
    let _ = watchdog.join();
    let (status, usage) = reaped?;
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        -1
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Sample {
        wall,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss.max(0) as u64,
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Reaps `pid`, returning its wait status and resource usage.
fn wait4(pid: libc::pid_t) -> io::Result<(libc::c_int, libc::rusage)> {
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; pid is our unreaped child.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return Ok((status, usage));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}
