//! The dns check's findings, the nameservers' answers included.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::Serialize;

/// Facts of the `dns` check.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct DnsDetails {
    /// How the addresses were obtained: `system` (OS resolver), `literal` (TARGET is an IP
    /// address) or `override` (`--resolve`).
    pub source: &'static str,
    /// IPv4 addresses, in resolver order.
    pub a: Vec<IpAddr>,
    /// IPv6 addresses, in resolver order.
    pub aaaa: Vec<IpAddr>,
    /// The OS resolver's error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_error: Option<String>,
    /// What each configured nameserver answered, queried directly when the OS resolver failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<NameserverAnswer>,
}

/// What one nameserver said to one query.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct NameserverAnswer {
    /// The nameserver asked.
    pub nameserver: IpAddr,
    /// `A` or `AAAA`.
    pub query: &'static str,
    /// `answer`, `no_data` (the name exists without such records), `nxdomain`, `servfail`,
    /// `refused`, `timeout`, `unreachable` or `error`.
    pub outcome: &'static str,
    /// Addresses in the answer.
    pub addresses: Vec<IpAddr>,
    /// Milliseconds to the answer (or to giving up).
    pub duration_ms: u64,
}
