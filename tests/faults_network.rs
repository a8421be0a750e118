//! The control probe against scripted servers and loopback blackholes: what counts as evidence
//! (a refused control proves the network works; one cut off by the deadline or failing where the
//! target got through does not), and the confidence each verdict carries.
//! Each scenario asserts the failing check, the exit code, the fault, the verdict code and the
//! confidence.

mod support;

#[cfg(unix)]
use std::net::{IpAddr, Ipv4Addr};

#[cfg(unix)]
use support::latency::Blackhole;
use support::scripted::*;

#[cfg(unix)]
fn blackhole() -> Blackhole {
    Blackhole::bind(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("a blackholed loopback port")
}

/// `--json --control <control> <extra> imaps://<target>`.
async fn with_control(target: &str, control: &str, extra: &[&str]) -> Run {
    let target = format!("imaps://{target}");
    let mut args = vec!["--json", "--control", control];
    args.extend_from_slice(extra);
    args.push(&target);
    run(&args, &[]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_target_with_reachable_control_is_the_servers_problem() {
    let ca = TestCa::new("t");
    let control = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    let control_arg = format!("127.0.0.1:{}", control.port());
    let target = format!("127.0.0.1:{}", closed_port());
    let run = with_control(&target, &control_arg, &[]).await;
    expect(&run, 11, "tcp", "server", "tcp.refused");
    assert_eq!(run.control(), ("reachable", vec!["tls_failed"]));
    assert_eq!(run.confidence(), ("certain", vec![]));
    assert!(control.accepted() >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_everywhere_is_likely_the_server_but_may_be_this_network() {
    // A refused control proves the network works, but known-good endpoints refusing too leave a
    // network that rejects the port possible.
    let control = format!("127.0.0.1:{}", closed_port());
    let target = format!("127.0.0.1:{}", closed_port());
    let run = with_control(&target, &control, &[]).await;
    expect(&run, 11, "tcp", "server", "tcp.refused");
    assert_eq!(run.control(), ("reachable", vec!["refused"]));
    assert_eq!(run.confidence(), ("likely", vec!["local"]));
    // A failed network layer starts the control at once, not after the 200 ms grace period.
    let took = run.json.as_ref().unwrap()["duration_ms"].as_u64().unwrap();
    assert!(
        took < 190,
        "took {took} ms: the control waited for the grace period"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn nothing_reachable_is_local() {
    let (target, control) = (blackhole(), blackhole());
    let run = with_control(
        &target.addr().to_string(),
        &control.addr().to_string(),
        &["--timeout", "1.5"],
    )
    .await;
    expect(&run, 11, "tcp", "local", "network.nothing_reachable");
    assert_eq!(run.control(), ("unreachable", vec!["unreachable"]));
    assert_eq!(run.confidence(), ("certain", vec![]));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn blackholed_target_with_a_refused_control_is_likely_the_server() {
    let target = blackhole();
    let control = format!("127.0.0.1:{}", closed_port());
    let run = with_control(&target.addr().to_string(), &control, &["--timeout", "1.5"]).await;
    expect(&run, 11, "tcp", "server", "tcp.timeout");
    assert_eq!(run.control(), ("reachable", vec!["refused"]));
    assert_eq!(run.confidence(), ("likely", vec!["local"]));
    assert!(run.verdict("summary").contains("or the network path to it"));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_control_cut_off_by_the_deadline_is_inconclusive_never_local() {
    let (target, control) = (blackhole(), blackhole());
    let run = with_control(
        &target.addr().to_string(),
        &control.addr().to_string(),
        &["--timeout", "10", "--max-time", "1.5"],
    )
    .await;
    expect(&run, 11, "tcp", "server", "tcp.timeout");
    assert_eq!(run.control(), ("inconclusive", vec!["cut_off"]));
    let endpoint = &run.json.as_ref().unwrap()["control"]["endpoints"][0];
    assert_eq!(endpoint["comparable"], false, "{}", run.stdout);
    assert!(endpoint["reason"].as_str().unwrap().contains("--max-time"));
    assert_eq!(run.confidence(), ("inconclusive", vec!["local"]));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_blackholed_target_without_a_control_is_inconclusive() {
    let target = blackhole();
    let target = format!("imaps://{}", target.addr());
    let run = run(
        &["--json", "--no-control", "--timeout", "1.5", &target],
        &[],
    )
    .await;
    expect(&run, 11, "tcp", "server", "tcp.timeout");
    assert_eq!(run.confidence(), ("inconclusive", vec!["local"]));
    assert!(run.verdict("summary").contains("--no-control"));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_control_while_the_target_answers_means_no_internet_access() {
    // The target's host answers (a refused port); the control gets no answer: an intranet
    // without internet access, not a local fault.
    let control = blackhole();
    let target = format!("127.0.0.1:{}", closed_port());
    let control_arg = control.addr().to_string();
    let json_run = with_control(&target, &control_arg, &["--timeout", "1"]).await;
    expect(&json_run, 11, "tcp", "server", "tcp.refused");
    assert_eq!(json_run.control(), ("inconclusive", vec!["unreachable"]));
    assert_eq!(json_run.confidence(), ("certain", vec![]));
    let note = "this network has no internet access";
    let json = json_run.json.as_ref().unwrap();
    assert!(json["control"]["note"].as_str().unwrap().contains(note));
    let evidence: Vec<&str> = json["verdict"]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(
        evidence.iter().filter(|e| e.contains(note)).count(),
        1,
        "{evidence:?}"
    );
    let target = format!("imaps://{target}");
    let human = run(
        &[
            "--no-color",
            "--control",
            &control_arg,
            "--timeout",
            "1",
            &target,
        ],
        &[],
    )
    .await;
    assert_eq!(human.code, 11);
    assert_eq!(human.stdout.matches(note).count(), 1, "{}", human.stdout);
    assert!(
        human.stdout.contains("Confidence: certain."),
        "{}",
        human.stdout
    );
    // The refused port proves the path works: the control's absence casts no doubt.
    assert!(!human.stdout.contains("not ruled out"), "{}", human.stdout);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_control_that_connected_before_the_deadline_proves_the_network_works() {
    // The control completes the TCP handshake but never answers TLS; --max-time ends the
    // handshake. The connect alone shows this computer's network works.
    let target = blackhole();
    let control = server::spawn(Script::healthy(Security::Plain).with_opening(Opening::Silent))
        .await
        .unwrap();
    let control_arg = format!("127.0.0.1:{}", control.port());
    let run = with_control(
        &target.addr().to_string(),
        &control_arg,
        &["--timeout", "10", "--max-time", "1.5"],
    )
    .await;
    expect(&run, 11, "tcp", "server", "tcp.timeout");
    assert_eq!(run.control(), ("reachable", vec!["reachable"]));
    assert_eq!(run.confidence(), ("likely", vec!["local"]));
}

/// A check with login against `f`, with the loopback control on `control_port`.
async fn login_with_control(f: &Fixture, control_port: u16) -> Run {
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let control = format!("127.0.0.1:{control_port}");
    let ca = f.ca();
    let args = [
        "--json",
        "--ca-file",
        &ca,
        "--control",
        &control,
        "--user",
        USER,
        &target,
    ];
    run(&args, &[("IMAPDOCTOR_PASSWORD", CANARY)]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_check_never_touches_the_control() {
    let ca = TestCa::new("t");
    let control = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    // A login slower than the control's grace period: the connect has cancelled it by then.
    let slow_login = Script {
        login_delay: Duration::from_millis(400),
        ..tls_script(&leaf(&ca))
    };
    let f = Fixture::start(slow_login, &ca).await;
    let run = login_with_control(&f, control.port()).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.status("folders"), "pass", "{}", run.stdout);
    assert_eq!(
        run.json.as_ref().unwrap()["control"]["status"],
        "not_needed"
    );
    assert_eq!(run.confidence(), ("certain", vec![]));
    assert_eq!(
        control.accepted(),
        0,
        "the control was probed although the target was healthy"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_after_connecting_never_touches_the_control() {
    // The target connected, so the path to it works: a rejected login needs no control.
    let ca = TestCa::new("t");
    let control = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    let script =
        tls_script(&leaf(&ca)).with_login_reply("NO [AUTHENTICATIONFAILED] Authentication failed.");
    let f = Fixture::start(script, &ca).await;
    let run = login_with_control(&f, control.port()).await;
    expect(&run, 14, "auth", "account", "auth.rejected");
    assert_eq!(
        run.json.as_ref().unwrap()["control"]["status"],
        "not_needed"
    );
    assert_eq!(
        control.accepted(),
        0,
        "the control was probed for a rejected login"
    );
}
