//! `cargo bench --bench repeat`: what `--repeat` costs per run. Issue #10's target: a repeat of
//! 100 runs costs at most 5 ms of CPU per run after the first (the trust store, the runtime and
//! the process are set up once, not per run).
//!
//! The optimized binary runs `--repeat 1` and `--repeat 100 --interval 0.01` against the
//! project's scripted implicit-TLS server (in this process, so its CPU is not counted) with a
//! login and the folders check; `wait4` gives each child's CPU time (user + system). CPU per run
//! after the first = (CPU of 100 runs − CPU of 1 run) / 99, the median of `BENCH_RUNS` (default
//! 5) pairs. Every run must pass (exit 0, 100 runs in the summary), else the figure is an ERROR.
//! The table on stdout is markdown, ready for the README. Unix only (`wait4`).

#[cfg(unix)]
#[path = "roundtrips/child.rs"]
mod child;

#[cfg(unix)]
fn main() {
    bench::main();
}

#[cfg(not(unix))]
fn main() {
    eprintln!("repeat: skipped: this benchmark needs a Unix (wait4)");
}

#[cfg(unix)]
mod bench {
    use std::path::PathBuf;
    use std::time::Duration;

    use imapdoctor::demo::pki::{LeafSpec, TestCa};
    use imapdoctor::demo::server::{self, Script};

    use super::child;

    /// The binary under test, built with the `bench` profile (release settings).
    const BINARY: &str = env!("CARGO_BIN_EXE_imapdoctor");
    /// Runs of the long repetition.
    const RUNS: u32 = 100;
    /// The target: CPU per run after the first.
    const TARGET: Duration = Duration::from_millis(5);

    pub fn main() {
        let pairs: usize = std::env::var("BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(5);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let ca = TestCa::new("imapdoctor bench CA");
        let leaf = ca.issue(&LeafSpec::valid_for(["127.0.0.1", "localhost"]));
        let ca_file = scratch.path().join("ca.pem");
        std::fs::write(&ca_file, &ca.cert_pem).expect("writing the CA file");
        let script = Script::healthy(server::Security::ImplicitTls(leaf.server_config()));
        let server = runtime
            .block_on(server::spawn(script))
            .expect("starting the scripted server");
        let target = format!("imaps://127.0.0.1:{}", server.port());
        let args = |repeat: u32| -> Vec<String> {
            [
                "--no-control",
                "--json",
                "--ca-file",
                &ca_file.display().to_string(),
                "--user",
                server::DEMO_USER,
                "--repeat",
                &repeat.to_string(),
                "--interval",
                "0.01",
                &target,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        };
        let env = vec![(
            "IMAPDOCTOR_PASSWORD".to_string(),
            server::DEMO_PASSWORD.to_string(),
        )];
        let binary = PathBuf::from(BINARY);
        let measure = |repeat: u32| -> Result<child::Sample, String> {
            let sample =
                child::run(&binary, &args(repeat), &env, true).map_err(|e| e.to_string())?;
            let json: serde_json::Value =
                serde_json::from_str(&sample.stdout).map_err(|e| format!("not JSON: {e}"))?;
            let passed = json["summary"]["passed"].as_u64();
            if sample.code != 0 || passed != Some(u64::from(repeat)) {
                return Err(format!(
                    "exit {}, {passed:?} of {repeat} runs passed: {}",
                    sample.code,
                    sample.stderr.trim()
                ));
            }
            Ok(sample)
        };
        let mut per_run = Vec::new();
        let mut once = Vec::new();
        let mut hundred = Vec::new();
        for _ in 0..pairs {
            match (measure(1), measure(RUNS)) {
                (Ok(one), Ok(many)) => {
                    per_run.push(many.cpu.saturating_sub(one.cpu) / (RUNS - 1));
                    once.push(one);
                    hundred.push(many);
                }
                (Err(e), _) | (_, Err(e)) => {
                    println!("repeat: ERROR: {e}");
                    std::process::exit(1);
                }
            }
        }
        let median = |mut v: Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let per_run = median(per_run);
        let cpu_once = median(once.iter().map(|s| s.cpu).collect());
        let cpu_hundred = median(hundred.iter().map(|s| s.cpu).collect());
        let wall_hundred = median(hundred.iter().map(|s| s.wall).collect());
        let rss = hundred.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
        let accepted = server.accepted();
        println!("#### Repeat\n");
        println!(
            "`--repeat {RUNS} --interval 0.01 --json` with login and folders against the scripted \
             implicit-TLS server on loopback, median of {pairs} · binary: `{}`\n",
            binary.display()
        );
        println!("| figure | value | target | result |\n|---|---:|---|---|");
        println!(
            "| CPU (user+sys) per run after the first: (CPU of {RUNS} runs − CPU of 1) / {} | {:.2} ms | ≤ {} ms | {} |",
            RUNS - 1,
            ms(per_run),
            TARGET.as_millis(),
            if per_run <= TARGET { "ok" } else { "MISSED" }
        );
        println!(
            "| CPU of `--repeat 1` (process start, trust store, one run) | {:.1} ms | – | – |",
            ms(cpu_once)
        );
        println!(
            "| CPU of `--repeat {RUNS}` | {:.1} ms | – | – |",
            ms(cpu_hundred)
        );
        println!(
            "| wall time of `--repeat {RUNS}` | {:.0} ms | – | – |",
            ms(wall_hundred)
        );
        println!(
            "| peak RSS of `--repeat {RUNS}`, worst | {:.1} MiB | – | – |",
            rss as f64 / 1024.0
        );
        println!(
            "\n- connections accepted by the server: {accepted} (= {} runs: one connection per run)",
            pairs as u32 * (RUNS + 1)
        );
    }
}
