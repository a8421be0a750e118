//! A plaintext port that sends no greeting may expect implicit TLS. After a second of silence a
//! TLS handshake is tried on a second connection, concurrently with the greeting wait and within
//! the same deadline, and recorded in the transcript: a handshake ends the step at once
//! (`capability.tls_port`); a port that does not speak TLS either rules that explanation out.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use rustls_pki_types::ServerName;
use tokio::time::Instant;

use super::capability::{self, Progress};
use super::trust;
use crate::imap::Connection;
pub use crate::report::tls::TlsProbe;
use crate::report::{Check, CheckId, Details};

/// How long a plaintext port may stay silent before the TLS probe starts. A server greets within
/// a round trip; waiting a second keeps the probe off every healthy connection.
pub const PROBE_AFTER: Duration = Duration::from_secs(1);

/// A TLS server answers a ClientHello within a round trip: silence for this long rules TLS out.
const SILENT_ENOUGH: Duration = Duration::from_secs(1);

impl TlsProbe {
    /// Whether the probe shows that the port does not speak implicit TLS.
    pub fn rules_out_tls(self) -> bool {
        matches!(self, TlsProbe::NotTls | TlsProbe::NoAnswer)
    }

    fn describe(self) -> &'static str {
        match self {
            TlsProbe::Tls => "TLS probe: the port answered in TLS (implicit TLS)",
            TlsProbe::NotTls => "TLS probe: the port does not speak TLS either",
            TlsProbe::NoAnswer => "TLS probe: no answer to the TLS handshake either",
            TlsProbe::CutOff => "TLS probe: cut off by the time limit before an answer",
            TlsProbe::NoConnection => "TLS probe: the second connection failed",
        }
    }
}

/// Tries a TLS handshake with `addr` before `deadline`. No data is exchanged after it.
pub async fn probe(addr: SocketAddr, host: String, deadline: Instant) -> TlsProbe {
    let name =
        ServerName::try_from(host).unwrap_or_else(|_| ServerName::IpAddress(addr.ip().into()));
    let socket = match tokio::time::timeout_at(deadline, tokio::net::TcpStream::connect(addr)).await
    {
        Ok(Ok(socket)) => socket,
        Ok(Err(_)) => return TlsProbe::NoConnection,
        Err(_) => return TlsProbe::CutOff,
    };
    let started = Instant::now();
    let connector = tokio_rustls::TlsConnector::from(trust::probing_config());
    match tokio::time::timeout_at(deadline, connector.connect(name, socket)).await {
        Ok(Ok(_)) => TlsProbe::Tls,
        Ok(Err(e)) if answered_in_tls(&e) => TlsProbe::Tls,
        Ok(Err(_)) => TlsProbe::NotTls,
        Err(_) if started.elapsed() >= SILENT_ENOUGH => TlsProbe::NoAnswer,
        Err(_) => TlsProbe::CutOff,
    }
}

/// A handshake that failed on a TLS alert or a TLS-level disagreement still came from a TLS server.
fn answered_in_tls(e: &std::io::Error) -> bool {
    matches!(
        e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()),
        Some(
            rustls::Error::AlertReceived(_)
                | rustls::Error::PeerIncompatible(_)
                | rustls::Error::PeerMisbehaved(_)
        )
    )
}

type Probing = Pin<Box<dyn Future<Output = TlsProbe> + Send>>;

/// The plaintext greeting, with the TLS probe racing it after [`PROBE_AFTER`] of silence.
pub async fn greet(
    conn: &mut Connection,
    host: &str,
    peer: Option<SocketAddr>,
    port: u16,
    deadline: Instant,
) -> Result<Progress, Check> {
    let started = Instant::now();
    let transcript = conn.transcript().clone();
    let greeting = capability::greet(conn, host, deadline);
    tokio::pin!(greeting);
    let probe_at = started + PROBE_AFTER;
    // Without a peer address (or time left for it) there is nothing to probe.
    let mut pending_peer = peer.filter(|_| probe_at < deadline);
    let mut probing: Option<Probing> = None;
    let mut found: Option<TlsProbe> = None;
    let result = loop {
        tokio::select! {
            result = &mut greeting => break result,
            _ = tokio::time::sleep_until(probe_at), if pending_peer.is_some() => {
                let Some(peer) = pending_peer.take() else { continue };
                transcript.remark(&format!(
                    "no greeting after {} s: trying a TLS handshake on a second connection to {peer}",
                    PROBE_AFTER.as_secs()
                ));
                probing = Some(Box::pin(probe(peer, host.to_string(), deadline)));
            }
            outcome = next(&mut probing) => {
                probing = None;
                transcript.remark(outcome.describe());
                found = Some(outcome);
                if outcome == TlsProbe::Tls {
                    return Err(tls_port(port, started, found));
                }
            }
        }
    };
    let mut check = match result {
        Ok(mut progress) => {
            progress.details.tls_probe = found;
            return Ok(progress);
        }
        Err(check) => check,
    };
    if check.error_code() != Some("capability.timeout") {
        return Err(check);
    }
    // The probe shares the deadline: it has its answer now, or within a timer tick.
    if let Some(probing) = probing {
        let outcome = tokio::time::timeout(Duration::from_millis(20), probing)
            .await
            .unwrap_or(TlsProbe::CutOff);
        transcript.remark(outcome.describe());
        found = Some(outcome);
    }
    if found == Some(TlsProbe::Tls) {
        return Err(tls_port(port, started, found));
    }
    if let Details::Capability(details) = &mut check.details {
        details.tls_probe = found;
    }
    Err(check)
}

async fn next(probing: &mut Option<Probing>) -> TlsProbe {
    match probing {
        Some(probing) => probing.await,
        None => std::future::pending().await,
    }
}

fn tls_port(port: u16, started: Instant, found: Option<TlsProbe>) -> Check {
    let message =
        format!("no plaintext greeting: port {port} expects a TLS handshake first (implicit TLS)");
    let details = capability::CapabilityDetails {
        tls_probe: found,
        ..Default::default()
    };
    let mut check = Check::failed(
        CheckId::Capability,
        "tls_port",
        message,
        Details::Capability(details),
    );
    check.duration_ms = started.elapsed().as_millis() as u64;
    check
}
