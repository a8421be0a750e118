//! `--format prometheus` against scripted servers: every line is valid exposition (parsed by
//! `support::exposition`), the samples say what the report says, and the exit code stays the
//! check's.

mod support;

use support::exposition::{self, value};
use support::scripted::*;

async fn metrics(f: &Fixture, args: &[&str]) -> (Run, Vec<exposition::Sample>) {
    let mut all = vec!["--format", "prometheus", "--timeout", "2", "--user", USER];
    all.extend_from_slice(args);
    let run = f.run_with(&all, &[("IMAPDOCTOR_PASSWORD", CANARY)]).await;
    let samples = exposition::parse(&run.stdout);
    (run, samples)
}

#[tokio::test]
async fn a_healthy_server_gives_every_metric() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let (run, samples) = metrics(&f, &[]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    for check in ["dns", "tcp", "tls", "capability", "auth", "folders"] {
        let labels = [("check", check), ("target", target.as_str())];
        assert_eq!(
            value(&samples, "imapdoctor_check_success", &labels),
            Some(1.0),
            "{check}"
        );
        let took = value(&samples, "imapdoctor_check_duration_seconds", &labels).unwrap();
        assert!((0.0..2.0).contains(&took), "{check}: {took}");
    }
    let verdict = [("fault", "none"), ("code", "ok"), ("target", &target)];
    assert_eq!(value(&samples, "imapdoctor_verdict", &verdict), Some(1.0));
    let expiry = value(
        &samples,
        "imapdoctor_certificate_expiry_timestamp_seconds",
        &[("target", &target)],
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let days = (expiry - now) / 86_400.0;
    assert!((364.0..=366.0).contains(&days), "{days}");
    let run_time = value(&samples, "imapdoctor_run_duration_seconds", &[]).unwrap();
    assert!(run_time > 0.0 && run_time < 5.0, "{run_time}");
}

#[tokio::test]
async fn a_failure_shows_in_the_checks_and_the_verdict_and_server_text_never_breaks_a_line() {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca))
        .with_login_reply("NO [UNAVAILABLE] \"quoted\" \\ back} 1\r\nimapdoctor_forged 1");
    let f = Fixture::start(script, &ca).await;
    let (run, samples) = metrics(&f, &[]).await;
    assert_eq!(run.code, 14, "{}{}", run.stdout, run.stderr);
    assert!(samples.iter().all(|s| s.name != "imapdoctor_forged"));
    assert_eq!(
        value(&samples, "imapdoctor_check_success", &[("check", "auth")]),
        Some(0.0)
    );
    assert_eq!(
        value(
            &samples,
            "imapdoctor_check_success",
            &[("check", "folders")]
        ),
        None,
        "a skipped check has no sample"
    );
    let verdict: Vec<_> = samples
        .iter()
        .filter(|s| s.name == "imapdoctor_verdict")
        .collect();
    assert_eq!(verdict.len(), 1, "{samples:?}");
    assert_eq!(verdict[0].labels["fault"], "server");
    assert_eq!(verdict[0].labels["code"], "auth.unavailable");
}
