//! `cargo bench --bench exporter`: the exporter's probe latency against the command line's on the
//! same local server (target: the probe within 1.1× of the CLI run). Both log in and open INBOX
//! on a scripted implicit-TLS server on loopback: N command-line runs (process start, trust
//! store, check, report) and N `GET /probe` scrapes of one `imapdoctor serve` (HTTP round trip,
//! check, exposition); prints each median and their ratio. `IMAPDOCTOR_BENCH_RUNS` sets N
//! (default 30).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use imapdoctor::demo::pki::{LeafSpec, TestCa};
use imapdoctor::demo::server::{self, DEMO_PASSWORD, DEMO_USER, Script};

const BINARY: &str = env!("CARGO_BIN_EXE_imapdoctor");

fn main() {
    let runs: usize = std::env::var("IMAPDOCTOR_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let ca = TestCa::new("imapdoctor bench CA");
    let leaf = ca.issue(&LeafSpec::valid_for(["127.0.0.1", "localhost"]));
    let ca_file = scratch.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem).expect("writing the CA file");
    let script = Script::healthy(server::Security::ImplicitTls(leaf.server_config()))
        .with_account(DEMO_USER, DEMO_PASSWORD);
    let server = runtime
        .block_on(server::spawn(script))
        .expect("starting the scripted server");
    let target = format!("imaps://127.0.0.1:{}", server.port());

    let cli = measure(runs, || {
        let status = Command::new(BINARY)
            .env_clear()
            .env("IMAPDOCTOR_PASSWORD", DEMO_PASSWORD)
            .args(["--no-control", "--quiet", "--user", DEMO_USER, "--ca-file"])
            .arg(&ca_file)
            .arg(&target)
            .stdin(Stdio::null())
            .status()
            .expect("running imapdoctor");
        assert!(status.success(), "the CLI check failed: {status}");
    });

    let config = scratch.path().join("imapdoctor.toml");
    std::fs::write(
        &config,
        format!(
            "[modules.login]\nuser = \"{DEMO_USER}\"\npassword_env = \"BENCH_PASSWORD\"\nca_file = {:?}\n",
            ca_file.display().to_string()
        ),
    )
    .expect("writing the config file");
    let mut exporter = Command::new(BINARY)
        .env_clear()
        .env("BENCH_PASSWORD", DEMO_PASSWORD)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting imapdoctor serve");
    let addr = listening_address(exporter.stderr.take().expect("stderr"));
    let path = format!("/probe?target={target}&module=login");
    let probe = measure(runs, || {
        let body = get(addr, &path);
        assert!(body.contains("imapdoctor_probe_success 1"), "{body}");
    });
    let _ = exporter.kill();
    let _ = exporter.wait();

    let (cli, probe) = (median(cli), median(probe));
    println!("exporter vs CLI, {runs} runs each against a local TLS server (login + INBOX):");
    println!("  CLI run (process):      median {:>7.1} ms", ms(cli));
    println!("  exporter GET /probe:    median {:>7.1} ms", ms(probe));
    println!(
        "  ratio probe / CLI:      {:.2}× (target ≤ 1.1×)",
        probe.as_secs_f64() / cli.as_secs_f64()
    );
}

fn measure(runs: usize, mut once: impl FnMut()) -> Vec<Duration> {
    once(); // warm-up
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            once();
            started.elapsed()
        })
        .collect()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn listening_address(stderr: std::process::ChildStderr) -> SocketAddr {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(stderr)
        .read_line(&mut line)
        .expect("the exporter's first line");
    line.trim()
        .rsplit_once("http://")
        .and_then(|(_, a)| a.parse().ok())
        .unwrap_or_else(|| panic!("not a listening line: {line}"))
}

fn get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connecting to the exporter");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("sending the request");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("reading the answer");
    answer
}
