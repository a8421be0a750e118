//! Running a program as a measured child: wall time from spawn to reaping, and the child's own
//! resource usage (CPU time, peak RSS) from `wait4` (`tests/support/measured.rs`, shared with the
//! memory tests).

use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

#[allow(dead_code)] // the memory tests use more of it
#[path = "../../tests/support/measured.rs"]
mod measured;

pub use measured::Sample;

/// Runs `program` with a clean environment (PATH, NO_COLOR and `env` only), standard input
/// closed, and output captured (or discarded with `capture: false`).
pub fn run(
    program: &Path,
    args: &[String],
    env: &[(String, String)],
    capture: bool,
) -> io::Result<Sample> {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("IMAPDOCTOR_CONFIG", "")
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(default_path),
        )
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    if !capture {
        command.stdout(Stdio::null()).stderr(Stdio::null());
    }
    measured::measure(&mut command, capture)
}

fn default_path() -> OsString {
    OsString::from("/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
}
