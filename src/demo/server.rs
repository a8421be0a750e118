//! A scripted, in-process IMAP server on tokio.
//!
//! `imapdoctor demo` runs one on loopback to show a full report, and the integration tests use
//! it to produce faults a real server will not produce on demand: a `BYE` greeting, silence,
//! garbage, an endless line, a slow drip, a close after the greeting, a hang after login,
//! specific `NO` response codes, bad certificates.
//!
//! A [`Script`] says everything the server does; [`spawn`] binds `127.0.0.1:0` and returns a
//! [`ServerHandle`]. Each connection runs in its own task; lines are bounded
//! ([`MAX_LINE`], overflow gets `* BYE line too long` and a close), literals are bounded
//! ([`MAX_LITERAL`]) and nothing a client sends can make the server panic.

mod auth;
mod command;
mod io;
mod mailboxes;
mod parse;
mod sasl;
mod script;
mod session;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_faults;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

pub use io::MAX_LINE;
pub use parse::MAX_LITERAL;
pub use sasl::OAUTH_ERROR_JSON;
pub use script::{
    AfterLogin, DEMO_PASSWORD, DEMO_TOKEN, DEMO_USER, DOVECOT_CAPABILITIES, Mailbox, Opening,
    Script, Security,
};

/// Connections served at once; further ones are closed right after the accept.
const MAX_CONNECTIONS: usize = 512;
/// Commands remembered by [`ServerHandle::received`].
const MAX_RECEIVED: usize = 10_000;

/// One command the server received (name only: arguments may hold secrets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Connection number, from 1 in accept order.
    pub connection: u64,
    /// Whether TLS was active when the command arrived.
    pub tls: bool,
    /// The command's tag.
    pub tag: String,
    /// The command name, upper-cased (`LOGIN`, `AUTHENTICATE`, ...).
    pub command: String,
}

/// State shared by the accept loop and the connection tasks.
struct Shared {
    script: Script,
    accepted: AtomicU64,
    received: Mutex<Vec<Received>>,
}

impl Shared {
    fn record(&self, received: Received) {
        if let Ok(mut log) = self.received.lock()
            && log.len() < MAX_RECEIVED
        {
            log.push(received);
        }
    }
}

/// A running scripted server. Dropping it (or awaiting [`ServerHandle::shutdown`]) stops
/// accepting and aborts the connection tasks.
pub struct ServerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many TCP connections have been accepted so far.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::Relaxed)
    }

    /// The commands received so far, on all connections, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .map(|log| log.clone())
            .unwrap_or_default()
    }

    /// Stop accepting, abort every connection task and wait until the listener is closed and
    /// the tasks are gone.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Dropping the accept loop drops its JoinSet, which aborts the connections.
            task.abort();
        }
    }
}

/// Serve `script` on a fresh listener bound to `127.0.0.1:0`.
pub async fn spawn(script: Script) -> std::io::Result<ServerHandle> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    spawn_on(listener, script).await
}

/// Serve `script` on `listener`.
pub async fn spawn_on(listener: TcpListener, script: Script) -> std::io::Result<ServerHandle> {
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        script,
        accepted: AtomicU64::new(0),
        received: Mutex::new(Vec::new()),
    });
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopped));
    Ok(ServerHandle {
        addr,
        shared,
        stop: Some(stop),
        task: Some(task),
    })
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => {
                    let id = shared.accepted.fetch_add(1, Ordering::Relaxed) + 1;
                    if connections.len() >= MAX_CONNECTIONS {
                        drop(tcp);
                        continue;
                    }
                    connections.spawn(session::run(tcp, Arc::clone(&shared), id));
                }
                // Out of descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}
