//! The `dns` check: resolve the target the way mail clients do, with the operating system's
//! resolver (getaddrinfo), and report the A and AAAA addresses.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use crate::config::Config;
pub use crate::report::dns::DnsDetails;
use crate::report::{Check, CheckId, Details};

/// Resolves the target; on success also returns the addresses to connect to, in resolver order.
pub async fn run(config: &Config, deadline: tokio::time::Instant) -> (Check, Vec<SocketAddr>) {
    let started = Instant::now();
    let target = &config.target;
    let (mut check, addrs) = if let Some(addrs) = config.resolved_override() {
        let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
        let summary = format!(
            "{} → {} (from --resolve, not looked up)",
            crate::host::display(&target.host),
            shown.join(", ")
        );
        (pass(summary, "override", addrs.clone()), addrs)
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
        // The direct nameserver queries run beside getaddrinfo, so a failure is explained
        // without waiting again; on success they are dropped.
        let direct = tokio::spawn(super::nameservers::ask_all(target.host.clone(), deadline));
        let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
        match tokio::time::timeout_at(deadline, lookup).await {
            Ok(Ok(found)) => {
                direct.abort();
                let mut addrs: Vec<SocketAddr> = Vec::new();
                for a in found {
                    if !addrs.contains(&a) {
                        addrs.push(a);
                    }
                }
                let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
                let shown_host = crate::host::display(&target.host);
                let summary = format!("{shown_host} → {}", shown.join(", "));
                (pass(summary, "system", addrs.clone()), addrs)
            }
            failed => {
                let os_error = match failed {
                    Err(_) => "no answer from the system resolver in time".to_string(),
                    Ok(Err(e)) => resolver_message(&e),
                    Ok(Ok(_)) => unreachable!(),
                };
                let nameservers = direct.await.unwrap_or_default();
                let (code, message) = super::nameservers::judge(&target.host, &nameservers);
                let details = DnsDetails {
                    source: "system",
                    os_error: Some(os_error),
                    nameservers,
                    ..Default::default()
                };
                (
                    Check::failed(CheckId::Dns, code, message, Details::Dns(details)),
                    vec![],
                )
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
        Details::Dns(DnsDetails {
            source,
            a,
            aaaa,
            ..Default::default()
        }),
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
