//! The control probe: DNS + TCP + TLS handshake to known-good endpoints, never with credentials,
//! so a failure at the target can be told apart from a failure of this computer's network. It runs
//! concurrently with the checklist and is only waited for when a network layer failed, so it adds
//! no wall time to a healthy check.

use std::time::Instant;

use crate::checks::{dns, tcp, tls};
use crate::config::{Config, ControlEndpoint, Security, Target};
pub use crate::report::control::{ControlProbe, ControlReport};
use crate::report::{Check, CheckId, Status};
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

impl ControlProbe {
    /// Whether the endpoint shows that this computer's network works: it connected, or its host
    /// answered with a reset.
    pub fn network_works(&self) -> bool {
        matches!(self.outcome, "reachable" | "tls_failed" | "refused")
    }
}

impl ControlReport {
    /// Whether at least one endpoint answered; `None` when the probe was not needed or its
    /// results cannot be compared with the target's.
    pub fn reachable(&self) -> Option<bool> {
        match self.status {
            "reachable" => Some(true),
            "unreachable" => Some(false),
            _ => None,
        }
    }

    /// Whether the network works only in the sense that every answering endpoint refused (no
    /// completed handshake anywhere).
    pub fn only_refused(&self) -> bool {
        let answered = self.endpoints.iter().filter(|p| p.network_works());
        answered.clone().count() > 0 && answered.into_iter().all(|p| p.outcome == "refused")
    }
}

/// What the target's own checks showed, for deciding which control results compare with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetEvidence {
    /// The target's name resolved (or needed no lookup).
    pub resolved: bool,
    /// The target's host answered at TCP: it connected, or refused the port.
    pub answered: bool,
}

impl TargetEvidence {
    /// From the finished checklist.
    pub fn of(checks: &[Check]) -> TargetEvidence {
        let status = |id| checks.iter().find(|c| c.id == id).map(|c| c.status);
        let passed = |id| matches!(status(id), Some(Status::Pass | Status::Warn));
        let refused = checks
            .iter()
            .any(|c| c.id == CheckId::Tcp && c.error_code() == Some("tcp.refused"));
        TargetEvidence {
            resolved: passed(CheckId::Dns),
            answered: passed(CheckId::Tcp) || refused,
        }
    }
}

/// Why a control result that failed says nothing about the target, if it does not.
const NOT_COMPARABLE_DNS: &str = "its name does not resolve while the target's did (no internet access, or DNS that serves only local names): that says nothing about the path to the target";
const NOT_COMPARABLE_ANSWERED: &str = "the target's host answered, so the path to it works: an unreachable control only shows that the internet is not reachable from here";
const NOT_COMPARABLE_CUT_OFF: &str = "cut off by --max-time before it had an answer";
const NOT_COMPARABLE_LITERAL: &str = "an IP address needs no DNS lookup, so reaching it says nothing about the name lookup that failed for the target";

/// The control section from the endpoints' results, compared with what the target showed.
pub fn judge(mut endpoints: Vec<ControlProbe>, target: TargetEvidence) -> ControlReport {
    for probe in &mut endpoints {
        probe.reason = match probe.outcome {
            "cut_off" => Some(NOT_COMPARABLE_CUT_OFF),
            _ if !target.resolved && probe.host.parse::<std::net::IpAddr>().is_ok() => {
                Some(NOT_COMPARABLE_LITERAL)
            }
            "dns_failed" if target.resolved => Some(NOT_COMPARABLE_DNS),
            "unreachable" if target.answered => Some(NOT_COMPARABLE_ANSWERED),
            _ => None,
        };
        probe.comparable = probe.reason.is_none();
    }
    let works = endpoints.iter().any(|p| p.comparable && p.network_works());
    let all_comparable = !endpoints.is_empty() && endpoints.iter().all(|p| p.comparable);
    let status = if works {
        "reachable"
    } else if all_comparable {
        "unreachable"
    } else {
        "inconclusive"
    };
    // Every endpoint failed where the target got through: this network has no internet access.
    let isolated =
        |p: &ControlProbe| matches!(p.reason, Some(NOT_COMPARABLE_DNS | NOT_COMPARABLE_ANSWERED));
    let note = (!works && !endpoints.is_empty() && endpoints.iter().all(isolated)).then(|| {
        if endpoints.iter().all(|p| p.outcome == "dns_failed") {
            NO_INTERNET_DNS
        } else {
            NO_INTERNET
        }
    });
    ControlReport {
        status,
        endpoints,
        note,
    }
}

/// The note for a network whose control endpoints do not resolve while the target does.
pub const NO_INTERNET_DNS: &str =
    "this network has no internet access (the control endpoints cannot be resolved)";
/// The note for a network whose control endpoints cannot be reached while the target can.
pub const NO_INTERNET: &str =
    "this network has no internet access (the control endpoints cannot be reached)";

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
) -> (Trigger, tokio::task::JoinHandle<Option<Vec<ControlProbe>>>) {
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

/// Probes every control endpoint concurrently; [`judge`] compares the results with the target.
pub async fn probe_all(
    config: Config,
    run_deadline: Option<tokio::time::Instant>,
) -> Vec<ControlProbe> {
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
    endpoints.into_iter().map(|(_, p)| p).collect()
}

/// The report section when the probe was cancelled because the target's network layers passed.
pub fn not_needed() -> ControlReport {
    ControlReport {
        status: "not_needed",
        endpoints: Vec::new(),
        note: None,
    }
}

/// The settings of one control probe: the endpoint over implicit TLS, with the run's timeouts and
/// trust anchors but never its credentials, user, `--insecure`, `--resolve` overrides (they are
/// the target's, and the control must test this network as it is) or transcript.
fn probe_config(config: &Config, endpoint: &ControlEndpoint) -> Config {
    Config {
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
        discovery: None,
        ..config.clone()
    }
}

async fn probe(
    config: &Config,
    endpoint: &ControlEndpoint,
    run_deadline: Option<tokio::time::Instant>,
) -> ControlProbe {
    let started = Instant::now();
    let control = probe_config(config, endpoint);
    // The whole probe fits in one --timeout, so it never outlasts the target's failing step by
    // more than the grace period.
    let probe_deadline = tokio::time::Instant::now() + config.step_timeout;
    let step = || {
        let step = (tokio::time::Instant::now() + config.step_timeout).min(probe_deadline);
        run_deadline.map_or(step, |run| run.min(step))
    };
    let cut_off = || cut_off(run_deadline, probe_deadline, tokio::time::Instant::now());
    let result = |outcome, failed: Option<Check>| ControlProbe {
        host: endpoint.host.clone(),
        port: endpoint.port,
        outcome,
        comparable: true,
        reason: None,
        error: failed.as_ref().map(|c| c.summary.clone()),
        error_code: failed
            .as_ref()
            .and_then(|c| c.error_code().map(str::to_string)),
        duration_ms: started.elapsed().as_millis() as u64,
    };
    let (check, addrs) = dns::run(&control, step()).await;
    if check.status == Status::Fail {
        return result(
            if cut_off() { "cut_off" } else { "dns_failed" },
            Some(check),
        );
    }
    let (check, stream) = tcp::run(&addrs, step()).await;
    let Some(stream) = stream else {
        let outcome = match check.error_code() {
            Some("tcp.refused") => "refused",
            _ if cut_off() => "cut_off",
            _ => "unreachable",
        };
        return result(outcome, Some(check));
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
        // TCP connected: the network works, whatever the deadline did to the handshake.
        Status::Fail if cut_off() => result("reachable", Some(check)),
        Status::Fail => result("tls_failed", Some(check)),
        _ => result("reachable", None),
    }
}

/// Whether a failure at `now` is the run deadline's doing: it came before the probe's own bound,
/// and it has passed.
fn cut_off(
    run_deadline: Option<tokio::time::Instant>,
    probe_deadline: tokio::time::Instant,
    now: tokio::time::Instant,
) -> bool {
    run_deadline.is_some_and(|run| run < probe_deadline && now >= run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_run_deadline_cuts_a_probe_off() {
        let t0 = tokio::time::Instant::now();
        let s = |n| t0 + std::time::Duration::from_secs(n);
        // --max-time before the probe's own --timeout bound, and reached.
        assert!(cut_off(Some(s(2)), s(10), s(2)));
        assert!(cut_off(Some(s(2)), s(10), s(3)));
        // Not reached yet: the failure is the probe's own (refused, no route).
        assert!(!cut_off(Some(s(2)), s(10), s(1)));
        // The probe's own bound came first: a timeout there is a real "no answer".
        assert!(!cut_off(Some(s(10)), s(2), s(10)));
        assert!(!cut_off(Some(s(2)), s(2), s(2)));
        assert!(!cut_off(None, s(2), s(3)));
    }

    fn probe(outcome: &'static str) -> ControlProbe {
        ControlProbe::ended(outcome)
    }

    const RESOLVED: TargetEvidence = TargetEvidence {
        resolved: true,
        answered: false,
    };
    const ANSWERED: TargetEvidence = TargetEvidence {
        resolved: true,
        answered: true,
    };
    const NOTHING: TargetEvidence = TargetEvidence {
        resolved: false,
        answered: false,
    };

    #[test]
    fn a_control_that_fails_at_dns_while_the_target_resolved_is_not_evidence() {
        let report = judge(vec![probe("dns_failed"), probe("dns_failed")], RESOLVED);
        assert_eq!(report.status, "inconclusive");
        assert_eq!(report.reachable(), None);
        assert!(report.endpoints.iter().all(|p| !p.comparable));
        assert_eq!(report.endpoints[0].reason, Some(NOT_COMPARABLE_DNS));
        assert_eq!(report.note, Some(NO_INTERNET_DNS));
        // Names failing for the target too: the same layer, comparable.
        let report = judge(vec![probe("dns_failed")], NOTHING);
        assert_eq!(report.status, "unreachable");
        assert_eq!(report.reachable(), Some(false));
        assert!(report.endpoints[0].comparable);
        assert_eq!(report.note, None);
    }

    #[test]
    fn a_probe_never_inherits_credentials_overrides_or_insecurity() {
        let endpoint = ControlEndpoint {
            host: "ctl.test".into(),
            port: 993,
        };
        let target = Config {
            target: Target {
                input: "imap.example.test:143".into(),
                host: "imap.example.test".into(),
                port: 143,
                security: Security::Starttls,
            },
            credentials: Some(crate::config::Credentials {
                user: "u".into(),
                secret: crate::secret::Secret::new("probe-config-pw".into()),
                mechanism: None,
                is_token: false,
                token_origin: None,
            }),
            user: Some("u".into()),
            mailbox: "INBOX".into(),
            extra_roots: Vec::new(),
            ca_file: None,
            insecure: true,
            step_timeout: std::time::Duration::from_secs(7),
            login_timeout: std::time::Duration::from_secs(30),
            max_time: None,
            resolve: vec![("ctl.test".into(), 993, vec!["192.0.2.1".parse().unwrap()])],
            controls: vec![endpoint.clone()],
            allow_plaintext_auth: true,
            verbose: true,
            discovery: Some(crate::discover::Request {
                address: "u@example.test".into(),
                domain: "example.test".into(),
                goal: crate::discover::Goal::Compare,
            }),
        };
        let probe = probe_config(&target, &endpoint);
        // The control endpoint is a server: nothing to discover nor compare with the user's.
        assert!(probe.discovery.is_none());
        assert_eq!(probe.target.host, "ctl.test");
        assert_eq!(probe.target.security, Security::Tls);
        assert!(probe.credentials.is_none() && probe.user.is_none());
        assert!(!probe.insecure && !probe.verbose);
        assert!(probe.resolve.is_empty());
        assert_eq!(probe.step_timeout, target.step_timeout);
    }

    #[test]
    fn an_ip_address_control_says_nothing_about_a_failed_name_lookup() {
        let literal = |outcome| ControlProbe {
            host: "192.0.2.7".into(),
            ..probe(outcome)
        };
        let report = judge(vec![literal("reachable")], NOTHING);
        assert_eq!(report.status, "inconclusive");
        assert_eq!(report.endpoints[0].reason, Some(NOT_COMPARABLE_LITERAL));
        assert_eq!(report.note, None);
        // Beside a named control that answered, the named one decides.
        let report = judge(vec![literal("reachable"), probe("reachable")], NOTHING);
        assert_eq!(report.status, "reachable");
        // When the target's name resolved, an address compares like any other endpoint.
        for target in [RESOLVED, ANSWERED] {
            let report = judge(vec![literal("reachable")], target);
            assert_eq!(report.status, "reachable");
            assert!(report.endpoints[0].comparable);
        }
    }

    #[test]
    fn an_unreachable_control_while_the_target_answered_means_no_internet() {
        let report = judge(vec![probe("unreachable"), probe("dns_failed")], ANSWERED);
        assert_eq!(report.status, "inconclusive");
        assert_eq!(report.note, Some(NO_INTERNET));
        assert_eq!(report.endpoints[0].reason, Some(NOT_COMPARABLE_ANSWERED));
        let report = judge(vec![probe("unreachable")], RESOLVED);
        assert_eq!(report.status, "unreachable");
        assert_eq!(report.note, None);
    }

    #[test]
    fn a_control_cut_off_by_the_deadline_is_inconclusive_without_a_note() {
        for target in [NOTHING, RESOLVED, ANSWERED] {
            let report = judge(vec![probe("cut_off"), probe("unreachable")], target);
            assert_eq!(report.status, "inconclusive", "{target:?}");
            assert_eq!(report.reachable(), None);
            assert_eq!(report.endpoints[0].reason, Some(NOT_COMPARABLE_CUT_OFF));
            assert_eq!(report.note, None);
        }
        assert_eq!(judge(Vec::new(), NOTHING).status, "inconclusive");
    }

    #[test]
    fn a_refused_control_proves_the_network_works() {
        let report = judge(vec![probe("refused"), probe("cut_off")], NOTHING);
        assert_eq!(report.status, "reachable");
        assert_eq!(report.reachable(), Some(true));
        assert!(report.only_refused());
        let report = judge(vec![probe("refused"), probe("reachable")], NOTHING);
        assert!(!report.only_refused());
        let report = judge(vec![probe("tls_failed")], RESOLVED);
        assert_eq!(report.status, "reachable");
        assert!(!report.only_refused());
        assert!(!judge(vec![probe("unreachable")], NOTHING).only_refused());
    }

    #[test]
    fn target_evidence_reads_the_dns_and_tcp_checks() {
        use crate::report::Details;
        let dns = Check::passed(CheckId::Dns, "ok", Details::None);
        let refused = Check::failed(CheckId::Tcp, "refused", "refused", Details::None);
        let timeout = Check::failed(CheckId::Tcp, "timeout", "timeout", Details::None);
        let connected = Check::passed(CheckId::Tcp, "ok", Details::None);
        let dns_failed = Check::failed(CheckId::Dns, "nxdomain", "no", Details::None);
        let of = |checks: &[Check]| TargetEvidence::of(checks);
        assert_eq!(of(&[dns.clone(), refused]), ANSWERED);
        assert_eq!(of(&[dns.clone(), connected]), ANSWERED);
        assert_eq!(of(&[dns, timeout]), RESOLVED);
        assert_eq!(of(&[dns_failed]), NOTHING);
    }

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
