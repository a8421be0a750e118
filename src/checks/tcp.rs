//! The `tcp` check: connect to the resolved addresses, Happy Eyeballs style (RFC 8305: a new attempt
//! every 250 ms while earlier ones are pending, families interleaved), and report every attempt.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use crate::report::tcp::{Attempt, Outcome, TcpDetails};
use crate::report::{Check, CheckId, Details};

/// Delay before starting the next attempt while one is pending (RFC 8305 "Connection Attempt Delay").
const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// How long the IMAP port may stay silent before the same host's port 443 is tried too, to tell a
/// port blocked on the path from a host that is down.
const PORT_443_AFTER: Duration = Duration::from_millis(1000);

/// When port 443 connects while the IMAP port stays silent, the step ends this long after the
/// IMAP connect started, or after [`BLOCKED_RTTS`] round trips to port 443 if that is longer:
/// by then a SYN has been retransmitted twice, and a live port would have answered.
const BLOCKED_AFTER: Duration = Duration::from_secs(3);

/// Round trips to port 443 that the IMAP port may take before it counts as blocked.
const BLOCKED_RTTS: u32 = 10;

/// Connects to one of `addrs` before `deadline`.
pub async fn run(addrs: &[SocketAddr], deadline: Instant) -> (Check, Option<TcpStream>) {
    let started = Instant::now();
    let order = interleave(addrs);
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut starts: Vec<Instant> = Vec::new();
    let mut set: JoinSet<(usize, std::io::Result<TcpStream>)> = JoinSet::new();
    let mut next_start = Instant::now();
    let mut stream = None;
    let mut port_443: Option<(Outcome, Duration)> = None;
    let probe_443_at = started + PORT_443_AFTER;
    let mut probe_443: Option<tokio::task::JoinHandle<(Outcome, Duration)>> = None;
    // Set when port 443 connected: the IMAP port counts as blocked if still silent then.
    let mut blocked_at: Option<Instant> = None;
    loop {
        if attempts.len() < order.len() && (set.is_empty() || Instant::now() >= next_start) {
            let index = attempts.len();
            let addr = order[index];
            attempts.push(Attempt {
                address: addr,
                outcome: Outcome::TimedOut,
                duration_ms: 0,
                error: None,
            });
            starts.push(Instant::now());
            set.spawn(async move { (index, TcpStream::connect(addr).await) });
            next_start = Instant::now() + ATTEMPT_DELAY;
            continue;
        }
        if set.is_empty() {
            break;
        }
        let more_to_start = attempts.len() < order.len();
        let silent = attempts
            .iter()
            .all(|a| a.error.is_none() || a.outcome == Outcome::TimedOut);
        tokio::select! {
            joined = set.join_next() => {
                let Some(Ok((index, result))) = joined else { continue };
                let attempt = &mut attempts[index];
                attempt.duration_ms = starts[index].elapsed().as_millis() as u64;
                match result {
                    Ok(s) => {
                        attempt.outcome = Outcome::Connected;
                        let _ = s.set_nodelay(true);
                        stream = Some(s);
                        break;
                    }
                    Err(e) => {
                        attempt.outcome = classify(&e);
                        attempt.error = Some(e.to_string());
                        next_start = Instant::now();
                    }
                }
            }
            _ = tokio::time::sleep_until(next_start), if more_to_start => {}
            _ = tokio::time::sleep_until(probe_443_at), if probe_443.is_none() && order.iter().all(|a| a.port() != 443) => {
                let host = SocketAddr::new(order[0].ip(), 443);
                probe_443 = Some(tokio::spawn(async move {
                    let started = Instant::now();
                    let outcome = match tokio::time::timeout_at(deadline, TcpStream::connect(host)).await {
                        Ok(Ok(_)) => Outcome::Connected,
                        Ok(Err(e)) => classify(&e),
                        Err(_) => Outcome::TimedOut,
                    };
                    (outcome, started.elapsed())
                }));
            }
            Some(found) = join_443(&mut probe_443), if port_443.is_none() => {
                port_443 = Some(found);
                if found.0 == Outcome::Connected {
                    blocked_at = Some(started + BLOCKED_AFTER.max(found.1 * BLOCKED_RTTS));
                }
            }
            _ = sleep_until_some(blocked_at), if silent => break,
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    set.abort_all();
    if let Some(probe) = probe_443.filter(|_| port_443.is_none()) {
        if stream.is_some() {
            probe.abort();
        } else {
            // The probe shares the deadline: it is done or about to be.
            port_443 = tokio::time::timeout(Duration::from_millis(20), probe)
                .await
                .ok()
                .and_then(Result::ok);
        }
    }
    let connected = stream.as_ref().and_then(|s| s.peer_addr().ok());
    let local = stream.as_ref().and_then(|s| s.local_addr().ok());
    for (attempt, start) in attempts.iter_mut().zip(&starts) {
        if attempt.duration_ms == 0
            && attempt.outcome != Outcome::Connected
            && attempt.error.is_none()
        {
            attempt.duration_ms = start.elapsed().as_millis() as u64;
            if stream.is_some() {
                attempt.outcome = Outcome::Abandoned;
            }
        }
    }
    let mut check = verdict(&attempts, (connected, local), addrs.len(), port_443);
    check.duration_ms = started.elapsed().as_millis() as u64;
    (check, stream)
}

/// The port-443 probe's result once it has one; `None` when there is no probe (or it panicked).
async fn join_443(
    probe: &mut Option<tokio::task::JoinHandle<(Outcome, Duration)>>,
) -> Option<(Outcome, Duration)> {
    match probe {
        Some(probe) => probe.await.ok(),
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`, or forever when there is no `at`.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// `ends`: the address connected to and this computer's end of the connection.
fn verdict(
    attempts: &[Attempt],
    (connected, local_address): (Option<SocketAddr>, Option<SocketAddr>),
    total: usize,
    port_443: Option<(Outcome, Duration)>,
) -> Check {
    let port_443_ms = port_443.map(|(_, took)| took.as_millis() as u64);
    let port_443 = port_443.map(|(outcome, _)| outcome);
    let failed: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| !matches!(a.outcome, Outcome::Connected | Outcome::Abandoned))
        .collect();
    let details = Details::Tcp(TcpDetails {
        attempts: attempts.to_vec(),
        connected,
        local_address,
        port_443,
        port_443_ms,
    });
    if let Some(addr) = connected {
        let mut check = Check::passed(CheckId::Tcp, format!("connected to {addr}"), details);
        for a in failed {
            check.notes.push(format!(
                "{} failed first: {}",
                a.address,
                describe(a.outcome)
            ));
        }
        if ipv6_broken(attempts, addr) {
            check.warn(
                "ipv6_broken",
                "IPv6 is broken on this network: IPv6 connections get no answer while IPv4 works; clients without Happy Eyeballs will hang",
            );
        }
        return check;
    }
    let outcome_all = |o: Outcome| !failed.is_empty() && failed.iter().all(|a| a.outcome == o);
    let (code, what) = if outcome_all(Outcome::Refused) {
        (
            "refused",
            "connection refused: the host answered, but nothing accepts connections on this port",
        )
    } else if outcome_all(Outcome::TimedOut) && port_443 == Some(Outcome::Connected) {
        (
            "port_blocked",
            "no answer on the IMAP port, but the same host accepts connections on port 443: the IMAP port is blocked on the way (a firewall)",
        )
    } else if outcome_all(Outcome::TimedOut) {
        (
            "timeout",
            "no answer: the connection attempt timed out (packets are being dropped)",
        )
    } else if outcome_all(Outcome::Unreachable) {
        (
            "unreachable",
            "no route to the host: this computer's network cannot reach it",
        )
    } else if failed.iter().any(|a| a.outcome == Outcome::Refused) {
        (
            "refused",
            "connection refused on some addresses, no answer from the others",
        )
    } else {
        ("failed", "could not connect")
    };
    let tried = attempts.len();
    let mut message = if tried < total {
        format!("{what} ({tried} of {total} addresses tried before the time limit)")
    } else {
        format!(
            "{what} ({tried} address{} tried)",
            if tried == 1 { "" } else { "es" }
        )
    };
    if let (Some(ms), "port_blocked") = (port_443_ms, code) {
        let silent_ms = attempts.iter().map(|a| a.duration_ms).max().unwrap_or(0);
        message.push_str(&format!(
            "; port 443 connected in {ms} ms, the IMAP port stayed silent for {silent_ms} ms"
        ));
    }
    Check::failed(CheckId::Tcp, code, message, details)
}

/// Connected over IPv4 while every IPv6 attempt got no answer (or was still pending when IPv4 won
/// after the attempt delay).
fn ipv6_broken(attempts: &[Attempt], connected: SocketAddr) -> bool {
    let v6: Vec<&Attempt> = attempts.iter().filter(|a| a.address.is_ipv6()).collect();
    connected.is_ipv4()
        && !v6.is_empty()
        && v6.iter().all(|a| match a.outcome {
            Outcome::TimedOut | Outcome::Unreachable => true,
            Outcome::Abandoned => a.duration_ms >= ATTEMPT_DELAY.as_millis() as u64,
            _ => false,
        })
}

fn describe(o: Outcome) -> &'static str {
    match o {
        Outcome::Connected => "connected",
        Outcome::Refused => "refused",
        Outcome::TimedOut => "timed out",
        Outcome::Unreachable => "unreachable",
        Outcome::Error => "error",
        Outcome::Abandoned => "abandoned",
    }
}

fn classify(e: &std::io::Error) -> Outcome {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => Outcome::Refused,
        TimedOut => Outcome::TimedOut,
        HostUnreachable | NetworkUnreachable | AddrNotAvailable => Outcome::Unreachable,
        _ => Outcome::Error,
    }
}

/// Alternates address families, starting with the resolver's first choice (RFC 8305 §4).
fn interleave(addrs: &[SocketAddr]) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return vec![];
    };
    let (mut same, mut other): (Vec<SocketAddr>, Vec<SocketAddr>) = addrs
        .iter()
        .copied()
        .partition(|a| a.is_ipv6() == first.is_ipv6());
    same.reverse();
    other.reverse();
    let mut out = Vec::with_capacity(addrs.len());
    while !same.is_empty() || !other.is_empty() {
        out.extend(same.pop());
        out.extend(other.pop());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaves_families() {
        let a: Vec<SocketAddr> = ["[::1]:1", "[::2]:1", "10.0.0.1:1", "10.0.0.2:1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let got: Vec<String> = interleave(&a).iter().map(|s| s.to_string()).collect();
        assert_eq!(got, ["[::1]:1", "10.0.0.1:1", "[::2]:1", "10.0.0.2:1"]);
    }

    #[tokio::test]
    async fn refused_port_fails_fast_and_says_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let (check, stream) = run(&[addr], Instant::now() + Duration::from_secs(5)).await;
        assert!(stream.is_none());
        assert_eq!(check.error_code(), Some("tcp.refused"));
    }
}
