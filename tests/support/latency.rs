//! A wide-area network on loopback: a latency-injecting TCP proxy ([`LatencyProxy`]) and listeners
//! whose connection attempts get no answer at all ([`Blackhole`]).
//!
//! [`LatencyProxy`] models a path with a one-way delay D (round trip 2D) between a client and a
//! server that both run on this machine:
//!
//! - The TCP handshake: the client's `connect()` to the proxy returns at once (loopback), but
//!   nothing it sends leaves before one round trip (when a real `connect()` would have returned),
//!   and the proxy connects to the upstream server 1.5 round trips after the accept (when a real
//!   server's `accept()` returns, on the client's final ACK). So a client-first protocol (implicit
//!   TLS) has its first bytes at the server at 3D, and a server-first one (a plaintext IMAP
//!   greeting) has the greeting at the client at 4D: 2 round trips, as on a real network.
//! - Then every chunk read from one side is written to the other `D` after it was read, in order
//!   and without serializing the delays (a chunk read at t is written at t + D, however many
//!   chunks are in flight): each direction is a queue of (deliver at, bytes) drained by a writer
//!   task that waits until each chunk's time. Delivery is accurate to tens of microseconds (a
//!   coarse tokio sleep, then a short yield loop); [`LatencyProxy::lateness`] says how late
//!   chunks actually were.
//! - Every chunk's read and delivery is logged ([`LatencyProxy::events`], bounded), so a test or
//!   a benchmark can tell where the time went: how long each side "thought" between receiving
//!   something and answering.
//! - A close (EOF, or a read error) travels like data: the other side's write half is shut down
//!   `D` after it, once every earlier chunk is delivered.
//!
//! The proxy runs on a thread of its own with its own tokio runtime, so it works the same from
//! synchronous tests, from `#[tokio::test]`s and from benchmarks. Dropping it stops it and drops
//! every connection.
//!
//! [`Blackhole`] (Unix) makes connection attempts to an address hang, without root: a listener whose
//! accept queue (backlog 0) is filled by a connection that is never accepted; Linux then drops
//! further SYNs, so `connect()` waits for its own timeout, as with a firewall that drops packets.
//! Where that does not work and the process is root, an nftables rule dropping the port's
//! packets on the input hook does the same.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
#[cfg(unix)]
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Size of one read (one chunk).
const CHUNK: usize = 16 * 1024;
/// Events kept by [`LatencyProxy::events`]; later ones are not recorded.
const MAX_EVENTS: usize = 100_000;
/// Chunks queued per direction before the reader waits (bounds the memory a flood can take).
const QUEUE: usize = 256;
/// How long before a chunk's delivery time the writer stops sleeping and starts yielding (tokio's
/// timer has millisecond resolution and rounds up).
const SPIN: Duration = Duration::from_micros(1500);

/// A running latency-injecting proxy (see the module docs). Dropping it stops it.
pub struct LatencyProxy {
    addr: SocketAddr,
    one_way: Duration,
    stats: Arc<Stats>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// How late the proxy delivered chunks, compared with their due time (read time + D).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lateness {
    /// Chunks (and closes) delivered.
    pub chunks: u64,
    /// Mean lateness.
    pub mean: Duration,
    /// Worst lateness.
    pub max: Duration,
}

/// Which way a chunk travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the upstream server.
    ToServer,
    /// From the upstream server to the client.
    ToClient,
}

/// What happened to a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The proxy accepted the client's connection.
    Accepted,
    /// The proxy's connection to the upstream server was established.
    UpstreamConnected,
    /// Read from the sending side: the sender had sent it by then.
    Read,
    /// Written to the receiving side: it arrives now.
    Delivered,
    /// The sending side closed (read as EOF or an error).
    Closed,
    /// The close was passed on (the receiving side's write half shut down).
    CloseDelivered,
}

/// One entry of the proxy's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Connection number, from 1 in accept order.
    pub connection: u64,
    /// Time since the proxy started.
    pub at: Duration,
    pub kind: EventKind,
    /// Which way (meaningless for `Accepted` and `UpstreamConnected`: `ToServer`).
    pub direction: Direction,
    /// Bytes in the chunk (0 for the other kinds).
    pub bytes: usize,
}

struct Stats {
    started: Instant,
    connections: AtomicU64,
    chunks: AtomicU64,
    late_sum_ns: AtomicU64,
    late_max_ns: AtomicU64,
    events: Mutex<Vec<Event>>,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            started: Instant::now(),
            connections: AtomicU64::new(0),
            chunks: AtomicU64::new(0),
            late_sum_ns: AtomicU64::new(0),
            late_max_ns: AtomicU64::new(0),
            events: Mutex::new(Vec::new()),
        }
    }

    fn record_lateness(&self, late: Duration) {
        let ns = u64::try_from(late.as_nanos()).unwrap_or(u64::MAX);
        self.chunks.fetch_add(1, Ordering::Relaxed);
        self.late_sum_ns.fetch_add(ns, Ordering::Relaxed);
        self.late_max_ns.fetch_max(ns, Ordering::Relaxed);
    }

    fn log(&self, connection: u64, kind: EventKind, direction: Direction, bytes: usize) {
        let at = self.started.elapsed();
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        if events.len() < MAX_EVENTS {
            events.push(Event {
                connection,
                at,
                kind,
                direction,
                bytes,
            });
        }
    }
}

impl LatencyProxy {
    /// Listens on `127.0.0.1:0` and forwards every connection to `upstream` with `one_way` delay
    /// each way. Panics if it cannot listen.
    pub fn start(upstream: SocketAddr, one_way: Duration) -> LatencyProxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding 127.0.0.1:0");
        LatencyProxy::start_on(listener, upstream, one_way)
    }

    /// Like [`LatencyProxy::start`], on a listener the caller bound (`[::1]:0`, a chosen port, …).
    pub fn start_on(
        listener: TcpListener,
        upstream: SocketAddr,
        one_way: Duration,
    ) -> LatencyProxy {
        let addr = listener.local_addr().expect("the listener's address");
        listener
            .set_nonblocking(true)
            .expect("making the listener non-blocking");
        let stats = Arc::new(Stats::new());
        let (stop, stopped) = oneshot::channel();
        let thread_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name(format!("latency-proxy-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the proxy's tokio runtime");
                runtime.block_on(accept_loop(
                    listener,
                    upstream,
                    one_way,
                    thread_stats,
                    stopped,
                ));
                // Dropping the runtime drops every connection task left.
            })
            .expect("spawning the proxy thread");
        LatencyProxy {
            addr,
            one_way,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The one-way delay.
    pub fn one_way(&self) -> Duration {
        self.one_way
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.stats.connections.load(Ordering::Relaxed)
    }

    /// The moment event times ([`Event::at`]) count from.
    pub fn epoch(&self) -> std::time::Instant {
        self.stats.started.into_std()
    }

    /// The log of every connection so far (in time order), and clears it.
    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(
            &mut *self
                .stats
                .events
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// How late chunks were delivered so far (0 is perfect).
    pub fn lateness(&self) -> Lateness {
        let chunks = self.stats.chunks.load(Ordering::Relaxed);
        let sum = self.stats.late_sum_ns.load(Ordering::Relaxed);
        Lateness {
            chunks,
            mean: Duration::from_nanos(sum.checked_div(chunks).unwrap_or(0)),
            max: Duration::from_nanos(self.stats.late_max_ns.load(Ordering::Relaxed)),
        }
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    one_way: Duration,
    stats: Arc<Stats>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("registering the listener");
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    let id = stats.connections.fetch_add(1, Ordering::Relaxed) + 1;
                    stats.log(id, EventKind::Accepted, Direction::ToServer, 0);
                    let link = Link { id, one_way, stats: Arc::clone(&stats) };
                    connections.spawn(serve(client, upstream, link));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// What travels through a direction's queue.
enum Item {
    Data(Vec<u8>),
    /// The sending side closed (or failed): shut the receiving side's write half.
    Close,
}

/// What the tasks of one connection share.
#[derive(Clone)]
struct Link {
    id: u64,
    one_way: Duration,
    stats: Arc<Stats>,
}

/// One proxied connection.
async fn serve(client: tokio::net::TcpStream, upstream: SocketAddr, link: Link) {
    let accepted = Instant::now();
    let one_way = link.one_way;
    let _ = client.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    // Client → server: nothing leaves before the handshake's round trip is over.
    let (to_server, from_client) = mpsc::channel(QUEUE);
    let mut readers = JoinSet::new();
    readers.spawn(read_side(
        client_read,
        to_server,
        link.clone(),
        Direction::ToServer,
        accepted + 2 * one_way,
    ));
    // The server accepts when the client's ACK arrives, 1.5 round trips after the SYN.
    tokio::time::sleep_until(accepted + 3 * one_way).await;
    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
        // Upstream is down: the client sees the connection close.
        return;
    };
    link.stats.log(
        link.id,
        EventKind::UpstreamConnected,
        Direction::ToServer,
        0,
    );
    let _ = server.set_nodelay(true);
    let (server_read, server_write) = server.into_split();
    let (to_client, from_server) = mpsc::channel(QUEUE);
    readers.spawn(read_side(
        server_read,
        to_client,
        link.clone(),
        Direction::ToClient,
        Instant::now(),
    ));
    tokio::join!(
        write_side(from_client, server_write, &link, Direction::ToServer),
        write_side(from_server, client_write, &link, Direction::ToClient),
    );
    // Both directions are closed: a reader still waiting has nothing left to do.
    readers.abort_all();
}

/// Reads chunks and queues each for delivery `one_way` after it was read (or after `not_before`).
async fn read_side(
    mut read: OwnedReadHalf,
    queue: mpsc::Sender<(Instant, Item)>,
    link: Link,
    direction: Direction,
    not_before: Instant,
) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let item = match read.read(&mut buf).await {
            Ok(0) | Err(_) => {
                link.stats.log(link.id, EventKind::Closed, direction, 0);
                Item::Close
            }
            Ok(n) => {
                link.stats.log(link.id, EventKind::Read, direction, n);
                Item::Data(buf[..n].to_vec())
            }
        };
        let at = Instant::now().max(not_before) + link.one_way;
        let last = matches!(item, Item::Close);
        if queue.send((at, item)).await.is_err() || last {
            return;
        }
    }
}

/// Delivers queued chunks at their time, in order.
async fn write_side(
    mut queue: mpsc::Receiver<(Instant, Item)>,
    mut write: OwnedWriteHalf,
    link: &Link,
    direction: Direction,
) {
    while let Some((at, item)) = queue.recv().await {
        wait_until(at).await;
        link.stats
            .record_lateness(Instant::now().saturating_duration_since(at));
        match item {
            Item::Data(bytes) => {
                if write.write_all(&bytes).await.is_err() {
                    return;
                }
                link.stats
                    .log(link.id, EventKind::Delivered, direction, bytes.len());
            }
            Item::Close => break,
        }
    }
    let _ = write.shutdown().await;
    link.stats
        .log(link.id, EventKind::CloseDelivered, direction, 0);
}

/// Waits until `at` with sub-millisecond accuracy: a tokio sleep to just before, then yields
/// (which still lets the runtime poll its sockets).
async fn wait_until(at: Instant) {
    if let Some(coarse) = at.checked_sub(SPIN)
        && coarse > Instant::now()
    {
        tokio::time::sleep_until(coarse).await;
    }
    while Instant::now() < at {
        tokio::task::yield_now().await;
    }
}

/// How a [`Blackhole`] drops connection attempts.
#[cfg(unix)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlackholeMethod {
    /// A listener with a full accept queue (no privileges needed).
    FullBacklog,
    /// An nftables rule dropping the port's packets on the input hook (root only).
    Nftables,
}

/// An address whose connection attempts get no answer: `connect()` hangs until its own timeout.
/// Dropping it releases the address (and removes the nftables table, if one was used).
#[cfg(unix)]
pub struct Blackhole {
    addr: SocketAddr,
    method: BlackholeMethod,
    // Keeps the port ours; with FullBacklog it is the listener whose queue is full.
    _listener: TcpListener,
    // The connection that fills the accept queue (never accepted).
    _fillers: Vec<TcpStream>,
    nft_table: Option<String>,
}

#[cfg(unix)]
impl Blackhole {
    /// Blackholes a fresh port on `ip` (`127.0.0.1`, `::1`, …). Tries the full-backlog trick
    /// first, then nftables (root only), and checks that a connection attempt really gets no
    /// answer for a short while before returning.
    pub fn bind(ip: IpAddr) -> io::Result<Blackhole> {
        let listener = TcpListener::bind((ip, 0))?;
        let addr = listener.local_addr()?;
        // SAFETY: listen() on a socket we own; calling it again only changes the backlog.
        if unsafe { libc::listen(listener.as_raw_fd(), 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // With backlog 0 one connection fits in the accept queue; then SYNs are dropped.
        let mut fillers = Vec::new();
        for _ in 0..4 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(stream) => fillers.push(stream),
                Err(e) if e.kind() == io::ErrorKind::TimedOut => break,
                Err(e) => return Err(e),
            }
        }
        let mut hole = Blackhole {
            addr,
            method: BlackholeMethod::FullBacklog,
            _listener: listener,
            _fillers: fillers,
            nft_table: None,
        };
        if hole.hangs(Duration::from_millis(300)) {
            return Ok(hole);
        }
        hole.nft_table = Some(nft_drop(addr)?);
        hole.method = BlackholeMethod::Nftables;
        if hole.hangs(Duration::from_millis(300)) {
            Ok(hole)
        } else {
            Err(io::Error::other(format!(
                "connections to {addr} are still answered despite a full backlog and nftables"
            )))
        }
    }

    /// The blackholed address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The blackholed port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How the attempts are dropped.
    pub fn method(&self) -> BlackholeMethod {
        self.method
    }

    /// Whether a plain `connect()` to the address is still unanswered after `wait`.
    pub fn hangs(&self, wait: Duration) -> bool {
        matches!(
            TcpStream::connect_timeout(&self.addr, wait),
            Err(e) if e.kind() == io::ErrorKind::TimedOut
        )
    }
}

#[cfg(unix)]
impl Drop for Blackhole {
    fn drop(&mut self) {
        if let Some(table) = self.nft_table.take() {
            let _ = Command::new("nft")
                .args(["delete", "table", "inet", &table])
                .status();
        }
    }
}

/// Adds a table dropping every TCP packet to `addr` on the input hook; returns its name.
#[cfg(unix)]
fn nft_drop(addr: SocketAddr) -> io::Result<String> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "a full backlog does not blackhole here, and nftables needs root",
        ));
    }
    let table = format!(
        "imapdoctor_blackhole_{}_{}",
        std::process::id(),
        addr.port()
    );
    let family = if addr.is_ipv6() { "ip6" } else { "ip" };
    let script = format!(
        "table inet {table} {{\n  chain input {{\n    type filter hook input priority -300;\n    \
         {family} daddr {} tcp dport {} drop\n  }}\n}}\n",
        addr.ip(),
        addr.port()
    );
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(script.as_bytes())?;
    }
    if child.wait()?.success() {
        Ok(table)
    } else {
        Err(io::Error::other(format!("nft refused the rule for {addr}")))
    }
}
