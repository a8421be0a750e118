//! The fault matrix under real network conditions: the binary runs in a client network namespace
//! against a scripted IMAP server, a control endpoint and dnsmasq in another namespace, with
//! faults made by nftables and link state (see `support/netns.rs` for the topology). Needs root;
//! elsewhere each test prints `skipped: <why>` (a failure with IMAPDOCTOR_REQUIRE_NETNS=1).

#![cfg(target_os = "linux")]

mod support;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use imapdoctor::demo::pki::{LeafSpec, TestCa};
use imapdoctor::demo::server::{Script, Security};
use serde_json::Value;
use support::netns::{self, CTL_HOST, CTL_V4, CTL_V6, Lab, MAIL_HOST, MAIL_V4, MAIL_V6, Run};

const BIN: &str = env!("CARGO_BIN_EXE_imapdoctor");
const USER: &str = "alice@mail.test";
const PASSWORD: &str = "Canary-netns-3b8e1f";
/// The IMAP port of both servers (implicit TLS).
const PORT: u16 = 10993;

/// A lab with mail.test and ctl.test serving IMAP over TLS on [`PORT`] (both families), and the
/// CA file that trusts them.
struct World {
    lab: Lab,
    ca_file: String,
}

impl World {
    fn start() -> Option<World> {
        let mut lab = netns::lab_or_skip()?;
        let ca = TestCa::new("imapdoctor netns CA");
        let ca_file = lab.dir().join("ca.pem");
        std::fs::write(&ca_file, &ca.cert_pem).unwrap();
        let mail = ca.issue(&LeafSpec::valid_for([MAIL_HOST]));
        let ctl = ca.issue(&LeafSpec::valid_for([CTL_HOST]));
        let mail_script = Script::healthy(Security::ImplicitTls(mail.server_config()))
            .with_account(USER, PASSWORD);
        let ctl_script = Script::healthy(Security::ImplicitTls(ctl.server_config()));
        lab.serve_imap(&addrs(MAIL_V4.into(), MAIL_V6.into(), PORT), mail_script)
            .unwrap();
        lab.serve_imap(&addrs(CTL_V4.into(), CTL_V6.into(), PORT), ctl_script)
            .unwrap();
        Some(World {
            lab,
            ca_file: ca_file.display().to_string(),
        })
    }

    /// Runs `imapdoctor --json --ca-file … --user … <extra> <target>` in the client namespace,
    /// with the password in the environment.
    fn check(&self, target: &str, extra: &[&str]) -> Run {
        let mut args = vec!["--json", "--ca-file", &self.ca_file, "--user", USER];
        args.extend_from_slice(extra);
        args.push(target);
        let run = self
            .lab
            .run(BIN, &args, &[("IMAPDOCTOR_PASSWORD", PASSWORD)]);
        assert!(
            !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
            "password in the output:\n{}",
            run.dump()
        );
        assert!(run.json.is_some(), "no JSON report:\n{}", run.dump());
        run
    }

    /// Checks the mail server, with ctl.test as the control and `extra`.
    fn check_mail(&self, extra: &[&str]) -> Run {
        let control = World::control();
        let mut args = vec!["--control", &control];
        args.extend_from_slice(extra);
        self.check(&World::mail_target(), &args)
    }

    fn mail_target() -> String {
        format!("imaps://{MAIL_HOST}:{PORT}")
    }

    fn control() -> String {
        format!("{CTL_HOST}:{PORT}")
    }
}

fn addrs(v4: IpAddr, v6: IpAddr, port: u16) -> [SocketAddr; 2] {
    [SocketAddr::new(v4, port), SocketAddr::new(v6, port)]
}

fn verdict<'a>(run: &'a Run, field: &str) -> &'a str {
    run.json.as_ref().unwrap()["verdict"][field]
        .as_str()
        .unwrap_or_default()
}

fn check<'a>(run: &'a Run, id: &str) -> &'a Value {
    let checks = run.json.as_ref().unwrap()["checks"].as_array().unwrap();
    checks
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} check:\n{}", run.dump()))
}

fn status<'a>(run: &'a Run, id: &str) -> &'a str {
    check(run, id)["status"].as_str().unwrap_or_default()
}

fn control_status(run: &Run) -> &str {
    run.json.as_ref().unwrap()["control"]["status"]
        .as_str()
        .unwrap_or_default()
}

/// The verdict's confidence and the owners of its alternatives.
fn confidence(run: &Run) -> (&str, Vec<&str>) {
    support::scripted::confidence_of(run.json.as_ref().unwrap())
}

/// Asserts the exit code and the verdict's fault (and code, when given).
fn expect(run: &Run, exit: i32, fault: &str, code: Option<&str>) {
    assert_eq!(run.code, exit, "exit code:\n{}", run.dump());
    assert_eq!(
        verdict(run, "fault"),
        fault,
        "verdict.fault:\n{}",
        run.dump()
    );
    if let Some(code) = code {
        assert_eq!(verdict(run, "code"), code, "verdict.code:\n{}", run.dump());
    }
}

/// Drops TCP to the mail server's IMAP port in "the internet" (both families), silently.
const BLACKHOLE_IMAP_PORT: &str = "
table inet imapdoctor_blackhole {
    chain input {
        type filter hook input priority filter; policy accept;
        ip daddr 10.77.0.1 tcp dport 10993 drop
        ip6 daddr 2001:db8:77::1 tcp dport 10993 drop
    }
}
";

/// Drops DNS in "the internet": the nameserver's host is up, but no query gets an answer.
const NO_DNS: &str = "
table inet imapdoctor_no_dns {
    chain input {
        type filter hook input priority filter; policy accept;
        udp dport 53 drop
        tcp dport 53 drop
    }
}
";

/// Drops TCP to the IMAP port of every host in "the internet", control included.
const BLACKHOLE_ALL_IMAP: &str = "
table inet imapdoctor_blackhole_all {
    chain input {
        type filter hook input priority filter; policy accept;
        tcp dport 10993 drop
    }
}
";

#[test]
fn healthy_through_namespaces() {
    let Some(w) = World::start() else { return };
    let run = w.check(&World::mail_target(), &["--no-control", "--timeout", "5"]);
    expect(&run, 0, "none", None);
    let dns = &check(&run, "dns")["details"];
    assert_eq!(
        dns["a"],
        serde_json::json!([MAIL_V4.to_string()]),
        "{}",
        run.dump()
    );
    assert_eq!(
        dns["aaaa"],
        serde_json::json!([MAIL_V6.to_string()]),
        "{}",
        run.dump()
    );
    // IPv6 is offered first and works, so it wins.
    assert_eq!(
        check(&run, "tcp")["details"]["connected"],
        SocketAddr::new(MAIL_V6.into(), PORT).to_string(),
        "{}",
        run.dump()
    );
    for id in ["dns", "tcp", "tls", "capability", "auth", "folders"] {
        assert_eq!(status(&run, id), "pass", "{id}:\n{}", run.dump());
    }
}

#[test]
fn laptop_offline() {
    let Some(w) = World::start() else { return };
    w.lab.client_offline().unwrap();
    let run = w.check_mail(&["--timeout", "2"]);
    expect(&run, 10, "local", None);
    assert_eq!(status(&run, "dns"), "fail", "{}", run.dump());
    assert_eq!(confidence(&run), ("certain", vec![]), "{}", run.dump());
}

/// The mail server's host answers connects to the IMAP port with "host unreachable".
const UNREACHABLE_IMAP_HOST: &str = "
table inet imapdoctor_unreachable {
    chain input {
        type filter hook input priority filter; policy accept;
        ip daddr 10.77.0.1 tcp dport 10993 reject with icmp type host-unreachable
        ip6 daddr 2001:db8:77::1 tcp dport 10993 reject with icmpv6 type addr-unreachable
    }
}
";

#[test]
fn unreachable_server_while_the_control_works_is_not_this_computer() {
    let Some(w) = World::start() else { return };
    // "No route" alone reads as this computer's network; a reachable control moves it to the
    // server's side, with this computer's network as the remaining alternative.
    server_side_with_control(
        &w,
        UNREACHABLE_IMAP_HOST,
        "tcp.unreachable",
        "specific to this server",
    );
}

/// With `rules` in the mail server's namespace and the control reachable: a tcp failure `code`
/// on the server's side, likely, this computer's network the alternative, `words` in the summary.
fn server_side_with_control(w: &World, rules: &str, code: &str, words: &str) -> Run {
    w.lab.nft(w.lab.net(), rules).unwrap();
    let run = w.check_mail(&["--timeout", "2"]);
    expect(&run, 11, "server", Some(code));
    assert_eq!(control_status(&run), "reachable", "{}", run.dump());
    assert_eq!(
        confidence(&run),
        ("likely", vec!["local"]),
        "{}",
        run.dump()
    );
    let summary = verdict(&run, "summary");
    assert!(summary.contains(words), "{summary}");
    run
}

#[test]
fn imap_port_blackholed_with_control_reachable() {
    let Some(w) = World::start() else { return };
    let run = server_side_with_control(
        &w,
        BLACKHOLE_IMAP_PORT,
        "tcp.timeout",
        "network works in general",
    );
    // "Within --timeout plus one second", with room for a loaded machine.
    assert!(
        run.elapsed < Duration::from_millis(3500),
        "took {:?} with --timeout 2:\n{}",
        run.elapsed,
        run.dump()
    );
}

#[test]
fn imap_port_blocked_but_443_open_ends_early() {
    let Some(mut w) = World::start() else { return };
    w.lab
        .listen(&addrs(MAIL_V4.into(), MAIL_V6.into(), 443))
        .unwrap();
    w.lab.nft(w.lab.net(), BLACKHOLE_IMAP_PORT).unwrap();
    let run = w.check_mail(&["--timeout", "10"]);
    expect(&run, 11, "local", Some("tcp.port_blocked"));
    assert_eq!(
        confidence(&run),
        ("likely", vec!["server"]),
        "{}",
        run.dump()
    );
    // Conclusive once the IMAP port has been silent for max(3 s, 10 × the 443 round trip): a
    // sub-millisecond round trip here, so 3 s, not the 10 s --timeout.
    let tcp = check(&run, "tcp");
    let tcp_ms = tcp["duration_ms"].as_u64().unwrap_or(u64::MAX);
    assert!(
        (2900..4500).contains(&tcp_ms),
        "tcp took {tcp_ms} ms:\n{}",
        run.dump()
    );
    assert_eq!(tcp["details"]["port_443"], "connected", "{}", run.dump());
    assert!(
        run.elapsed < Duration::from_secs(6),
        "took {:?}:\n{}",
        run.elapsed,
        run.dump()
    );
}

#[test]
fn everything_blackholed() {
    let Some(w) = World::start() else { return };
    // The client's own firewall drops every outgoing TCP segment; DNS (UDP) still works.
    let ruleset = "
table inet imapdoctor_offline {
    chain output {
        type filter hook output priority filter; policy accept;
        oifname \"veth0\" meta l4proto tcp drop
    }
}
";
    w.lab.nft(w.lab.client(), ruleset).unwrap();
    let run = w.check_mail(&["--timeout", "2"]);
    expect(&run, 11, "local", Some("network.nothing_reachable"));
    assert_eq!(control_status(&run), "unreachable", "{}", run.dump());
    assert_eq!(confidence(&run), ("certain", vec![]), "{}", run.dump());
}

#[test]
fn resolver_down() {
    let Some(w) = World::start() else { return };
    w.lab.nft(w.lab.net(), NO_DNS).unwrap();
    let run = w.check_mail(&["--timeout", "2"]);
    expect(&run, 10, "local", Some("dns.no_nameserver_answers"));
}

#[test]
fn nxdomain() {
    let Some(w) = World::start() else { return };
    let control = World::control();
    let run = w.check(
        &format!("imaps://nosuch.test:{PORT}"),
        &["--control", &control, "--timeout", "2"],
    );
    expect(&run, 10, "config", Some("dns.nxdomain"));
    assert_eq!(
        confidence(&run),
        ("likely", vec!["local"]),
        "{}",
        run.dump()
    );
}

#[test]
fn ipv6_broken_ipv4_works() {
    let Some(w) = World::start() else { return };
    let ruleset = "
table inet imapdoctor_no_v6 {
    chain input {
        type filter hook input priority filter; policy accept;
        meta nfproto ipv6 meta l4proto tcp drop
    }
}
";
    w.lab.nft(w.lab.net(), ruleset).unwrap();
    let run = w.check_mail(&["--timeout", "5"]);
    // The premise: the resolver offers IPv6 first, so the first attempt is the broken one.
    let first = &check(&run, "tcp")["details"]["attempts"][0]["address"];
    assert_eq!(
        first.as_str().unwrap_or_default(),
        SocketAddr::new(MAIL_V6.into(), PORT).to_string(),
        "first attempt should be IPv6:\n{}",
        run.dump()
    );
    assert_eq!(run.code, 0, "exit code:\n{}", run.dump());
    let tcp_ms = check(&run, "tcp")["duration_ms"]
        .as_u64()
        .unwrap_or(u64::MAX);
    assert!(
        tcp_ms < 1000,
        "tcp took {tcp_ms} ms: waited for IPv6 instead of Happy Eyeballs:\n{}",
        run.dump()
    );
    assert_eq!(status(&run, "tcp"), "warn", "tcp status:\n{}", run.dump());
    expect(&run, 0, "local", Some("tcp.ipv6_broken"));
    assert_eq!(
        confidence(&run),
        ("likely", vec!["server"]),
        "{}",
        run.dump()
    );
}

/// Control endpoints whose names the lab's DNS does not know (NXDOMAIN, and REFUSED from a
/// resolver without upstream servers), as on an intranet without internet access.
const UNKNOWN_CONTROLS: [&str; 4] = [
    "--control",
    "nosuch.test:993",
    "--control",
    "imap.example.net:993",
];

const NO_INTERNET: &str = "this network has no internet access";

#[test]
fn no_internet_access_makes_the_control_inconclusive_never_local() {
    let Some(w) = World::start() else { return };
    w.lab.nft(w.lab.net(), BLACKHOLE_IMAP_PORT).unwrap();
    let mut args = UNKNOWN_CONTROLS.to_vec();
    args.extend(["--timeout", "2"]);
    let run = w.check(&World::mail_target(), &args);
    expect(&run, 11, "server", Some("tcp.timeout"));
    assert_eq!(control_status(&run), "inconclusive", "{}", run.dump());
    assert_eq!(
        confidence(&run),
        ("inconclusive", vec!["local"]),
        "{}",
        run.dump()
    );
    let control = &run.json.as_ref().unwrap()["control"];
    for endpoint in control["endpoints"].as_array().unwrap() {
        assert_eq!(endpoint["outcome"], "dns_failed", "{}", run.dump());
        assert_eq!(endpoint["comparable"], false, "{}", run.dump());
    }
    assert!(
        control["note"]
            .as_str()
            .unwrap_or_default()
            .contains(NO_INTERNET),
        "{}",
        run.dump()
    );
}

#[test]
fn no_internet_access_is_said_once_beside_a_closed_port() {
    let Some(w) = World::start() else { return };
    // Nothing listens on 10994: the mail host answers with a reset.
    let target = format!("imaps://{MAIL_HOST}:10994");
    let mut args = UNKNOWN_CONTROLS.to_vec();
    args.extend(["--timeout", "2"]);
    let run = w.check(&target, &args);
    expect(&run, 11, "server", Some("tcp.refused"));
    assert_eq!(confidence(&run), ("certain", vec![]), "{}", run.dump());
    let evidence = run.json.as_ref().unwrap()["verdict"]["evidence"].to_string();
    assert_eq!(evidence.matches(NO_INTERNET).count(), 1, "{}", run.dump());
    let mut human = vec!["--no-color"];
    human.extend_from_slice(&args);
    human.push(&target);
    let run = w.lab.run(BIN, &human, &[]);
    assert_eq!(run.code, 11, "{}", run.dump());
    assert_eq!(run.stdout.matches(NO_INTERNET).count(), 1, "{}", run.dump());
    assert!(run.stdout.contains("Verdict [SERVER]"), "{}", run.dump());
    // The refused port proves the path works: the control's absence casts no doubt.
    assert!(!run.stdout.contains("not ruled out"), "{}", run.dump());
}

#[test]
fn control_cut_off_by_max_time_is_inconclusive() {
    let Some(w) = World::start() else { return };
    // Both the mail server's and the control's IMAP port blackholed: with the control's own
    // bound (--timeout) far away, --max-time ends it before it has an answer.
    w.lab.nft(w.lab.net(), BLACKHOLE_ALL_IMAP).unwrap();
    let run = w.check_mail(&["--timeout", "10", "--max-time", "1.5"]);
    expect(&run, 11, "server", Some("tcp.timeout"));
    assert_eq!(control_status(&run), "inconclusive", "{}", run.dump());
    let endpoint = &run.json.as_ref().unwrap()["control"]["endpoints"][0];
    assert_eq!(endpoint["outcome"], "cut_off", "{}", run.dump());
    assert_eq!(
        confidence(&run),
        ("inconclusive", vec!["local"]),
        "{}",
        run.dump()
    );
    assert_within_max_time(&run, 1500);
}

#[test]
fn resolver_down_ends_within_max_time() {
    let Some(w) = World::start() else { return };
    // getaddrinfo cannot be cancelled and waits for resolv.conf's own timeouts (5 s and more).
    w.lab.nft(w.lab.net(), NO_DNS).unwrap();
    let run = w.check_mail(&["--timeout", "30", "--max-time", "1.5"]);
    expect(&run, 10, "local", Some("dns.no_nameserver_answers"));
    assert_within_max_time(&run, 1500);
}

/// The run's own duration within `max_ms` + 100 ms; spawn to exit (through `ip netns exec`)
/// within another second.
fn assert_within_max_time(run: &Run, max_ms: u64) {
    let own = run.json.as_ref().unwrap()["duration_ms"]
        .as_u64()
        .unwrap_or(u64::MAX);
    assert!(own <= max_ms + 100, "duration_ms {own}:\n{}", run.dump());
    assert!(
        run.elapsed < Duration::from_millis(max_ms + 1000),
        "took {:?}:\n{}",
        run.elapsed,
        run.dump()
    );
}
