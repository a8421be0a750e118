//! The `dns` check: resolve the target the way mail clients do, with the operating system's
//! resolver (getaddrinfo), and report the A and AAAA addresses.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use serde::Serialize;

use crate::config::Config;
use crate::report::{Check, CheckId, Details};

/// Facts of the `dns` check.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DnsDetails {
    /// How the addresses were obtained: `system` (OS resolver), `literal` (TARGET is an IP
    /// address) or `override` (`--resolve`).
    pub source: &'static str,
    /// IPv4 addresses, in resolver order.
    pub a: Vec<IpAddr>,
    /// IPv6 addresses, in resolver order.
    pub aaaa: Vec<IpAddr>,
}

/// Resolves the target; on success also returns the addresses to connect to, in resolver order.
pub async fn run(config: &Config, deadline: tokio::time::Instant) -> (Check, Vec<SocketAddr>) {
    let started = Instant::now();
    let target = &config.target;
    let (mut check, addrs) = if let Some(addr) = config.resolved_override() {
        let summary = format!(
            "{} → {} (from --resolve, not looked up)",
            target.host,
            addr.ip()
        );
        (pass(summary, "override", vec![addr]), vec![addr])
    } else if let Some(ip) = target.ip() {
        let addr = SocketAddr::new(ip, target.port);
        (
            pass(
                format!("{ip} is an IP address; no lookup needed"),
                "literal",
                vec![addr],
            ),
            vec![addr],
        )
    } else {
        let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
        match tokio::time::timeout_at(deadline, lookup).await {
            Err(_) => (
                Check::failed(
                    CheckId::Dns,
                    "timeout",
                    format!(
                        "no answer from the system resolver for {} in time",
                        target.host
                    ),
                    Details::Dns(DnsDetails {
                        source: "system",
                        ..Default::default()
                    }),
                ),
                vec![],
            ),
            Ok(Err(e)) => (
                Check::failed(
                    CheckId::Dns,
                    "not_found",
                    format!(
                        "{} could not be resolved: {}",
                        target.host,
                        resolver_message(&e)
                    ),
                    Details::Dns(DnsDetails {
                        source: "system",
                        ..Default::default()
                    }),
                ),
                vec![],
            ),
            Ok(Ok(found)) => {
                let mut addrs: Vec<SocketAddr> = Vec::new();
                for a in found {
                    if !addrs.contains(&a) {
                        addrs.push(a);
                    }
                }
                let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
                let summary = format!("{} → {}", target.host, shown.join(", "));
                (pass(summary, "system", addrs.clone()), addrs)
            }
        }
    };
    check.duration_ms = started.elapsed().as_millis() as u64;
    (check, addrs)
}

fn pass(summary: String, source: &'static str, addrs: Vec<SocketAddr>) -> Check {
    let (a, aaaa): (Vec<IpAddr>, Vec<IpAddr>) =
        addrs.iter().map(|s| s.ip()).partition(IpAddr::is_ipv4);
    let mut check = Check::passed(
        CheckId::Dns,
        summary,
        Details::Dns(DnsDetails { source, a, aaaa }),
    );
    if source == "literal" {
        check
            .notes
            .push("an IP address bypasses DNS: a DNS problem would not show here".into());
    }
    check
}

fn resolver_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    // getaddrinfo's messages are from the OS, but keep them tidy and printable.
    crate::sanitize::terminal_text(
        text.trim_start_matches("failed to lookup address information: "),
    )
}
