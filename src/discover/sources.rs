//! The sources a server of an e-mail address can come from, each asked once and answering a
//! [`SourceAnswer`] with its time: the built-in presets (no network), RFC 6186 SRV records and MX
//! records (hickory, with this computer's DNS configuration), and Mozilla autoconfig documents.
//! Every DNS answer is untrusted: a host name is kept only when it is a valid one, and printed
//! sanitized.

use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};

use crate::config::Security;
use crate::providers::Preset;
use crate::report::discover::{DiscoveredServer, Source, SourceAnswer, SourceOutcome};
use crate::sanitize::terminal_text;

/// The server a preset names.
pub fn preset_server(preset: &Preset) -> DiscoveredServer {
    DiscoveredServer {
        host: preset.host.to_string(),
        port: preset.port,
        security: Security::Tls,
        provider: Some(preset.name.to_string()),
    }
}

/// The preset answer for `domain`: `forced` (`--provider`), else the provider owning the domain.
pub fn preset(domain: &str, forced: Option<&'static Preset>) -> SourceAnswer {
    let (query, found) = match forced {
        Some(preset) => (format!("--provider {}", preset.name), Some(preset)),
        None => (
            format!("presets for {domain}"),
            crate::providers::preset_for_mail_domain(domain),
        ),
    };
    match found {
        Some(preset) => SourceAnswer {
            source: Source::Preset,
            query,
            outcome: SourceOutcome::Found,
            answer: format!("{} (settings from {})", preset.display, preset.source),
            servers: vec![preset_server(preset)],
            duration_ms: 0,
        },
        None => SourceAnswer {
            source: Source::Preset,
            query,
            outcome: SourceOutcome::NotFound,
            answer: "not a built-in provider's own domain".into(),
            servers: Vec::new(),
            duration_ms: 0,
        },
    }
}

/// An answer for a source that was not asked, and why.
pub fn not_asked(source: Source, query: String, why: &str) -> SourceAnswer {
    SourceAnswer {
        source,
        query,
        outcome: SourceOutcome::Skipped,
        answer: why.to_string(),
        servers: Vec::new(),
        duration_ms: 0,
    }
}

/// The SRV names RFC 6186 defines for IMAP, in the order they are asked and preferred:
/// `_imaps._tcp` (implicit TLS, preferred by RFC 8314) then `_imap._tcp` (STARTTLS).
pub fn srv_names(domain: &str) -> [(String, Security); 2] {
    [
        (format!("_imaps._tcp.{domain}"), Security::Tls),
        (format!("_imap._tcp.{domain}"), Security::Starttls),
    ]
}

/// A DNS resolver with this computer's configuration (as the dns check's direct queries read
/// it), one attempt per query bounded by `timeout`, no cache.
pub fn resolver(timeout: Duration) -> Result<TokioResolver, String> {
    let mut builder = TokioResolver::builder_tokio()
        .map_err(|e| format!("cannot read this computer's DNS configuration: {e}"))?;
    let options = builder.options_mut();
    options.timeout = timeout;
    options.attempts = 1;
    options.cache_size = 0;
    builder
        .build()
        .map_err(|e| format!("cannot start a DNS resolver: {e}"))
}

/// One SRV record as read: priority, weight, port and target (no trailing dot; `.` for the
/// root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrvRecord {
    /// Lower first.
    pub priority: u16,
    /// Heavier first among equal priorities.
    pub weight: u16,
    /// The port.
    pub port: u16,
    /// The target host, `.` when the service is not offered.
    pub target: String,
}

/// Sorts SRV records the way they are tried: by priority, then heaviest weight first (a stable,
/// deterministic order rather than RFC 2782's weighted random pick, so that a report can be
/// compared with the next), then by name.
pub fn srv_order(records: &mut [SrvRecord]) {
    records.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(b.weight.cmp(&a.weight))
            .then_with(|| a.target.cmp(&b.target))
    });
}

/// The answer of SRV records for `name`: the servers in [`srv_order`]; a single record whose
/// target is `.` says the service is not offered (RFC 2782, RFC 6186 §3.4).
pub fn srv_answer(
    name: &str,
    security: Security,
    mut records: Vec<SrvRecord>,
    duration_ms: u64,
) -> SourceAnswer {
    srv_order(&mut records);
    let shown: Vec<String> = records
        .iter()
        .map(|r| format!("{} {} {} {}.", r.priority, r.weight, r.port, r.target))
        .collect();
    let answer = terminal_text(&shown.join(", "));
    let not_offered = records
        .iter()
        .all(|r| r.target == "." || r.target.is_empty() || r.port == 0);
    let servers: Vec<DiscoveredServer> = records
        .iter()
        .filter(|r| r.target != "." && r.port != 0)
        .filter_map(|r| {
            let host = crate::host::to_ascii(&r.target).ok()?;
            Some(DiscoveredServer {
                provider: crate::providers::by_host(&host).map(|p| p.id.to_string()),
                host,
                port: r.port,
                security,
            })
        })
        .collect();
    let outcome = if records.is_empty() {
        SourceOutcome::NotFound
    } else if not_offered {
        SourceOutcome::NotOffered
    } else if servers.is_empty() {
        SourceOutcome::Failed
    } else {
        SourceOutcome::Found
    };
    let answer = match outcome {
        SourceOutcome::NotOffered => format!("{answer} (\".\": IMAP not offered)"),
        SourceOutcome::Failed => format!("{answer} (no valid host name)"),
        _ => answer,
    };
    SourceAnswer {
        source: Source::Srv,
        query: format!("{name} SRV"),
        outcome,
        answer,
        servers,
        duration_ms,
    }
}

/// Asks for the SRV records of `name`, before `deadline`.
pub async fn srv(
    resolver: Result<TokioResolver, String>,
    name: String,
    security: Security,
    deadline: tokio::time::Instant,
) -> SourceAnswer {
    let started = Instant::now();
    let looked_up = lookup(resolver, &name, RecordType::SRV, deadline).await;
    let elapsed = started.elapsed().as_millis() as u64;
    match looked_up {
        Ok(records) => {
            let records = records
                .into_iter()
                .filter_map(|data| match data {
                    RData::SRV(srv) => Some(SrvRecord {
                        priority: srv.priority,
                        weight: srv.weight,
                        port: srv.port,
                        target: bare(&srv.target.to_ascii()),
                    }),
                    _ => None,
                })
                .collect();
            srv_answer(&name, security, records, elapsed)
        }
        Err((outcome, answer)) => SourceAnswer {
            source: Source::Srv,
            query: format!("{name} SRV"),
            outcome,
            answer,
            servers: Vec::new(),
            duration_ms: elapsed,
        },
    }
}

/// The MX answer: the exchanges by preference, and the first one a preset recognises.
pub fn mx_answer(
    domain: &str,
    mut exchanges: Vec<(u16, String)>,
    duration_ms: u64,
) -> SourceAnswer {
    exchanges.sort();
    let shown: Vec<String> = exchanges
        .iter()
        .map(|(preference, host)| format!("{preference} {host}."))
        .collect();
    let shown = terminal_text(&shown.join(", "));
    let recognised = exchanges
        .iter()
        .find_map(|(_, host)| crate::providers::preset_for_mx(host).map(|p| (p, host)));
    let null_mx = exchanges.len() == 1 && exchanges[0].1 == ".";
    let (outcome, answer, servers) = match recognised {
        Some((preset, host)) => (
            SourceOutcome::Found,
            format!("{shown}: {} is {}'s", terminal_text(host), preset.display),
            vec![preset_server(preset)],
        ),
        None if exchanges.is_empty() => (SourceOutcome::NotFound, "no MX record".into(), vec![]),
        None if null_mx => (
            SourceOutcome::NotFound,
            "\".\": the domain accepts no mail (null MX)".into(),
            vec![],
        ),
        None => (
            SourceOutcome::NotFound,
            format!("{shown}: not a known provider's"),
            vec![],
        ),
    };
    SourceAnswer {
        source: Source::Mx,
        query: format!("{domain} MX"),
        outcome,
        answer,
        servers,
        duration_ms,
    }
}

/// Asks for the MX records of `domain`, before `deadline`.
pub async fn mx(
    resolver: Result<TokioResolver, String>,
    domain: String,
    deadline: tokio::time::Instant,
) -> SourceAnswer {
    let started = Instant::now();
    let looked_up = lookup(resolver, &domain, RecordType::MX, deadline).await;
    let elapsed = started.elapsed().as_millis() as u64;
    match looked_up {
        Ok(records) => {
            let exchanges = records
                .into_iter()
                .filter_map(|data| match data {
                    RData::MX(mx) => Some((mx.preference, bare(&mx.exchange.to_ascii()))),
                    _ => None,
                })
                .collect();
            mx_answer(&domain, exchanges, elapsed)
        }
        Err((outcome, answer)) => SourceAnswer {
            source: Source::Mx,
            query: format!("{domain} MX"),
            outcome,
            answer,
            servers: Vec::new(),
            duration_ms: elapsed,
        },
    }
}

/// The Mozilla autoconfig documents of `domain` for `address` (both URLs at once, over HTTPS
/// only, see [`crate::discover::autoconfig`]), before `deadline`: one answer per URL.
pub async fn autoconfig(
    domain: &str,
    address: &str,
    config: &crate::config::Config,
    deadline: tokio::time::Instant,
) -> Vec<SourceAnswer> {
    use crate::discover::autoconfig::{AutoconfigOptions, lookup};
    let options = AutoconfigOptions {
        timeout: deadline.saturating_duration_since(tokio::time::Instant::now()),
        extra_roots: config.extra_roots.clone(),
        resolve: config.resolve.clone(),
        ..AutoconfigOptions::default()
    };
    lookup(domain, address, &options)
        .await
        .into_iter()
        .map(|attempt| {
            let outcome = attempt.outcome.map(|servers| {
                servers
                    .into_iter()
                    .map(|s| (s.host, s.port, s.security))
                    .collect()
            });
            autoconfig_answer(&attempt.url, attempt.duration_ms, outcome)
        })
        .collect()
}

/// One autoconfig attempt as an answer: the document's URL, its time, and the IMAP servers it
/// lists in its order (or why there are none).
pub fn autoconfig_answer(
    url: &str,
    duration_ms: u64,
    outcome: Result<Vec<(String, u16, Security)>, String>,
) -> SourceAnswer {
    let (outcome, answer, servers) = match outcome {
        Err(why) => (SourceOutcome::Failed, terminal_text(&why), Vec::new()),
        Ok(found) => {
            let servers: Vec<DiscoveredServer> = found
                .into_iter()
                .filter_map(|(host, port, security)| {
                    let host = crate::host::to_ascii(&host).ok()?;
                    Some(DiscoveredServer {
                        provider: crate::providers::by_host(&host).map(|p| p.id.to_string()),
                        host,
                        port,
                        security,
                    })
                })
                .collect();
            let shown: Vec<String> = servers
                .iter()
                .map(|s| format!("{}:{} ({})", s.host, s.port, s.security.describe()))
                .collect();
            if servers.is_empty() {
                (
                    SourceOutcome::NotFound,
                    "no IMAP server in the document".to_string(),
                    servers,
                )
            } else {
                (SourceOutcome::Found, shown.join(", "), servers)
            }
        }
    };
    SourceAnswer {
        source: Source::Autoconfig,
        query: terminal_text(url),
        outcome,
        answer,
        servers,
        duration_ms,
    }
}

/// The records of type `kind` for `name` (made fully qualified: no search list), or the outcome
/// and words of a failure.
async fn lookup(
    resolver: Result<TokioResolver, String>,
    name: &str,
    kind: RecordType,
    deadline: tokio::time::Instant,
) -> Result<Vec<RData>, (SourceOutcome, String)> {
    let resolver = resolver.map_err(|why| (SourceOutcome::Failed, why))?;
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    match tokio::time::timeout_at(deadline, resolver.lookup(fqdn.as_str(), kind)).await {
        Err(_) => Err((SourceOutcome::Timeout, "no answer in time".into())),
        Ok(Ok(lookup)) => Ok(lookup
            .answers()
            .iter()
            .filter(|r| r.record_type() == kind)
            .map(|r| r.data.clone())
            .collect()),
        Ok(Err(e)) => Err(classify(&e)),
    }
}

/// A resolver error as an outcome: no such record is an answer (`not_found`), a timeout is a
/// `timeout`, anything else `failed`.
fn classify(e: &NetError) -> (SourceOutcome, String) {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(none)) => match none.response_code {
            ResponseCode::NXDomain => (SourceOutcome::NotFound, "NXDOMAIN".into()),
            _ => (SourceOutcome::NotFound, "no record".into()),
        },
        NetError::Dns(DnsError::ResponseCode(code)) => {
            (SourceOutcome::Failed, format!("{code}").to_uppercase())
        }
        NetError::Timeout => (SourceOutcome::Timeout, "no answer in time".into()),
        other => (SourceOutcome::Failed, terminal_text(&other.to_string())),
    }
}

/// A name without its trailing root dot (`.` stays `.`).
fn bare(name: &str) -> String {
    match name.strip_suffix('.') {
        Some("") | None => name.to_string(),
        Some(stripped) => stripped.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port,
            target: target.into(),
        }
    }

    #[test]
    fn srv_records_go_by_priority_then_heaviest_weight() {
        let records = vec![
            record(20, 0, 993, "backup.example.test"),
            record(10, 5, 993, "light.example.test"),
            record(10, 50, 1993, "heavy.example.test"),
        ];
        let answer = srv_answer("_imaps._tcp.example.test", Security::Tls, records, 3);
        assert_eq!(answer.outcome, SourceOutcome::Found);
        let hosts: Vec<(&str, u16)> = answer
            .servers
            .iter()
            .map(|s| (s.host.as_str(), s.port))
            .collect();
        assert_eq!(
            hosts,
            [
                ("heavy.example.test", 1993),
                ("light.example.test", 993),
                ("backup.example.test", 993)
            ]
        );
        assert_eq!(answer.query, "_imaps._tcp.example.test SRV");
        assert!(answer.answer.starts_with("10 50 1993 heavy.example.test."));
    }

    #[test]
    fn a_root_target_means_not_offered() {
        let answer = srv_answer(
            "_imap._tcp.example.test",
            Security::Starttls,
            vec![record(0, 0, 0, ".")],
            1,
        );
        assert_eq!(answer.outcome, SourceOutcome::NotOffered);
        assert!(answer.servers.is_empty());
        let empty = srv_answer("_imap._tcp.example.test", Security::Starttls, vec![], 1);
        assert_eq!(empty.outcome, SourceOutcome::NotFound);
        let junk = srv_answer(
            "_imap._tcp.example.test",
            Security::Starttls,
            vec![record(0, 0, 143, "bad name\u{1b}[31m")],
            1,
        );
        assert_eq!(junk.outcome, SourceOutcome::Failed);
        assert!(!junk.answer.contains('\u{1b}'));
    }

    #[test]
    fn mx_recognises_hosted_domains() {
        let answer = mx_answer(
            "contoso.test",
            vec![
                (20, "mx.backup.test".into()),
                (10, "contoso-test.mail.protection.outlook.com".into()),
            ],
            2,
        );
        assert_eq!(answer.outcome, SourceOutcome::Found);
        assert_eq!(answer.servers[0].host, "outlook.office365.com");
        assert_eq!(answer.servers[0].provider.as_deref(), Some("microsoft"));
        let google = mx_answer("w.test", vec![(1, "aspmx.l.google.com".into())], 1);
        assert_eq!(google.servers[0].host, "imap.gmail.com");
        let own = mx_answer("o.test", vec![(10, "mx.o.test".into())], 1);
        assert_eq!(own.outcome, SourceOutcome::NotFound);
        assert!(own.answer.contains("not a known provider"));
        let null = mx_answer("n.test", vec![(0, ".".into())], 1);
        assert!(null.answer.contains("null MX"));
    }

    #[test]
    fn presets_answer_without_network() {
        let gmail = preset("gmail.com", None);
        assert_eq!(gmail.outcome, SourceOutcome::Found);
        assert_eq!(gmail.servers[0].host, "imap.gmail.com");
        assert!(gmail.answer.contains("https://support.google.com/"));
        assert_eq!(
            preset("example.test", None).outcome,
            SourceOutcome::NotFound
        );
        let forced = preset("example.test", crate::providers::preset_named("fastmail"));
        assert_eq!(forced.query, "--provider fastmail");
        assert_eq!(forced.servers[0].host, "imap.fastmail.com");
    }

    #[test]
    fn autoconfig_attempts_become_answers() {
        let found = autoconfig_answer(
            "https://autoconfig.example.test/mail/config-v1.1.xml",
            12,
            Ok(vec![("imap.example.test".into(), 993, Security::Tls)]),
        );
        assert_eq!(found.outcome, SourceOutcome::Found);
        assert_eq!(found.servers[0].port, 993);
        let failed = autoconfig_answer("https://x.test/", 3, Err("HTTP 404".into()));
        assert_eq!(failed.outcome, SourceOutcome::Failed);
    }
}
