//! `imapdoctor serve` as a child process, scraped over real HTTP (a raw HTTP/1.1 GET on a
//! loopback TCP connection): probes against scripted servers and Dovecot answer their metrics,
//! the scrape timeout bounds a probe against a silent server, `/metrics` counts the probes, and
//! a bad module or target is HTTP 400. No canary secret in any answer.

mod support;

use std::time::Instant;

use support::exporter::{Exporter, PROBE_PASSWORD_ENV};
use support::exposition::{self, value};
use support::scripted::*;

/// A config file whose module `login` logs in as [`USER`] with [`PROBE_PASSWORD_ENV`] and trusts
/// `ca`.
fn config_for(ca: &str) -> String {
    format!(
        "[modules.login]\nuser = \"{USER}\"\npassword_env = \"{PROBE_PASSWORD_ENV}\"\nca_file = {ca:?}\ntimeout = 5\n\n[modules.connect]\nca_file = {ca:?}\n"
    )
}

fn probe_path(target: &str, module: &str) -> String {
    format!("/probe?target={target}&module={module}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_answers_the_checks_metrics_and_metrics_counts_it() {
    let ca = TestCa::new("t");
    let f = Fixture::start(tls_script(&leaf(&ca)), &ca).await;
    let exporter = Exporter::start(&config_for(&f.ca()));
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let (status, body) =
        tokio::task::block_in_place(|| exporter.get(&probe_path(&target, "login"), &[]));
    assert_eq!(status, 200, "{body}");
    let samples = exposition::parse(&body);
    assert_eq!(
        value(&samples, "imapdoctor_probe_success", &[]),
        Some(1.0),
        "{body}"
    );
    for check in ["tls", "auth", "folders"] {
        let labels = [("check", check), ("target", target.as_str())];
        assert_eq!(
            value(&samples, "imapdoctor_check_success", &labels),
            Some(1.0)
        );
    }
    assert!(
        value(
            &samples,
            "imapdoctor_certificate_expiry_timestamp_seconds",
            &[]
        )
        .is_some()
    );

    // Without a module: connectivity only, no login (and so no auth sample).
    let path = format!("/probe?target={target}");
    let (status, body) = tokio::task::block_in_place(|| exporter.get(&path, &[]));
    assert_eq!(status, 200, "{body}");
    let samples = exposition::parse(&body);
    // The default module trusts no test CA: the TLS check fails, and the probe says so.
    assert_eq!(
        value(&samples, "imapdoctor_probe_success", &[]),
        Some(0.0),
        "{body}"
    );
    let (_, body) =
        tokio::task::block_in_place(|| exporter.get(&probe_path(&target, "connect"), &[]));
    let samples = exposition::parse(&body);
    assert_eq!(
        value(&samples, "imapdoctor_probe_success", &[]),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        value(&samples, "imapdoctor_check_success", &[("check", "auth")]),
        None
    );

    let (status, body) = tokio::task::block_in_place(|| exporter.get("/metrics", &[]));
    assert_eq!(status, 200);
    let samples = exposition::parse(&body);
    let probes = |result| {
        value(
            &samples,
            "imapdoctor_exporter_probes_total",
            &[("result", result)],
        )
    };
    assert_eq!(probes("success"), Some(2.0), "{body}");
    assert_eq!(probes("failure"), Some(1.0), "{body}");
    assert_eq!(
        value(
            &samples,
            "imapdoctor_exporter_probe_duration_seconds_count",
            &[]
        ),
        Some(3.0)
    );
    assert_eq!(
        value(&samples, "imapdoctor_exporter_probes_in_flight", &[]),
        Some(0.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scrape_timeout_bounds_a_probe_of_a_silent_server() {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca)).with_opening(Opening::Silent);
    let f = Fixture::start(script, &ca).await;
    let exporter = Exporter::start(&config_for(&f.ca()));
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let started = Instant::now();
    let (status, body) = tokio::task::block_in_place(|| {
        exporter.get(
            &probe_path(&target, "login"),
            &["X-Prometheus-Scrape-Timeout-Seconds: 1"],
        )
    });
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(took < Duration::from_millis(1_500), "{took:?}");
    let samples = exposition::parse(&body);
    assert_eq!(
        value(&samples, "imapdoctor_probe_success", &[]),
        Some(0.0),
        "{body}"
    );
    let run = value(&samples, "imapdoctor_run_duration_seconds", &[]).unwrap();
    assert!(run <= 1.0, "{run}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_beyond_max_concurrent_is_503_at_once() {
    let ca = TestCa::new("t");
    let script = tls_script(&leaf(&ca)).with_opening(Opening::Silent);
    let f = Fixture::start(script, &ca).await;
    let exporter = std::sync::Arc::new(Exporter::start_with_args(
        &config_for(&f.ca()),
        &[(PROBE_PASSWORD_ENV, CANARY)],
        &["--max-concurrent", "1"],
    ));
    let target = format!("imaps://127.0.0.1:{}", f.server.port());
    let path = probe_path(&target, "login");
    // The first probe holds the only slot for about two seconds (a silent server).
    let first = {
        let (exporter, path) = (exporter.clone(), path.clone());
        std::thread::spawn(move || exporter.get(&path, &["X-Prometheus-Scrape-Timeout-Seconds: 3"]))
    };
    // Until the first probe holds the slot, /metrics shows none in flight.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = tokio::task::block_in_place(|| exporter.get("/metrics", &[]));
        let samples = exposition::parse(&body);
        if value(&samples, "imapdoctor_exporter_probes_in_flight", &[]) == Some(1.0) {
            break;
        }
        assert!(Instant::now() < deadline, "no probe in flight: {body}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    let (status, body) = tokio::task::block_in_place(|| exporter.get(&path, &[]));
    assert_eq!(status, 503, "{body}");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    let (status, body) = first.join().unwrap();
    assert_eq!(status, 200, "{body}");
    let (_, body) = tokio::task::block_in_place(|| exporter.get("/metrics", &[]));
    let samples = exposition::parse(&body);
    assert_eq!(
        value(
            &samples,
            "imapdoctor_exporter_probes_total",
            &[("result", "overloaded")]
        ),
        Some(1.0),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_modules_and_targets_are_400_with_a_message() {
    let exporter = Exporter::start(&config_for("/nonexistent-ca.pem"));
    for (path, words) in [
        (
            "/probe?target=127.0.0.1&module=nope",
            "unknown module \"nope\"",
        ),
        ("/probe?module=login", "missing target"),
        ("/probe?target=imaps://[::1", "["),
        ("/probe?target=127.0.0.1&module=login", "nonexistent-ca.pem"),
    ] {
        let (status, body) = tokio::task::block_in_place(|| exporter.get(path, &[]));
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains(words), "{path}: {body}");
        assert_eq!(body.lines().count(), 1, "{path}: {body}");
    }
    let (_, body) = tokio::task::block_in_place(|| exporter.get("/metrics", &[]));
    let samples = exposition::parse(&body);
    assert_eq!(
        value(
            &samples,
            "imapdoctor_exporter_probes_total",
            &[("result", "bad_request")]
        ),
        Some(4.0)
    );
}

#[cfg(unix)]
#[test]
fn a_probe_of_dovecot_logs_in_and_lists() {
    use support::dovecot::Dovecot;
    let Some(dc) = Dovecot::start() else { return };
    let config = format!(
        "[modules.dovecot]\nuser = \"{}\"\npassword_env = \"DOVECOT_PASSWORD\"\nca_file = {:?}\n",
        dc.user, dc.ca_file
    );
    let exporter = Exporter::start_with(&config, &[("DOVECOT_PASSWORD", &dc.password)]);
    let (status, body) = exporter.get(&probe_path(&dc.imaps_url(), "dovecot"), &[]);
    assert!(!body.contains(&dc.password), "{body}");
    assert_eq!(status, 200, "{body}");
    let samples = exposition::parse(&body);
    assert_eq!(
        value(&samples, "imapdoctor_probe_success", &[]),
        Some(1.0),
        "{body}"
    );
    for check in ["dns", "tcp", "tls", "capability", "auth", "folders"] {
        assert_eq!(
            value(&samples, "imapdoctor_check_success", &[("check", check)]),
            Some(1.0),
            "{check}: {body}"
        );
    }
    let verdict = [("fault", "none"), ("code", "ok")];
    assert_eq!(value(&samples, "imapdoctor_verdict", &verdict), Some(1.0));
}
