//! Direct queries to the system's configured nameservers (hickory), beside the OS resolver: when
//! the OS resolver fails, they tell "no nameserver answers" (this computer's network) from NXDOMAIN
//! (the name does not exist) from SERVFAIL (the domain's DNS is broken), and say which nameserver
//! said what.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Instant;

pub use crate::report::dns::NameserverAnswer;
use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::net::UdpSocket;

/// The nameservers this computer is configured with (empty when none can be read).
pub fn configured() -> Vec<IpAddr> {
    let Ok((config, _)) = hickory_resolver::system_conf::read_system_conf() else {
        return Vec::new();
    };
    let mut servers: Vec<IpAddr> = Vec::new();
    for ns in config.name_servers() {
        if !servers.contains(&ns.ip) {
            servers.push(ns.ip);
        }
    }
    servers
}

/// Asks every configured nameserver for A and AAAA of `host`, concurrently, before `deadline`.
pub async fn ask_all(host: String, deadline: tokio::time::Instant) -> Vec<NameserverAnswer> {
    let Ok(mut name) = Name::from_str(&host) else {
        return Vec::new();
    };
    name.set_fqdn(true);
    let mut set = tokio::task::JoinSet::new();
    for (index, server) in configured().into_iter().enumerate() {
        for (offset, kind) in [RecordType::A, RecordType::AAAA].into_iter().enumerate() {
            let name = name.clone();
            set.spawn(async move { (index * 2 + offset, ask(server, name, kind, deadline).await) });
        }
    }
    // Not join_all: it panics on a task cancelled by the runtime shutting down.
    let mut answers = Vec::new();
    while let Some(joined) = set.join_next().await {
        answers.extend(joined.ok());
    }
    answers.sort_by_key(|(order, _)| *order);
    answers.into_iter().map(|(_, answer)| answer).collect()
}

async fn ask(
    server: IpAddr,
    name: Name,
    kind: RecordType,
    deadline: tokio::time::Instant,
) -> NameserverAnswer {
    let started = Instant::now();
    let query = if kind == RecordType::A { "A" } else { "AAAA" };
    let (outcome, addresses) =
        match tokio::time::timeout_at(deadline, exchange(server, name, kind)).await {
            Err(_) => ("timeout", Vec::new()),
            Ok(Err(e)) if is_unreachable(&e) => ("unreachable", Vec::new()),
            Ok(Err(_)) => ("error", Vec::new()),
            Ok(Ok(message)) => classify(&message),
        };
    NameserverAnswer {
        nameserver: server,
        query,
        outcome,
        addresses,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

fn is_unreachable(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        HostUnreachable | NetworkUnreachable | ConnectionRefused | AddrNotAvailable
    )
}

fn classify(message: &Message) -> (&'static str, Vec<IpAddr>) {
    match message.metadata.response_code {
        ResponseCode::NoError => {
            let addresses: Vec<IpAddr> = message
                .answers
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                    _ => None,
                })
                .collect();
            (
                if addresses.is_empty() {
                    "no_data"
                } else {
                    "answer"
                },
                addresses,
            )
        }
        ResponseCode::NXDomain => ("nxdomain", Vec::new()),
        ResponseCode::ServFail => ("servfail", Vec::new()),
        ResponseCode::Refused => ("refused", Vec::new()),
        _ => ("error", Vec::new()),
    }
}

/// One UDP query and its matching response (answers with another id are ignored).
async fn exchange(server: IpAddr, name: Name, kind: RecordType) -> std::io::Result<Message> {
    let local: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().unwrap()
    } else {
        "[::]:0".parse().unwrap()
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(SocketAddr::new(server, 53)).await?;
    let mut message = Message::query();
    message.metadata.recursion_desired = true;
    message.add_query(Query::query(name, kind));
    let id = message.metadata.id;
    let bytes = message.to_vec().map_err(std::io::Error::other)?;
    socket.send(&bytes).await?;
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.recv(&mut buf).await?;
        if let Ok(reply) = Message::from_vec(&buf[..n])
            && reply.metadata.id == id
        {
            return Ok(reply);
        }
    }
}

/// The failure the answers point to, as (check error code, message).
pub fn judge(host: &str, answers: &[NameserverAnswer]) -> (&'static str, String) {
    let has = |o: &str| answers.iter().any(|a| a.outcome == o);
    let servers = |o: &str| {
        let mut list: Vec<String> = answers
            .iter()
            .filter(|a| a.outcome == o)
            .map(|a| a.nameserver.to_string())
            .collect();
        list.dedup();
        list.join(", ")
    };
    if answers.is_empty() {
        return (
            "no_nameservers",
            format!(
                "{host} could not be resolved and no nameserver is configured on this computer"
            ),
        );
    }
    if has("nxdomain") {
        return (
            "nxdomain",
            format!(
                "{host} does not exist (NXDOMAIN from {})",
                servers("nxdomain")
            ),
        );
    }
    if has("answer") {
        return (
            "os_resolver_failed",
            format!(
                "the nameservers know {host}, but this computer's resolver could not resolve it (hosts file, VPN or resolver configuration)"
            ),
        );
    }
    if has("no_data") {
        return (
            "no_address",
            format!("{host} exists but has no A or AAAA record"),
        );
    }
    if has("servfail") {
        return (
            "servfail",
            format!(
                "the nameservers ({}) failed to resolve {host} (SERVFAIL: the domain's DNS servers are broken or unreachable from them)",
                servers("servfail")
            ),
        );
    }
    if has("refused") {
        return (
            "refused",
            format!(
                "the nameservers ({}) refuse to answer for {host}",
                servers("refused")
            ),
        );
    }
    (
        "no_nameserver_answers",
        format!(
            "no nameserver answers ({} configured): {host} could not be resolved",
            answers
                .iter()
                .map(|a| a.nameserver)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        ),
    )
}
