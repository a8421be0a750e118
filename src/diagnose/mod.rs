//! From facts to a verdict: the first failing check, refined by what the server said (response
//! codes and provider strings) and by the control probe (was anything else reachable?), decides
//! which side owns the problem. Checks report facts; this module decides; renderers only lay out.

pub mod catalogue;
pub mod confidence;
pub mod responses;
pub mod rules;

use crate::report::{Check, CheckId, Confidence, Details, Fault, Report, Status, Verdict};
use confidence::ControlVerdict;

/// The server's words behind a failure: (response code, text), when a server response caused it.
fn server_words(check: &Check) -> Option<(Option<String>, String)> {
    match &check.details {
        Details::Auth(a) => Some((a.response_code.clone(), a.text.clone()?)),
        Details::Folders(f) => [
            &f.list.completion,
            &f.examine.completion,
            &f.status.completion,
        ]
        .into_iter()
        .flatten()
        .find(|c| c.result != "OK")
        .map(|c| (c.response_code.clone(), c.text.clone())),
        Details::Capability(c) => c
            .greeting
            .as_ref()
            .filter(|g| g.status == "BYE")
            .map(|g| (g.code.clone(), g.text.clone())),
        _ => None,
    }
}

/// Whether the failure is one the control probe can speak to: nothing (or only a SERVFAIL, which a
/// home router with a dead uplink also gives) came back from the target; a refused port, to tell a
/// closed port from a network that rejects it; or a certificate out of its validity period, to
/// check this computer's clock. A nameserver's NXDOMAIN, or a target that completed a TCP handshake
/// and then failed, already prove the path to it works.
pub fn needs_control(code: &str) -> bool {
    matches!(
        code,
        "dns.no_nameserver_answers"
            | "dns.no_nameservers"
            | "dns.servfail"
            | "tcp.timeout"
            | "tcp.unreachable"
            | "tcp.failed"
            | "tcp.refused"
            | "tls.certificate_expired"
            | "tls.certificate_not_yet_valid"
    )
}

fn opening(fault: Fault, code: &str) -> &'static str {
    match fault {
        Fault::None => "No problem found: ",
        Fault::Local => "The problem is on this computer or its network: ",
        Fault::Server if code == "tcp.timeout" => {
            "The problem is at the mail server or the network path to it: "
        }
        Fault::Server if code == "auth.timeout" => {
            "The problem is at the mail server, or with this account's failed logins: "
        }
        Fault::Server => "The problem is at the mail server: ",
        Fault::Account => "The problem is with the account: ",
        Fault::Config => "The problem is in the settings used: ",
    }
}

/// The decision table as Markdown (symptom → fault → code → first hint), for the README.
pub fn decision_table_markdown() -> String {
    let fault = catalogue::owner;
    let mut out =
        String::from("| symptom | fault | confidence | code | hint |\n|---|---|---|---|---|\n");
    out.push_str("| every check passes | none | certain | `ok` (`ok.with_warnings`) | — |\n");
    out.push_str(&format!(
        "| the run is interrupted (Ctrl-C) before a conclusion | none | inconclusive | `{INTERRUPTED}` | {INTERRUPTED_HINT} |\n"
    ));
    for rule in rules::RULES {
        let hint = rule.hints.first().copied().unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | `{}` | {} |\n",
            rule.summary,
            fault(rule.fault),
            confidence::describe(rule.code),
            rule.code,
            hint
        ));
    }
    for rule in responses::RESPONSE_RULES {
        let said = catalogue::server_said(&rule.matcher, "`");
        let hint = rule.hints.first().copied().unwrap_or_default();
        out.push_str(&format!(
            "| {said}: {} | {} | certain | `<check>.{}` | {} |\n",
            rule.summary,
            fault(rule.fault),
            rule.code,
            hint
        ));
    }
    out
}

/// Decides the verdict for a report.
pub fn diagnose(report: &Report) -> Verdict {
    let mut evidence: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.status != Status::Skip)
        .map(|c| format!("{}: {} ({})", c.id.as_str(), c.status.as_str(), c.summary))
        .collect();
    let control = report.control.as_ref();
    if let Some(control) = control {
        let probes: Vec<String> = control
            .endpoints
            .iter()
            .map(|p| match p.reason {
                Some(why) => format!(
                    "{}:{} {} (not comparable: {why})",
                    p.host, p.port, p.outcome
                ),
                None => format!("{}:{} {}", p.host, p.port, p.outcome),
            })
            .collect();
        let mut line = format!("control: {} {}", control.status, probes.join(", "));
        if let Some(note) = control.note {
            line = format!("{}; {note}", line.trim_end());
        }
        evidence.push(line.trim_end().to_string());
    }
    if report.interrupted {
        return interrupted(report, evidence);
    }
    let Some(failed) = report.first_failure() else {
        return healthy(report, evidence);
    };
    let code = failed.error_code().unwrap_or("unknown").to_string();
    let found = lookup(report, failed, &code);
    let known = found.is_some();
    let (mut fault, mut verdict_code, mut summary, mut hints) = match found {
        Some(found) => found,
        None => (
            Fault::Server,
            code.clone(),
            failed.summary.clone(),
            vec!["Run again with -v and look at the transcript.".to_string()],
        ),
    };
    let mut used = ControlVerdict::Unused;
    let time_error = matches!(
        code.as_str(),
        "tls.certificate_expired" | "tls.certificate_not_yet_valid"
    );
    let control_time_error = control.is_some_and(|c| {
        c.endpoints.iter().any(|p| {
            matches!(
                p.error_code.as_deref(),
                Some("tls.certificate_expired" | "tls.certificate_not_yet_valid")
            )
        })
    });
    if time_error && control_time_error {
        let rule = rules::lookup("tls.clock_wrong").expect("the table has tls.clock_wrong");
        fault = rule.fault;
        verdict_code = rule.code.to_string();
        summary = rule.summary.to_string();
        hints = rule.hints.iter().map(|h| h.to_string()).collect();
    } else if needs_control(&code) && !time_error {
        let reachable = control.and_then(|c| c.reachable());
        used = match reachable {
            Some(true) if fault == Fault::Local => ControlVerdict::WorksElsewhere,
            Some(true) => ControlVerdict::Works,
            Some(false) => ControlVerdict::Fails,
            None => ControlVerdict::Missing,
        };
        match reachable {
            Some(false)
                if code.starts_with("dns.")
                    && control
                        .is_some_and(|c| c.endpoints.iter().all(|p| p.outcome == "dns_failed")) =>
            {
                // Names fail everywhere, control included: this computer's DNS is the problem.
                fault = Fault::Local;
                if code == "dns.servfail" {
                    summary = "this computer's DNS server fails to resolve any name, the control endpoints' included (SERVFAIL).".into();
                    hints = vec!["The DNS server (often the router) has lost its own connection: check the internet connection, or use another DNS server.".into()];
                }
                summary = format!(
                    "{summary} The known-good control endpoints cannot be resolved either."
                );
            }
            Some(false) => {
                let rule = rules::lookup("network.nothing_reachable").expect("the table has it");
                fault = rule.fault;
                verdict_code = rule.code.to_string();
                summary = rule.summary.to_string();
                hints = rule.hints.iter().map(|h| h.to_string()).collect();
            }
            Some(true) if fault == Fault::Local => {
                fault = Fault::Server;
                summary = format!(
                    "{summary} The known-good control endpoints are reachable from here, so it is specific to this server or the path to it."
                );
            }
            Some(true) => {
                summary = format!(
                    "{summary} The known-good control endpoints are reachable from here, so this computer's network works in general."
                );
            }
            None if !confidence::control_decides(&code) => {}
            None => {
                let other = if fault == Fault::Local {
                    "the server's side"
                } else {
                    "this computer's network"
                };
                summary = match control {
                    Some(_) => format!(
                        "{summary} The known-good control endpoints could not be compared with the target (see control), so {other} is not ruled out."
                    ),
                    None => format!(
                        "{summary} Without the control probe (--no-control), {other} is not ruled out."
                    ),
                };
            }
        }
    }
    let tls_ruled_out = tls_ruled_out(report, failed);
    if tls_ruled_out {
        hints.retain(|h| h != rules::IMPLICIT_TLS_HINT);
    }
    if let Details::Auth(auth) = &failed.details {
        let findings = auth.token.iter().flat_map(|t| &t.findings);
        let token_hints: Vec<String> = findings
            .map(|f| format!("Token check: {}. {}", f.message, f.hint))
            .collect();
        if !token_hints.is_empty() {
            hints.splice(0..0, token_hints);
        }
    }
    hints.splice(0..0, fact_hints(report, failed, &verdict_code));
    if fault == Fault::Server && provider_id(report) == Some("microsoft") {
        hints.push("Check the Microsoft 365 admin center's Service health page for an Exchange Online incident.".into());
    }
    let (confidence, alternatives) = if known {
        confidence::assess(&confidence::Evidence {
            code: &verdict_code,
            fault,
            control: used,
            report: control,
            tls_ruled_out,
        })
    } else {
        (Confidence::Inconclusive, Vec::new())
    };
    Verdict {
        fault,
        code: verdict_code,
        summary: format!("{}{}", opening(fault, &code), summary),
        confidence,
        alternatives,
        hints,
        evidence,
    }
}

/// Hints built from the facts of the failing check: the mechanisms on offer, the closest
/// existing mailboxes.
fn fact_hints(report: &Report, failed: &Check, verdict_code: &str) -> Vec<String> {
    let mut hints = Vec::new();
    // A server that is not the address's provider's may be why the rest failed.
    if let Some(mismatch) = report
        .check(CheckId::Discover)
        .warning
        .as_ref()
        .filter(|w| w.code == "discover.provider_mismatch")
    {
        hints.push(format!("Settings: {}.", mismatch.message));
    }
    if verdict_code.ends_with(".mechanism_not_offered")
        && let Details::Capability(caps) = &report.check(CheckId::Capability).details
    {
        hints.push(format!(
            "The server offers: {}.",
            crate::checks::auth::offered(caps)
        ));
    }
    if verdict_code.ends_with(".mailbox_missing")
        && let Details::Folders(folders) = &failed.details
        && !folders.closest.is_empty()
    {
        hints.push(format!(
            "Existing mailboxes with a similar name: {}.",
            folders.closest.join(", ")
        ));
    }
    hints
}

/// Whether the server logged the connection in by itself (a PREAUTH greeting).
fn preauthenticated(report: &Report) -> bool {
    matches!(&report.check(CheckId::Auth).details, Details::Auth(a) if a.mechanism == Some("PREAUTH"))
}

/// Whether implicit TLS is ruled out for a port that sent no greeting: the connection already used
/// TLS, or a TLS probe on a second connection found no TLS there.
fn tls_ruled_out(report: &Report, failed: &Check) -> bool {
    if report.target.security == crate::config::Security::Tls {
        return true;
    }
    matches!(
        &failed.details,
        Details::Capability(c) if c.tls_probe.is_some_and(|p| p.rules_out_tls())
    )
}

/// The provider, from the greeting when one arrived, else from the host name.
fn provider_id(report: &Report) -> Option<&'static str> {
    match &report.check(CheckId::Capability).details {
        Details::Capability(c) if c.provider.id.is_some() => c.provider.id,
        _ => crate::providers::by_host(&report.target.host).map(|p| p.id),
    }
}

type Found = (Fault, String, String, Vec<String>);

/// The table's row for the failure, with the server's own reason (the text of its BYE or NO)
/// as the first hint.
fn lookup(report: &Report, failed: &Check, code: &str) -> Option<Found> {
    // Our own conclusive findings are not re-read from the server's words.
    let ours = matches!(
        code,
        "auth.mechanism_not_offered" | "auth.encryption_required" | "folders.not_provisioned"
    );
    let words = server_words(failed).filter(|_| !ours);
    let (fault, code, summary, mut hints) = lookup_row(report, failed, code, words.clone())?;
    let reason = match (&words, &failed.details) {
        (Some((_, text)), _) => Some(text.as_str()),
        (None, Details::Tls(tls)) if code == "tls.bye" => tls
            .received_instead
            .as_deref()
            .map(|r| r.strip_prefix("* BYE").unwrap_or(r)),
        _ => None,
    };
    if let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) {
        hints.insert(0, format!("The server said: \"{reason}\""));
    }
    Some((fault, code, summary, hints))
}

fn lookup_row(
    report: &Report,
    failed: &Check,
    code: &str,
    words: Option<(Option<String>, String)>,
) -> Option<Found> {
    let owned = |hints: &[&str]| hints.iter().map(|h| h.to_string()).collect();
    if let Some((response_code, text)) = words
        && let Some(rule) =
            responses::classify(response_code.as_deref(), &text, provider_id(report))
    {
        let prefix = failed.id.as_str();
        // A greeting comes before any login: a server-side row written for a failed login
        // (its authentication backend, "not a wrong password") gives way to the greeting's own.
        let (summary, hints) = match rules::lookup("capability.bye") {
            Some(bye) if failed.id == CheckId::Capability && rule.fault == Fault::Server => {
                (bye.summary, bye.hints)
            }
            _ => (rule.summary, rule.hints),
        };
        return Some((
            rule.fault,
            format!("{prefix}.{}", rule.code),
            summary.to_string(),
            owned(hints),
        ));
    }
    let rule = rules::lookup(code)?;
    let mut hints: Vec<String> = owned(rule.hints);
    if code == "tls.name_mismatch"
        && let Details::Tls(tls) = &failed.details
        && let Some(leaf) = tls.chain.first()
    {
        let names = crate::checks::certificate::names_for_hint(leaf);
        if !names.is_empty() {
            hints.insert(0, format!("The certificate is for {}: try that name as the server (it may be the right host).", names.join(", ")));
        }
    }
    Some((
        rule.fault,
        code.to_string(),
        rule.summary.to_string(),
        hints,
    ))
}

/// The verdict code of a run interrupted before its conclusion.
pub const INTERRUPTED: &str = "interrupted";
pub(crate) const INTERRUPTED_HINT: &str =
    "Run imapdoctor again and let it finish (--timeout and --max-time bound how long it waits).";

/// An interrupted run has no conclusion: no owner, inconclusive, and what was found by then.
fn interrupted(report: &Report, evidence: Vec<String>) -> Verdict {
    let finished: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status != Status::Skip)
        .map(|c| c.id.as_str())
        .collect();
    let found = match report.first_failure() {
        Some(failed) => format!(
            "by then the {} check had failed ({}), but the verdict was not reached.",
            failed.id.as_str(),
            failed.error_code().unwrap_or("unknown")
        ),
        None if finished.is_empty() => "no check had finished.".to_string(),
        None => format!(
            "the checks that finished ({}) found no problem.",
            finished.join(", ")
        ),
    };
    Verdict {
        fault: Fault::None,
        code: INTERRUPTED.to_string(),
        summary: format!("The run was interrupted (Ctrl-C) before a conclusion: {found}"),
        confidence: Confidence::Inconclusive,
        alternatives: Vec::new(),
        hints: vec![INTERRUPTED_HINT.to_string()],
        evidence,
    }
}

fn healthy(report: &Report, evidence: Vec<String>) -> Verdict {
    let warnings: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Warn)
        .collect();
    let connectivity_only = report.check(CheckId::Auth).status == Status::Skip;
    let mut hints: Vec<String> = warnings
        .iter()
        .flat_map(|c| c.notes.iter().cloned())
        .collect();
    // A warning whose kind has an owner in the table (broken IPv6) names that owner.
    let owned = warnings
        .iter()
        .filter_map(|c| c.warning.as_ref())
        .find_map(|w| rules::lookup(&w.code));
    if let Some(rule) = owned {
        hints.extend(rule.hints.iter().map(|h| h.to_string()));
        let (confidence, alternatives) = confidence::assess(&confidence::Evidence {
            code: rule.code,
            fault: rule.fault,
            control: ControlVerdict::Unused,
            report: report.control.as_ref(),
            tls_ruled_out: true,
        });
        return Verdict {
            fault: rule.fault,
            code: rule.code.to_string(),
            summary: format!("{}{}", opening(rule.fault, rule.code), rule.summary),
            confidence,
            alternatives,
            hints,
            evidence,
        };
    }
    let tls = match &report.check(CheckId::Tls).details {
        Details::Tls(tls) => Some(&tls.verification),
        _ => None,
    };
    let mut opening = opening(Fault::None, "ok").to_string();
    // How the connection was secured; with --insecure never "verified".
    let connection = match tls {
        _ if report.target.security == crate::config::Security::None => " (unencrypted)",
        Some(v) if v.insecure && !v.verified => {
            // A certificate that would fail verification leads the verdict, with its hints.
            let reason = v
                .reason
                .unwrap_or(crate::checks::tls::VerifyReason::Invalid);
            let would = format!("tls.{}", reason.error_code());
            if let Some(rule) = rules::lookup(&would) {
                hints.extend(rule.hints.iter().map(|h| h.to_string()));
            }
            opening = format!(
                "It works only because of --insecure: the certificate would fail verification ({would}), so mail apps will refuse this server. Otherwise "
            );
            " without certificate verification"
        }
        Some(v) if v.insecure => {
            " without certificate verification, by request (--insecure; the certificate would have verified)"
        }
        _ if connectivity_only => " over a verified connection",
        _ => "",
    };
    let summary = if connectivity_only {
        hints.push("Add --user to also test the login and the mailbox.".into());
        format!("the server is reachable and speaks IMAP{connection} (login not tested).")
    } else if preauthenticated(report) {
        format!(
            "the server is reachable and the mailbox opens{connection}, but the server pre-authenticated the connection (PREAUTH): no password was checked."
        )
    } else {
        format!("the server is reachable, the login works and the mailbox opens{connection}.")
    };
    Verdict {
        fault: Fault::None,
        code: if warnings.is_empty() {
            "ok".into()
        } else {
            "ok.with_warnings".into()
        },
        summary: format!("{opening}{summary}"),
        confidence: Confidence::Certain,
        alternatives: Vec::new(),
        hints,
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Details, SCHEMA_VERSION, TargetInfo, Tool};

    /// An interrupted report holding `finished` (the rest skipped, as the app builds it).
    fn interrupted_with(finished: Vec<Check>) -> Report {
        Report {
            interrupted: true,
            ..report_of(finished)
        }
    }

    /// A finished report holding `checks` (the others skipped).
    fn report_of(checks: Vec<Check>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "imapdoctor",
                version: "0",
            },
            target: TargetInfo {
                input: "imap.example.test".into(),
                host: "imap.example.test".into(),
                host_unicode: None,
                port: 993,
                security: crate::config::Security::Tls,
                user: None,
                profile: None,
            },
            started_at: String::new(),
            duration_ms: 0,
            interrupted: false,
            checks: crate::checks::interrupted(checks),
            control: None,
            verdict: healthy_placeholder(),
            transcript: None,
            environment: Default::default(),
            exit_code: 130,
        }
    }

    fn healthy_placeholder() -> Verdict {
        Verdict {
            fault: Fault::None,
            code: String::new(),
            summary: String::new(),
            confidence: Confidence::Certain,
            alternatives: Vec::new(),
            hints: Vec::new(),
            evidence: Vec::new(),
        }
    }

    fn tls_failure(code: &str, received: &str) -> Check {
        let details = crate::checks::tls::TlsDetails {
            server_name: "imap.example.test".into(),
            version: None,
            cipher_suite: None,
            chain: Vec::new(),
            verification: crate::checks::tls::Verification {
                verified: false,
                reason: None,
                message: None,
                trust: "os",
                insecure: false,
            },
            origin: Default::default(),
            received_instead: Some(received.into()),
        };
        Check::failed(
            CheckId::Tls,
            code,
            "failed",
            Details::Tls(Box::new(details)),
        )
    }

    fn passed(id: CheckId) -> Check {
        Check::passed(id, "fine", Details::None)
    }

    /// A report whose `failing` check failed with `code` after the checks before it passed, with
    /// a control section of `status` whose endpoints ended with `outcomes` (`None`: no probe).
    fn failed_with_control(
        failing: CheckId,
        code: &str,
        control: Option<(&'static str, &[&'static str])>,
    ) -> Report {
        let mut checks: Vec<Check> = CheckId::ALL
            .iter()
            .skip(1)
            .take_while(|id| **id != failing)
            .map(|id| passed(*id))
            .collect();
        checks.push(Check::failed(failing, code, "failed", Details::None));
        Report {
            control: control.map(|(status, outcomes)| crate::report::control::ControlReport {
                status,
                endpoints: outcomes
                    .iter()
                    .map(|outcome| crate::report::control::ControlProbe::ended(outcome))
                    .collect(),
                note: None,
            }),
            ..report_of(checks)
        }
    }

    #[test]
    fn names_failing_everywhere_make_a_dns_failure_this_computers() {
        let everywhere = Some(("unreachable", &["dns_failed", "dns_failed"][..]));
        let verdict = diagnose(&failed_with_control(CheckId::Dns, "servfail", everywhere));
        assert_eq!(
            (verdict.fault, verdict.code.as_str()),
            (Fault::Local, "dns.servfail")
        );
        assert!(
            verdict.summary.contains("fails to resolve any name"),
            "{}",
            verdict.summary
        );
        assert!(
            verdict.summary.ends_with("cannot be resolved either."),
            "{}",
            verdict.summary
        );
        assert!(
            verdict.hints[0].starts_with("The DNS server (often the router)"),
            "{:?}",
            verdict.hints
        );
        // Only SERVFAIL gets the SERVFAIL wording.
        let verdict = diagnose(&failed_with_control(
            CheckId::Dns,
            "no_nameserver_answers",
            everywhere,
        ));
        assert_eq!(
            (verdict.fault, verdict.code.as_str()),
            (Fault::Local, "dns.no_nameserver_answers")
        );
        assert!(!verdict.summary.contains("SERVFAIL"), "{}", verdict.summary);
        assert!(
            verdict.summary.ends_with("cannot be resolved either."),
            "{}",
            verdict.summary
        );
        // A control that resolved and then got nothing: nothing is reachable, not a DNS verdict.
        let mixed = Some(("unreachable", &["dns_failed", "unreachable"][..]));
        let verdict = diagnose(&failed_with_control(CheckId::Dns, "servfail", mixed));
        assert_eq!(
            (verdict.fault, verdict.code.as_str()),
            (Fault::Local, "network.nothing_reachable")
        );
        // Controls failing DNS say nothing about DNS when the target's failure was not DNS.
        let verdict = diagnose(&failed_with_control(CheckId::Tcp, "timeout", everywhere));
        assert_eq!(
            (verdict.fault, verdict.code.as_str()),
            (Fault::Local, "network.nothing_reachable")
        );
        assert_eq!(verdict.confidence, Confidence::Certain);
    }

    #[test]
    fn a_reachable_control_speaks_for_this_computers_network() {
        let works = Some(("reachable", &["reachable"][..]));
        // A local rule (no route) moves to the server when the control gets through.
        let verdict = diagnose(&failed_with_control(CheckId::Tcp, "unreachable", works));
        assert_eq!(
            (verdict.fault, verdict.code.as_str()),
            (Fault::Server, "tcp.unreachable")
        );
        assert!(
            verdict
                .summary
                .ends_with("specific to this server or the path to it."),
            "{}",
            verdict.summary
        );
        assert_eq!(verdict.confidence, Confidence::Likely);
        assert_eq!(verdict.alternatives[0].fault, Fault::Local);
        // A server rule stays, and says this network works in general.
        let verdict = diagnose(&failed_with_control(CheckId::Tcp, "timeout", works));
        assert_eq!(
            (verdict.fault, verdict.code.as_str()),
            (Fault::Server, "tcp.timeout")
        );
        assert!(
            verdict
                .summary
                .ends_with("this computer's network works in general."),
            "{}",
            verdict.summary
        );
        assert!(
            verdict
                .summary
                .starts_with("The problem is at the mail server or the network path to it: "),
            "{}",
            verdict.summary
        );
    }

    #[test]
    fn without_a_comparable_control_the_other_side_is_not_ruled_out() {
        let verdict = diagnose(&failed_with_control(CheckId::Tcp, "timeout", None));
        assert!(
            verdict.summary.ends_with("Without the control probe (--no-control), this computer's network is not ruled out."),
            "{}",
            verdict.summary
        );
        assert_eq!(verdict.confidence, Confidence::Inconclusive);
        let uncompared = Some(("inconclusive", &["cut_off"][..]));
        let verdict = diagnose(&failed_with_control(
            CheckId::Tcp,
            "unreachable",
            uncompared,
        ));
        assert_eq!(verdict.fault, Fault::Local);
        assert!(
            verdict.summary.ends_with("could not be compared with the target (see control), so the server's side is not ruled out."),
            "{}",
            verdict.summary
        );
        // A refused port needs no control to be the server's: nothing is said of one.
        let verdict = diagnose(&failed_with_control(CheckId::Tcp, "refused", None));
        assert_eq!(
            (verdict.fault, verdict.confidence),
            (Fault::Server, Confidence::Certain)
        );
        assert!(
            !verdict.summary.contains("not ruled out"),
            "{}",
            verdict.summary
        );
    }

    #[test]
    fn the_token_checks_findings_lead_the_hints_of_a_failed_login() {
        let token = crate::report::token::TokenFacts {
            findings: vec![crate::report::token::Finding {
                code: "expired",
                message: "the token expired 2 hours ago".into(),
                hint: "Get a new token.",
            }],
            ..Default::default()
        };
        let details = crate::checks::auth::AuthDetails {
            result: Some("NO"),
            response_code: Some("AUTHENTICATIONFAILED".into()),
            text: Some("AUTHENTICATE failed.".into()),
            token: Some(token),
            ..Default::default()
        };
        let mut report = failed_with_control(CheckId::Auth, "rejected", None);
        let last = report
            .checks
            .iter_mut()
            .find(|c| c.id == CheckId::Auth)
            .unwrap();
        last.details = Details::Auth(details);
        let verdict = diagnose(&report);
        assert_eq!(
            verdict.hints[0],
            "Token check: the token expired 2 hours ago. Get a new token."
        );
    }

    #[test]
    fn only_a_server_fault_at_microsoft_points_to_service_health() {
        let health = |report: &Report| {
            diagnose(report)
                .hints
                .iter()
                .any(|h| h.contains("Service health"))
        };
        let at = |host: &str, failing: CheckId, code: &str| {
            let mut report = failed_with_control(failing, code, None);
            report.target.host = host.into();
            report
        };
        assert!(health(&at(
            "outlook.office365.com",
            CheckId::Folders,
            "closed"
        )));
        // Another provider's server fault, or an account fault at Microsoft: no.
        assert!(!health(&at(
            "imap.example.test",
            CheckId::Folders,
            "closed"
        )));
        assert!(!health(&at(
            "outlook.office365.com",
            CheckId::Folders,
            "mailbox_missing"
        )));
        // A greeting that names no provider leaves the host name to say it.
        let mut report = at("outlook.office365.com", CheckId::Folders, "closed");
        let capability = report
            .checks
            .iter_mut()
            .find(|c| c.id == CheckId::Capability)
            .unwrap();
        capability.details = Details::Capability(Default::default());
        assert!(health(&report));
    }

    #[test]
    fn only_a_preauth_greeting_says_no_password_was_checked() {
        let logged_in = |mechanism| {
            let mut checks: Vec<Check> =
                CheckId::ALL.iter().skip(1).map(|id| passed(*id)).collect();
            let auth = checks.iter_mut().find(|c| c.id == CheckId::Auth).unwrap();
            auth.details = Details::Auth(crate::checks::auth::AuthDetails {
                mechanism: Some(mechanism),
                ..Default::default()
            });
            diagnose(&report_of(checks)).summary
        };
        assert_eq!(
            logged_in("PLAIN"),
            "No problem found: the server is reachable, the login works and the mailbox opens."
        );
        assert!(logged_in("PREAUTH").ends_with("(PREAUTH): no password was checked."));
        // A verified certificate needs no words; --insecure is said, whether or not it verified.
        let secured = |insecure: bool| {
            let mut checks: Vec<Check> =
                CheckId::ALL.iter().skip(1).map(|id| passed(*id)).collect();
            let Details::Tls(mut tls) = tls_failure("unused", "").details else {
                unreachable!()
            };
            tls.verification.verified = true;
            tls.verification.insecure = insecure;
            checks
                .iter_mut()
                .find(|c| c.id == CheckId::Tls)
                .unwrap()
                .details = Details::Tls(tls);
            diagnose(&report_of(checks)).summary
        };
        assert!(
            secured(false).ends_with("the login works and the mailbox opens."),
            "{}",
            secured(false)
        );
        assert!(
            secured(true).contains("without certificate verification, by request"),
            "{}",
            secured(true)
        );
        // Without --user: what was shown, over what, and how to test the rest.
        let verdict = diagnose(&report_of(
            [
                CheckId::Dns,
                CheckId::Tcp,
                CheckId::Tls,
                CheckId::Capability,
            ]
            .into_iter()
            .map(passed)
            .collect(),
        ));
        assert!(
            verdict
                .summary
                .ends_with("speaks IMAP over a verified connection (login not tested)."),
            "{}",
            verdict.summary
        );
        assert_eq!(
            verdict.hints,
            ["Add --user to also test the login and the mailbox."]
        );
        // Over --security none the verdict says the connection was not encrypted.
        let mut report = report_of(CheckId::ALL.iter().skip(1).map(|id| passed(*id)).collect());
        report.target.security = crate::config::Security::None;
        assert!(
            diagnose(&report)
                .summary
                .ends_with("the mailbox opens (unencrypted)."),
            "{}",
            diagnose(&report).summary
        );
    }

    #[test]
    fn the_opening_words_say_whose_problem_it_is() {
        assert_eq!(opening(Fault::None, "ok"), "No problem found: ");
        assert_eq!(
            opening(Fault::Local, "tcp.timeout"),
            "The problem is on this computer or its network: "
        );
        assert_eq!(
            opening(Fault::Server, "tcp.timeout"),
            "The problem is at the mail server or the network path to it: "
        );
        assert_eq!(
            opening(Fault::Server, "auth.timeout"),
            "The problem is at the mail server, or with this account's failed logins: "
        );
        assert_eq!(
            opening(Fault::Server, "tcp.refused"),
            "The problem is at the mail server: "
        );
        assert_eq!(
            opening(Fault::Account, "auth.rejected"),
            "The problem is with the account: "
        );
        assert_eq!(
            opening(Fault::Config, "tls.name_mismatch"),
            "The problem is in the settings used: "
        );
    }

    #[test]
    fn only_failures_without_a_completed_exchange_need_the_control() {
        for code in [
            "dns.no_nameserver_answers",
            "dns.no_nameservers",
            "dns.servfail",
            "tcp.timeout",
            "tcp.unreachable",
            "tcp.failed",
            "tcp.refused",
            "tls.certificate_expired",
            "tls.certificate_not_yet_valid",
        ] {
            assert!(needs_control(code), "{code}");
        }
        for code in [
            "dns.nxdomain",
            "tls.timeout",
            "capability.timeout",
            "auth.rejected",
            "ok",
        ] {
            assert!(!needs_control(code), "{code}");
        }
    }

    #[test]
    fn a_bye_instead_of_tls_is_quoted_as_the_servers_reason_and_nothing_else_is() {
        let bye = tls_failure("bye", "* BYE Server shutting down for maintenance");
        let verdict = diagnose(&report_of(vec![
            passed(CheckId::Dns),
            passed(CheckId::Tcp),
            bye,
        ]));
        assert_eq!(verdict.code, "tls.bye");
        assert_eq!(
            verdict.hints[0],
            "The server said: \"Server shutting down for maintenance\""
        );
        // Plaintext where TLS was expected is a greeting, not a reason.
        let plain = tls_failure("plaintext_greeting", "* OK Dovecot ready.");
        let verdict = diagnose(&report_of(vec![
            passed(CheckId::Dns),
            passed(CheckId::Tcp),
            plain,
        ]));
        assert_eq!(verdict.code, "tls.plaintext_greeting");
        assert!(
            verdict
                .hints
                .iter()
                .all(|h| !h.starts_with("The server said")),
            "{:?}",
            verdict.hints
        );
    }

    #[test]
    fn only_a_greeting_borrows_the_greeting_bye_wording() {
        let bye = rules::lookup("capability.bye").unwrap();
        let details = crate::checks::auth::AuthDetails {
            result: Some("NO"),
            response_code: Some("UNAVAILABLE".into()),
            text: Some("Temporary authentication failure.".into()),
            ..Default::default()
        };
        let auth = Check::failed(CheckId::Auth, "rejected", "no", Details::Auth(details));
        let checks = vec![
            passed(CheckId::Dns),
            passed(CheckId::Tcp),
            passed(CheckId::Tls),
            passed(CheckId::Capability),
            auth,
        ];
        let verdict = diagnose(&report_of(checks));
        assert_eq!(
            (verdict.fault, verdict.code.as_str()),
            (Fault::Server, "auth.unavailable")
        );
        assert!(
            !verdict.summary.contains(bye.summary),
            "{}",
            verdict.summary
        );
        assert!(
            verdict
                .hints
                .iter()
                .all(|h| !bye.hints.contains(&h.as_str()))
        );
    }

    #[test]
    fn an_interrupted_run_says_what_was_found_by_then() {
        let verdict = diagnose(&interrupted_with(Vec::new()));
        assert_eq!(
            (verdict.fault, verdict.code.as_str(), verdict.confidence),
            (Fault::None, INTERRUPTED, Confidence::Inconclusive)
        );
        assert!(
            verdict.summary.ends_with("no check had finished."),
            "{}",
            verdict.summary
        );
        let verdict = diagnose(&interrupted_with(vec![
            passed(CheckId::Dns),
            passed(CheckId::Tcp),
        ]));
        assert!(
            verdict
                .summary
                .ends_with("the checks that finished (dns, tcp) found no problem."),
            "{}",
            verdict.summary
        );
        let refused = Check::failed(CheckId::Tcp, "refused", "refused", Details::None);
        let verdict = diagnose(&interrupted_with(vec![passed(CheckId::Dns), refused]));
        assert!(
            verdict.summary.ends_with(
                "by then the tcp check had failed (tcp.refused), but the verdict was not reached."
            ),
            "{}",
            verdict.summary
        );
        assert_eq!(verdict.fault, Fault::None);
        assert_eq!(verdict.hints, [INTERRUPTED_HINT]);
    }
}
