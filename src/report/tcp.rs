//! The tcp check's findings: every connection attempt.

use std::net::SocketAddr;

use schemars::JsonSchema;
use serde::Serialize;

/// The outcome of one connection attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The connection was established.
    Connected,
    /// The host answered with a reset: nothing listens on the port.
    Refused,
    /// No answer before the time limit (packets dropped somewhere).
    TimedOut,
    /// No route to the host or network.
    Unreachable,
    /// Another socket error.
    Error,
    /// Not needed: another address connected first.
    Abandoned,
}

/// One connection attempt.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Attempt {
    /// Address and port tried.
    pub address: SocketAddr,
    /// What happened.
    pub outcome: Outcome,
    /// Milliseconds from the start of this attempt to its outcome.
    pub duration_ms: u64,
    /// The socket error, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Facts of the `tcp` check.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TcpDetails {
    /// Every attempt, in the order they were started.
    pub attempts: Vec<Attempt>,
    /// The address that connected.
    pub connected: Option<SocketAddr>,
    /// This computer's end of the connection (address and port), when connected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_address: Option<SocketAddr>,
    /// When the IMAP port stayed silent: whether the same host accepts TCP on port 443
    /// (`connected`, `refused`, `timed_out`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_443: Option<Outcome>,
    /// How long the connect to port 443 took, milliseconds (its round trip, when it connected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_443_ms: Option<u64>,
}
