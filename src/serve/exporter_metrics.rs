//! The exporter's own metrics, served at `/metrics`: probes by result, their duration, and how
//! many are running.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// How a `/probe` request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeResult {
    /// The check ran and passed.
    Success,
    /// The check ran and failed (or was cut off by the scrape timeout).
    Failure,
    /// The request was wrong (target, module): HTTP 400.
    BadRequest,
    /// Too many probes were running: HTTP 503.
    Overloaded,
}

impl ProbeResult {
    /// The `result` label's value.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeResult::Success => "success",
            ProbeResult::Failure => "failure",
            ProbeResult::BadRequest => "bad_request",
            ProbeResult::Overloaded => "overloaded",
        }
    }
}

/// The exporter's metrics and the registry that exposes them.
pub struct ExporterMetrics {
    /// The registry `/metrics` encodes.
    pub registry: Registry,
    probes: Family<Vec<(String, String)>, Counter>,
    duration: Histogram,
    in_flight: Gauge,
}

impl Default for ExporterMetrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let probes = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "imapdoctor_exporter_probes",
            "Probe requests answered, by result",
            probes.clone(),
        );
        let duration = Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]);
        registry.register(
            "imapdoctor_exporter_probe_duration_seconds",
            "Time the checks of probes took",
            duration.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "imapdoctor_exporter_probes_in_flight",
            "Probes running now",
            in_flight.clone(),
        );
        ExporterMetrics {
            registry,
            probes,
            duration,
            in_flight,
        }
    }
}

impl ExporterMetrics {
    /// Counts a finished request.
    pub fn count(&self, result: ProbeResult) {
        self.probes
            .get_or_create(&vec![("result".into(), result.as_str().into())])
            .inc();
    }

    /// Records a check's duration.
    pub fn observe(&self, seconds: f64) {
        self.duration.observe(seconds);
    }

    /// Marks a probe running until the returned guard is dropped.
    pub fn running(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }
}

/// A running probe: counted in `in_flight` while it lives.
pub struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}
