//! The discover check through the binary, without any DNS: an e-mail address at a provider's own
//! domain is answered by the presets (no lookup), `--provider` applies a preset to any address,
//! and a given server is compared with the `--user` address's provider. Every run connects to a
//! closed loopback port through `--resolve` (the provider's name is never resolved) with
//! `--no-control`; what is asserted is the discover check's outcome. The sources that need DNS
//! (SRV, MX) are tested in `tests/netns.rs`'s lab.

mod support;

use serde_json::Value;
use support::offline::{Output, imapdoctor_with as imapdoctor};

/// The discover check of the run's report (always the first check).
fn discover_check(out: &Output) -> Value {
    let json = out.json();
    let check = json["checks"][0].clone();
    assert_eq!(check["id"], "discover", "{json}");
    check
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `--json --no-control --port P --resolve HOST:P:127.0.0.1`, P a closed port.
fn loopback_as(host: &str) -> Vec<String> {
    let port = closed_port();
    [
        "--json",
        "--no-control",
        "--max-time",
        "10",
        "--port",
        &port.to_string(),
        "--resolve",
        &format!("{host}:{port}:127.0.0.1"),
    ]
    .map(String::from)
    .to_vec()
}

fn run(mut args: Vec<String>, more: &[&str], env: &[(&str, &str)]) -> Output {
    args.extend(more.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    imapdoctor(&args, env)
}

#[test]
fn a_providers_own_domain_is_answered_by_its_preset_without_dns() {
    let out = run(loopback_as("imap.gmail.com"), &["alice@gmail.com"], &[]);
    // The chosen server was checked: its (closed) port refused the connection.
    assert_eq!(out.code, 11, "{}{}", out.stdout, out.stderr);
    // The --resolve entry is for the server found: no warning that it is unused.
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let report = out.json();
    let target = &report["target"];
    assert_eq!(target["input"], "alice@gmail.com");
    assert_eq!(target["host"], "imap.gmail.com");
    assert_eq!(target["user"], "alice@gmail.com");
    assert_eq!(report["checks"][1]["details"]["source"], "override");
    let discover = discover_check(&out);
    assert_eq!(discover["status"], "pass", "{discover}");
    let details = &discover["details"];
    assert_eq!(details["purpose"], "find");
    assert_eq!(details["domain"], "gmail.com");
    assert_eq!(details["chosen"]["host"], "imap.gmail.com");
    assert_eq!(details["chosen"]["port"], 993);
    assert_eq!(details["chosen"]["security"], "tls");
    assert_eq!(details["chosen_from"], "preset");
    let sources = details["sources"].as_array().unwrap();
    assert_eq!(sources[0]["outcome"], "found");
    assert!(
        sources[0]["answer"]
            .as_str()
            .unwrap()
            .contains("https://support.google.com/"),
        "{discover}"
    );
    // Nothing else was asked: no DNS query for a provider's own domain.
    for other in &sources[1..] {
        assert_eq!(other["outcome"], "skipped", "{other}");
    }
}

#[test]
fn provider_applies_a_preset_to_any_address() {
    let out = run(
        loopback_as("imap.fastmail.com"),
        &["--provider", "fastmail", "alice@example.test"],
        &[],
    );
    assert_eq!(out.code, 11, "{}{}", out.stdout, out.stderr);
    let discover = discover_check(&out);
    let details = &discover["details"];
    assert_eq!(details["chosen"]["host"], "imap.fastmail.com");
    assert_eq!(details["sources"][0]["query"], "--provider fastmail");
    assert!(
        discover["summary"]
            .as_str()
            .unwrap()
            .ends_with("from --provider fastmail"),
        "{discover}"
    );
    assert_eq!(out.json()["target"]["host"], "imap.fastmail.com");
}

#[test]
fn an_unknown_provider_is_a_usage_error_naming_the_known_ones() {
    let out = imapdoctor(&["--provider", "hotmale", "alice@example.test"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains("--provider \"hotmale\" is not a known provider")
            && out.stderr.contains("microsoft, google, icloud"),
        "{}",
        out.stderr
    );
    let out = imapdoctor(&["--provider", "google", "imap.example.test"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--provider applies to an e-mail address")
    );
}

#[test]
fn a_server_of_another_provider_than_the_users_is_a_warning_and_a_hint() {
    let out = run(
        loopback_as("outlook.office365.com"),
        &["--user", "alice@gmail.com", "outlook.office365.com"],
        &[("IMAPDOCTOR_PASSWORD", "Canary-discover-5d1")],
    );
    assert_eq!(out.code, 11, "{}{}", out.stdout, out.stderr);
    let discover = discover_check(&out);
    assert_eq!(discover["status"], "warn", "{discover}");
    assert_eq!(discover["warning"]["code"], "discover.provider_mismatch");
    assert_eq!(discover["details"]["purpose"], "compare");
    assert_eq!(discover["details"]["disagreeing"][0], "preset");
    let hints = out.json()["verdict"]["hints"].clone();
    assert!(
        hints[0]
            .as_str()
            .unwrap()
            .starts_with("Settings: alice@gmail.com's mail is at Gmail"),
        "{hints}"
    );
    // The same provider's server agrees.
    let out = run(
        loopback_as("imap.gmail.com"),
        &["--user", "alice@gmail.com", "imap.gmail.com"],
        &[("IMAPDOCTOR_PASSWORD", "Canary-discover-5d1")],
    );
    assert_eq!(discover_check(&out)["status"], "pass");
}

#[test]
fn a_server_target_skips_discovery() {
    let port = closed_port().to_string();
    let out = imapdoctor(
        &["--json", "--no-control", "--port", &port, "127.0.0.1"],
        &[],
    );
    assert_eq!(out.code, 11, "{}", out.stderr);
    let discover = discover_check(&out);
    assert_eq!(discover["status"], "skip");
    assert_eq!(discover["details"], Value::Null);
}

#[test]
fn the_human_report_lists_each_source() {
    let mut args = loopback_as("imap.mail.me.com");
    args[0] = "--no-color".into();
    let out = run(args, &["bob@icloud.com"], &[]);
    assert_eq!(out.code, 11, "{}", out.stderr);
    for line in [
        "PASS discover",
        "bob@icloud.com → imap.mail.me.com:993 (implicit TLS), from the built-in preset",
        "preset presets for icloud.com: found, iCloud Mail",
        "srv _imaps._tcp.icloud.com SRV, srv _imap._tcp.icloud.com SRV, autoconfig https://autoconfig.icloud.com/mail/config-v1.1.xml, mx icloud.com MX: not asked",
        "why: the domain is a provider's own",
    ] {
        assert!(
            out.stdout.contains(line),
            "{line:?} missing:\n{}",
            out.stdout
        );
    }
}
