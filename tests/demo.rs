//! `imapdoctor demo`: `--list` names every fault with its verdict code, and each `--fault` ends
//! with that verdict, quickly, on loopback only (the nothing-reachable control is a loopback
//! port).

mod support;

use std::collections::BTreeMap;
use std::time::Instant;

/// Runs the binary in a clean environment; returns exit code, stdout, stderr.
fn imapdoctor(args: &[&str]) -> (i32, String, String) {
    let out = support::offline::imapdoctor(args);
    (out.code, out.stdout, out.stderr)
}

/// `demo --list` as fault name → verdict code.
fn listed() -> BTreeMap<String, String> {
    let (code, stdout, stderr) = imapdoctor(&["demo", "--list"]);
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next().unwrap().to_string();
            let code = words.next().unwrap_or_default().to_string();
            assert!(words.next().is_some(), "no description: {line:?}");
            (name, code)
        })
        .collect()
}

/// Runs `demo --fault FAULT --json` and checks the verdict: its code, its fault (owner) and the
/// exit code; returns the report.
fn demo(fault: &str, code: &str, owner: &str, exit: i32) -> serde_json::Value {
    let started = Instant::now();
    let (status, stdout, stderr) = imapdoctor(&["--json", "demo", "--fault", fault]);
    let took = started.elapsed();
    let why = format!("{fault}: stdout:\n{stdout}\nstderr:\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect(&why);
    support::schema::assert_conforms(&report);
    assert_eq!(report["verdict"]["code"], code, "{why}");
    assert_eq!(report["verdict"]["fault"], owner, "{why}");
    assert_eq!(status, exit, "{why}");
    assert_eq!(
        listed()[fault],
        code,
        "--list gives another code for {fault}"
    );
    println!("demo --fault {fault}: {} ms", took.as_millis());
    report
}

#[test]
fn list_has_one_line_per_fault_and_each_fault_ends_as_listed() {
    let faults = listed();
    assert!(faults.len() >= 11, "{faults:?}");
    for (fault, code) in &faults {
        let (_, stdout, stderr) = imapdoctor(&["--json", "demo", "--fault", fault]);
        let report: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{fault}: {stderr}"));
        support::schema::assert_conforms(&report);
        assert_eq!(report["verdict"]["code"], code.as_str(), "{fault}");
    }
}

#[test]
fn list_conflicts_with_fault() {
    let (code, stdout, _) = imapdoctor(&["demo", "--list", "--fault", "wrong-password"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
}

#[test]
fn blackholed_port_times_out_at_tcp() {
    let report = demo("blackholed-port", "tcp.timeout", "server", 11);
    assert_eq!(report["checks"][2]["error"]["code"], "tcp.timeout");
    assert!(report.get("control").is_none(), "{report}");
}

#[test]
fn plaintext_port_greets_where_tls_was_expected() {
    demo("plaintext-port", "tls.plaintext_greeting", "config", 12);
}

#[test]
fn interception_names_the_firewall() {
    let report = demo("interception", "tls.intercepted", "local", 12);
    let tls = report["checks"][3]["summary"].as_str().unwrap_or_default();
    assert!(tls.contains("FortiGate"), "{tls}");
}

#[test]
fn name_mismatch_names_the_certificates_name() {
    let report = demo("name-mismatch", "tls.name_mismatch", "server", 12);
    assert!(
        report["verdict"]["hints"]
            .to_string()
            .contains("mail.example.net")
    );
}

#[test]
fn throttled_login_is_the_servers_problem() {
    let report = demo("throttled-login", "auth.unavailable", "server", 14);
    let auth = &report["checks"][5];
    assert_eq!(auth["id"], "auth", "{report}");
    assert!(auth["duration_ms"].as_u64().unwrap() >= 1000, "{auth}");
}

#[test]
fn nothing_reachable_uses_a_loopback_control() {
    let report = demo(
        "nothing-reachable",
        "network.nothing_reachable",
        "local",
        11,
    );
    let probes = report["control"]["endpoints"]
        .as_array()
        .expect("control endpoints");
    assert!(!probes.is_empty());
    for probe in probes {
        assert_eq!(probe["host"], "127.0.0.1", "{probe}");
        assert_eq!(probe["outcome"], "unreachable", "{probe}");
    }
}
