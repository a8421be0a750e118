//! The `discover` check, first in the checklist: when TARGET is an e-mail address, find its IMAP
//! server the way mail clients do, from every source at once ([`sources`]), and choose by a
//! documented precedence ([`choice`]); the rest of the checklist then runs against that server
//! as if it had been given. When TARGET is a server and `--user` an e-mail address, compare the
//! server with the address's provider (a Gmail address checked at outlook.office365.com is a
//! warning). Otherwise the check is skipped.
//!
//! Every source is bounded by `--timeout` (and the run's `--max-time`); a provider's own domain
//! (`gmail.com`) and `--provider` are answered from the presets without any network.

pub mod autoconfig;
pub mod choice;
pub mod sources;

use std::time::Instant;

use crate::checks::Progress;
use crate::config::{Config, Security, Target};
use crate::providers::Preset;
use crate::report::discover::{
    DiscoverDetails, DiscoveredServer, Purpose, Source, SourceAnswer, SourceOutcome,
};
use crate::report::{Check, CheckId, Details};
use crate::sanitize::terminal_text;

/// What the discover check is asked to do (part of [`Config`]).
#[derive(Clone, Debug)]
pub struct Request {
    /// The e-mail address, as given.
    pub address: String,
    /// Its domain, A-label form, lower case.
    pub domain: String,
    /// Find its server, or compare a given one.
    pub goal: Goal,
}

/// Find the server of an address, or compare a given server with the address's provider.
#[derive(Clone, Debug)]
pub enum Goal {
    /// TARGET is the address.
    Find {
        /// `--provider`: this preset, no lookup.
        preset: Option<&'static Preset>,
        /// `--port`, over the port found.
        port: Option<u16>,
        /// `--security`, over the security found.
        security: Option<Security>,
        /// The control endpoints are the defaults, to be chosen for the server found.
        default_controls: bool,
    },
    /// TARGET is a server, `--user` the address.
    Compare,
}

/// An e-mail address's domain (A-label form, lower case), when `input` is a plausible address:
/// something, `@`, a domain with a dot and no `/`, `:` or `?`.
pub fn address_domain(input: &str) -> Option<String> {
    let (user, domain) = input.rsplit_once('@')?;
    let plausible = !user.is_empty()
        && !user.contains(['/', '?'])
        && domain.contains('.')
        && !domain.contains(['/', ':', '?', '[', ']']);
    if !plausible {
        return None;
    }
    let domain = crate::host::to_ascii(domain.trim_end_matches('.')).ok()?;
    Some(domain.to_ascii_lowercase())
}

/// The target to check once `server` is chosen: its host, port and security, except where
/// `--port` or `--security` say otherwise (then as [`Target::parse`] reads them).
pub fn target_for(
    input: &str,
    server: &DiscoveredServer,
    port: Option<u16>,
    security: Option<Security>,
) -> Target {
    let (port, security) = match (port, security) {
        (None, None) => (server.port, server.security),
        (port, Some(security)) => (port.unwrap_or(security.default_port()), security),
        (Some(143), None) => (143, Security::Starttls),
        (Some(port), None) => (port, Security::Tls),
    };
    Target {
        input: input.to_string(),
        host: server.host.clone(),
        port,
        security,
    }
}

/// `config` once its discovery found `target`: the checklist runs against it, and the default
/// control endpoints are chosen for it (not the same provider's).
pub fn found_config(mut config: Config, target: Target) -> Config {
    if let Some(Request {
        goal: Goal::Find {
            default_controls: true,
            ..
        },
        ..
    }) = &config.discovery
    {
        config.controls = crate::control::default_controls(&target.host);
    }
    config.target = target;
    config
}

/// The skipped discover check's reason when there was no address to start from or compare with.
pub const NOT_ASKED: &str = "not needed: the target is a server";

/// Runs the discover check for `config`, recording nothing (the checklist records it): the
/// check, and the target to check instead of `config.target` when one was found.
pub async fn run(
    config: &Config,
    run_deadline: Option<tokio::time::Instant>,
    progress: &Progress,
) -> (Check, Option<Target>) {
    let Some(request) = &config.discovery else {
        return (Check::skipped(CheckId::Discover, NOT_ASKED), None);
    };
    let started = Instant::now();
    let step = tokio::time::Instant::now() + config.step_timeout;
    let deadline = run_deadline.map_or(step, |run| run.min(step));
    let (mut check, target) = match &request.goal {
        Goal::Find {
            preset,
            port,
            security,
            ..
        } => {
            progress.started(&crate::checks::progress::Step {
                name: CheckId::Discover.as_str(),
                waiting_for: "the discovery sources",
                limit: deadline.saturating_duration_since(tokio::time::Instant::now()),
            });
            let answers = find(config, request, *preset, deadline).await;
            let check = found(request, answers);
            let target = match &check.details {
                Details::Discover(d) => d
                    .chosen
                    .as_ref()
                    .map(|s| target_for(&config.target.input, s, *port, *security)),
                _ => None,
            };
            (check, target)
        }
        Goal::Compare => (compare(config, request, deadline, progress).await, None),
    };
    check.duration_ms = started.elapsed().as_millis() as u64;
    (check, target)
}

/// Asks every source for `request`'s domain: the preset alone for `--provider` or a provider's
/// own domain (the others recorded as not asked), else SRV, autoconfig and MX concurrently.
async fn find(
    config: &Config,
    request: &Request,
    forced: Option<&'static Preset>,
    deadline: tokio::time::Instant,
) -> Vec<SourceAnswer> {
    let domain = request.domain.as_str();
    let preset = sources::preset(domain, forced);
    let srv_names = sources::srv_names(domain);
    if preset.outcome == SourceOutcome::Found {
        let why = match forced {
            Some(_) => "not asked: --provider chose the server",
            None => "not asked: the domain is a provider's own (the preset answers)",
        };
        let mut answers = vec![preset];
        for (name, _) in &srv_names {
            answers.push(sources::not_asked(Source::Srv, format!("{name} SRV"), why));
        }
        answers.push(sources::not_asked(
            Source::Autoconfig,
            format!("https://autoconfig.{domain}/mail/config-v1.1.xml"),
            why,
        ));
        answers.push(sources::not_asked(Source::Mx, format!("{domain} MX"), why));
        return answers;
    }
    let resolver = sources::resolver(config.step_timeout);
    let [(imaps, tls), (imap, starttls)] = srv_names;
    let (imaps, imap, autoconfig, mx) = tokio::join!(
        sources::srv(resolver.clone(), imaps, tls, deadline),
        sources::srv(resolver.clone(), imap, starttls, deadline),
        sources::autoconfig(domain, &request.address, config, deadline),
        sources::mx(resolver, domain.to_string(), deadline),
    );
    let mut answers = vec![preset, imaps, imap];
    answers.extend(autoconfig);
    answers.push(mx);
    answers
}

/// The check for a finished search: the server chosen and why, or the failure.
fn found(request: &Request, answers: Vec<SourceAnswer>) -> Check {
    let choice = choice::choose(&answers);
    let address = terminal_text(&request.address);
    let Some((index, server)) = choice.chosen.clone() else {
        let (code, message) = if choice::none_answered(&answers) {
            (
                "no_answer",
                format!(
                    "no server found for {address}: no DNS answer came back for {} (SRV, MX) in time",
                    request.domain
                ),
            )
        } else {
            (
                "not_found",
                format!(
                    "no IMAP server found for {address}: {} has no built-in preset, no IMAP SRV record, no autoconfig document, and its MX is no known provider's",
                    request.domain
                ),
            )
        };
        let details = details(request, Purpose::Find, answers, None, None, choice);
        return Check::failed(
            CheckId::Discover,
            code,
            message,
            Details::Discover(Box::new(details)),
        );
    };
    let from = &answers[index];
    let source = from.source;
    let origin = match source {
        Source::Preset if from.query.starts_with("--provider") => {
            format!("from {}", from.query)
        }
        Source::Preset => "from the built-in preset".to_string(),
        Source::Srv => format!("from SRV {}", from.query.trim_end_matches(" SRV")),
        Source::Autoconfig => format!("from autoconfig {}", from.query),
        Source::Mx => format!("from MX ({})", from.answer),
    };
    let summary = format!(
        "{address} → {}:{} ({}), {origin}",
        server.host,
        server.port,
        server.security.describe()
    );
    let mut disagreement = Vec::new();
    for answer in &answers {
        if choice.disagreeing.contains(&answer.source)
            && let Some(other) = answer.servers.first()
            && !choice::same_host(&other.host, &server.host)
        {
            disagreement.push(format!(
                "{} says {}:{}",
                answer.query, other.host, other.port
            ));
        }
    }
    let mut check = Check::passed(CheckId::Discover, summary, Details::None);
    if !disagreement.is_empty() {
        check.warn(
            "sources_disagree",
            terminal_text(&format!(
                "the sources disagree: {}; {} was chosen because {}",
                disagreement.join(", "),
                server.host,
                choice.reason
            )),
        );
    }
    check.details = Details::Discover(Box::new(details(
        request,
        Purpose::Find,
        answers,
        Some(server),
        Some(source),
        choice,
    )));
    check
}

fn details(
    request: &Request,
    purpose: Purpose,
    sources: Vec<SourceAnswer>,
    chosen: Option<DiscoveredServer>,
    chosen_from: Option<Source>,
    choice: choice::Choice,
) -> DiscoverDetails {
    DiscoverDetails {
        purpose,
        address: terminal_text(&request.address),
        domain: request.domain.clone(),
        sources,
        chosen,
        chosen_from,
        reason: terminal_text(&choice.reason),
        disagreeing: choice.disagreeing,
    }
}

/// Compares the given server with the `--user` address's provider: a provider's own domain
/// needs no lookup; otherwise, only when the server is a known provider's, one MX query says
/// where the domain's mail goes. A server of another provider is a warning.
async fn compare(
    config: &Config,
    request: &Request,
    deadline: tokio::time::Instant,
    progress: &Progress,
) -> Check {
    let host = &config.target.host;
    let given = crate::providers::by_host(host);
    let domain = request.domain.as_str();
    let address = terminal_text(&request.address);
    let own = crate::providers::preset_for_mail_domain(domain);
    if config.target.ip().is_some() {
        return Check::skipped(
            CheckId::Discover,
            "not needed: the target is a server (an IP address, nothing to compare with the --user address)",
        );
    }
    let answer = match own {
        Some(_) => sources::preset(domain, None),
        None if given.is_some() => {
            progress.started(&crate::checks::progress::Step {
                name: CheckId::Discover.as_str(),
                waiting_for: "the MX records of the --user address's domain",
                limit: deadline.saturating_duration_since(tokio::time::Instant::now()),
            });
            let resolver = sources::resolver(config.step_timeout);
            sources::mx(resolver, domain.to_string(), deadline).await
        }
        None => {
            return Check::skipped(
                CheckId::Discover,
                format!(
                    "not needed: the target is a server ({} is no known provider's, so it is not compared with {address}'s domain)",
                    crate::host::display(host)
                ),
            );
        }
    };
    let expected = answer.servers.first().cloned();
    let expected_preset = expected
        .as_ref()
        .and_then(|s| s.provider.as_deref())
        .and_then(crate::providers::preset_named);
    let shown_host = crate::host::display(host);
    let agrees = expected.as_ref().is_none_or(|s| {
        choice::same_host(&s.host, host)
            || expected_preset.is_some_and(|p| given.is_some_and(|g| g.id == p.provider))
    });
    let how = match answer.source {
        Source::Preset => "a provider's own domain".to_string(),
        _ => format!("MX {}", answer.answer),
    };
    let (summary, reason) = match (&expected, expected_preset) {
        (Some(_), Some(preset)) if agrees => (
            format!(
                "{shown_host} is {}'s server, as {address}'s domain says ({how})",
                preset.display
            ),
            format!("{domain} is at {} ({how})", preset.display),
        ),
        (Some(server), Some(preset)) => (
            format!(
                "{address} is at {} ({how}), whose IMAP server is {}",
                preset.display, server.host
            ),
            format!(
                "{domain} is at {} ({how}), but the server given is {shown_host}{}",
                preset.display,
                given.map(|g| format!(" ({})", g.name)).unwrap_or_default()
            ),
        ),
        _ => (
            format!(
                "{shown_host} not compared: {domain}'s provider is not recognised ({})",
                answer.answer
            ),
            format!("{domain}'s MX is no known provider's"),
        ),
    };
    let disagreeing = if agrees { vec![] } else { vec![answer.source] };
    let mut check = Check::passed(CheckId::Discover, terminal_text(&summary), Details::None);
    if !agrees && let Some(server) = &expected {
        check.warn(
            "provider_mismatch",
            terminal_text(&format!(
                "{address}'s mail is at {} ({how}), but the server checked is {shown_host}: the user or the server may be wrong (its IMAP server is {}:{})",
                expected_preset.map_or("another provider", |p| p.display),
                server.host,
                server.port
            )),
        );
    }
    check.details = Details::Discover(Box::new(details(
        request,
        Purpose::Compare,
        vec![answer],
        None,
        None,
        choice::Choice {
            chosen: None,
            reason,
            disagreeing,
        },
    )));
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_told_from_servers() {
        assert_eq!(
            address_domain("alice@Example.TEST").as_deref(),
            Some("example.test")
        );
        assert_eq!(
            address_domain("bob@bücher.example").as_deref(),
            Some("xn--bcher-kva.example")
        );
        for not in [
            "@example.test",
            "alice@localhost",
            "imap.example.test",
            "a@b.test:993",
            "a/b@c.test",
        ] {
            assert!(address_domain(not).is_none(), "{not}");
        }
    }

    #[test]
    fn port_and_security_options_override_what_was_found() {
        let server = DiscoveredServer {
            host: "imap.example.test".into(),
            port: 1993,
            security: Security::Tls,
            provider: None,
        };
        let t = |p, s| {
            let t = target_for("a@example.test", &server, p, s);
            (t.host, t.port, t.security)
        };
        assert_eq!(
            t(None, None),
            ("imap.example.test".into(), 1993, Security::Tls)
        );
        assert_eq!(t(Some(143), None).2, Security::Starttls);
        assert_eq!(t(None, Some(Security::Starttls)).1, 143);
        assert_eq!(t(Some(2143), Some(Security::Starttls)).1, 2143);
    }
}
