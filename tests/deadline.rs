//! `--max-time` is a hard bound on every path: against hostile scripted servers and loopback
//! blackholes, with a `--timeout` far longer than `--max-time`, a run ends within `--max-time`
//! plus 100 ms (its own `duration_ms`), and spawn to exit adds no more than the process's own
//! start-up and exit (measured here with `--version`).
//! Each case also asserts the exit code and the verdict code, so a case that ends early for the
//! wrong reason fails too.
//! Unix only: the loopback blackholes are built from Unix socket options.
#![cfg(unix)]

mod support;

use std::net::{IpAddr, Ipv4Addr};

use support::latency::Blackhole;
use support::scripted::*;

const MAX_TIME_MS: u64 = 1500;
const SLACK_MS: u64 = 100;

/// One hostile case: what it runs and what it must end with.
struct Case {
    name: &'static str,
    args: Vec<String>,
    exit: i32,
    code: &'static str,
}

/// Spawn-to-exit of `imapdoctor --version`, the slowest of three: what a run costs besides its
/// own `duration_ms` (start-up, runtime, exit).
async fn start_up() -> Duration {
    let mut slowest = Duration::ZERO;
    for _ in 0..3 {
        let run = run(&["--version"], &[]).await;
        assert_eq!(run.code, 0);
        slowest = slowest.max(run.elapsed);
    }
    slowest
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_case_ends_within_max_time() {
    let ca = TestCa::new("t");
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca_file.path(), &ca.cert_pem).unwrap();
    let ca_path = ca_file.path().display().to_string();
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let (target_hole, control_hole) = (
        Blackhole::bind(loopback).unwrap(),
        Blackhole::bind(loopback).unwrap(),
    );
    let plain = Script::healthy(Security::Plain);
    let servers = [
        server::spawn(plain.clone().with_opening(Opening::Silent))
            .await
            .unwrap(),
        server::spawn(tls_script(&leaf(&ca)).with_opening(Opening::Silent))
            .await
            .unwrap(),
        server::spawn(tls_script(&leaf(&ca)).with_opening(Opening::Drip {
            line: "* OK this greeting arrives one byte at a time, and it is long".into(),
            interval: Duration::from_millis(200),
        }))
        .await
        .unwrap(),
        server::spawn(tls_script(&leaf(&ca)).with_after_login(AfterLogin::Hang))
            .await
            .unwrap(),
        server::spawn(Script {
            login_delay: Duration::from_secs(30),
            ..tls_script(&leaf(&ca))
        })
        .await
        .unwrap(),
    ];
    let port = |i: usize| servers[i].port();
    let case = |name, target: String, extra: &[&str], exit, code| Case {
        name,
        args: extra
            .iter()
            .map(|s| s.to_string())
            .chain([target])
            .collect(),
        exit,
        code,
    };
    let control = control_hole.addr().to_string();
    let cases = [
        case(
            "blackholed target, blackholed control",
            format!("imaps://{}", target_hole.addr()),
            &["--control", &control],
            11,
            "tcp.timeout",
        ),
        case(
            "silent plaintext port (TLS probe running)",
            format!("imap://127.0.0.1:{}", port(0)),
            &["--no-control"],
            13,
            "capability.timeout",
        ),
        case(
            "silent TLS handshake",
            format!("imaps://127.0.0.1:{}", port(0)),
            &["--no-control"],
            12,
            "tls.timeout",
        ),
        case(
            "silent after the TLS handshake",
            format!("imaps://127.0.0.1:{}", port(1)),
            &["--no-control"],
            13,
            "capability.timeout",
        ),
        case(
            "greeting dripping a byte per 200 ms",
            format!("imaps://127.0.0.1:{}", port(2)),
            &["--no-control"],
            13,
            "capability.timeout",
        ),
        case(
            "hang after login",
            format!("imaps://127.0.0.1:{}", port(3)),
            &["--no-control", "--user", USER],
            15,
            "folders.timeout",
        ),
        case(
            "login never answered",
            format!("imaps://127.0.0.1:{}", port(4)),
            &["--no-control", "--user", USER],
            14,
            "auth.timeout",
        ),
    ];
    let start_up = start_up().await;
    let mut table = vec![format!("start-up (slowest --version of 3): {start_up:?}")];
    let mut over = Vec::new();
    for case in &cases {
        let max_time = format!("{}", MAX_TIME_MS as f64 / 1000.0);
        let mut args = vec!["--json", "--ca-file", &ca_path, "--timeout", "30"];
        args.extend(["--max-time", &max_time]);
        args.extend(case.args.iter().map(String::as_str));
        let run = run(&args, &[("IMAPDOCTOR_PASSWORD", CANARY)]).await;
        run.assert_no_secret();
        assert_eq!(run.code, case.exit, "{}: {}", case.name, run.stdout);
        assert_eq!(
            run.verdict("code"),
            case.code,
            "{}: {}",
            case.name,
            run.stdout
        );
        let own = run.json.as_ref().unwrap()["duration_ms"].as_u64().unwrap();
        let wall = run.elapsed;
        table.push(format!(
            "{:<45} duration_ms {own:>5}  wall {:>5} ms",
            case.name,
            wall.as_millis()
        ));
        let wall_bound = Duration::from_millis(MAX_TIME_MS + SLACK_MS) + start_up;
        if own > MAX_TIME_MS + SLACK_MS || wall > wall_bound {
            over.push(format!(
                "{}: duration_ms {own}, wall {wall:?} (bound {wall_bound:?})",
                case.name
            ));
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(
        over.is_empty(),
        "over --max-time {MAX_TIME_MS} ms + {SLACK_MS} ms:\n{}\n\n{}",
        over.join("\n"),
        table.join("\n")
    );
}
