//! How firmly the evidence supports a verdict, and which other owners remain. A rule not listed
//! in [`DOUBTS`] is `certain`: the failure proves its owner (the server said so, a protocol fact,
//! a refused port). A listed rule is `likely`, with the other owners it leaves open; when the
//! control probe decides it and its evidence is missing or not comparable, it is `inconclusive`.

use crate::control::ControlReport;
use crate::report::{Alternative, Confidence, Fault};

/// What the control probe contributes to a rule's confidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlRole {
    /// Nothing: the failure speaks for itself.
    None,
    /// The owner rests on it: without a comparable control the verdict is `inconclusive`.
    Decides,
    /// A control certificate that verifies proves this computer's clock is right.
    ChecksClock,
}

/// A rule whose owner the failure alone does not prove.
pub struct Doubt {
    /// The verdict code.
    pub code: &'static str,
    /// What the control probe contributes.
    pub control: ControlRole,
    /// The other owners that remain, and why.
    pub alternatives: &'static [(Fault, &'static str)],
}

/// The alternative of a silent plaintext port, dropped when a TLS probe ruled implicit TLS out.
pub const IMPLICIT_TLS_ALTERNATIVE: (Fault, &str) = (
    Fault::Config,
    "the port may expect implicit TLS (a TLS handshake first)",
);

/// The local alternative when no known-good endpoint could be compared with the target.
const UNCOMPARED_NETWORK: &str = "this computer's network may be failing or blocking the server: no known-good endpoint could be compared with it";

/// The rules that are `likely` rather than `certain`.
#[rustfmt::skip]
pub const DOUBTS: &[Doubt] = &[
    Doubt { code: "discover.no_answer", control: ControlRole::None, alternatives: &[(Fault::Server, "the domain's own DNS servers may be down")] },
    Doubt { code: "discover.provider_mismatch", control: ControlRole::None, alternatives: &[(Fault::Account, "the mailbox may really be at this server (an account at another provider than the one receiving the domain's mail)")] },
    Doubt { code: "dns.nxdomain", control: ControlRole::None, alternatives: &[(Fault::Local, "the name may exist only inside a VPN or company network (split DNS)")] },
    Doubt { code: "dns.servfail", control: ControlRole::Decides, alternatives: &[(Fault::Local, "this computer's DNS server (often the router) may be failing rather than the domain's")] },
    Doubt { code: "dns.no_nameserver_answers", control: ControlRole::None, alternatives: &[(Fault::Server, "the domain's own DNS servers may be down, and this computer's DNS server gives up without an answer")] },
    Doubt { code: "tcp.timeout", control: ControlRole::Decides, alternatives: &[(Fault::Local, "a firewall on this network may drop connections to this port")] },
    Doubt { code: "tcp.unreachable", control: ControlRole::Decides, alternatives: &[(Fault::Server, "a router on the way may report the server's network as unreachable")] },
    Doubt { code: "tcp.failed", control: ControlRole::Decides, alternatives: &[(Fault::Local, "this computer's network may be failing")] },
    Doubt { code: "tcp.port_blocked", control: ControlRole::None, alternatives: &[(Fault::Server, "the server's own firewall may drop the IMAP port while its web port is open")] },
    Doubt { code: "tcp.ipv6_broken", control: ControlRole::None, alternatives: &[(Fault::Server, "the server's IPv6 address may be wrong or down (a stale AAAA record)")] },
    Doubt { code: "tls.certificate_expired", control: ControlRole::ChecksClock, alternatives: &[(Fault::Local, "this computer's clock may be wrong")] },
    Doubt { code: "tls.certificate_not_yet_valid", control: ControlRole::ChecksClock, alternatives: &[(Fault::Local, "this computer's clock may be wrong")] },
    Doubt { code: "tls.name_mismatch", control: ControlRole::None, alternatives: &[(Fault::Config, "the name used may be an alias: the certificate names the host to use")] },
    Doubt { code: "tls.unknown_issuer", control: ControlRole::None, alternatives: &[(Fault::Config, "the server may use a private CA: pass it with --ca-file"), (Fault::Local, "software on this computer or network may intercept TLS")] },
    Doubt { code: "tls.self_signed", control: ControlRole::None, alternatives: &[(Fault::Config, "for a server you run yourself, trust its certificate with --ca-file")] },
    Doubt { code: "tls.not_tls", control: ControlRole::None, alternatives: &[(Fault::Local, "a captive portal or proxy on this network may answer instead of the server")] },
    Doubt { code: "tls.handshake_failed", control: ControlRole::None, alternatives: &[(Fault::Local, "something on the path may interfere with TLS")] },
    Doubt { code: "tls.timeout", control: ControlRole::None, alternatives: &[(Fault::Local, "a firewall on this network may stall TLS to this server")] },
    Doubt { code: "tls.closed", control: ControlRole::None, alternatives: &[(Fault::Local, "something on the path may reset TLS connections")] },
    Doubt { code: "auth.timeout", control: ControlRole::None, alternatives: &[(Fault::Account, "the server may be holding back logins from this address after failed ones (throttling): the failed logins are the cause, and it passes within minutes")] },
    Doubt { code: "capability.timeout", control: ControlRole::None, alternatives: &[IMPLICIT_TLS_ALTERNATIVE, (Fault::Local, "a proxy on this network (an antivirus mail shield) may accept the connection and pass nothing on")] },
    Doubt { code: "capability.closed", control: ControlRole::None, alternatives: &[(Fault::Local, "a firewall or antivirus on this network may cut the connection")] },
    Doubt { code: "capability.too_long", control: ControlRole::None, alternatives: &[(Fault::Config, "this port may not be an IMAP port")] },
    Doubt { code: "capability.not_imap", control: ControlRole::None, alternatives: &[(Fault::Local, "a captive portal or proxy on this network may answer instead of the server")] },
    Doubt { code: "capability.starttls_unavailable", control: ControlRole::None, alternatives: &[(Fault::Local, "something on the path may remove STARTTLS from the capabilities")] },
    Doubt { code: "folders.closed", control: ControlRole::None, alternatives: &[(Fault::Account, "servers end the session right after a login when IMAP is disabled for the account or its connection limit is reached, and the BYE saying so can be lost when the connection is reset")] },
    Doubt { code: "capability.starttls_injection", control: ControlRole::None, alternatives: &[(Fault::Local, "something on the path may tamper with the connection")] },
];

/// The doubt about a verdict code, if any.
pub fn lookup(code: &str) -> Option<&'static Doubt> {
    DOUBTS.iter().find(|d| d.code == code)
}

/// Whether the rule's owner rests on the control probe.
pub fn control_decides(code: &str) -> bool {
    lookup(code).is_some_and(|d| d.control == ControlRole::Decides)
}

/// The confidence a rule has as such, in words for the decision table.
pub fn describe(code: &str) -> &'static str {
    match lookup(code).map(|d| d.control) {
        None => "certain",
        Some(ControlRole::None) => "likely",
        Some(ControlRole::Decides) => "likely; inconclusive without a comparable control",
        Some(ControlRole::ChecksClock) => "likely; certain when a control certificate verifies",
    }
}

/// What the control probe showed, as the verdict used it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlVerdict {
    /// Not needed for this failure.
    Unused,
    /// Comparable and reachable: the rule's owner stands.
    Works,
    /// Comparable and reachable, and the rule's local owner moved to the server's side.
    WorksElsewhere,
    /// Comparable and failing too: decided on this computer's side.
    Fails,
    /// Needed, but off (`--no-control`), cut off, or not comparable with the target.
    Missing,
}

/// What an assessment looks at.
pub struct Evidence<'a> {
    /// The verdict code.
    pub code: &'a str,
    /// The verdict's owner.
    pub fault: Fault,
    /// How the control probe was used.
    pub control: ControlVerdict,
    /// The control section, when probed.
    pub report: Option<&'a ControlReport>,
    /// Implicit TLS is ruled out for a silent port (a TLS probe said so, or TLS was in use).
    pub tls_ruled_out: bool,
}

/// The confidence and the alternatives for a verdict.
pub fn assess(e: &Evidence) -> (Confidence, Vec<Alternative>) {
    let alternative = |(fault, summary): (Fault, &str)| Alternative {
        fault,
        summary: summary.to_string(),
    };
    match e.control {
        ControlVerdict::Fails => return (Confidence::Certain, Vec::new()),
        ControlVerdict::WorksElsewhere => {
            let local = (
                Fault::Local,
                "something on this computer or its network may affect only this server (a VPN route, a DNS or firewall setting)",
            );
            return (Confidence::Likely, vec![alternative(local)]);
        }
        _ => {}
    }
    if e.code == "tcp.refused" && e.report.is_some_and(ControlReport::only_refused) {
        let local = (
            Fault::Local,
            "something on this network may reject connections to this port: the known-good endpoints were refused too",
        );
        return (Confidence::Likely, vec![alternative(local)]);
    }
    let Some(doubt) = lookup(e.code) else {
        return (Confidence::Certain, Vec::new());
    };
    let clock_right = e.report.is_some_and(|c| {
        c.endpoints
            .iter()
            .any(|p| p.outcome == "reachable" && p.error.is_none())
    });
    let confidence = match doubt.control {
        ControlRole::Decides if e.control == ControlVerdict::Missing => Confidence::Inconclusive,
        ControlRole::ChecksClock if clock_right => return (Confidence::Certain, Vec::new()),
        _ => Confidence::Likely,
    };
    let alternatives = doubt
        .alternatives
        .iter()
        .filter(|a| !(e.tls_ruled_out && **a == IMPLICIT_TLS_ALTERNATIVE))
        .filter(|(fault, _)| *fault != e.fault)
        .map(|&(fault, summary)| match (confidence, fault) {
            // Without the control, the whole network is in question, not only a firewall.
            (Confidence::Inconclusive, Fault::Local) => (fault, UNCOMPARED_NETWORK),
            _ => (fault, summary),
        })
        .map(alternative)
        .collect();
    (confidence, alternatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_doubt_names_a_rule_and_another_owner() {
        for (i, doubt) in DOUBTS.iter().enumerate() {
            let rule = super::super::rules::lookup(doubt.code)
                .unwrap_or_else(|| panic!("{} is not in the table", doubt.code));
            assert!(!doubt.alternatives.is_empty(), "{}", doubt.code);
            assert!(
                doubt.alternatives.iter().all(|(f, _)| *f != rule.fault),
                "{}: an alternative names the rule's own owner",
                doubt.code
            );
            assert!(DOUBTS[i + 1..].iter().all(|d| d.code != doubt.code));
        }
    }

    fn evidence(code: &str, control: ControlVerdict) -> Evidence<'_> {
        Evidence {
            code,
            fault: super::super::rules::lookup(code).map_or(Fault::Server, |r| r.fault),
            control,
            report: None,
            tls_ruled_out: false,
        }
    }

    #[test]
    fn a_rule_the_control_decides_is_inconclusive_without_it() {
        let (c, alts) = assess(&evidence("tcp.timeout", ControlVerdict::Missing));
        assert_eq!(c, Confidence::Inconclusive);
        assert_eq!(alts[0].fault, Fault::Local);
        assert_eq!(alts[0].summary, UNCOMPARED_NETWORK);
        let (c, _) = assess(&evidence("tcp.timeout", ControlVerdict::Works));
        assert_eq!(c, Confidence::Likely);
        // A silent port after a connect does not rest on the control.
        let (c, _) = assess(&evidence("capability.timeout", ControlVerdict::Missing));
        assert_eq!(c, Confidence::Likely);
    }

    #[test]
    fn ruled_out_tls_drops_the_config_alternative() {
        let mut e = evidence("capability.timeout", ControlVerdict::Unused);
        assert!(assess(&e).1.iter().any(|a| a.fault == Fault::Config));
        e.tls_ruled_out = true;
        let (_, alts) = assess(&e);
        assert!(alts.iter().all(|a| a.fault != Fault::Config), "{alts:?}");
        assert!(!alts.is_empty());
    }

    #[test]
    fn the_controls_verdict_settles_or_moves_the_doubt() {
        // Names failing everywhere (or nothing reachable): proven local.
        let fails = evidence("dns.no_nameserver_answers", ControlVerdict::Fails);
        assert_eq!(assess(&fails), (Confidence::Certain, Vec::new()));
        // A local rule moved to the server by a reachable control: local stays possible.
        let mut moved = evidence("tcp.unreachable", ControlVerdict::WorksElsewhere);
        moved.fault = Fault::Server;
        let (c, alts) = assess(&moved);
        assert_eq!(c, Confidence::Likely);
        assert_eq!(alts.len(), 1);
        assert_eq!(alts[0].fault, Fault::Local);
        assert!(alts[0].summary.contains("only this server"), "{alts:?}");
    }

    fn control(outcomes: &[(&'static str, Option<&str>)]) -> ControlReport {
        let endpoints = outcomes
            .iter()
            .map(|(outcome, error)| crate::control::ControlProbe {
                host: "ctl.test".into(),
                port: 993,
                outcome,
                comparable: true,
                reason: None,
                error: error.map(str::to_string),
                error_code: None,
                duration_ms: 1,
            })
            .collect();
        ControlReport {
            status: "reachable",
            endpoints,
            note: None,
        }
    }

    #[test]
    fn a_verified_control_certificate_proves_the_clock_right() {
        let verified = control(&[("tls_failed", Some("x")), ("reachable", None)]);
        let unverified = [
            control(&[("reachable", Some("the TLS handshake was cut off"))]),
            control(&[("tls_failed", None), ("refused", None)]),
        ];
        for code in ["tls.certificate_expired", "tls.certificate_not_yet_valid"] {
            let mut e = evidence(code, ControlVerdict::Unused);
            let (c, alts) = assess(&e);
            assert_eq!(c, Confidence::Likely);
            assert!(alts[0].summary.contains("clock"));
            e.report = Some(&verified);
            assert_eq!(assess(&e), (Confidence::Certain, Vec::new()));
            for report in &unverified {
                e.report = Some(report);
                assert_eq!(assess(&e).0, Confidence::Likely, "{report:?}");
            }
        }
    }

    #[test]
    fn a_refused_port_is_in_doubt_only_when_the_controls_were_refused_too() {
        let refused = control(&[("refused", None)]);
        let connected = control(&[("refused", None), ("reachable", None)]);
        let mut e = evidence("tcp.refused", ControlVerdict::Works);
        assert_eq!(assess(&e), (Confidence::Certain, Vec::new()));
        e.report = Some(&connected);
        assert_eq!(assess(&e), (Confidence::Certain, Vec::new()));
        e.report = Some(&refused);
        let (c, alts) = assess(&e);
        assert_eq!(c, Confidence::Likely);
        assert!(alts[0].summary.contains("refused too"), "{alts:?}");
        // Another failure beside refused controls keeps its own alternatives.
        let mut timeout = evidence("tcp.timeout", ControlVerdict::Works);
        timeout.report = Some(&refused);
        let (_, alts) = assess(&timeout);
        assert!(alts[0].summary.contains("firewall"), "{alts:?}");
    }

    #[test]
    fn the_table_words_each_kind_of_confidence() {
        assert_eq!(describe("auth.rejected"), "certain");
        assert_eq!(describe("tcp.port_blocked"), "likely");
        assert!(describe("tcp.timeout").contains("inconclusive without"));
        assert!(describe("tls.certificate_expired").contains("certain when"));
        assert!(control_decides("tcp.timeout"));
        assert!(!control_decides("tcp.refused"));
        assert!(!control_decides("capability.timeout"));
    }

    #[test]
    fn unlisted_rules_are_certain() {
        let (c, alts) = assess(&evidence("auth.rejected", ControlVerdict::Unused));
        assert_eq!((c, alts.len()), (Confidence::Certain, 0));
        let (c, _) = assess(&evidence(
            "network.nothing_reachable",
            ControlVerdict::Fails,
        ));
        assert_eq!(c, Confidence::Certain);
    }
}
