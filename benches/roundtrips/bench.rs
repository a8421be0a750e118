//! `cargo bench --bench roundtrips`: how fast imapdoctor reaches a verdict over a slow network,
//! counted in round trips, and what one check costs (CPU, memory, start-up). Issue #4, "Fast to a
//! verdict".
//!
//! Every scenario runs the optimized binary N times (median) against a real Dovecot
//! (`tests/support/dovecot.rs`) or the project's scripted server, through a latency-injecting
//! proxy (`tests/support/latency.rs`) with a one-way delay D, and checks each run's `--json`
//! report for the expected exit code and verdict: a run that ended for another reason is an
//! ERROR, not a figure. The tables on stdout are markdown, ready for the README.
//!
//! Knobs (environment): `BENCH_ONE_WAY_MS` (D, default 25), `BENCH_RUNS` (N, default 7),
//! `BENCH_STARTUP_RUNS` (default 50), `BENCH_TRACE=1` (print one `-v` transcript per proxied
//! scenario to stderr, timestamps in round trips). Arguments that do not start with `-` select
//! rows by substring (`cargo bench --bench roundtrips -- tls`).
//!
//! Without Dovecot (`dovecot-imapd`) the Dovecot rows are skipped, without curl the curl row.

#[path = "child.rs"]
mod child;
// The test support this bench needs (not all of tests/support: the rest is for the tests).
#[allow(dead_code)]
#[path = "../../tests/support/dovecot.rs"]
mod dovecot;
#[allow(dead_code)]
#[path = "../../tests/support/latency.rs"]
mod latency;
#[allow(dead_code)]
#[path = "../../tests/support/loopback_server.rs"]
mod loopback_server;
#[path = "../../tests/support/maildir.rs"]
mod maildir;

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use child::Sample;
use dovecot::Dovecot;
use imapdoctor::demo::pki::{LeafSpec, TestCa};
use imapdoctor::demo::server::{self, Opening, Script, ServerHandle};
use latency::{Blackhole, LatencyProxy};
use serde_json::Value;

/// The binary under test, built with the `bench` profile (release settings).
const BINARY: &str = env!("CARGO_BIN_EXE_imapdoctor");
/// Pause after a proxied run (at least 2 RTT).
const BETWEEN_RUNS: Duration = Duration::from_millis(100);
/// Default one-way delay, ms.
const ONE_WAY_MS: u64 = 25;
/// Default runs per row.
const RUNS: usize = 7;
/// Default runs of `--version`.
const STARTUP_RUNS: usize = 50;
/// The step timeout of the timeout-bound scenarios, seconds.
const STEP_TIMEOUT_S: u64 = 2;
/// Slack allowed past a timeout.
const TIMEOUT_SLACK: Duration = Duration::from_millis(200);
/// Happy Eyeballs' connection attempt delay (imapdoctor's, RFC 8305's recommendation).
const ATTEMPT_DELAY: Duration = Duration::from_millis(250);
/// Happy Eyeballs' connection attempt delay, plus slack (the dead-ipv6 target).
const HAPPY_EYEBALLS_BUDGET: Duration = Duration::from_millis(300);

pub fn main() {
    let settings = Settings::from_env();
    // Before this bench loads the machine.
    let machine = machine();
    let binary = PathBuf::from(BINARY);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let scratch = tempfile::Builder::new()
        .prefix("imapdoctor-bench-")
        .tempdir()
        .expect("a scratch directory");
    eprintln!("roundtrips: binary {}", binary.display());

    // On this thread, which keeps it (see Dovecot::start).
    let dovecot = if settings.wants(&[
        "tls-full",
        "starttls-full",
        "connectivity",
        "dead-ipv6",
        "curl",
        "cpu",
    ]) {
        Dovecot::start()
    } else {
        None
    };
    let curl = which("curl");
    let mut bench = Bench {
        settings: &settings,
        binary: &binary,
        rows: Vec::new(),
        notes: Vec::new(),
        lateness: Vec::new(),
    };
    match &dovecot {
        Some(dovecot) => {
            let ours_tls_full = bench.dovecot_rows(dovecot);
            match &curl {
                Some(curl) => bench.curl_row(dovecot, curl, scratch.path(), ours_tls_full),
                None => bench.skip("curl", "curl not installed"),
            }
        }
        None => {
            for name in [
                "tls-full",
                "starttls-full",
                "connectivity",
                "dead-ipv6",
                "curl",
            ] {
                bench.skip(name, "Dovecot (dovecot-imapd) not installed");
            }
        }
    }
    bench.scripted_tls_full_row(&runtime, scratch.path());
    bench.blackhole_row();
    bench.slow_drip_row(&runtime, scratch.path());
    let costs = bench.cost_rows(&runtime, dovecot.as_ref(), scratch.path());
    drop(dovecot);

    print!("{}", bench.render(&machine, &costs, curl.as_deref()));
}

/// Run-time settings (environment and arguments).
struct Settings {
    one_way: Duration,
    runs: usize,
    startup_runs: usize,
    trace: bool,
    filters: Vec<String>,
}

impl Settings {
    fn from_env() -> Settings {
        let number = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|&v| v > 0)
                .unwrap_or(default)
        };
        Settings {
            one_way: Duration::from_millis(number("BENCH_ONE_WAY_MS", ONE_WAY_MS)),
            runs: number("BENCH_RUNS", RUNS as u64) as usize,
            startup_runs: number("BENCH_STARTUP_RUNS", STARTUP_RUNS as u64) as usize,
            trace: std::env::var("BENCH_TRACE").is_ok_and(|v| v == "1"),
            filters: std::env::args()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .collect(),
        }
    }

    fn rtt(&self) -> Duration {
        2 * self.one_way
    }

    /// Whether the row `name` was selected.
    fn selected(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }

    fn wants(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.selected(n))
    }

    fn in_rtt(&self, wall: Duration) -> f64 {
        wall.as_secs_f64() / self.rtt().as_secs_f64()
    }
}

/// One row of the round-trip table.
struct Row {
    name: &'static str,
    what: String,
    /// Median wall time.
    wall: Option<Duration>,
    /// Median wall time in round trips (when round trips are what the row is about).
    rtt: Option<f64>,
    /// Fastest and slowest run, in round trips.
    spread: Option<(f64, f64)>,
    /// Median time the server took to answer, summed over the run (from the proxy's log).
    server_think: Option<Duration>,
    floor: Option<f64>,
    target: String,
    result: String,
}

/// The runs of one row.
struct Measured {
    samples: Vec<Sample>,
    /// Per run, when it went through a proxy: the server's think time.
    server_think: Vec<Duration>,
}

impl Measured {
    fn wall(&self) -> Duration {
        median(self.samples.iter().map(|s| s.wall))
    }

    fn server_think(&self) -> Option<Duration> {
        (!self.server_think.is_empty()).then(|| median(self.server_think.iter().copied()))
    }
}

/// A cost figure.
struct Cost {
    what: String,
    value: String,
    target: String,
    result: String,
}

struct Bench<'a> {
    settings: &'a Settings,
    binary: &'a Path,
    rows: Vec<Row>,
    notes: Vec<String>,
    /// (proxy, lateness) of every proxy used.
    lateness: Vec<latency::Lateness>,
}

/// A program with its arguments and environment.
struct Invocation<'a> {
    program: &'a Path,
    args: &'a [String],
    env: &'a [(String, String)],
}

/// What a run must show to count.
type Expect<'e> = &'e dyn Fn(&Sample, &Value) -> Result<(), String>;

impl Bench<'_> {
    fn skip(&mut self, name: &'static str, why: &str) {
        if self.settings.selected(name) {
            self.rows.push(Row {
                name,
                what: what(name),
                wall: None,
                rtt: None,
                spread: None,
                server_think: None,
                floor: None,
                target: String::new(),
                result: format!("skipped: {why}"),
            });
        }
    }

    /// Runs imapdoctor `runs` times (after one discarded warm-up run if asked) and checks each
    /// report; returns the samples or why a run does not count.
    fn measure(
        &self,
        name: &str,
        args: &[String],
        env: &[(String, String)],
        warm_up: bool,
        expect: Expect,
        proxy: Option<&LatencyProxy>,
    ) -> Result<Measured, String> {
        let check_report = |s: &Sample| {
            let json: Value = serde_json::from_str(&s.stdout).map_err(|e| {
                format!(
                    "exit {}, no JSON report ({e}); stderr: {}",
                    s.code,
                    first_line(&s.stderr)
                )
            })?;
            expect(s, &json).map_err(|why| format!("{why} [{}]", describe(s, &json)))
        };
        let invocation = Invocation {
            program: self.binary,
            args,
            env,
        };
        self.measure_program(name, invocation, warm_up, &check_report, proxy)
    }

    fn measure_program(
        &self,
        name: &str,
        Invocation { program, args, env }: Invocation,
        warm_up: bool,
        expect: &dyn Fn(&Sample) -> Result<(), String>,
        proxy: Option<&LatencyProxy>,
    ) -> Result<Measured, String> {
        eprint!("roundtrips: {name} ");
        let total = self.settings.runs + usize::from(warm_up);
        let mut measured = Measured {
            samples: Vec::new(),
            server_think: Vec::new(),
        };
        for i in 0..total {
            if let Some(proxy) = proxy {
                proxy.take_events();
            }
            let sample = child::run(program, args, env, true)
                .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
            if let Err(why) = expect(&sample) {
                eprintln!("ERROR");
                return Err(format!("run {}: {why}", i + 1));
            }
            eprint!(".");
            if i >= usize::from(warm_up) {
                measured.samples.push(sample);
                if let Some(proxy) = proxy {
                    let events = proxy.take_events();
                    measured
                        .server_think
                        .push(think(&events, self.settings.one_way).server);
                }
            }
            if proxy.is_some() {
                // Let the connection's close reach the server and the server tidy up, so that
                // runs do not overlap.
                std::thread::sleep(BETWEEN_RUNS.max(4 * self.settings.one_way));
            }
        }
        eprintln!(" {:.0} ms", ms(measured.wall()));
        Ok(measured)
    }

    /// The fastest and the slowest run, in round trips.
    fn spread(&self, measured: &Measured) -> (f64, f64) {
        let walls = measured.samples.iter().map(|s| s.wall);
        (
            self.settings
                .in_rtt(walls.clone().min().unwrap_or_default()),
            self.settings.in_rtt(walls.max().unwrap_or_default()),
        )
    }

    /// A row whose target is a number of round trips.
    fn rtt_row(
        &mut self,
        name: &'static str,
        what: &str,
        measured: Result<Measured, String>,
        floor: f64,
        target: f64,
    ) -> Option<f64> {
        match measured {
            Ok(measured) => {
                let wall = measured.wall();
                let rtt = self.settings.in_rtt(wall);
                let server_think = measured.server_think();
                // When missed: how much of the overshoot is the server's.
                let note = match server_think {
                    Some(think) if rtt > target => format!(
                        "{:.2} RTT without the server's think time",
                        self.settings.in_rtt(wall.saturating_sub(think))
                    ),
                    _ => String::new(),
                };
                self.rows.push(Row {
                    name,
                    what: what.to_string(),
                    wall: Some(wall),
                    rtt: Some(rtt),
                    spread: Some(self.spread(&measured)),
                    server_think,
                    floor: Some(floor),
                    target: format!("≤ {target} RTT"),
                    result: verdict(rtt <= target, &note),
                });
                Some(rtt)
            }
            Err(why) => {
                self.error_row(name, what, Some(floor), &format!("≤ {target} RTT"), &why);
                None
            }
        }
    }

    fn error_row(
        &mut self,
        name: &'static str,
        what: &str,
        floor: Option<f64>,
        target: &str,
        why: &str,
    ) {
        self.rows.push(Row {
            name,
            what: what.to_string(),
            wall: None,
            rtt: None,
            spread: None,
            server_think: None,
            floor,
            target: target.to_string(),
            result: format!("ERROR: {}", table_text(why)),
        });
    }

    /// tls-full, starttls-full, connectivity and dead-ipv6; returns tls-full in round trips.
    fn dovecot_rows(&mut self, dovecot: &Dovecot) -> Option<f64> {
        let one_way = self.settings.one_way;
        let ca = dovecot.ca_file.display().to_string();
        let password = vec![("IMAPDOCTOR_PASSWORD".to_string(), dovecot.password.clone())];
        let imaps = SocketAddr::new(dovecot.host, dovecot.imaps_port);
        let imap = SocketAddr::new(dovecot.host, dovecot.imap_port);
        let tls_proxy = LatencyProxy::start(imaps, one_way);
        let plain_proxy = LatencyProxy::start(imap, one_way);
        let mut tls_full = None;

        if self.settings.selected("tls-full") {
            let target = format!("imaps://127.0.0.1:{}", tls_proxy.port());
            let args = doctor_args(&["--ca-file", &ca, "--user", &dovecot.user], &target);
            let measured = self.measure(
                "tls-full",
                &args,
                &password,
                true,
                &passes(&ALL_CHECKS),
                Some(&tls_proxy),
            );
            self.trace("tls-full", self.binary, &args, &password, &tls_proxy);
            tls_full = self.rtt_row("tls-full", &what("tls-full"), measured, 5.0, 5.5);
        }
        if self.settings.selected("starttls-full") {
            let target = format!("imap://127.0.0.1:{}", plain_proxy.port());
            let args = doctor_args(&["--ca-file", &ca, "--user", &dovecot.user], &target);
            let measured = self.measure(
                "starttls-full",
                &args,
                &password,
                true,
                &passes(&ALL_CHECKS),
                Some(&plain_proxy),
            );
            self.trace("starttls-full", self.binary, &args, &password, &plain_proxy);
            self.rtt_row("starttls-full", &what("starttls-full"), measured, 7.0, 7.5);
        }
        if self.settings.selected("connectivity") {
            let target = format!("imaps://127.0.0.1:{}", tls_proxy.port());
            let args = doctor_args(&["--ca-file", &ca], &target);
            let measured = self.measure(
                "connectivity",
                &args,
                &[],
                true,
                &passes(&["dns", "tcp", "tls", "capability"]),
                Some(&tls_proxy),
            );
            self.trace("connectivity", self.binary, &args, &[], &tls_proxy);
            self.rtt_row("connectivity", &what("connectivity"), measured, 3.0, 3.5);
        }
        if self.settings.selected("dead-ipv6") {
            self.dead_ipv6_row(imaps, &ca);
        }
        self.lateness.push(tls_proxy.lateness());
        self.lateness.push(plain_proxy.lateness());
        tls_full
    }

    /// A name with a blackholed IPv6 address and a working IPv4 one (through the proxy).
    fn dead_ipv6_row(&mut self, upstream: SocketAddr, ca: &str) {
        let name = "dead-ipv6";
        let what = &what(name);
        let rtt = self.settings.rtt();
        let budget = HAPPY_EYEBALLS_BUDGET + rtt.mul_f64(3.5);
        let target = format!("≤ {:.0} ms (300 ms + 3.5 RTT)", ms(budget));
        let (hole, proxy) = match dead_ipv6_pair(upstream, self.settings.one_way) {
            Ok(pair) => pair,
            Err(why) => return self.skip(name, &why),
        };
        // A plain connect must hang for more than a second: otherwise the row measures nothing.
        if !hole.hangs(Duration::from_millis(1200)) {
            return self.skip(name, "could not blackhole [::1] (connect did not hang)");
        }
        self.notes.push(format!(
            "dead-ipv6: [::1]:{} blackholed by {:?} (a plain connect() to it got no answer in 1.2 s)",
            hole.port(),
            hole.method()
        ));
        let port = proxy.port();
        let resolve = format!("localhost:{port}:[::1],127.0.0.1");
        let target_url = format!("imaps://localhost:{port}");
        let args = doctor_args(&["--ca-file", ca, "--resolve", &resolve], &target_url);
        // The verdict names the broken IPv6 (fault: local) but the run succeeds.
        let expect = |s: &Sample, json: &Value| {
            if s.code != 0 || json["verdict"]["code"] != "tcp.ipv6_broken" {
                return Err("expected exit 0 with verdict tcp.ipv6_broken".into());
            }
            for id in ["dns", "tls", "capability"] {
                if check(json, id)["status"] != "pass" {
                    return Err(format!("check {id} did not pass"));
                }
            }
            let tcp = check(json, "tcp");
            let connected = tcp["details"]["connected"].as_str().unwrap_or_default();
            if connected != format!("127.0.0.1:{port}") {
                return Err(format!("connected to {connected:?}, not 127.0.0.1:{port}"));
            }
            let attempts = tcp["details"]["attempts"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let v6 = attempts
                .iter()
                .find(|a| a["address"] == format!("[::1]:{port}").as_str());
            match v6 {
                Some(a) if a["outcome"] != "connected" => Ok(()),
                _ => Err("no unanswered attempt to [::1]".to_string()),
            }
        };
        let measured = self.measure(name, &args, &[], true, &expect, Some(&proxy));
        self.trace(name, self.binary, &args, &[], &proxy);
        match measured {
            Ok(measured) => {
                let wall = measured.wall();
                self.rows.push(Row {
                    name,
                    what: what.to_string(),
                    wall: Some(wall),
                    rtt: Some(self.settings.in_rtt(wall)),
                    spread: Some(self.spread(&measured)),
                    server_think: measured.server_think(),
                    floor: Some(3.0 + ATTEMPT_DELAY.as_secs_f64() / rtt.as_secs_f64()),
                    target,
                    result: verdict(wall <= budget, ""),
                });
            }
            Err(why) => self.error_row(name, what, None, &target, &why),
        }
        self.lateness.push(proxy.lateness());
    }

    /// curl's LIST of the root through the same proxy against the same Dovecot.
    fn curl_row(&mut self, dovecot: &Dovecot, curl: &Path, scratch: &Path, ours: Option<f64>) {
        let name = "curl";
        if !self.settings.selected(name) {
            return;
        }
        let what = &what(name);
        let target = "tls-full takes fewer RTT";
        let proxy = LatencyProxy::start(
            SocketAddr::new(dovecot.host, dovecot.imaps_port),
            self.settings.one_way,
        );
        // The password goes in a netrc file, not on the command line.
        let netrc = scratch.join("netrc");
        std::fs::write(
            &netrc,
            format!(
                "machine 127.0.0.1 login {} password {}\n",
                dovecot.user, dovecot.password
            ),
        )
        .expect("writing the netrc file");
        let args: Vec<String> = [
            "-s",
            "-S",
            "--cacert",
            &dovecot.ca_file.display().to_string(),
            "--netrc-file",
            &netrc.display().to_string(),
            &format!("imaps://127.0.0.1:{}/", proxy.port()),
        ]
        .map(String::from)
        .to_vec();
        let expect = |s: &Sample| {
            if s.code == 0 && s.stdout.contains("INBOX") {
                Ok(())
            } else {
                Err(format!(
                    "curl exit {}, no INBOX in its LIST: {}",
                    s.code,
                    first_line(&s.stderr)
                ))
            }
        };
        let measured = self.measure_program(
            name,
            Invocation {
                program: curl,
                args: &args,
                env: &[],
            },
            true,
            &expect,
            Some(&proxy),
        );
        self.trace(name, curl, &args, &[], &proxy);
        match measured {
            Ok(measured) => {
                let wall = measured.wall();
                let theirs = self.settings.in_rtt(wall);
                let result = match ours {
                    Some(ours) => verdict(
                        ours < theirs,
                        &format!(
                            "tls-full/curl = {:.2} ({ours:.2} vs {theirs:.2} RTT)",
                            ours / theirs
                        ),
                    ),
                    None => "– (no tls-full figure to compare)".to_string(),
                };
                self.rows.push(Row {
                    name,
                    what: what.to_string(),
                    wall: Some(wall),
                    rtt: Some(theirs),
                    spread: Some(self.spread(&measured)),
                    server_think: measured.server_think(),
                    floor: None,
                    target: target.to_string(),
                    result,
                });
            }
            Err(why) => self.error_row(name, what, None, target, &why),
        }
        self.lateness.push(proxy.lateness());
    }

    /// The target port drops SYNs: the run must end at its --timeout.
    fn blackhole_row(&mut self) {
        let name = "blackhole";
        if !self.settings.selected(name) {
            return;
        }
        let what = what(name);
        let limit = Duration::from_secs(STEP_TIMEOUT_S) + TIMEOUT_SLACK;
        let target = format!("≤ {:.0} ms (timeout + 0.2 s)", ms(limit));
        let hole = match Blackhole::bind(IpAddr::V4(Ipv4Addr::LOCALHOST)) {
            Ok(hole) if hole.hangs(Duration::from_millis(1200)) => hole,
            Ok(_) => {
                return self.skip(name, "could not blackhole 127.0.0.1 (connect did not hang)");
            }
            Err(e) => return self.skip(name, &format!("could not blackhole 127.0.0.1: {e}")),
        };
        self.notes.push(format!(
            "blackhole: 127.0.0.1:{} blackholed by {:?} (a plain connect() to it got no answer in 1.2 s)",
            hole.port(),
            hole.method()
        ));
        let timeout = STEP_TIMEOUT_S.to_string();
        let args = doctor_args(
            &["--timeout", &timeout],
            &format!("imaps://127.0.0.1:{}", hole.port()),
        );
        let measured = self.measure(
            name,
            &args,
            &[],
            false,
            &fails_with(11, "tcp.timeout"),
            None,
        );
        self.timeout_row(name, &what, measured, limit, &target);
    }

    /// tls-full against the in-process scripted server, whose think time is next to nothing:
    /// what is left above the floor is imapdoctor's own (and the process's start and exit).
    fn scripted_tls_full_row(&mut self, runtime: &tokio::runtime::Runtime, scratch: &Path) {
        let name = "tls-full-scripted";
        if !self.settings.selected(name) {
            return;
        }
        let (server, ca_file) = scripted(runtime, scratch, "full", Opening::Standard);
        let proxy = LatencyProxy::start(server.addr(), self.settings.one_way);
        let args = doctor_args(
            &["--ca-file", &ca_file, "--user", server::DEMO_USER],
            &format!("imaps://127.0.0.1:{}", proxy.port()),
        );
        let env = vec![(
            "IMAPDOCTOR_PASSWORD".to_string(),
            server::DEMO_PASSWORD.to_string(),
        )];
        let measured = self.measure(name, &args, &env, true, &passes(&ALL_CHECKS), Some(&proxy));
        self.trace(name, self.binary, &args, &env, &proxy);
        self.rtt_row(name, &what(name), measured, 5.0, 5.5);
        self.lateness.push(proxy.lateness());
    }

    /// A greeting that drips one byte per 500 ms: the run must end at the step's timeout.
    fn slow_drip_row(&mut self, runtime: &tokio::runtime::Runtime, scratch: &Path) {
        let name = "slow-drip";
        if !self.settings.selected(name) {
            return;
        }
        let what = what(name);
        let limit = Duration::from_secs(STEP_TIMEOUT_S) + TIMEOUT_SLACK;
        let target = format!("≤ {:.0} ms (timeout + 0.2 s)", ms(limit));
        let line = format!(
            "* OK {}",
            "this greeting arrives one byte at a time ".repeat(4)
        );
        let (server, ca_file) = scripted(
            runtime,
            scratch,
            "drip",
            Opening::Drip {
                line,
                interval: Duration::from_millis(500),
            },
        );
        let timeout = STEP_TIMEOUT_S.to_string();
        let args = doctor_args(
            &["--ca-file", &ca_file, "--timeout", &timeout],
            &format!("imaps://127.0.0.1:{}", server.port()),
        );
        let measured = self.measure(
            name,
            &args,
            &[],
            false,
            &fails_with(13, "capability.timeout"),
            None,
        );
        self.timeout_row(name, &what, measured, limit, &target);
    }

    fn timeout_row(
        &mut self,
        name: &'static str,
        what: &str,
        measured: Result<Measured, String>,
        limit: Duration,
        target: &str,
    ) {
        match measured {
            Ok(measured) => {
                let wall = measured.wall();
                let worst = measured
                    .samples
                    .iter()
                    .map(|s| s.wall)
                    .max()
                    .unwrap_or_default();
                self.rows.push(Row {
                    name,
                    what: what.to_string(),
                    wall: Some(wall),
                    rtt: None,
                    spread: None,
                    server_think: None,
                    floor: None,
                    target: target.to_string(),
                    result: verdict(wall <= limit, &format!("slowest run {:.0} ms", ms(worst))),
                });
            }
            Err(why) => self.error_row(name, what, None, target, &why),
        }
    }

    /// CPU, memory and start-up figures.
    fn cost_rows(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        dovecot: Option<&Dovecot>,
        scratch: &Path,
    ) -> Vec<Cost> {
        let mut costs = Vec::new();
        let n = self.settings.runs;
        if self.settings.selected("cpu") {
            // A full check on loopback, no proxy: Dovecot, or the scripted server without it.
            let mut _scripted: Option<ServerHandle> = None;
            let (args, env, against) = match dovecot {
                Some(d) => (
                    doctor_args(
                        &[
                            "--ca-file",
                            &d.ca_file.display().to_string(),
                            "--user",
                            &d.user,
                        ],
                        &format!("imaps://{}:{}", d.host, d.imaps_port),
                    ),
                    vec![("IMAPDOCTOR_PASSWORD".to_string(), d.password.clone())],
                    "Dovecot",
                ),
                None => {
                    let (server, ca_file) = scripted(runtime, scratch, "cpu", Opening::Standard);
                    let port = server.port();
                    _scripted = Some(server);
                    (
                        doctor_args(
                            &["--ca-file", &ca_file, "--user", server::DEMO_USER],
                            &format!("imaps://127.0.0.1:{port}"),
                        ),
                        vec![(
                            "IMAPDOCTOR_PASSWORD".to_string(),
                            server::DEMO_PASSWORD.to_string(),
                        )],
                        "the scripted server (Dovecot not installed)",
                    )
                }
            };
            match self.measure("cpu", &args, &env, true, &passes(&ALL_CHECKS), None) {
                Ok(Measured { samples, .. }) => {
                    let cpu = median(samples.iter().map(|s| s.cpu));
                    let wall = median(samples.iter().map(|s| s.wall));
                    let rss = samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
                    costs.push(Cost {
                        what: format!(
                            "CPU (user+sys) of a full implicit-TLS check against {against} on loopback, median of {n}"
                        ),
                        value: format!("{:.1} ms", ms(cpu)),
                        target: "≤ 15 ms".into(),
                        result: verdict(cpu <= Duration::from_millis(15), ""),
                    });
                    costs.push(Cost {
                        what: "wall time of that check, median".into(),
                        value: format!("{:.1} ms", ms(wall)),
                        target: "–".into(),
                        result: "–".into(),
                    });
                    costs.push(Cost {
                        what: format!("peak RSS of that check, worst of {n}"),
                        value: mib(rss),
                        target: "≤ 20 MiB".into(),
                        result: verdict(rss <= 20 * 1024, ""),
                    });
                }
                Err(why) => costs.push(Cost {
                    what: format!("CPU and peak RSS of a full check against {against}"),
                    value: "–".into(),
                    target: "≤ 15 ms, ≤ 20 MiB".into(),
                    result: format!("ERROR: {}", table_text(&why)),
                }),
            }
        }
        if self.settings.selected("endless") {
            let (server, ca_file) = scripted(runtime, scratch, "endless", Opening::EndlessLine);
            let args = doctor_args(
                &["--ca-file", &ca_file],
                &format!("imaps://127.0.0.1:{}", server.port()),
            );
            let what = format!("peak RSS against an endless greeting line, worst of {n}");
            match self.measure(
                "endless",
                &args,
                &[],
                false,
                &fails_with(13, "capability.too_long"),
                None,
            ) {
                Ok(Measured { samples, .. }) => {
                    let rss = samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
                    costs.push(Cost {
                        what,
                        value: mib(rss),
                        target: "≤ 64 MiB".into(),
                        result: verdict(rss <= 64 * 1024, ""),
                    });
                }
                Err(why) => costs.push(Cost {
                    what,
                    value: "–".into(),
                    target: "≤ 64 MiB".into(),
                    result: format!("ERROR: {}", table_text(&why)),
                }),
            }
        }
        if self.settings.selected("startup") {
            let runs = self.settings.startup_runs;
            eprint!("roundtrips: startup ");
            let version = self.startup(self.binary, &["--version"], runs);
            let baseline = which("true").map(|t| self.startup(&t, &[], runs));
            eprintln!();
            match version {
                Ok(wall) => costs.push(Cost {
                    what: format!(
                        "`imapdoctor --version` start-up, spawn to exit, median of {runs}"
                    ),
                    value: format!("{:.2} ms", ms(wall)),
                    target: "≤ 5 ms".into(),
                    result: verdict(
                        wall <= Duration::from_millis(5),
                        &match baseline {
                            Some(Ok(b)) => format!("`/bin/true` the same way: {:.2} ms", ms(b)),
                            _ => String::new(),
                        },
                    ),
                }),
                Err(why) => costs.push(Cost {
                    what: "`imapdoctor --version` start-up".into(),
                    value: "–".into(),
                    target: "≤ 5 ms".into(),
                    result: format!("ERROR: {}", table_text(&why)),
                }),
            }
        }
        costs
    }

    /// Median wall time of `runs` runs of `program args` that must exit 0.
    fn startup(&self, program: &Path, args: &[&str], runs: usize) -> Result<Duration, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut walls = Vec::new();
        for _ in 0..runs {
            let s = child::run(program, &args, &[], false)
                .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
            if s.code != 0 {
                return Err(format!("{} exited {}", program.display(), s.code));
            }
            walls.push(s.wall);
        }
        eprint!(".");
        Ok(median(walls.into_iter()))
    }

    /// With BENCH_TRACE=1: one more run (imapdoctor with `-v`), its transcript and the proxy's
    /// log of the connection on stderr, with each side's think time, in ms and round trips.
    fn trace(
        &self,
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
        proxy: &LatencyProxy,
    ) {
        if !self.settings.trace {
            return;
        }
        let ours = program == self.binary;
        let mut args = args.to_vec();
        if ours {
            args.insert(0, "-v".to_string());
        }
        proxy.take_events();
        let spawned = std::time::Instant::now();
        let Ok(sample) = child::run(program, &args, env, true) else {
            return;
        };
        let events = proxy.take_events();
        let rtt_ms = ms(self.settings.rtt());
        eprintln!(
            "--- {name}: one traced run: wall {:.1} ms = {:.2} RTT ---",
            ms(sample.wall),
            self.settings.in_rtt(sample.wall)
        );
        if ours {
            let json: Value = serde_json::from_str(&sample.stdout).unwrap_or_default();
            for check in json["checks"].as_array().into_iter().flatten() {
                eprintln!(
                    "    check {:<10} {:>5} ms {:<5} {}",
                    check["id"].as_str().unwrap_or_default(),
                    check["duration_ms"],
                    check["status"].as_str().unwrap_or_default(),
                    check["summary"].as_str().unwrap_or_default()
                );
            }
            eprintln!("  transcript (t from the tool's own start):");
            for line in json["transcript"].as_array().into_iter().flatten() {
                let t = line["t_ms"].as_f64().unwrap_or_default();
                let prefix = match (line["direction"].as_str(), line["tls"].as_bool()) {
                    (Some("client"), Some(false)) => "->",
                    (Some("client"), _) => "~>",
                    (Some("server"), Some(false)) => "<-",
                    (Some("server"), _) => "<~",
                    _ => "===",
                };
                let text: String = line["text"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(100)
                    .collect();
                eprintln!("  {t:>7.0} ms {:>5.2} RTT  {prefix} {text}", t / rtt_ms);
            }
        }
        // The proxy's view, from the spawn of the process.
        let offset = ms(spawned.saturating_duration_since(proxy.epoch()));
        let at = |e: &latency::Event| ms(e.at) - offset;
        // The run's connection (the log may end with the previous run's close).
        let Some(first) = events
            .iter()
            .find(|e| e.kind == latency::EventKind::Accepted)
        else {
            return;
        };
        eprintln!(
            "  proxy log (t from the spawn; think = time a side took to answer what it had received):"
        );
        let gate = at(first) + 2.0 * ms(self.settings.one_way);
        let (mut client_turn, mut server_turn) = (Some(at(first)), None::<f64>);
        for e in events.iter().filter(|e| e.connection == first.connection) {
            use latency::{Direction::*, EventKind::*};
            let t = at(e);
            let mut note = String::new();
            match (e.kind, e.direction) {
                (UpstreamConnected, _) | (Delivered, ToServer) => server_turn = Some(t),
                (Delivered, ToClient) => client_turn = Some(t),
                (Read | Closed, ToServer) => {
                    if let Some(turn) = client_turn.take() {
                        let hidden = if t <= gate {
                            " (hidden by the handshake)"
                        } else {
                            ""
                        };
                        note = format!("client think {:.1} ms{hidden}", t - turn);
                    }
                }
                (Read | Closed, ToClient) => {
                    if let Some(turn) = server_turn.take() {
                        note = format!("server think {:.1} ms", t - turn);
                    }
                }
                _ => {}
            }
            let what = match (e.kind, e.direction) {
                (Accepted, _) => "client connected to the proxy".to_string(),
                (UpstreamConnected, _) => "proxy connected to the server".to_string(),
                (Read, ToServer) => format!("client sent {} B", e.bytes),
                (Read, ToClient) => format!("server sent {} B", e.bytes),
                (Delivered, ToServer) => format!("  server got {} B", e.bytes),
                (Delivered, ToClient) => format!("  client got {} B", e.bytes),
                (Closed, ToServer) => "client closed".to_string(),
                (Closed, ToClient) => "server closed".to_string(),
                (CloseDelivered, ToServer) => "  server saw the close".to_string(),
                (CloseDelivered, ToClient) => "  client saw the close".to_string(),
            };
            eprintln!("  {t:>7.1} ms {:>5.2} RTT  {what:<32} {note}", t / rtt_ms);
        }
        let Think {
            client,
            hidden,
            server,
        } = think(&events, self.settings.one_way);
        let last_from_client = events
            .iter()
            .filter(|e| e.connection == first.connection)
            .filter(|e| e.direction == latency::Direction::ToServer)
            .filter(|e| {
                matches!(
                    e.kind,
                    latency::EventKind::Read | latency::EventKind::Closed
                )
            })
            .map(at)
            .fold(0.0, f64::max);
        eprintln!(
            "  summary: spawn → connect {:.1} ms; client think {:.1} ms (+{:.1} ms hidden by the handshake); server think {:.1} ms; last client byte → exit {:.1} ms",
            at(first),
            ms(client),
            ms(hidden),
            ms(server),
            ms(sample.wall) - last_from_client,
        );
    }

    fn render(&self, machine: &str, costs: &[Cost], curl: Option<&Path>) -> String {
        let s = self.settings;
        let mut out = String::new();
        let _ = writeln!(out, "### imapdoctor: round trips to a verdict");
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "D = {} ms one way (RTT {} ms), N = {} runs per row (median) · {} · binary: {}",
            s.one_way.as_millis(),
            s.rtt().as_millis(),
            s.runs,
            machine,
            binary_note(self.binary),
        );
        let mut versions = Vec::new();
        if let Some(v) = tool_version("dovecot", &["--version"]) {
            versions.push(format!("Dovecot {v}"));
        }
        if let Some(curl) = curl
            && let Some(v) = tool_version(&curl.display().to_string(), &["--version"])
        {
            versions.push(v);
        }
        if !versions.is_empty() {
            let _ = writeln!(out, "({})", versions.join(" · "));
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| scenario | what | median wall | wall in RTT (fastest–slowest) | server think | floor (RTT) | target | result |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---|---|");
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                row.name,
                row.what,
                row.wall.map_or("–".into(), |w| format!("{:.0} ms", ms(w))),
                match (row.rtt, row.spread) {
                    (Some(r), Some((lo, hi))) => format!("{r:.2} ({lo:.2}–{hi:.2})"),
                    (Some(r), None) => format!("{r:.2}"),
                    _ => "–".into(),
                },
                row.server_think
                    .map_or("–".into(), |t| format!("{:.1} ms", ms(t))),
                row.floor.map_or("–".into(), |f| format!("{f:.1}")),
                if row.target.is_empty() {
                    "–"
                } else {
                    &row.target
                },
                row.result,
            );
        }
        let _ = writeln!(out);
        let chunks: u64 = self.lateness.iter().map(|l| l.chunks).sum();
        if chunks > 0 {
            let mean_ns: u128 = self
                .lateness
                .iter()
                .map(|l| l.mean.as_nanos() * u128::from(l.chunks))
                .sum::<u128>()
                / u128::from(chunks);
            let max = self
                .lateness
                .iter()
                .map(|l| l.max)
                .max()
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- proxy accuracy: {chunks} chunks delivered {:.3} ms late on average (worst {:.3} ms) per one-way hop",
                mean_ns as f64 / 1e6,
                ms(max)
            );
        }
        let _ = writeln!(
            out,
            "- wall time is spawn to exit of the process (start-up included); the proxy delays each direction by D and models the TCP handshake (client data leaves after 1 RTT, the server accepts at 1.5 RTT)"
        );
        for note in &self.notes {
            let _ = writeln!(out, "- {note}");
        }
        if !costs.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "### imapdoctor: cost of a check");
            let _ = writeln!(out);
            let _ = writeln!(out, "| figure | value | target | result |");
            let _ = writeln!(out, "|---|---:|---|---|");
            for c in costs {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    c.what, c.value, c.target, c.result
                );
            }
        }
        out
    }
}

/// Every check of a logged-in run.
const ALL_CHECKS: [&str; 6] = ["dns", "tcp", "tls", "capability", "auth", "folders"];

/// What a row measures.
fn what(name: &str) -> String {
    match name {
        "tls-full" => "implicit TLS, login, folders (Dovecot)".into(),
        "starttls-full" => "STARTTLS, login, folders (Dovecot)".into(),
        "connectivity" => "implicit TLS, no --user (Dovecot)".into(),
        "dead-ipv6" => {
            "`--resolve` to [::1] (blackholed) and 127.0.0.1, no --user (Dovecot)".into()
        }
        "curl" => "`curl imaps://…/`: TCP, TLS, CAPABILITY, login, LIST, LOGOUT (Dovecot)".into(),
        "tls-full-scripted" => {
            "as tls-full, against the scripted server (no server think time)".into()
        }
        "blackhole" => {
            format!("target port blackholed, `--timeout {STEP_TIMEOUT_S}` (no proxy)")
        }
        "slow-drip" => format!(
            "greeting drips 1 byte / 500 ms, `--timeout {STEP_TIMEOUT_S}` (scripted server, no proxy)"
        ),
        _ => String::new(),
    }
}

/// `--json --no-control EXTRA… TARGET`.
fn doctor_args(extra: &[&str], target: &str) -> Vec<String> {
    ["--json", "--no-control"]
        .iter()
        .chain(extra)
        .chain([&target])
        .map(|a| a.to_string())
        .collect()
}

/// The run exits 0, with no fault, and these checks passed (or warned).
fn passes(checks: &[&'static str]) -> impl Fn(&Sample, &Value) -> Result<(), String> + use<> {
    let checks = checks.to_vec();
    move |s, json| {
        if s.code != 0 || json["verdict"]["fault"] != "none" {
            return Err("expected exit 0 and no fault".into());
        }
        for id in &checks {
            let status = check(json, id)["status"].as_str().unwrap_or_default();
            if status != "pass" && status != "warn" {
                return Err(format!("check {id} is {status:?}"));
            }
        }
        Ok(())
    }
}

/// The run exits `exit` with a failed check whose error code is `code`.
fn fails_with(exit: i32, code: &'static str) -> impl Fn(&Sample, &Value) -> Result<(), String> {
    move |s, json| {
        let found = json["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["status"] == "fail" && c["error"]["code"] == code);
        if s.code == exit && found {
            Ok(())
        } else {
            Err(format!("expected exit {exit} with {code}"))
        }
    }
}

fn check<'j>(json: &'j Value, id: &str) -> &'j Value {
    json["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .unwrap_or(&Value::Null)
}

/// What a run ended with, for an ERROR.
fn describe(s: &Sample, json: &Value) -> String {
    let failed: Vec<String> = json["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] == "fail")
        .map(|c| {
            format!(
                "{}: {}",
                c["error"]["code"].as_str().unwrap_or_default(),
                c["summary"].as_str().unwrap_or_default()
            )
        })
        .collect();
    format!(
        "exit {}, verdict {} ({}){}",
        s.code,
        json["verdict"]["code"].as_str().unwrap_or("?"),
        json["verdict"]["fault"].as_str().unwrap_or("?"),
        if failed.is_empty() {
            String::new()
        } else {
            format!("; {}", failed.join("; "))
        }
    )
}

/// Time each side of a proxied connection took to answer what it had received, summed over the
/// turns of the first connection in `events`.
struct Think {
    /// The client's, once its bytes could leave (after the handshake's round trip).
    client: Duration,
    /// The client's before that: hidden by the TCP handshake on a real network.
    hidden: Duration,
    /// The server's.
    server: Duration,
}

fn think(events: &[latency::Event], one_way: Duration) -> Think {
    use latency::{Direction::*, EventKind::*};
    let mut total = Think {
        client: Duration::ZERO,
        hidden: Duration::ZERO,
        server: Duration::ZERO,
    };
    let Some(first) = events.iter().find(|e| e.kind == Accepted) else {
        return total;
    };
    let gate = first.at + 2 * one_way;
    let (mut client_turn, mut server_turn) = (Some(first.at), None);
    for e in events.iter().filter(|e| e.connection == first.connection) {
        match (e.kind, e.direction) {
            (UpstreamConnected, _) | (Delivered, ToServer) => server_turn = Some(e.at),
            (Delivered, ToClient) => client_turn = Some(e.at),
            (Read | Closed, ToServer) => {
                if let Some(turn) = client_turn.take() {
                    let took = e.at.saturating_sub(turn);
                    if e.at <= gate {
                        total.hidden += took;
                    } else {
                        total.client += took;
                    }
                }
            }
            (Read | Closed, ToClient) => {
                if let Some(turn) = server_turn.take() {
                    total.server += e.at.saturating_sub(turn);
                }
            }
            _ => {}
        }
    }
    total
}

/// A blackholed `[::1]:P` and a proxy on `127.0.0.1:P` (the same port).
fn dead_ipv6_pair(
    upstream: SocketAddr,
    one_way: Duration,
) -> Result<(Blackhole, LatencyProxy), String> {
    for _ in 0..10 {
        let hole = Blackhole::bind(IpAddr::V6(Ipv6Addr::LOCALHOST))
            .map_err(|e| format!("cannot blackhole [::1]: {e}"))?;
        if let Ok(listener) = TcpListener::bind((Ipv4Addr::LOCALHOST, hole.port())) {
            return Ok((hole, LatencyProxy::start_on(listener, upstream, one_way)));
        }
    }
    Err("no port free on both [::1] and 127.0.0.1".into())
}

/// A scripted implicit-TLS server with this opening, and its CA file.
fn scripted(
    runtime: &tokio::runtime::Runtime,
    scratch: &Path,
    name: &str,
    opening: Opening,
) -> (ServerHandle, String) {
    let ca = TestCa::new("imapdoctor bench CA");
    let leaf = ca.issue(&LeafSpec::valid_for(["127.0.0.1", "localhost"]));
    let ca_file = scratch.join(format!("{name}-ca.pem"));
    std::fs::write(&ca_file, &ca.cert_pem).expect("writing the CA file");
    let script =
        Script::healthy(server::Security::ImplicitTls(leaf.server_config())).with_opening(opening);
    let handle = runtime
        .block_on(server::spawn(script))
        .expect("starting the scripted server");
    (handle, ca_file.display().to_string())
}

fn median(values: impl Iterator<Item = Duration>) -> Duration {
    let mut values: Vec<Duration> = values.collect();
    values.sort();
    match values.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn verdict(ok: bool, note: &str) -> String {
    let word = if ok { "ok" } else { "MISSED" };
    if note.is_empty() {
        word.to_string()
    } else {
        format!("{word} ({note})")
    }
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}

/// Text safe inside a markdown table cell.
fn table_text(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `program` on PATH (or in the sbin directories).
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The first line a tool prints for its version.
fn tool_version(program: &str, args: &[&str]) -> Option<String> {
    let program = if program.contains('/') {
        PathBuf::from(program)
    } else {
        which(program)?
    };
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = first_line(&text);
    // curl's first line is long: keep "curl 8.14.1 (…)" short.
    Some(line.split(" (").next().unwrap_or(line).trim().to_string())
}

/// CPUs, kernel and CPU model.
fn machine() -> String {
    let nproc = std::process::Command::new("nproc")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".into())
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    format!("nproc {nproc}, Linux {kernel}, {model}, load average {load} before the run")
}

/// Where the binary is, and whether that is the optimized build.
fn binary_note(binary: &Path) -> String {
    let optimized = binary
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "release");
    let shown = binary
        .ancestors()
        .nth(3)
        .and_then(|root| binary.strip_prefix(root).ok())
        .unwrap_or(binary)
        .display()
        .to_string();
    if optimized {
        format!("`{shown}` (bench profile, optimized)")
    } else {
        format!("`{shown}` (WARNING: not target/release: not an optimized build?)")
    }
}
