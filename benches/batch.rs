//! `cargo bench --bench batch`: `imapdoctor batch` over 1,000 targets against a local Dovecot at
//! `--concurrency 64`: wall time, peak RSS (target ≤ 64 MiB) and the most file descriptors open
//! at once (target ≤ concurrency + 16). The bench itself is in `batch/bench.rs` (Linux only: it
//! reaps the child with `wait4` and samples `/proc/PID/fd`).

#[cfg(target_os = "linux")]
#[path = "batch/bench.rs"]
mod bench;

fn main() {
    #[cfg(target_os = "linux")]
    bench::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("batch: skipped: this benchmark needs Linux (wait4, /proc/PID/fd, Dovecot)");
}
