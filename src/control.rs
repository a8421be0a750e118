//! The control probe: DNS + TCP + TLS handshake to known-good endpoints, never with credentials,
//! so a failure at the target can be told apart from a failure of this computer's network. It runs
//! concurrently with the checklist and is only waited for when a network layer failed, so it adds
//! no wall time to a healthy check.

use std::time::Instant;

use serde::Serialize;

use crate::checks::{dns, tcp, tls};
use crate::config::{Config, ControlEndpoint, Security, Target};
use crate::report::Status;
use crate::transcript::Transcript;

/// Public IMAP endpoints of different providers, used when no `--control` is given.
pub const DEFAULT_CONTROLS: [(&str, &str); 4] = [
    ("imap.gmail.com", "google"),
    ("outlook.office365.com", "microsoft"),
    ("imap.mail.me.com", "apple"),
    ("imap.fastmail.com", "fastmail"),
];

/// How many default endpoints are probed.
const DEFAULT_COUNT: usize = 2;

/// What one endpoint did.
#[derive(Clone, Debug, Serialize)]
pub struct ControlProbe {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// `reachable` (TCP connected and TLS answered), `tls_failed`, `unreachable` (TCP failed) or
    /// `dns_failed`.
    pub outcome: &'static str,
    /// What failed, if anything (the failing layer's summary).
    pub error: Option<String>,
    /// The failing layer's error code (e.g. `tls.certificate_expired`), if anything failed.
    pub error_code: Option<String>,
    /// Wall time of the probe, milliseconds.
    pub duration_ms: u64,
}

/// The control section of the report.
#[derive(Clone, Debug, Serialize)]
pub struct ControlReport {
    /// `reachable` (at least one endpoint answered), `unreachable` (none did), or `not_needed`
    /// (the target's network layers passed, so the probe was cancelled).
    pub status: &'static str,
    /// Per-endpoint results (empty when not needed).
    pub endpoints: Vec<ControlProbe>,
}

impl ControlReport {
    /// Whether at least one endpoint answered.
    pub fn reachable(&self) -> Option<bool> {
        match self.status {
            "reachable" => Some(true),
            "unreachable" => Some(false),
            _ => None,
        }
    }
}

/// How long the target may take to connect before the control probe starts anyway. A healthy
/// target connects well within it, so a healthy check never touches the control endpoints.
pub const GRACE: std::time::Duration = std::time::Duration::from_millis(200);

/// When to run the control probe: the checklist says so as soon as it knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    Waiting,
    Now,
    NotNeeded,
}

/// The checklist's side of the control probe's trigger.
pub struct Trigger(tokio::sync::watch::Sender<Signal>);

impl Trigger {
    /// The target's network layer failed: probe now.
    pub fn start_now(&self) {
        self.0.send_replace(Signal::Now);
    }

    /// The target connected: the probe is not needed unless something later says otherwise.
    pub fn not_needed(&self) {
        self.0.send_replace(Signal::NotNeeded);
    }
}

/// A control probe that starts when the checklist's network layers fail, or after [`GRACE`]
/// while they are still pending; `None` when it was not needed.
pub fn spawn(
    config: Config,
    run_deadline: Option<tokio::time::Instant>,
) -> (Trigger, tokio::task::JoinHandle<Option<ControlReport>>) {
    let (tx, mut rx) = tokio::sync::watch::channel(Signal::Waiting);
    let task = tokio::spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep(GRACE) => {}
            _ = rx.wait_for(|s| *s != Signal::Waiting) => {}
        }
        if *rx.borrow() == Signal::NotNeeded || config.controls.is_empty() {
            return None;
        }
        Some(probe_all(config, run_deadline).await)
    });
    (Trigger(tx), task)
}

/// The default endpoints, skipping the target's own provider.
pub fn default_controls(target_host: &str) -> Vec<ControlEndpoint> {
    let target = target_host.to_ascii_lowercase();
    let provider_of = |host: &str| {
        DEFAULT_CONTROLS
            .iter()
            .find(|(h, _)| *h == host)
            .map(|(_, p)| *p)
    };
    let target_provider =
        provider_of(&target).or_else(|| crate::providers::by_host(&target).map(|p| p.id));
    DEFAULT_CONTROLS
        .iter()
        .filter(|(_, p)| Some(*p) != target_provider)
        .take(DEFAULT_COUNT)
        .map(|(h, _)| ControlEndpoint {
            host: h.to_string(),
            port: 993,
        })
        .collect()
}

/// Probes every control endpoint concurrently.
pub async fn probe_all(
    config: Config,
    run_deadline: Option<tokio::time::Instant>,
) -> ControlReport {
    let mut set = tokio::task::JoinSet::new();
    for (index, endpoint) in config.controls.iter().cloned().enumerate() {
        let config = config.clone();
        set.spawn(async move { (index, probe(&config, &endpoint, run_deadline).await) });
    }
    // Not join_all: it panics on a task cancelled by the runtime shutting down.
    let mut endpoints: Vec<(usize, ControlProbe)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        endpoints.extend(joined.ok());
    }
    endpoints.sort_by_key(|(index, _)| *index);
    let endpoints: Vec<ControlProbe> = endpoints.into_iter().map(|(_, p)| p).collect();
    let status = if endpoints
        .iter()
        .any(|p| p.outcome == "reachable" || p.outcome == "tls_failed")
    {
        "reachable"
    } else {
        "unreachable"
    };
    ControlReport { status, endpoints }
}

/// The report section when the probe was cancelled because the target's network layers passed.
pub fn not_needed() -> ControlReport {
    ControlReport {
        status: "not_needed",
        endpoints: Vec::new(),
    }
}

async fn probe(
    config: &Config,
    endpoint: &ControlEndpoint,
    run_deadline: Option<tokio::time::Instant>,
) -> ControlProbe {
    let started = Instant::now();
    let control = Config {
        target: Target {
            input: format!("{}:{}", endpoint.host, endpoint.port),
            host: endpoint.host.clone(),
            port: endpoint.port,
            security: Security::Tls,
        },
        credentials: None,
        user: None,
        insecure: false,
        resolve: Vec::new(),
        verbose: false,
        ..config.clone()
    };
    // The whole probe fits in one --timeout, so it never outlasts the target's failing step by
    // more than the grace period.
    let probe_deadline = tokio::time::Instant::now() + config.step_timeout;
    let step = || {
        let step = (tokio::time::Instant::now() + config.step_timeout).min(probe_deadline);
        run_deadline.map_or(step, |run| run.min(step))
    };
    let result = |outcome, failed: Option<crate::report::Check>| ControlProbe {
        host: endpoint.host.clone(),
        port: endpoint.port,
        outcome,
        error: failed.as_ref().map(|c| c.summary.clone()),
        error_code: failed
            .as_ref()
            .and_then(|c| c.error_code().map(str::to_string)),
        duration_ms: started.elapsed().as_millis() as u64,
    };
    let (check, addrs) = dns::run(&control, step()).await;
    if check.status == Status::Fail {
        return result("dns_failed", Some(check));
    }
    let (check, stream) = tcp::run(&addrs, step()).await;
    let Some(stream) = stream else {
        return result("unreachable", Some(check));
    };
    let transcript = Transcript::new(started);
    let (check, _) = tls::run(
        &control,
        crate::imap::Recorded::new(stream),
        &transcript,
        step(),
    )
    .await;
    match check.status {
        Status::Fail => result("tls_failed", Some(check)),
        _ => result("reachable", None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_probes_the_targets_own_provider() {
        let hosts: Vec<String> = default_controls("outlook.office365.com")
            .into_iter()
            .map(|c| c.host)
            .collect();
        assert!(!hosts.contains(&"outlook.office365.com".to_string()));
        assert_eq!(hosts.len(), 2);
        let hosts: Vec<String> = default_controls("imap.gmail.com")
            .into_iter()
            .map(|c| c.host)
            .collect();
        assert!(!hosts.contains(&"imap.gmail.com".to_string()));
    }
}
