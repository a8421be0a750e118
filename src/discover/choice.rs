//! Choosing a server from the sources' answers, by a fixed precedence:
//!
//! 1. **preset**: `--provider NAME`, or the address's domain is a provider's own (`gmail.com`):
//!    the provider's published settings; nothing else is asked.
//! 2. **SRV** (RFC 6186): `_imaps._tcp` (implicit TLS) before `_imap._tcp` (STARTTLS), each by
//!    priority then weight: the domain's own statement of its IMAP server.
//! 3. **autoconfig**: the domain's Mozilla autoconfig document, its first IMAP server.
//! 4. **MX**: the domain's mail is delivered to a known provider (Microsoft 365, Google
//!    Workspace, …), whose preset applies: the least specific, so the last.
//!
//! Sources that name another host than the chosen one are listed as disagreeing.

use crate::report::discover::{DiscoveredServer, Source, SourceAnswer, SourceOutcome};

/// The outcome of the choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The server, and the answer it came from (an index into the answers), when one was found.
    pub chosen: Option<(usize, DiscoveredServer)>,
    /// Why, for a person.
    pub reason: String,
    /// The sources that name another host, in precedence order, without repeats.
    pub disagreeing: Vec<Source>,
}

/// Whether two servers are the same host (names compare ignoring case and a trailing dot).
pub fn same_host(a: &str, b: &str) -> bool {
    let name = |h: &str| h.trim_end_matches('.').to_ascii_lowercase();
    name(a) == name(b)
}

/// Chooses from `answers` by the precedence above (answers of the same source keep their order:
/// `_imaps` before `_imap`).
pub fn choose(answers: &[SourceAnswer]) -> Choice {
    let mut found: Vec<(usize, &SourceAnswer)> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.outcome == SourceOutcome::Found && !a.servers.is_empty())
        .collect();
    found.sort_by_key(|(i, a)| (a.source, *i));
    let Some(&(index, first)) = found.first() else {
        return Choice {
            chosen: None,
            reason: nothing_found(answers),
            disagreeing: Vec::new(),
        };
    };
    let server = first.servers[0].clone();
    let mut disagreeing = Vec::new();
    for (_, answer) in &found[1..] {
        if !same_host(&answer.servers[0].host, &server.host)
            && !disagreeing.contains(&answer.source)
        {
            disagreeing.push(answer.source);
        }
    }
    let reason = match first.source {
        Source::Preset if first.query.starts_with("--provider") => {
            format!("{} names the preset: {}", first.query, first.answer)
        }
        Source::Preset => {
            "the domain is a provider's own, whose published settings need no lookup".to_string()
        }
        Source::Srv => format!(
            "the domain's SRV record (RFC 6186) names its IMAP server ({}); SRV comes before autoconfig and MX",
            first.query
        ),
        Source::Autoconfig => format!(
            "the domain's autoconfig document names it ({}), and no SRV record does; autoconfig comes before MX",
            first.query
        ),
        Source::Mx => format!(
            "the domain's mail is delivered to a known provider ({}), and nothing more specific (SRV, autoconfig) names a server",
            first.answer
        ),
    };
    Choice {
        chosen: Some((index, server)),
        reason,
        disagreeing,
    }
}

/// Whether no source could answer at all (every one asked timed out or failed): this computer's
/// DNS or network, rather than a domain without a server.
pub fn none_answered(answers: &[SourceAnswer]) -> bool {
    let asked: Vec<&SourceAnswer> = answers
        .iter()
        .filter(|a| a.source != Source::Preset && a.outcome != SourceOutcome::Skipped)
        .collect();
    !asked.is_empty()
        && asked
            .iter()
            .all(|a| matches!(a.outcome, SourceOutcome::Timeout | SourceOutcome::Failed))
}

/// Why nothing was found: each source's outcome in a few words.
fn nothing_found(answers: &[SourceAnswer]) -> String {
    let each: Vec<String> = answers
        .iter()
        .map(|a| format!("{} {}", a.query, a.outcome.as_str().replace('_', " ")))
        .collect();
    format!("no source names an IMAP server: {}", each.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Security;

    fn answer(source: Source, query: &str, host: Option<&str>) -> SourceAnswer {
        SourceAnswer {
            source,
            query: query.into(),
            outcome: if host.is_some() {
                SourceOutcome::Found
            } else {
                SourceOutcome::NotFound
            },
            answer: String::new(),
            servers: host
                .map(|h| DiscoveredServer {
                    host: h.into(),
                    port: 993,
                    security: Security::Tls,
                    provider: None,
                })
                .into_iter()
                .collect(),
            duration_ms: 1,
        }
    }

    #[test]
    fn srv_wins_over_autoconfig_and_mx_and_the_others_disagree() {
        let answers = vec![
            answer(Source::Preset, "presets for example.test", None),
            answer(Source::Mx, "example.test MX", Some("outlook.office365.com")),
            answer(Source::Srv, "_imaps._tcp.example.test SRV", None),
            answer(
                Source::Srv,
                "_imap._tcp.example.test SRV",
                Some("mail.example.test"),
            ),
            answer(
                Source::Autoconfig,
                "https://autoconfig.example.test/",
                Some("MAIL.example.test."),
            ),
        ];
        let choice = choose(&answers);
        let (index, server) = choice.chosen.unwrap();
        assert_eq!((index, server.host.as_str()), (3, "mail.example.test"));
        assert!(choice.reason.contains("SRV"), "{}", choice.reason);
        // Autoconfig names the same host: it agrees; MX does not.
        assert_eq!(choice.disagreeing, [Source::Mx]);
    }

    #[test]
    fn only_a_found_answer_with_a_server_is_chosen() {
        // A source that failed is never taken at its word, whatever servers it carries.
        let failed = SourceAnswer {
            outcome: SourceOutcome::Failed,
            ..answer(
                Source::Srv,
                "_imaps._tcp.example.test",
                Some("srv.example.test"),
            )
        };
        let found_empty = SourceAnswer {
            servers: Vec::new(),
            ..answer(
                Source::Autoconfig,
                "https://autoconfig.example.test/",
                Some("x"),
            )
        };
        let mx = answer(Source::Mx, "example.test MX", Some("outlook.office365.com"));
        let choice = choose(&[failed, found_empty, mx]);
        let (index, server) = choice.chosen.unwrap();
        assert_eq!((index, server.host.as_str()), (2, "outlook.office365.com"));
        assert!(choice.disagreeing.is_empty());
    }

    #[test]
    fn imaps_comes_before_imap() {
        let answers = vec![
            answer(Source::Srv, "_imaps._tcp.x SRV", Some("tls.x")),
            answer(Source::Srv, "_imap._tcp.x SRV", Some("plain.x")),
        ];
        assert_eq!(choose(&answers).chosen.unwrap().1.host, "tls.x");
        assert_eq!(choose(&answers).disagreeing, [Source::Srv]);
    }

    #[test]
    fn a_preset_comes_first_and_mx_last() {
        let answers = vec![
            answer(Source::Mx, "x MX", Some("imap.gmail.com")),
            answer(
                Source::Preset,
                "--provider microsoft",
                Some("outlook.office365.com"),
            ),
        ];
        let choice = choose(&answers);
        assert_eq!(choice.chosen.unwrap().1.host, "outlook.office365.com");
        assert!(choice.reason.starts_with("--provider microsoft"));
        let only_mx = choose(&answers[..1]);
        assert_eq!(only_mx.chosen.unwrap().0, 0);
        assert!(only_mx.reason.contains("delivered to a known provider"));
    }

    #[test]
    fn nothing_found_says_what_each_source_said() {
        let mut timeout = answer(Source::Mx, "x MX", None);
        timeout.outcome = SourceOutcome::Timeout;
        let answers = vec![
            answer(Source::Srv, "_imaps._tcp.x SRV", None),
            timeout.clone(),
        ];
        let choice = choose(&answers);
        assert!(choice.chosen.is_none());
        assert_eq!(
            choice.reason,
            "no source names an IMAP server: _imaps._tcp.x SRV not found; x MX timeout"
        );
        assert!(!none_answered(&answers));
        assert!(none_answered(&[answer(Source::Preset, "p", None), timeout]));
    }
}
