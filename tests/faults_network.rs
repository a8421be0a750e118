//! The control probe against scripted servers: refused targets, nothing reachable, and a healthy
//! check that never touches the control.
//! Each scenario asserts the failing check, the exit code, the fault and the verdict code.

mod support;

use support::scripted::*;

#[tokio::test(flavor = "multi_thread")]
async fn refused_target_with_reachable_control_is_the_servers_problem() {
    let ca = TestCa::new("t");
    let control = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    let control_arg = format!("127.0.0.1:{}", control.port());
    let target = format!("imaps://127.0.0.1:{}", closed_port());
    let run = run(&["--json", "--control", &control_arg, &target], &[]).await;
    expect(&run, 11, "tcp", "server", "tcp.refused");
    assert_eq!(run.json.as_ref().unwrap()["control"]["status"], "reachable");
    assert!(control.accepted() >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_reachable_is_local() {
    let control_arg = format!("127.0.0.1:{}", closed_port());
    let target = format!("imaps://127.0.0.1:{}", closed_port());
    let run = run(&["--json", "--control", &control_arg, &target], &[]).await;
    expect(&run, 11, "tcp", "local", "network.nothing_reachable");
    assert_eq!(
        run.json.as_ref().unwrap()["control"]["status"],
        "unreachable"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_check_never_touches_the_control() {
    let ca = TestCa::new("t");
    let control = server::spawn(tls_script(&leaf(&ca))).await.unwrap();
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let control_arg = format!("127.0.0.1:{}", control.port());
    let ca_path = f.ca();
    let run = run(
        &[
            "--json",
            "--ca-file",
            &ca_path,
            "--control",
            &control_arg,
            &target,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.json.as_ref().unwrap()["control"]["status"],
        "not_needed"
    );
    assert_eq!(
        control.accepted(),
        0,
        "the control was probed although the target was healthy"
    );
}
