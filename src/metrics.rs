//! A report as Prometheus metrics: the one "report → registry" step that `--format prometheus`
//! (node_exporter's textfile collector) and the exporter's `/probe` share. Every sample carries
//! the `target` label (the TARGET as given, sanitized); the exposition, label escaping included,
//! is the `prometheus-client` crate's.
//!
//! - `imapdoctor_check_success{check,target}`: 1 when the check passed (or warned), 0 when it
//!   failed; no sample for a skipped check.
//! - `imapdoctor_check_duration_seconds{check,target}`: the check's time (checks that ran).
//! - `imapdoctor_certificate_expiry_timestamp_seconds{target}`: the server certificate's
//!   `notAfter`, Unix time (when the TLS check read one).
//! - `imapdoctor_verdict{fault,code,target}`: 1, for the run's verdict.
//! - `imapdoctor_run_duration_seconds{target}`: the run's wall time.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::report::{CheckId, Details, Report, Status};

/// A metric's labels: (name, value) pairs.
pub type Labels = Vec<(String, String)>;
/// A gauge holding a whole number (success, verdict, a timestamp).
pub type Whole = Family<Labels, Gauge>;
/// A gauge holding seconds (durations).
pub type Seconds = Family<Labels, Gauge<f64, AtomicU64>>;

/// The `Content-Type` of the exposition [`encode`] writes (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Registers the report's metrics in `registry`.
pub fn register_report(registry: &mut Registry, report: &Report) {
    let target = report.target.input.clone();
    let with_target = |mut labels: Labels| {
        labels.push(("target".into(), target.clone()));
        labels
    };
    let success = Whole::default();
    let duration = Seconds::default();
    for check in report.checks.iter().filter(|c| c.status != Status::Skip) {
        let labels = with_target(vec![("check".into(), check.id.as_str().into())]);
        success
            .get_or_create(&labels)
            .set(i64::from(check.status != Status::Fail));
        duration
            .get_or_create(&labels)
            .set(check.duration_ms as f64 / 1000.0);
    }
    registry.register(
        "imapdoctor_check_success",
        "Whether the check passed (1) or failed (0); no sample when it was skipped",
        success,
    );
    registry.register(
        "imapdoctor_check_duration_seconds",
        "Time the check took",
        duration,
    );
    let expiry = Whole::default();
    if let Some(at) = certificate_expiry(report) {
        expiry.get_or_create(&with_target(vec![])).set(at);
    }
    registry.register(
        "imapdoctor_certificate_expiry_timestamp_seconds",
        "When the server's certificate expires (notAfter), Unix time",
        expiry,
    );
    let verdict = Whole::default();
    verdict
        .get_or_create(&with_target(vec![
            ("fault".into(), report.verdict.fault.as_str().into()),
            ("code".into(), report.verdict.code.clone()),
        ]))
        .set(1);
    registry.register(
        "imapdoctor_verdict",
        "The run's verdict: which side owns the problem (fault) and its code",
        verdict,
    );
    let run = Seconds::default();
    run.get_or_create(&with_target(vec![]))
        .set(report.duration_ms as f64 / 1000.0);
    registry.register(
        "imapdoctor_run_duration_seconds",
        "Wall time of the whole run",
        run,
    );
}

/// The server certificate's `notAfter` as Unix time, when the TLS check read one.
pub fn certificate_expiry(report: &Report) -> Option<i64> {
    let Details::Tls(tls) = &report.check(CheckId::Tls).details else {
        return None;
    };
    let not_after = &tls.chain.first()?.not_after;
    time::OffsetDateTime::parse(not_after, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|at| at.unix_timestamp())
}

/// The registry's exposition in the Prometheus text format.
pub fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_text::encode(&mut text, registry);
    text
}

/// The report's metrics, as text.
pub fn of_report(report: &Report) -> String {
    let mut registry = Registry::default();
    register_report(&mut registry, report);
    encode(&registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_gives_each_metric_with_its_labels() {
        let report = crate::render::tests::demo_report();
        let text = of_report(&report);
        let target = &report.target.input;
        for line in [
            format!("imapdoctor_check_success{{check=\"tls\",target=\"{target}\"}} 1"),
            format!("imapdoctor_verdict{{fault=\"none\",code=\"ok\",target=\"{target}\"}} 1"),
            "# TYPE imapdoctor_run_duration_seconds gauge".to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        let expiry = certificate_expiry(&report).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!((364 * 86_400..=366 * 86_400).contains(&(expiry - now)));
        assert!(text.contains(&format!(
            "imapdoctor_certificate_expiry_timestamp_seconds{{target=\"{target}\"}} {expiry}"
        )));
    }

    #[test]
    fn label_values_are_escaped_by_the_crate() {
        let mut report = crate::render::tests::demo_report();
        report.verdict.code = "a\"b\\c\nd} 1\nimapdoctor_forged 1".into();
        let text = of_report(&report);
        assert!(
            !text.lines().any(|l| l.starts_with("imapdoctor_forged")),
            "{text}"
        );
        assert!(
            text.contains(r#"code="a\"b\\c\nd} 1\nimapdoctor_forged 1""#),
            "{text}"
        );
    }
}
