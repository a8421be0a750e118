//! Real network conditions in Linux network namespaces, for integration tests that run the
//! binary against a small private internet.
//!
//! A [`Lab`] is two fresh namespaces joined by a veth pair (named `veth0` on both ends: the names
//! exist only inside the namespaces, so parallel labs never collide):
//!
//! ```text
//!   client ns                          net ns ("the internet")
//!   lo                                 lo
//!   veth0 10.77.0.2/24  <--------->    veth0 10.77.0.1/24    2001:db8:77::1/64  mail.test
//!         2001:db8:77::2/64                  10.77.0.3/24    2001:db8:77::3/64  ctl.test
//!                                            10.77.0.53/24                      dnsmasq
//! ```
//!
//! The client namespace has no route but the link's own subnets, so nothing it does can leave the
//! lab. Its resolver configuration comes from `/etc/netns/<client>/` (which `ip netns exec`
//! bind-mounts over `/etc`): `resolv.conf` points at the lab's dnsmasq, `hosts` holds only
//! localhost, and `nsswitch.conf` says `hosts: files dns`, so neither the host's hosts file nor an
//! NSS module such as systemd-resolved (reachable through a Unix socket from any namespace) can
//! answer in place of the lab's DNS.
//!
//! dnsmasq (in the net namespace, on 10.77.0.53) is authoritative for `.test` (`--local=/test/`):
//! `mail.test` and `ctl.test` have A and AAAA records, every other `.test` name is NXDOMAIN, but
//! for the SRV, MX and address [`Record`]s a test adds ([`lab_with_dns_or_skip`]). Names outside
//! `.test` (an MX naming a provider) are served when added and otherwise never answered: there is
//! no upstream.
//! IPv6 addresses are global-scope documentation addresses, so getaddrinfo's RFC 6724 sort puts
//! IPv6 first (as on a real dual-stack network); with ULA addresses IPv4 would come first.
//!
//! Servers run inside the net namespace without a child process: [`bind_in`] creates the
//! listening socket on a short-lived thread that has `setns`ed into the namespace (a socket stays
//! in the namespace it was created in), and [`Lab::serve_imap`] serves a scripted IMAP server on
//! such sockets from a thread with its own tokio runtime.
//!
//! Faults are nftables rules ([`Lab::nft`], a table per call inside one namespace) or link state
//! ([`Lab::client_offline`]). Everything goes away with the namespaces when the [`Lab`] is
//! dropped (also on panic): servers stop, dnsmasq is killed, the namespaces and
//! `/etc/netns/<client>` are removed. A run killed outright leaves its namespaces behind; the
//! next run removes those whose process is gone (dnsmasq dies with its parent through
//! `PR_SET_PDEATHSIG`).

use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use imapdoctor::demo::server::{self, Script};
use serde_json::Value;
use tempfile::TempDir;

/// Set to `1` to make unusable namespaces a test failure instead of a skip (CI).
pub const REQUIRE_ENV: &str = "IMAPDOCTOR_REQUIRE_NETNS";

/// The client's address on the link.
pub const CLIENT_V4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
/// The client's IPv6 address on the link.
pub const CLIENT_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x77, 0, 0, 0, 0, 2);
/// `mail.test`'s IPv4 address (in the net namespace).
pub const MAIL_V4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
/// `mail.test`'s IPv6 address.
pub const MAIL_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x77, 0, 0, 0, 0, 1);
/// `ctl.test`'s IPv4 address (a control endpoint, another host of "the internet").
pub const CTL_V4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 3);
/// `ctl.test`'s IPv6 address.
pub const CTL_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x77, 0, 0, 0, 0, 3);
/// The lab's nameserver (dnsmasq).
pub const DNS_V4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 53);
/// The mail server's name.
pub const MAIL_HOST: &str = "mail.test";
/// The control endpoint's name.
pub const CTL_HOST: &str = "ctl.test";
/// The interface name at both ends of the link.
pub const LINK: &str = "veth0";

/// Prefix of every namespace (and `/etc/netns` entry) a lab creates: `imapdoctor-<pid>-<n>-c|n`.
const PREFIX: &str = "imapdoctor-";
/// How long dnsmasq may take to answer.
const DNS_READY: Duration = Duration::from_secs(5);
/// Hang guard for one command run in a namespace.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// What one run of a program inside the client namespace produced.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Standard output parsed as JSON, when it is.
    pub json: Option<Value>,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
}

impl Run {
    /// Everything, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "exit {} after {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// A lab, or `None` (after printing `skipped: <why>`) where namespaces cannot be used. With
/// [`REQUIRE_ENV`]`=1` an unusable environment panics instead.
pub fn lab_or_skip() -> Option<Lab> {
    lab_with_dns_or_skip(&[])
}

/// A record the lab's dnsmasq serves beside `mail.test` and `ctl.test`.
#[derive(Clone, Debug)]
pub enum Record {
    /// An SRV record: name (`_imaps._tcp.example.test`), then target, port, priority and weight;
    /// no target: `.` (the service is not offered).
    Srv(String, Option<(String, u16, u16, u16)>),
    /// An MX record: the domain, the exchange, the preference.
    Mx(String, String, u16),
    /// An address record: the name, the address.
    Address(String, IpAddr),
}

impl Record {
    /// The dnsmasq option that serves it.
    fn option(&self) -> String {
        match self {
            Record::Srv(name, None) => format!("--srv-host={name}"),
            Record::Srv(name, Some((target, port, priority, weight))) => {
                format!("--srv-host={name},{target},{port},{priority},{weight}")
            }
            Record::Mx(domain, exchange, preference) => {
                format!("--mx-host={domain},{exchange},{preference}")
            }
            Record::Address(name, ip) => format!("--host-record={name},{ip}"),
        }
    }
}

/// As [`lab_or_skip`], with dnsmasq also serving `records`.
pub fn lab_with_dns_or_skip(records: &[Record]) -> Option<Lab> {
    let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1");
    if let Err(why) = available() {
        if required {
            panic!("{REQUIRE_ENV}=1 but network namespaces are unusable: {why}");
        }
        eprintln!("skipped: {why}");
        return None;
    }
    Some(Lab::start_with_dns(records).unwrap_or_else(|e| panic!("network namespace lab: {e}")))
}

/// Whether this process may build labs: root, `ip`, `nft` and `dnsmasq` present, and `ip netns
/// add` works. Checked once per process (which also removes leftovers of killed runs).
pub fn available() -> Result<(), String> {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    AVAILABLE.get_or_init(probe).clone()
}

fn probe() -> Result<(), String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)".into());
    }
    for tool in ["ip", "nft", "dnsmasq"] {
        if find_tool(tool).is_none() {
            return Err(format!(
                "`{tool}` not found (apt-get install iproute2 nftables dnsmasq-base)"
            ));
        }
    }
    remove_leftovers();
    let name = format!("{PREFIX}{}-probe", std::process::id());
    let added = sh(ip(), ["netns", "add", &name]);
    let _ = sh(ip(), ["netns", "del", &name]);
    added.map_err(|e| format!("`ip netns add` failed: {e}"))?;
    Ok(())
}

/// Removes the namespaces and `/etc/netns` entries of lab runs whose process is gone.
fn remove_leftovers() {
    let stale = |name: &str| {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            return false;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        })
    };
    if let Ok(list) = sh(ip(), ["netns", "list"]) {
        for line in list.lines() {
            let name = line.split_whitespace().next().unwrap_or_default();
            if stale(name) {
                let _ = sh(ip(), ["netns", "del", name]);
            }
        }
    }
    if let Ok(entries) = fs::read_dir("/etc/netns") {
        for entry in entries.flatten() {
            if stale(&entry.file_name().to_string_lossy()) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// A tool from PATH or the usual sbin directories (a non-login root shell may lack them).
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn ip() -> PathBuf {
    find_tool("ip").unwrap_or_else(|| "ip".into())
}

/// Runs a command to completion; its stdout on success, else an error with its stderr.
fn sh<I, S>(program: impl AsRef<std::ffi::OsStr>, args: I) -> Result<String, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("{shown}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{shown}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A named network namespace, deleted on drop.
struct Netns(String);

impl Netns {
    fn add(name: String) -> Result<Netns, String> {
        sh(ip(), ["netns", "add", &name])?;
        let ns = Netns(name);
        sh(ip(), ["-n", &ns.0, "link", "set", "lo", "up"])?;
        Ok(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = sh(ip(), ["netns", "del", &self.0]);
    }
}

/// `/etc/netns/<name>`, removed on drop.
struct EtcDir(PathBuf);

impl Drop for EtcDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The client namespace, "the internet" namespace, the link, the DNS, and whatever servers and
/// faults a test adds. Dropping it removes all of it.
pub struct Lab {
    // Field order is drop order: servers and dnsmasq first, then the namespaces, then /etc.
    servers: Vec<ImapServer>,
    listeners: Vec<TcpListener>,
    dnsmasq: Option<Killed>,
    net: Netns,
    client: Netns,
    etc: EtcDir,
    dir: TempDir,
}

impl Lab {
    /// Builds the topology and starts dnsmasq; waits until it answers.
    pub fn start() -> Result<Lab, String> {
        Lab::start_with_dns(&[])
    }

    /// As [`Lab::start`], dnsmasq also serving `records`.
    pub fn start_with_dns(records: &[Record]) -> Result<Lab, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let base = format!("{PREFIX}{}-{n}", std::process::id());
        let dir = tempfile::Builder::new()
            .prefix("imapdoctor-netns-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let client_name = format!("{base}-c");
        let etc = EtcDir(Path::new("/etc/netns").join(&client_name));
        let client = Netns::add(client_name)?;
        let net = Netns::add(format!("{base}-n"))?;
        let mut lab = Lab {
            servers: Vec::new(),
            listeners: Vec::new(),
            dnsmasq: None,
            net,
            client,
            etc,
            dir,
        };
        lab.link()?;
        lab.resolver_files()?;
        lab.start_dnsmasq(records)?;
        Ok(lab)
    }

    /// The client namespace's name (where the program under test runs).
    pub fn client(&self) -> &str {
        &self.client.0
    }

    /// "The internet" namespace's name (servers, DNS).
    pub fn net(&self) -> &str {
        &self.net.0
    }

    /// A directory for the test's files (CA certificates and such), removed with the lab.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn link(&self) -> Result<(), String> {
        let (c, n) = (self.client(), self.net());
        sh(
            ip(),
            [
                "-n", c, "link", "add", LINK, "type", "veth", "peer", "name", LINK, "netns", n,
            ],
        )?;
        // Up before addresses: an IPv6 address added (nodad) to a down veth answers neighbour
        // solicitations only after a one-second retransmit, which looks like broken IPv6.
        sh(ip(), ["-n", c, "link", "set", LINK, "up"])?;
        sh(ip(), ["-n", n, "link", "set", LINK, "up"])?;
        let v4 = |a: Ipv4Addr| format!("{a}/24");
        let v6 = |a: Ipv6Addr| format!("{a}/64");
        sh(ip(), ["-n", c, "addr", "add", &v4(CLIENT_V4), "dev", LINK])?;
        sh(
            ip(),
            ["-n", c, "addr", "add", &v6(CLIENT_V6), "dev", LINK, "nodad"],
        )?;
        for a in [MAIL_V4, CTL_V4, DNS_V4] {
            sh(ip(), ["-n", n, "addr", "add", &v4(a), "dev", LINK])?;
        }
        for a in [MAIL_V6, CTL_V6] {
            sh(ip(), ["-n", n, "addr", "add", &v6(a), "dev", LINK, "nodad"])?;
        }
        Ok(())
    }

    fn resolver_files(&self) -> Result<(), String> {
        let write = |name: &str, text: String| {
            fs::write(self.etc.0.join(name), text).map_err(|e| format!("/etc/netns/…/{name}: {e}"))
        };
        fs::create_dir_all(&self.etc.0).map_err(|e| format!("{}: {e}", self.etc.0.display()))?;
        write("resolv.conf", format!("nameserver {DNS_V4}\n"))?;
        write("hosts", "127.0.0.1 localhost\n::1 localhost\n".into())?;
        // Only bind-mounted where the file exists on the host (ip netns exec needs a target).
        if Path::new("/etc/nsswitch.conf").exists() {
            write(
                "nsswitch.conf",
                "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n".into(),
            )?;
        }
        Ok(())
    }

    fn start_dnsmasq(&mut self, records: &[Record]) -> Result<(), String> {
        let dnsmasq = find_tool("dnsmasq").ok_or("dnsmasq not found")?;
        let log_path = self.dir().join("dnsmasq.log");
        let log = fs::File::create(&log_path).map_err(|e| format!("dnsmasq log: {e}"))?;
        let mut cmd = Command::new(ip());
        cmd.args(["netns", "exec", self.net()])
            .arg(dnsmasq)
            .args([
                "--no-daemon",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--no-poll",
                "--log-facility=-",
                "--bind-interfaces",
                &format!("--listen-address={DNS_V4}"),
                "--local=/test/",
                &format!("--address=/{MAIL_HOST}/{MAIL_V4}"),
                &format!("--address=/{MAIL_HOST}/{MAIL_V6}"),
                &format!("--address=/{CTL_HOST}/{CTL_V4}"),
                &format!("--address=/{CTL_HOST}/{CTL_V6}"),
            ])
            .args(records.iter().map(Record::option))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        die_with_parent(&mut cmd);
        let child = cmd.spawn().map_err(|e| format!("spawn dnsmasq: {e}"))?;
        let client = self.client.0.clone();
        let dnsmasq = self.dnsmasq.insert(Killed(child));
        let deadline = Instant::now() + DNS_READY;
        loop {
            if let Ok(Some(status)) = dnsmasq.0.try_wait() {
                let log = fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!("dnsmasq exited ({status}):\n{log}"));
            }
            if dns_answers(&client, SocketAddr::new(DNS_V4.into(), 53), MAIL_HOST) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let log = fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!(
                    "dnsmasq did not answer within {DNS_READY:?}:\n{log}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Serves `script` on listeners bound in the net namespace at each of `addrs`, until the lab
    /// is dropped.
    pub fn serve_imap(&mut self, addrs: &[SocketAddr], script: Script) -> Result<(), String> {
        let listeners = addrs
            .iter()
            .map(|a| bind_in(self.net(), *a))
            .collect::<Result<Vec<_>, _>>()?;
        self.servers.push(ImapServer::start(listeners, script)?);
        Ok(())
    }

    /// Listens on each of `addrs` in the net namespace, without ever reading: the kernel
    /// completes connections into the backlog, which is all a port probe sees.
    pub fn listen(&mut self, addrs: &[SocketAddr]) -> Result<(), String> {
        for addr in addrs {
            let listener = bind_in(self.net(), *addr)?;
            self.listeners.push(listener);
        }
        Ok(())
    }

    /// Loads an nftables ruleset (one or more tables) into namespace `ns`.
    pub fn nft(&self, ns: &str, ruleset: &str) -> Result<(), String> {
        let nft = find_tool("nft").ok_or("nft not found")?;
        let mut child = Command::new(ip())
            .args(["netns", "exec", ns])
            .arg(nft)
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn nft: {e}"))?;
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(ruleset.as_bytes())
            .map_err(|e| format!("nft stdin: {e}"))?;
        let out = child.wait_with_output().map_err(|e| format!("nft: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "nft -f - in {ns} failed ({}): {}\nruleset:\n{ruleset}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    }

    /// Takes the client's link down: no route anywhere, as a laptop without network.
    pub fn client_offline(&self) -> Result<(), String> {
        sh(ip(), ["-n", self.client(), "link", "set", LINK, "down"]).map(drop)
    }

    /// Runs `program` in the client namespace with a clean environment (`PATH` plus `env`), no
    /// standard input, bounded by a hang guard.
    pub fn run(&self, program: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(ip());
        cmd.args(["netns", "exec", self.client(), program])
            .args(args)
            .env_clear()
            .env("IMAPDOCTOR_CONFIG", "")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = cmd.spawn().expect("spawn ip netns exec");
        let read = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = pipe.read_to_end(&mut buf);
                String::from_utf8_lossy(&buf).into_owned()
            })
        };
        let stdout = read(Box::new(child.stdout.take().expect("piped stdout")));
        let stderr = read(Box::new(child.stderr.take().expect("piped stderr")));
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{program} {args:?} hung for {RUN_LIMIT:?} in {}",
                    self.client()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = started.elapsed();
        let stdout = stdout.join().unwrap_or_default();
        Run {
            code: status.code().unwrap_or(-1),
            json: super::schema::conforming_document(&stdout),
            stdout,
            stderr: stderr.join().unwrap_or_default(),
            elapsed,
        }
    }

    /// dnsmasq's log so far (for assertion messages).
    pub fn dns_log(&self) -> String {
        fs::read_to_string(self.dir().join("dnsmasq.log")).unwrap_or_default()
    }
}

/// Makes a spawned child get SIGKILL when the spawning thread dies, so a killed test run leaves
/// no daemon behind.
fn die_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Runs `f` on a fresh thread that has entered network namespace `ns`; sockets it creates belong
/// to `ns` for their whole life, whichever thread uses them later.
pub fn in_netns<T: Send + 'static>(
    ns: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let path = format!("/var/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        // SAFETY: a valid namespace fd; setns only changes this thread's network namespace, and
        // the thread ends with `f`.
        if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!("setns {path}: {}", std::io::Error::last_os_error()));
        }
        Ok(f())
    })
    .join()
    .map_err(|_| "namespace thread panicked".to_string())?
}

/// A listening TCP socket at `addr` inside namespace `ns`.
pub fn bind_in(ns: &str, addr: SocketAddr) -> Result<TcpListener, String> {
    in_netns(ns, move || TcpListener::bind(addr))?.map_err(|e| format!("bind {addr} in {ns}: {e}"))
}

/// Whether the nameserver at `server` answers an A query for `name`, asked from namespace `ns`.
pub fn dns_answers(ns: &str, server: SocketAddr, name: &str) -> bool {
    let mut query = vec![0x4d, 0x6c, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        query.push(label.len() as u8);
        query.extend_from_slice(label.as_bytes());
    }
    query.extend_from_slice(&[0, 0, 1, 0, 1]);
    let asked = in_netns(ns, move || -> std::io::Result<bool> {
        let bind: SocketAddr = match server.ip() {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let socket = UdpSocket::bind(bind)?;
        socket.set_read_timeout(Some(Duration::from_millis(200)))?;
        socket.send_to(&query, server)?;
        let mut buf = [0u8; 512];
        let (n, _) = socket.recv_from(&mut buf)?;
        Ok(n >= 12 && buf[..2] == query[..2])
    });
    matches!(asked, Ok(Ok(true)))
}

/// A scripted IMAP server on its own thread and tokio runtime; stopped on drop.
struct ImapServer {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ImapServer {
    fn start(listeners: Vec<TcpListener>, script: Script) -> Result<ImapServer, String> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let thread = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("runtime: {e}")));
                    return;
                }
            };
            runtime.block_on(async move {
                let mut handles = Vec::new();
                for listener in listeners {
                    let served = async {
                        listener.set_nonblocking(true)?;
                        let listener = tokio::net::TcpListener::from_std(listener)?;
                        server::spawn_on(listener, script.clone()).await
                    };
                    match served.await {
                        Ok(handle) => handles.push(handle),
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("scripted server: {e}")));
                            return;
                        }
                    }
                }
                let _ = ready_tx.send(Ok(()));
                let _ = stopped.await;
                for handle in handles {
                    handle.shutdown().await;
                }
            });
        });
        let server = ImapServer {
            stop: Some(stop),
            thread: Some(thread),
        };
        ready_rx
            .recv()
            .map_err(|_| "scripted server thread died".to_string())??;
        Ok(server)
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
