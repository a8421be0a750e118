//! The control probe: known-good endpoints compared with the target.

use schemars::JsonSchema;
use serde::Serialize;

/// What one endpoint did.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ControlProbe {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// `reachable` (TCP connected; the TLS handshake answered unless the run deadline cut it
    /// off), `tls_failed`, `refused` (the host answered with a reset: the path works),
    /// `unreachable` (TCP got no answer or no route), `dns_failed`, or `cut_off` (the run deadline
    /// ended it before DNS or TCP had an answer).
    pub outcome: &'static str,
    /// Whether this result can be compared with the target's (see `reason` when not).
    pub comparable: bool,
    /// Why the result cannot be compared with the target's (only when `comparable` is false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// What failed, if anything (the failing layer's summary).
    pub error: Option<String>,
    /// The failing layer's error code (e.g. `tls.certificate_expired`), if anything failed.
    pub error_code: Option<String>,
    /// Wall time of the probe, milliseconds.
    pub duration_ms: u64,
}

/// The control section of the report.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ControlReport {
    /// `reachable` (a comparable endpoint answered), `unreachable` (every endpoint is comparable
    /// and none answered), `inconclusive` (none answered, and some results cannot be compared with
    /// the target's), or `not_needed` (the target's network layers passed, so the probe was
    /// cancelled).
    pub status: &'static str,
    /// Per-endpoint results (empty when not needed).
    pub endpoints: Vec<ControlProbe>,
    /// A fact about this network the comparison revealed (e.g. that it has no internet access).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

#[cfg(test)]
impl ControlProbe {
    /// A comparable probe of a test endpoint (`ctl.test:993`) that ended with `outcome`.
    pub fn ended(outcome: &'static str) -> ControlProbe {
        ControlProbe {
            host: "ctl.test".into(),
            port: 993,
            outcome,
            comparable: true,
            reason: None,
            error: None,
            error_code: None,
            duration_ms: 1,
        }
    }
}
